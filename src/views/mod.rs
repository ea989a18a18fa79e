//! Drawing: a pure function of [`State`], one module per pane or dialog.
//!
//! [`draw`] lays the screen out with [`layout`] (also used by the handlers for mouse hit tests
//! and by the state for the number of visible rows) and calls each view's `draw`.

pub mod banner;
pub mod bulk;
pub mod confirm;
pub mod create;
pub mod detail;
pub mod help;
pub mod inspect;
pub mod logs;
pub mod palette;
pub mod processes;
pub mod prune;
pub mod run;
pub mod savelog;
pub mod sessions;
pub mod status;
pub mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::state::{Dialog, Pane, State};

/// Where each part of the screen is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    /// The engine-down banner (zero height when all engines are up).
    pub banner: Rect,
    pub table: Rect,
    pub detail: Rect,
    /// Engine state, counts, key hints.
    pub status: Rect,
    /// Message, progress, filter or palette input.
    pub input: Rect,
}

/// Lay the screen out. Zoom gives the focused pane the whole main area.
pub fn layout(area: Rect, s: &State) -> Areas {
    let banner_h = u16::from(s.engines.iter().any(|e| !e.up));
    let [banner, main, status, input] = Layout::vertical([
        Constraint::Length(banner_h),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (table, detail) = if s.zoom {
        match s.focus {
            Pane::Table => (main, Rect::new(main.x, main.y + main.height, main.width, 0)),
            Pane::Detail => (Rect::new(main.x, main.y, main.width, 0), main),
        }
    } else {
        let [t, d] =
            Layout::vertical([Constraint::Percentage(s.split), Constraint::Percentage(100 - s.split)]).areas(main);
        (t, d)
    };
    Areas {
        banner,
        table,
        detail,
        status,
        input,
    }
}

/// Draw the whole screen.
pub fn draw(f: &mut Frame, s: &State) {
    let a = layout(f.area(), s);
    banner::draw(f, a.banner, s);
    if a.table.height > 0 {
        table::draw(f, a.table, s);
    }
    if a.detail.height > 0 {
        detail::draw(f, a.detail, s);
    }
    status::draw(f, a.status, s);
    palette::draw_input_line(f, a.input, s);
    if let Some(b) = &s.bulk {
        bulk::draw(f, a.table, b, &s.theme);
    }
    match &s.dialog {
        Some(Dialog::Confirm(c)) => confirm::draw(f, f.area(), c, &s.theme),
        Some(Dialog::Create(c)) => create::draw(f, f.area(), c, &s.theme),
        Some(Dialog::Run(r)) => run::draw(f, f.area(), r, &s.theme),
        Some(Dialog::Fanout(v)) => {
            crate::procview::draw_fanout(f, f.area(), v, &crate::procview::wire::styles(&s.theme))
        }
        Some(Dialog::Prune(p)) => prune::draw(f, f.area(), p, &s.theme),
        Some(Dialog::SaveLog(p)) => savelog::draw(f, f.area(), p, &s.theme),
        None => {}
    }
    if s.help {
        help::draw(f, f.area(), s);
    }
}

/// A centred rectangle of at most `w` x `h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}

/// Cut a string to at most `n` characters, with an ellipsis when cut.
pub fn ellipsize(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else if n == 0 {
        String::new()
    } else {
        let mut out: String = s.chars().take(n - 1).collect();
        out.push('…');
        out
    }
}
