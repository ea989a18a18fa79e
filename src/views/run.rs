//! The run-command dialog: a command line run with `sh -c` in the selected or marked rows.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::state::dialog::RunDialog;

use super::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, d: &RunDialog, t: &Theme) {
    let names: Vec<&str> = d.targets.iter().map(|t| t.name.as_str()).collect();
    let r = super::centered(area, 70, 6);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.accent))
        .title(Span::styled(" Run a command ", t.title()));
    let lines = vec![
        Line::from(vec![
            Span::styled(" in: ", Style::default().fg(t.dim)),
            Span::raw(super::ellipsize(&names.join(", "), r.width.saturating_sub(8) as usize)),
        ]),
        Line::from(vec![
            Span::styled(" $ ", Style::default().fg(t.accent)),
            Span::raw(d.command.text.as_str()),
        ]),
        Line::raw(""),
        Line::styled(" Enter runs · Esc cancels", Style::default().fg(t.dim)),
    ];
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
    let col = r.x + 4 + d.command.text[..d.command.cursor].chars().count() as u16;
    if col < (r.x + r.width).saturating_sub(1) && r.height > 3 {
        f.set_cursor_position(Position::new(col, r.y + 2));
    }
}
