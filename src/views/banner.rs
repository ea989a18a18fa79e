//! The banner shown while an engine is down (it is retried with backoff).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    if area.height == 0 {
        return;
    }
    let down: Vec<String> = s
        .engines
        .iter()
        .filter(|e| !e.up)
        .map(|e| format!("{} disconnected: {}", e.name, e.detail))
        .collect();
    let st = Style::default()
        .fg(ratatui::style::Color::White)
        .bg(s.theme.error)
        .add_modifier(Modifier::BOLD);
    f.render_widget(Line::styled(format!(" ⚠ {}", down.join("; ")), st), area);
}
