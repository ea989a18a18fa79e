//! The create dialog (SPEC 4.5): profile, name, persist, project, and the engine when several.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::state::dialog::{CreateDialog, CreateField};

use super::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, d: &CreateDialog, t: &Theme) {
    let r = super::centered(area, 66, 11);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(t.accent))
        .title(Span::styled(" Create a sandbox ", t.title()));
    let label = |field: CreateField, text: &'static str| {
        let st = if d.focus == field {
            Style::default().fg(t.accent).add_modifier(Modifier::BOLD)
        } else {
            Style::default().fg(t.dim)
        };
        Span::styled(format!(" {}{text:<9}", if d.focus == field { '›' } else { ' ' }), st)
    };
    let profile = d.profiles.get(d.profile).map(String::as_str).unwrap_or("default");
    let engine = d.engines.get(d.engine).map(String::as_str).unwrap_or("");
    let name = if d.name.text.is_empty() && d.focus != CreateField::Name {
        Span::styled("(generated)", Style::default().fg(t.dim))
    } else {
        Span::raw(d.name.text.as_str())
    };
    let project = if d.project.text.is_empty() && d.focus != CreateField::Project {
        Span::styled("(none)", Style::default().fg(t.dim))
    } else {
        Span::raw(d.project.text.as_str())
    };
    let mut lines = vec![
        Line::from(vec![
            label(CreateField::Profile, "profile"),
            Span::raw(format!("◂ {profile} ▸")),
        ]),
        Line::from(vec![label(CreateField::Name, "name"), name]),
        Line::from(vec![
            label(CreateField::Persist, "persist"),
            Span::raw(if d.persist { "[x] yes" } else { "[ ] no" }),
        ]),
        Line::from(vec![label(CreateField::Project, "project"), project]),
        Line::from(vec![
            label(CreateField::Engine, "engine"),
            Span::raw(format!("◂ {engine} ▸")),
        ]),
        Line::raw(""),
    ];
    match &d.error {
        Some(e) => lines.push(Line::styled(format!(" {e}"), Style::default().fg(t.error))),
        None => lines.push(Line::raw("")),
    }
    lines.push(Line::styled(
        " Tab/↑↓ field · ←→/space change · Enter create · Esc cancel",
        Style::default().fg(t.dim),
    ));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
    let (row, input) = match d.focus {
        CreateField::Name => (2, &d.name),
        CreateField::Project => (4, &d.project),
        _ => return,
    };
    let col = r.x + 11 + input.text[..input.cursor].chars().count() as u16;
    if col < (r.x + r.width).saturating_sub(1) && row < r.height {
        f.set_cursor_position(Position::new(col, r.y + row));
    }
}
