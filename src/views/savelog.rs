//! The save-log dialog: the path the Logs tab's lines are written to.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::state::dialog::TextInput;

use super::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, path: &TextInput, t: &Theme) {
    let r = super::centered(area, 70, 5);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.accent))
        .title(Span::styled(" Save the log ", t.title()));
    let lines = vec![
        Line::from(vec![
            Span::styled(" path: ", Style::default().fg(t.dim)),
            Span::raw(path.text.as_str()),
        ]),
        Line::raw(""),
        Line::styled(
            " Enter saves (shown lines; only matches in filter mode) · Esc cancels",
            Style::default().fg(t.dim),
        ),
    ];
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
    let col = r.x + 7 + path.text[..path.cursor].chars().count() as u16;
    if col < r.x + r.width.saturating_sub(1) && r.height > 2 {
        f.set_cursor_position(Position::new(col, r.y + 1));
    }
}
