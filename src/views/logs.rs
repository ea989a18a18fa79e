//! The Logs tab: the followed row's log, newest at the bottom, stderr in its own colour.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::engine::StreamKind;
use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let b = &s.logs;
    if area.height == 0 {
        return;
    }
    let h = area.height as usize;
    let end = b.lines.len().saturating_sub(b.scroll);
    let start = end.saturating_sub(h);
    let mut lines: Vec<Line> = b
        .lines
        .range(start..end)
        .map(|l| {
            let mut spans = Vec::with_capacity(2);
            if b.timestamps
                && let Some(ts) = &l.ts
            {
                spans.push(Span::styled(format!("{ts} "), Style::default().fg(t.dim)));
            }
            let st = if l.stream == StreamKind::Stderr {
                Style::default().fg(t.stderr)
            } else {
                Style::default()
            };
            spans.push(Span::styled(l.text.as_str(), st));
            Line::from(spans)
        })
        .collect();
    if b.lines.is_empty() {
        let why = match &b.ended {
            Some(e) => format!(" log ended: {e}"),
            None => " no log output yet".to_string(),
        };
        lines.push(Line::styled(why, Style::default().fg(t.dim)));
    }
    f.render_widget(Paragraph::new(lines), area);
    if b.scroll > 0 && area.width > 20 {
        let tag = format!(" ↑{} (G follows) ", b.scroll);
        let w = tag.chars().count() as u16;
        let r = Rect::new(area.x + area.width - w, area.y, w, 1);
        f.render_widget(Line::styled(tag, Style::default().fg(t.header)), r);
    }
}
