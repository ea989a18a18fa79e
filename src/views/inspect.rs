//! The Inspect tab (SPEC 4.4): ports, mounts, labels, limits against live use, health with the
//! last check output, and a security summary.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::engine::{ContainerDetails, StatsSample};
use crate::state::State;
use crate::util::human_bytes;

use super::theme::Theme;

/// The Inspect tab's lines (separate from drawing so tests can read them).
pub fn lines<'a>(d: &'a ContainerDetails, live: Option<&StatsSample>, t: &Theme) -> Vec<Line<'a>> {
    let head = |s: &'a str| Line::styled(s, Style::default().fg(t.header).add_modifier(Modifier::BOLD));
    let kv = |k: &'a str, v: String| {
        Line::from(vec![
            Span::styled(format!("  {k:<16}"), Style::default().fg(t.dim)),
            Span::raw(v),
        ])
    };
    let mut out = Vec::new();
    out.push(kv("id", d.id.chars().take(12).collect()));
    out.push(kv("image", d.image.clone()));
    let mut state = d.state.to_string();
    if let Some(c) = d.exit_code.filter(|_| !d.running) {
        state.push_str(&format!(" (exit {c})"));
    }
    out.push(kv("state", state));
    if !d.cmd.is_empty() {
        out.push(kv("command", d.cmd.join(" ")));
    }

    out.push(head("Limits"));
    let mem_limit = d.limits.memory_bytes.filter(|m| *m > 0);
    let mem_use = live.map(|s| human_bytes(s.mem_bytes)).unwrap_or_else(|| "-".into());
    out.push(kv(
        "memory",
        match mem_limit {
            Some(l) => {
                let pct = live
                    .map(|s| format!(" ({:.0}%)", s.mem_bytes as f64 * 100.0 / l as f64))
                    .unwrap_or_default();
                format!("{mem_use} of {}{pct}", human_bytes(l as u64))
            }
            None => format!("{mem_use} of unlimited"),
        },
    ));
    let cpu_use = live
        .map(|s| format!("{:.1}%", s.cpu_percent))
        .unwrap_or_else(|| "-".into());
    out.push(kv(
        "cpu",
        match d.limits.nano_cpus.filter(|c| *c > 0) {
            Some(n) => format!("{cpu_use} of {:.2} cpus", n as f64 / 1e9),
            None => format!("{cpu_use} of unlimited"),
        },
    ));
    let pids_use = live.map(|s| s.pids.to_string()).unwrap_or_else(|| "-".into());
    out.push(kv(
        "pids",
        match d.limits.pids_limit.filter(|p| *p > 0) {
            Some(p) => format!("{pids_use} of {p}"),
            None => format!("{pids_use} of unlimited"),
        },
    ));

    out.push(head("Health"));
    match &d.health {
        Some(h) => {
            out.push(kv(
                "status",
                format!("{} (failing streak {})", h.status, h.failing_streak),
            ));
            if let Some(c) = h.last_exit_code {
                out.push(kv("last exit", c.to_string()));
            }
            if let Some(o) = &h.last_output {
                for l in o.lines().take(5) {
                    out.push(kv("last output", crate::state::text::sanitize(l)));
                }
            }
        }
        None => out.push(kv("status", "no healthcheck".into())),
    }

    out.push(head("Security"));
    let sec = &d.security;
    let flag = |b: bool| if b { "yes" } else { "no" }.to_string();
    let priv_line = if sec.privileged {
        Line::from(vec![
            Span::styled(format!("  {:<16}", "privileged"), Style::default().fg(t.dim)),
            Span::styled("YES", Style::default().fg(t.error).add_modifier(Modifier::BOLD)),
        ])
    } else {
        kv("privileged", "no".into())
    };
    out.push(priv_line);
    out.push(kv("read-only root", flag(sec.read_only_rootfs)));
    out.push(kv("no-new-privs", flag(sec.no_new_privileges)));
    out.push(kv("init", flag(sec.init)));
    out.push(kv("network", sec.network_mode.clone()));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    out.push(kv("caps dropped", list(&sec.cap_drop)));
    out.push(kv("caps added", list(&sec.cap_add)));
    if let Some(u) = d.user.as_deref().filter(|u| !u.is_empty()) {
        out.push(kv("user", u.to_string()));
    }

    out.push(head("Ports"));
    if d.ports.is_empty() {
        out.push(kv("", "none".into()));
    }
    for p in &d.ports {
        let host = match (&p.host_ip, &p.host_port) {
            (Some(ip), Some(port)) => format!("{ip}:{port}"),
            (None, Some(port)) => port.clone(),
            _ => "not published".into(),
        };
        out.push(kv(&p.container_port, format!("-> {host}")));
    }

    out.push(head("Mounts"));
    if d.mounts.is_empty() && sec.tmpfs.is_empty() {
        out.push(kv("", "none".into()));
    }
    for m in &d.mounts {
        let ro = if m.read_only { " (ro)" } else { "" };
        out.push(kv(
            &m.destination,
            format!("{} {}{ro}", m.kind, m.name.as_deref().unwrap_or(&m.source)),
        ));
    }
    for (path, opts) in &sec.tmpfs {
        out.push(kv(path, format!("tmpfs {opts}")));
    }

    out.push(head("Labels"));
    for (k, v) in &d.labels {
        out.push(Line::from(vec![
            Span::styled(format!("  {k}"), Style::default().fg(t.dim)),
            Span::raw(format!("={v}")),
        ]));
    }
    out
}

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let Some(key) = s.selected_key() else { return };
    match &s.details {
        Some((k, d)) if k == key => {
            let live = s.rows.get(key).and_then(|r| r.stats.as_ref());
            let p = Paragraph::new(lines(d, live, t))
                .wrap(Wrap { trim: false })
                .scroll((s.inspect_scroll, 0));
            f.render_widget(p, area);
        }
        _ => f.render_widget(Line::styled(" inspecting…", Style::default().fg(t.dim)), area),
    }
}
