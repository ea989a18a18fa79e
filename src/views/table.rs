//! The sandbox table (SPEC 4.1). Only the rows on screen are built, so a frame of 1,000 rows
//! costs the same as a frame of 30.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row as TRow, Table};

use crate::engine::ContainerState;
use crate::state::{Pane, Row, SortKey, State};
use crate::util::{human_bytes, human_duration};

use super::theme::Theme;

const HEADERS: [(&str, Option<SortKey>); 11] = [
    ("", None),
    ("NAME", Some(SortKey::Name)),
    ("ENGINE", Some(SortKey::Engine)),
    ("STATE", Some(SortKey::State)),
    ("IMAGE", Some(SortKey::Image)),
    ("PROFILE", None),
    ("PROJECT", None),
    ("UPTIME", Some(SortKey::Uptime)),
    ("CPU%", Some(SortKey::Cpu)),
    ("MEM", Some(SortKey::Memory)),
    ("PIDS", None),
];

/// Column widths from the rows on screen (only those are measured).
fn widths(visible: &[&Row]) -> [Constraint; 11] {
    let w = |f: &dyn Fn(&Row) -> usize, header: usize, min: usize, max: usize| {
        let m = visible.iter().map(|r| f(r)).max().unwrap_or(0).max(header).max(min);
        Constraint::Length(m.min(max) as u16)
    };
    let chars = |s: &str| s.chars().count();
    [
        Constraint::Length(1),
        w(&|r| chars(&r.sb.name), 5, 8, 40),
        w(&|r| chars(&r.sb.engine), 6, 6, 16),
        w(&|r| chars(&state_text(r)), 6, 7, 20),
        Constraint::Fill(1),
        w(&|r| r.sb.profile.as_deref().map(chars).unwrap_or(0), 7, 7, 16),
        w(&|r| r.sb.project.as_deref().map(chars).unwrap_or(0), 7, 7, 16),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(10),
        Constraint::Length(5),
    ]
}

/// The state cell text: state plus health.
pub fn state_text(r: &Row) -> String {
    match r.sb.health {
        Some(h) => format!("{} ({})", r.sb.state, h.as_str()),
        None => r.sb.state.to_string(),
    }
}

fn state_style(st: ContainerState, t: &Theme) -> Style {
    Style::default().fg(match st {
        ContainerState::Running => t.running,
        ContainerState::Paused | ContainerState::Restarting => t.paused,
        ContainerState::Dead | ContainerState::Removing => t.error,
        _ => t.stopped,
    })
}

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let what = if s.all { "Containers" } else { "Sandboxes" };
    let mut title = vec![Span::styled(
        format!(" {what} {}/{} ", s.view.len(), s.rows.len()),
        t.title(),
    )];
    if !s.marks.is_empty() {
        title.push(Span::styled(
            format!("[{} marked] ", s.marks.len()),
            Style::default().fg(t.marked),
        ));
    }
    let filter = s.live_filter();
    if !filter.is_empty() {
        title.push(Span::styled(format!("[/{filter}] "), Style::default().fg(t.header)));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(s.focus == Pane::Table))
        .title(Line::from(title));
    let inner_h = area.height.saturating_sub(3) as usize;
    let header = TRow::new(HEADERS.iter().map(|(h, k)| {
        let mut text = h.to_string();
        if *k == Some(s.sort) {
            text.push(if s.sort_desc { '↑' } else { '↓' });
        }
        Cell::from(text)
    }))
    .style(Style::default().fg(t.header).add_modifier(Modifier::BOLD));
    let shown: Vec<(usize, &crate::app::msg::RowKey, &Row)> = s
        .view
        .iter()
        .enumerate()
        .skip(s.offset)
        .take(inner_h)
        .filter_map(|(i, k)| s.rows.get(k).map(|r| (i, k, r)))
        .collect();
    let visible: Vec<&Row> = shown.iter().map(|(_, _, r)| *r).collect();
    let widths = widths(&visible);
    let rows = shown.into_iter().map(|(i, k, r)| {
        let marked = s.marks.contains(k);
        let sb = &r.sb;
        let uptime = r
            .started
            .map(|st| human_duration(std::time::Duration::from_secs((s.now - st).max(0) as u64)))
            .unwrap_or_default();
        let (cpu, mem, pids) = match (&r.stats, sb.state.is_live()) {
            (Some(st), true) => (
                format!("{:.1}", st.cpu_percent),
                human_bytes(st.mem_bytes),
                st.pids.to_string(),
            ),
            _ => (String::new(), String::new(), String::new()),
        };
        let name_style = if marked {
            Style::default().fg(t.marked).add_modifier(Modifier::BOLD)
        } else if !sb.managed {
            Style::default().fg(t.dim)
        } else {
            Style::default()
        };
        let cells = vec![
            Cell::from(if marked { "●" } else { " " }).style(Style::default().fg(t.marked)),
            Cell::from(sb.name.as_str()).style(name_style),
            Cell::from(sb.engine.as_str()),
            Cell::from(state_text(r)).style(state_style(sb.state, t)),
            Cell::from(sb.image.as_str()),
            Cell::from(sb.profile.as_deref().unwrap_or("")),
            Cell::from(sb.project.as_deref().unwrap_or("")),
            Cell::from(uptime),
            Cell::from(cpu),
            Cell::from(mem),
            Cell::from(pids),
        ];
        let mut row = TRow::new(cells);
        if i == s.selected {
            let mut st = Style::default().bg(t.selected_bg);
            if s.focus == Pane::Table {
                st = st.add_modifier(Modifier::BOLD);
            }
            row = row.style(st);
        }
        row
    });
    let table = Table::new(rows, widths).header(header).block(block).column_spacing(1);
    f.render_widget(table, area);
    if s.view.is_empty() && area.height > 4 {
        let msg = if s.rows.is_empty() {
            if s.engines.iter().any(|e| e.up) {
                format!(
                    "no {} yet; press {} to create one",
                    what.to_lowercase(),
                    s.keymap.key_of(crate::app::keymap::Command::Create)
                )
            } else if s.engines.is_empty() {
                "connecting…".to_string()
            } else {
                // Every engine is down (the banner says why): say what to do meanwhile.
                format!(
                    "no engine answers; retrying. Start Docker or Podman, or add one with {}host URL",
                    s.keymap.key_of(crate::app::keymap::Command::Palette)
                )
            }
        } else {
            "no row matches the filter (Esc clears it)".to_string()
        };
        let r = Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 1);
        f.render_widget(Line::styled(msg, Style::default().fg(t.dim)), r);
    }
}
