//! The detail area: tabs Logs · Sessions · Processes · Inspect for the selected row.
//! Each tab's content is drawn by its own module.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

use crate::state::{Pane, State, Tab};

/// The tab bar's text spans; also used for mouse hit tests (see [`tab_at`]).
fn tab_titles() -> Vec<(Tab, String)> {
    Tab::ALL.iter().map(|t| (*t, format!(" {} ", t.title()))).collect()
}

/// Which tab title is at column `x` of the detail area's top border.
pub fn tab_at(area: Rect, x: u16) -> Option<Tab> {
    let mut col = area.x + 1;
    for (i, (t, title)) in tab_titles().into_iter().enumerate() {
        if i > 0 {
            col += 1; // separator
        }
        let w = title.chars().count() as u16;
        if x >= col && x < col + w {
            return Some(t);
        }
        col += w;
    }
    None
}

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let mut spans = Vec::new();
    for (i, (tab, title)) in tab_titles().into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("·", Style::default().fg(t.border)));
        }
        let st = if tab == s.tab {
            Style::default()
                .fg(t.accent)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default().fg(t.dim)
        };
        spans.push(Span::styled(title, st));
    }
    if let Some(r) = s.selected_row() {
        spans.push(Span::styled(format!(" {} ", r.sb.name), t.title()));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border(s.focus == Pane::Detail))
        .title(Line::from(spans));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if s.selected_row().is_none() {
        f.render_widget(Line::styled(" nothing selected", Style::default().fg(t.dim)), inner);
        return;
    }
    match s.tab {
        Tab::Logs => super::logs::draw(f, inner, s),
        Tab::Sessions => super::sessions::draw(f, inner, s),
        Tab::Processes => super::processes::draw(f, inner, s),
        Tab::Inspect => super::inspect::draw(f, inner, s),
    }
}
