//! The Sessions tab. Interactive shells inside the dashboard arrive with issue 4; until then
//! the tab says so in one line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    f.render_widget(
        Line::styled(" sessions: coming (issue 4)", Style::default().fg(s.theme.dim)),
        area,
    );
}
