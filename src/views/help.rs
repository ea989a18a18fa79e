//! The help overlay: the live key bindings (after `[keys]` overrides) and palette commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::keymap::Command;
use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut lines = Vec::new();
    for c in Command::ALL {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {:<14}", s.keymap.keys_of(c)),
                Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
            ),
            Span::raw(c.describe()),
        ]));
    }
    lines.push(Line::styled(
        " Logs tab (focused with Tab)",
        Style::default().fg(t.header),
    ));
    for (k, d) in [
        ("j k g G", "scroll, top, follow the end"),
        ("h l", "scroll sideways (wrap off)"),
        ("/ n N", "search, next / previous match"),
        ("f", "show only matching lines"),
        ("t w", "timestamps, wrap"),
        ("S C", "save to a file, clear"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!(" {k:<14}"), Style::default().fg(t.accent)),
            Span::raw(d),
        ]));
    }
    lines.push(Line::styled(" Palette (:)", Style::default().fg(t.header)));
    for (c, d) in super::palette::COMMANDS {
        lines.push(Line::from(vec![
            Span::styled(format!(" :{c:<13}"), Style::default().fg(t.accent)),
            Span::raw(d),
        ]));
    }
    let r = super::centered(area, 70, area.height.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.accent))
        .title(Span::styled(" Help (Esc closes, j/k scroll) ", t.title()));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block).scroll((s.help_scroll, 0)), r);
}
