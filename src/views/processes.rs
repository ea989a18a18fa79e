//! The Processes tab. The exec list arrives with issue 5; until then the tab says so in one line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    f.render_widget(
        Line::styled(" processes: coming (issue 5)", Style::default().fg(s.theme.dim)),
        area,
    );
}
