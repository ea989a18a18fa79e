//! The help overlay: the live key bindings (after `[keys]` overrides), global and per tab, and
//! the palette commands.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::app::keymap::{Command, Scope};
use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut lines = Vec::new();
    for scope in [Scope::Global, Scope::Logs, Scope::Sessions, Scope::Processes] {
        if scope != Scope::Global {
            lines.push(Line::styled(
                format!(" {}", scope.title()),
                Style::default().fg(t.header),
            ));
        }
        for c in Command::ALL.into_iter().filter(|c| c.scope() == scope) {
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {:<14}", s.keymap.keys_of(c)),
                    Style::default().fg(t.accent).add_modifier(Modifier::BOLD),
                ),
                Span::raw(c.describe()),
            ]));
        }
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
