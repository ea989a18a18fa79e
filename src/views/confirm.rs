//! The confirm dialog: `y`/`Enter` confirms, `n`/`Esc` cancels.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::state::dialog::Confirm;

use super::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, c: &Confirm, t: &Theme) {
    let shown = c.lines.len().min(12);
    let mut lines: Vec<Line> = c.lines.iter().take(shown).map(|l| Line::raw(format!(" {l}"))).collect();
    if c.lines.len() > shown {
        lines.push(Line::styled(
            format!(" … and {} more", c.lines.len() - shown),
            Style::default().fg(t.dim),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(" y", Style::default().fg(t.accent).add_modifier(Modifier::BOLD)),
        Span::raw("/Enter confirm   "),
        Span::styled("n", Style::default().fg(t.accent).add_modifier(Modifier::BOLD)),
        Span::raw("/Esc cancel"),
    ]));
    let h = lines.len() as u16 + 2;
    let r = super::centered(area, 60, h);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.error))
        .title(Span::styled(format!(" {} ", c.title), t.title()));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), r);
}
