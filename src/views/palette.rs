//! The bottom input line: the `/` filter or `:` palette being typed, else progress, else the
//! message line.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::state::{Level, Mode, State};

/// Palette commands with a short description, for completion hints and the help overlay.
pub const COMMANDS: [(&str, &str); 15] = [
    ("create", "create a sandbox"),
    ("prune", "prune stopped sandboxes"),
    ("run", "run a command in the selected or marked"),
    ("host", "host URL: connect one more engine"),
    ("all", "toggle sandboxes / all containers"),
    ("sort", "sort COLUMN: name engine state image uptime cpu mem"),
    ("filter", "filter TEXT"),
    ("stop", "stop the selected or marked"),
    ("start", "start the selected or marked"),
    ("restart", "restart the selected or marked"),
    ("destroy", "destroy the selected or marked (asks)"),
    ("zoom", "zoom the focused pane"),
    ("mouse", "toggle mouse capture"),
    ("help", "show the key bindings"),
    ("quit", "quit"),
];

/// Palette commands that start with what was typed.
pub fn completions(typed: &str) -> Vec<&'static str> {
    let word = typed.split_whitespace().next().unwrap_or("");
    COMMANDS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| c.starts_with(word))
        .collect()
}

pub fn draw_input_line(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    match &s.mode {
        Mode::Filter(input) | Mode::Palette(input) | Mode::LogSearch(input) => {
            let (prefix, hint) = match &s.mode {
                Mode::Filter(_) => ("/", "  Enter keeps · Esc clears".to_string()),
                Mode::LogSearch(_) => (
                    "search log: ",
                    "  Enter searches · n/N next/previous · f filter".to_string(),
                ),
                _ => {
                    let c = completions(&input.text);
                    let hint = if c.is_empty() {
                        "  unknown command".to_string()
                    } else {
                        format!("  {}", c.join(" "))
                    };
                    (":", hint)
                }
            };
            let line = Line::from(vec![
                Span::styled(prefix, Style::default().fg(t.accent)),
                Span::raw(input.text.as_str()),
                Span::styled(hint, Style::default().fg(t.dim)),
            ]);
            f.render_widget(line, area);
            let col = (prefix.chars().count() + input.text[..input.cursor].chars().count()) as u16;
            if col < area.width {
                f.set_cursor_position(Position::new(area.x + col, area.y));
            }
        }
        Mode::Normal => {
            if let Some(p) = &s.progress {
                f.render_widget(Line::styled(format!("⏳ {p}"), Style::default().fg(t.accent)), area);
            } else if let Some(m) = &s.message {
                let st = match m.level {
                    Level::Info => Style::default().fg(t.info),
                    Level::Error => Style::default().fg(t.error),
                };
                f.render_widget(Line::styled(m.text.as_str(), st), area);
            }
        }
    }
}
