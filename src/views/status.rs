//! The status line: engine states, counts, sort, mouse mode and key hints.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::app::keymap::Command;
use crate::engine::ContainerState;
use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut spans = Vec::new();
    for e in &s.engines {
        let (dot, st) = if e.up {
            ("●", Style::default().fg(t.running))
        } else {
            ("✗", Style::default().fg(t.error))
        };
        spans.push(Span::styled(format!("{dot} {} ", e.name), st));
    }
    let running = s
        .rows
        .values()
        .filter(|r| r.sb.state == ContainerState::Running)
        .count();
    spans.push(Span::raw(format!(
        "│ {} {}, {running} running │ sort {}{} │ mouse {} ",
        s.rows.len(),
        if s.all { "containers" } else { "sandboxes" },
        s.sort.name(),
        if s.sort_desc { "↑" } else { "↓" },
        if s.mouse_capture { "on" } else { "off" },
    )));
    // Key hints, as many as fit.
    let k = |c: Command| s.keymap.key_of(c);
    let used: usize = spans.iter().map(|sp| sp.content.chars().count()).sum();
    let mut room = (area.width as usize).saturating_sub(used + 2);
    let mut hints = String::from("│");
    for (c, what) in [
        (Command::Help, "help"),
        (Command::Quit, "quit"),
        (Command::Filter, "filter"),
        (Command::Palette, "palette"),
        (Command::Create, "create"),
        (Command::StopStart, "stop/start"),
        (Command::Destroy, "destroy"),
        (Command::NextPane, "pane"),
        (Command::Zoom, "zoom"),
    ] {
        let h = format!(" {} {what} ", k(c));
        let n = h.chars().count();
        if n > room {
            break;
        }
        room -= n;
        hints.push_str(&h);
    }
    if hints.len() > "│".len() {
        spans.push(Span::styled(hints, Style::default().fg(t.dim)));
    }
    f.render_widget(Line::from(spans), area);
}
