//! The dashboard's Sessions tab (SPEC 5.1, 5.2): session tabs across sandboxes, key, paste and
//! mouse routing to the focused session, and drawing.
//!
//! - `Enter` on a sandbox opens a session ([`open_or_focus`]) or focuses its open one; the
//!   workers open it ([`crate::app::Action::OpenSession`]) and hand it back
//!   ([`crate::app::Msg::SessionOpened`]).
//! - While a session is focused every key goes to it except the detach key (`Ctrl-]`, the
//!   `detach` command), which gives focus back to the dashboard; the session keeps running.
//! - With the Sessions tab in the detail pane but no session focused: `Enter`/`i` focuses the
//!   active session, `h`/`l` or Left/Right switch tabs, `X` closes the active tab (ending its
//!   shell), PgUp/PgDn scroll its scrollback.
//! - Each draw sizes the shown session to its pane, so zoom, split changes and terminal
//!   resizes reach the shell. Hidden sessions keep running and parsing.

use std::cell::Cell;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use tokio::sync::Notify;

use super::{Session, Status};
use crate::app::keymap::{Command, Scope};
use crate::app::msg::{Action, RowKey, Target};
use crate::state::{Pane, State, Tab};

/// One open session and the sandbox it belongs to.
#[derive(Debug, Clone)]
pub struct SessionTab {
    pub key: RowKey,
    pub name: String,
    pub session: Arc<Session>,
}

/// The open sessions.
#[derive(Debug, Clone)]
pub struct SessionTabs {
    pub tabs: Vec<SessionTab>,
    pub active: usize,
    /// Keys go to the active session.
    pub focused: bool,
    /// Sessions being opened.
    pub pending: Vec<RowKey>,
    /// The session being opened that will take focus: what is typed meanwhile goes to its shell
    /// once it opens (type-ahead), as in a terminal that is still starting its shell.
    pub awaiting: Option<RowKey>,
    /// Keys and pastes typed while [`SessionTabs::awaiting`] (bounded by [`TYPEAHEAD_MAX`]).
    pub typeahead: Vec<Typed>,
    /// Notified (coalesced) when any session's screen or status changed.
    pub waker: Arc<Notify>,
    /// Where the active session was last drawn (for mouse events).
    pub area: Cell<Rect>,
}

impl Default for SessionTabs {
    fn default() -> Self {
        SessionTabs {
            tabs: Vec::new(),
            active: 0,
            focused: false,
            pending: Vec::new(),
            awaiting: None,
            typeahead: Vec::new(),
            waker: Arc::new(Notify::new()),
            area: Cell::new(Rect::default()),
        }
    }
}

/// Input typed before a session opened.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Key(KeyEvent),
    Paste(String),
}

/// At most this many key presses or pastes are kept for a session that is still opening.
pub const TYPEAHEAD_MAX: usize = 1024;

/// A waker that compares by identity, so actions carrying it stay comparable.
#[derive(Debug, Clone)]
pub struct Waker(pub Arc<Notify>);

impl PartialEq for Waker {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl SessionTabs {
    pub fn active(&self) -> Option<&SessionTab> {
        self.tabs.get(self.active)
    }

    pub fn find(&self, key: &RowKey) -> Option<usize> {
        self.tabs.iter().position(|t| &t.key == key)
    }

    /// How many sessions still have a running shell.
    pub fn running(&self) -> usize {
        self.tabs.iter().filter(|t| t.session.status().is_running()).count()
    }

    /// Close the active tab, ending its shell in the sandbox.
    pub fn close_active(&mut self) {
        if self.active < self.tabs.len() {
            let t = self.tabs.remove(self.active);
            t.session.close();
            self.active = self.active.min(self.tabs.len().saturating_sub(1));
            self.focused = false;
        }
    }
}

/// `q`: quit, after asking when sessions are still running (quitting ends them).
pub fn on_quit(s: &mut State) {
    let n = s.sessions.running();
    if n == 0 {
        s.quit = true;
        return;
    }
    let names: Vec<String> = s
        .sessions
        .tabs
        .iter()
        .filter(|t| t.session.status().is_running())
        .map(|t| t.name.clone())
        .collect();
    s.dialog = Some(crate::state::Dialog::Confirm(crate::state::dialog::Confirm {
        title: "Quit".into(),
        lines: vec![
            format!("{n} session(s) still running: {}", names.join(", ")),
            "Quitting ends their shells. Quit?".into(),
        ],
        on_yes: Action::Quit,
    }));
}

/// End every session's shell (when the dashboard quits), waiting at most `limit` in all.
pub async fn close_all(tabs: &mut SessionTabs, limit: std::time::Duration) {
    let open: Vec<SessionTab> = tabs.tabs.drain(..).collect();
    for t in &open {
        t.session.close();
    }
    let _ = tokio::time::timeout(limit, futures::future::join_all(open.iter().map(|t| t.session.wait()))).await;
}

/// The size of the session pane in the current layout: the detail pane's inner area below the
/// tab bar (what the Sessions tab draws into).
fn initial_size(s: &State) -> (u16, u16) {
    let a = crate::views::layout(s.area, s);
    (
        a.detail.width.saturating_sub(2).max(10),
        a.detail.height.saturating_sub(3).max(3),
    )
}

/// The terminal was resized: every session, shown or hidden, takes the size its pane has now,
/// so a hidden shell's output is already laid out for the screen it will be shown on.
pub fn resize_all(s: &State) {
    let a = crate::views::layout(s.area, s);
    // Zoomed on the table (or a screen too small for a pane): nothing to size to yet; the
    // shown session is sized when it is drawn.
    if s.sessions.tabs.is_empty() || a.detail.width < 12 || a.detail.height < 6 {
        return;
    }
    let (cols, rows) = initial_size(s);
    for t in &s.sessions.tabs {
        if t.session.status().is_running() {
            t.session.resize(cols, rows);
        }
    }
}

/// `Enter` on a sandbox: focus its running session, else open a new one. A tab whose shell has
/// ended (it exited, or the engine went away) stays for its output until closed, but `Enter`
/// does not bring it back: it opens a fresh shell. On a sandbox that is not running, `Enter`
/// shows its ended tab if it has one, else says why no session can open.
pub fn open_or_focus(s: &mut State) {
    let Some(key) = s.selected_key().cloned() else { return };
    open_or_focus_key(s, key);
}

fn open_or_focus_key(s: &mut State, key: RowKey) {
    let Some(row) = s.rows.get(&key) else { return };
    let name = row.sb.name.clone();
    let live = row.sb.state.is_live();
    let profile = row.sb.profile.clone();
    s.tab = Tab::Sessions;
    s.focus = Pane::Detail;
    let running = s
        .sessions
        .tabs
        .iter()
        .position(|t| t.key == key && t.session.status().is_running());
    let shown = running.or_else(|| if live { None } else { s.sessions.find(&key) });
    if let Some(i) = shown {
        s.sessions.active = i;
        s.sessions.focused = true;
        s.dirty = true;
        return;
    }
    if !live {
        s.error(format!("{name} is not running; start it first (s)"));
        return;
    }
    if s.sessions.pending.contains(&key) {
        s.sessions.awaiting = Some(key);
        return;
    }
    let (cols, rows) = initial_size(s);
    s.sessions.pending.push(key.clone());
    s.sessions.awaiting = Some(key.clone());
    s.sessions.typeahead.clear();
    s.outbox.push(Action::OpenSession {
        target: Target {
            key,
            name: name.clone(),
        },
        profile,
        cols,
        rows,
        waker: Waker(s.sessions.waker.clone()),
    });
    s.info(format!("opening a session in {name}… (type ahead; ctrl-] cancels)"));
}

/// A session the workers opened. It takes focus when it is the one the user is waiting for;
/// one whose wait was cancelled (the detach key) or overtaken by another `Enter` joins the
/// tabs without taking the screen.
pub fn on_opened(s: &mut State, key: RowKey, name: String, session: Arc<Session>) {
    s.sessions.pending.retain(|k| k != &key);
    let awaited = s.sessions.awaiting.as_ref() == Some(&key);
    if !awaited {
        s.sessions.tabs.push(SessionTab {
            key,
            name: name.clone(),
            session,
        });
        s.info(format!(
            "the session in {name} is open in tab {}",
            s.sessions.tabs.len()
        ));
        return;
    }
    s.sessions.awaiting = None;
    for t in s.sessions.typeahead.drain(..) {
        match t {
            Typed::Key(k) => {
                session.send_key(k);
            }
            Typed::Paste(text) => session.send_paste(&text),
        }
    }
    s.sessions.tabs.push(SessionTab { key, name, session });
    s.sessions.active = s.sessions.tabs.len() - 1;
    s.sessions.focused = true;
    s.tab = Tab::Sessions;
    s.focus = Pane::Detail;
    s.message = None;
    s.dirty = true;
}

/// Opening failed: forget it was pending.
pub fn on_open_failed(s: &mut State, key: &RowKey) {
    s.sessions.pending.retain(|k| k != key);
    if s.sessions.awaiting.as_ref() == Some(key) {
        s.sessions.awaiting = None;
        s.sessions.typeahead.clear();
    }
}

/// While a session that will take focus is opening, keys are kept for it. The detach key
/// cancels that (the session still opens, unfocused) and Ctrl-C quits as usual. True when used.
fn type_ahead(s: &mut State, k: &KeyEvent) -> bool {
    if s.sessions.awaiting.is_none() || s.dialog.is_some() || s.help {
        return false;
    }
    let norm = normalize(k);
    let detach = s.keymap.lookup(&norm) == Some(Command::Detach) || s.keymap.lookup(k) == Some(Command::Detach);
    let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
    if detach || ctrl_c {
        s.sessions.awaiting = None;
        s.sessions.typeahead.clear();
        s.dirty = true;
        return detach;
    }
    if s.sessions.typeahead.len() < TYPEAHEAD_MAX {
        s.sessions.typeahead.push(Typed::Key(norm));
    }
    true
}

/// crossterm reports Ctrl-] (0x1d) as Ctrl-5, Ctrl-\ as Ctrl-4 and so on: map them back so a
/// binding like "ctrl-]" matches.
fn normalize(k: &KeyEvent) -> KeyEvent {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Char(c @ '4'..='7') if ctrl => {
            let real = ['\\', ']', '^', '_'][(c as u8 - b'4') as usize];
            KeyEvent::new(KeyCode::Char(real), k.modifiers)
        }
        _ => *k,
    }
}

fn session_shown(s: &State) -> bool {
    s.tab == Tab::Sessions && s.sessions.focused && s.sessions.active().is_some() && s.dialog.is_none() && !s.help
}

/// Keys while a session is focused; true when used (every key but the detach key is).
pub fn on_key(s: &mut State, k: &KeyEvent) -> bool {
    if type_ahead(s, k) {
        return true;
    }
    if !session_shown(s) {
        return false;
    }
    let norm = normalize(k);
    if s.keymap.lookup(&norm) == Some(Command::Detach) || s.keymap.lookup(k) == Some(Command::Detach) {
        s.sessions.focused = false;
        s.dirty = true;
        return true;
    }
    if let Some(t) = s.sessions.active() {
        if t.session.status().is_running() {
            t.session.send_key(norm);
        } else if matches!(k.code, KeyCode::Enter | KeyCode::Esc) {
            // An ended session: Enter or Esc gives focus back.
            s.sessions.focused = false;
            s.dirty = true;
        }
    }
    true
}

/// Keys for the Sessions tab when no session is focused; true when used.
pub fn detail_key(s: &mut State, k: &KeyEvent) -> bool {
    let n = s.sessions.tabs.len();
    if n == 0 {
        return false;
    }
    let Some(c) = s.keymap.lookup_in(Scope::Sessions, k) else {
        return false;
    };
    let t = &mut s.sessions;
    match c {
        Command::FocusSession => {
            // On a tab whose shell has ended, Enter starts a new shell in the same sandbox.
            let ended = t
                .active()
                .filter(|a| !a.session.status().is_running())
                .map(|a| a.key.clone());
            match ended {
                Some(key) => open_or_focus_key(s, key),
                None => t.focused = true,
            }
        }
        Command::PrevSession => t.active = (t.active + n - 1) % n,
        Command::NextSession => t.active = (t.active + 1) % n,
        Command::CloseSession => t.close_active(),
        Command::PageUp => {
            if let Some(a) = t.active() {
                a.session.scroll_back(a.session.size().1 as usize / 2);
            }
        }
        Command::PageDown => {
            if let Some(a) = t.active() {
                a.session.scroll_forward(a.session.size().1 as usize / 2);
            }
        }
        _ => return false,
    }
    s.dirty = true;
    true
}

/// Pasted text goes to a focused session; true when used.
pub fn on_paste(s: &mut State, text: &str) -> bool {
    if s.sessions.awaiting.is_some() && s.dialog.is_none() && !s.help {
        if s.sessions.typeahead.len() < TYPEAHEAD_MAX {
            s.sessions.typeahead.push(Typed::Paste(text.to_string()));
        }
        return true;
    }
    if !session_shown(s) {
        return false;
    }
    if let Some(t) = s.sessions.active() {
        t.session.send_paste(text);
    }
    true
}

/// Mouse events over the shown session: forwarded when the program asked, else the wheel
/// scrolls its scrollback; a click focuses it. True when used.
pub fn on_mouse(s: &mut State, m: &MouseEvent) -> bool {
    let area = s.sessions.area.get();
    if s.tab != Tab::Sessions || s.dialog.is_some() || s.help {
        return false;
    }
    if !area.contains(Position::new(m.column, m.row)) {
        // A click elsewhere takes the focus away from the session.
        if matches!(m.kind, crossterm::event::MouseEventKind::Down(_)) {
            s.sessions.focused = false;
        }
        return false;
    }
    let Some(t) = s.sessions.active() else { return false };
    let used = t.session.send_mouse(*m, (area.x, area.y));
    if matches!(m.kind, crossterm::event::MouseEventKind::Down(_)) && !s.sessions.focused {
        s.sessions.focused = true;
        s.focus = Pane::Detail;
    }
    s.dirty = true;
    used || s.sessions.focused
}

fn status_mark(st: &Status) -> String {
    match st {
        Status::Running => "●".into(),
        Status::Exited(c) => format!("exit {c}"),
        Status::Failed(_) => "ended".into(),
    }
}

/// Draw the Sessions tab: a line of tabs, then the active session sized to the rest.
pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    let t = &s.theme;
    let tabs = &s.sessions;
    if tabs.tabs.is_empty() {
        let text = if tabs.pending.is_empty() {
            " no sessions: Enter on a sandbox opens one"
        } else {
            " opening a session…"
        };
        f.render_widget(Line::styled(text, Style::default().fg(t.dim)), area);
        tabs.area.set(Rect::default());
        return;
    }
    if area.height < 2 {
        return;
    }
    let mut spans = Vec::new();
    for (i, tab) in tabs.tabs.iter().enumerate() {
        let st = tab.session.status();
        let mut style = match st {
            Status::Running => Style::default().fg(t.running),
            Status::Exited(0) => Style::default().fg(t.dim),
            _ => Style::default().fg(t.error),
        };
        if i == tabs.active {
            style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
        }
        let title = tab
            .session
            .title()
            .filter(|x| !x.is_empty())
            .unwrap_or_else(|| tab.name.clone());
        spans.push(Span::styled(
            format!(" {}:{} {} ", i + 1, title, status_mark(&st)),
            style,
        ));
        spans.push(Span::raw(" "));
    }
    let ended = tabs.active().is_some_and(|a| !a.session.status().is_running());
    let hint = match (tabs.focused, ended) {
        (true, false) => " ctrl-] leaves the session",
        (true, true) => " enter: back",
        (false, false) => " enter: focus · h/l: switch · X: close",
        (false, true) => " enter: new shell · h/l: switch · X: close",
    };
    spans.push(Span::styled(hint, Style::default().fg(t.dim)));
    f.render_widget(Line::from(spans), Rect::new(area.x, area.y, area.width, 1));
    let pane = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    if let Some(active) = tabs.active() {
        active.session.resize(pane.width, pane.height);
        super::draw(f, pane, &active.session, tabs.focused);
    }
    tabs.area.set(pane);
}
