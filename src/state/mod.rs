//! The dashboard's state: everything drawing needs, and nothing else.
//!
//! The UI task owns one [`State`]. Handlers in [`crate::app::handlers`] change it; views in
//! [`crate::views`] draw it (pure functions of `&State`). Requests for the workers are queued in
//! [`State::outbox`] and sent by the run loop, so the state stays testable without any engine.
//! [`State::dirty`] says a redraw is needed; nothing redraws otherwise.

pub mod dialog;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};

use ratatui::layout::Rect;

use crate::app::keymap::KeyMap;
use crate::app::msg::{Action, RowKey, Target};
use crate::engine::{ContainerDetails, StatsSample};
use crate::logview::{LogPane, LogTheme};
use crate::sandbox::Sandbox;
use crate::views::theme::Theme;

pub use dialog::{Dialog, TextInput};

/// One table row: the sandbox and its latest stats sample (visible rows only).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub sb: Sandbox,
    pub stats: Option<StatsSample>,
    /// When the container last started (unix seconds), worked out from the engine's status text
    /// ("Up 5 minutes") at the time the row arrived; None when not running.
    pub started: Option<i64>,
}

impl Row {
    /// A row as it arrives from a worker at time `now`.
    pub fn new(sb: Sandbox, now: i64) -> Row {
        let started = if sb.state.is_live() {
            up_secs(&sb.status).map(|s| now - s)
        } else {
            None
        };
        Row {
            sb,
            stats: None,
            started,
        }
    }
}

/// Seconds of "Up 5 minutes" / "Up About an hour" / "Up Less than a second (healthy)".
pub fn up_secs(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Up ")?;
    let rest = rest.split(" (").next().unwrap_or(rest).trim();
    if rest.starts_with("Less than") {
        return Some(0);
    }
    let mut it = rest.split_whitespace();
    let n = it.next()?;
    let unit = it.next().unwrap_or("");
    let n: i64 = match n {
        "About" | "a" | "an" => 1,
        _ => n.parse().ok()?,
    };
    let unit = if unit == "a" || unit == "an" {
        it.next().unwrap_or("")
    } else {
        unit
    };
    let mult = match unit.trim_end_matches('s') {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 7 * 86_400,
        "month" => 30 * 86_400,
        "year" => 365 * 86_400,
        _ => return None,
    };
    Some(n * mult)
}

/// The detail area's tabs, in `[`/`]` order. Logs is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Logs,
    Sessions,
    Processes,
    Inspect,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Logs, Tab::Sessions, Tab::Processes, Tab::Inspect];

    pub fn title(&self) -> &'static str {
        match self {
            Tab::Logs => "Logs",
            Tab::Sessions => "Sessions",
            Tab::Processes => "Processes",
            Tab::Inspect => "Inspect",
        }
    }

    fn index(&self) -> usize {
        Tab::ALL.iter().position(|t| t == self).unwrap_or(0)
    }

    pub fn next(&self) -> Tab {
        Tab::ALL[(self.index() + 1) % Tab::ALL.len()]
    }

    pub fn prev(&self) -> Tab {
        Tab::ALL[(self.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
    }
}

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Table,
    Detail,
}

/// What typed characters go to.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Normal,
    /// `/`: the filter being typed (applied live).
    Filter(TextInput),
    /// `:`: a palette command being typed.
    Palette(TextInput),
    /// `/` in the focused Logs tab: a log search being typed (applied on Enter).
    LogSearch(TextInput),
}

/// Table sort columns, in `o` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Engine,
    State,
    Image,
    Uptime,
    Cpu,
    Memory,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        SortKey::Name,
        SortKey::Engine,
        SortKey::State,
        SortKey::Image,
        SortKey::Uptime,
        SortKey::Cpu,
        SortKey::Memory,
    ];

    pub fn next(&self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }

    pub fn name(&self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Engine => "engine",
            SortKey::State => "state",
            SortKey::Image => "image",
            SortKey::Uptime => "uptime",
            SortKey::Cpu => "cpu",
            SortKey::Memory => "mem",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// An engine's connection state, for the status line and banner.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineStatus {
    pub name: String,
    pub up: bool,
    /// Version when up, the error and retry delay when down.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// The message line.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub level: Level,
    pub text: String,
    /// Unix seconds after which it disappears (errors stay until replaced or Esc).
    pub until: Option<i64>,
}

/// Side effects on the real terminal that the run loop carries out (tests may ignore them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    SetMouseCapture(bool),
}

#[derive(Debug)]
pub struct State {
    /// Every known row, by key.
    pub rows: BTreeMap<RowKey, Row>,
    /// The rows shown: filtered and sorted keys.
    pub view: Vec<RowKey>,
    /// Index into `view`.
    pub selected: usize,
    /// First row of `view` on screen.
    pub offset: usize,
    pub marks: BTreeSet<RowKey>,
    pub all: bool,
    pub sort: SortKey,
    pub sort_desc: bool,
    /// The kept filter (lowercase match on name, image, state, engine, profile, project, id).
    pub filter: String,
    pub mode: Mode,
    pub focus: Pane,
    pub tab: Tab,
    pub zoom: bool,
    /// Percentage of the main area the table gets (20..=80).
    pub split: u16,
    pub help: bool,
    /// Help overlay scroll.
    pub help_scroll: u16,
    pub dialog: Option<Dialog>,
    /// Progress panel of a lifecycle action on several sandboxes; not modal (issue 6).
    pub bulk: Option<crate::views::bulk::BulkView>,
    pub message: Option<Message>,
    pub progress: Option<String>,
    pub engines: Vec<EngineStatus>,
    pub details: Option<(RowKey, Box<ContainerDetails>)>,
    /// Inspect tab scroll (lines).
    pub inspect_scroll: u16,
    /// The followed row's log (the `logview` pane).
    pub logs: LogPane,
    pub log_theme: LogTheme,
    /// Whose log `logs` holds.
    pub logs_key: Option<RowKey>,
    pub mouse_capture: bool,
    pub keymap: KeyMap,
    pub theme: Theme,
    /// Profiles for the create dialog.
    pub profiles: Vec<String>,
    /// The project around the working directory (create dialog default).
    pub project: Option<String>,
    /// Terminal size, updated before every draw and on resize.
    pub area: Rect,
    /// Wall clock (unix seconds), updated by the tick; drawing uses it for uptimes.
    pub now: i64,
    pub dirty: bool,
    /// `view` needs a re-sort (set by stats under a CPU/memory sort; applied once per batch).
    pub view_stale: bool,
    pub quit: bool,
    /// Requests for the workers, sent by the run loop.
    pub outbox: Vec<Action>,
    pub effects: Vec<Effect>,
    /// What the workers were last told (to send only changes).
    pub sent_watch: Vec<RowKey>,
    pub sent_follow: Option<RowKey>,
    pub sent_inspect: Option<RowKey>,
    /// Open interactive sessions (the Sessions tab).
    pub sessions: crate::emulator::tabs::SessionTabs,
    /// Processes tab and fan-out (issue 5).
    pub procs: crate::procview::wire::ProcsUi,
}

impl State {
    pub fn new(keymap: KeyMap, theme: Theme, ring_lines: usize) -> State {
        State {
            rows: BTreeMap::new(),
            view: Vec::new(),
            selected: 0,
            offset: 0,
            marks: BTreeSet::new(),
            all: false,
            sort: SortKey::Name,
            sort_desc: false,
            filter: String::new(),
            mode: Mode::Normal,
            focus: Pane::Table,
            tab: Tab::Logs,
            zoom: false,
            bulk: None,
            split: 45,
            help: false,
            help_scroll: 0,
            dialog: None,
            message: None,
            progress: None,
            engines: Vec::new(),
            details: None,
            inspect_scroll: 0,
            logs: LogPane::new(ring_lines),
            log_theme: theme.log_theme(),
            logs_key: None,
            mouse_capture: true,
            keymap,
            theme,
            profiles: Vec::new(),
            project: None,
            area: Rect::new(0, 0, 80, 24),
            now: 0,
            dirty: true,
            view_stale: false,
            quit: false,
            outbox: Vec::new(),
            effects: Vec::new(),
            sent_watch: Vec::new(),
            sent_follow: None,
            sent_inspect: None,
            sessions: Default::default(),
            procs: Default::default(),
        }
    }

    /// The filter in effect: the one being typed, else the kept one.
    pub fn live_filter(&self) -> &str {
        match &self.mode {
            Mode::Filter(t) => &t.text,
            _ => &self.filter,
        }
    }

    /// Does a row match the filter?
    pub fn matches(&self, r: &Row, filter: &str) -> bool {
        if filter.is_empty() {
            return true;
        }
        let f = filter.to_lowercase();
        let s = &r.sb;
        let has = |v: &str| v.to_lowercase().contains(&f);
        has(&s.name)
            || has(&s.image)
            || has(s.state.as_str())
            || has(&s.engine)
            || s.profile.as_deref().is_some_and(has)
            || s.project.as_deref().is_some_and(has)
            || s.id.starts_with(&f)
    }

    /// Recompute `view` (filter + sort), keeping the selected row selected when it is still shown.
    pub fn refresh_view(&mut self) {
        let keep = self.selected_key().cloned();
        let filter = self.live_filter().to_string();
        let mut v: Vec<&Row> = self.rows.values().filter(|r| self.matches(r, &filter)).collect();
        let cpu = |r: &Row| r.stats.map(|s| s.cpu_percent).unwrap_or(-1.0);
        let mem = |r: &Row| r.stats.map(|s| s.mem_bytes as i64).unwrap_or(-1);
        v.sort_by(|a, b| {
            let o = match self.sort {
                SortKey::Name => a.sb.name.cmp(&b.sb.name),
                SortKey::Engine => a.sb.engine.cmp(&b.sb.engine),
                SortKey::State => a.sb.state.cmp(&b.sb.state),
                SortKey::Image => a.sb.image.cmp(&b.sb.image),
                // Newest first reads best for uptime: a smaller uptime is a later creation.
                SortKey::Uptime => b.sb.created_at.cmp(&a.sb.created_at),
                SortKey::Cpu => cpu(b).total_cmp(&cpu(a)),
                SortKey::Memory => mem(b).cmp(&mem(a)),
            };
            let o = if self.sort_desc { o.reverse() } else { o };
            o.then_with(|| (&a.sb.name, &a.sb.engine, &a.sb.id).cmp(&(&b.sb.name, &b.sb.engine, &b.sb.id)))
        });
        self.view = v.into_iter().map(|r| RowKey::of(&r.sb)).collect();
        if let Some(k) = keep
            && let Some(i) = self.view.iter().position(|x| *x == k)
        {
            self.selected = i;
        }
        self.selected = self.selected.min(self.view.len().saturating_sub(1));
        self.clamp_offset();
        self.dirty = true;
        self.view_stale = false;
    }

    pub fn selected_key(&self) -> Option<&RowKey> {
        self.view.get(self.selected)
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.selected_key().and_then(|k| self.rows.get(k))
    }

    /// How many table rows fit on screen now.
    pub fn table_rows(&self) -> usize {
        let l = crate::views::layout(self.area, self);
        l.table.height.saturating_sub(3) as usize
    }

    /// Keep the selection inside the visible window.
    pub fn clamp_offset(&mut self) {
        let h = self.table_rows().max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
        let max_off = self.view.len().saturating_sub(h);
        self.offset = self.offset.min(max_off);
    }

    pub fn select(&mut self, i: usize) {
        if self.view.is_empty() {
            return;
        }
        self.selected = i.min(self.view.len() - 1);
        self.clamp_offset();
        self.dirty = true;
    }

    /// The rows on screen.
    pub fn visible_keys(&self) -> Vec<RowKey> {
        let h = self.table_rows();
        self.view.iter().skip(self.offset).take(h).cloned().collect()
    }

    /// What an action applies to: the marked rows that are still shown or known, else the selected.
    pub fn targets(&self) -> Vec<Target> {
        let mk = |k: &RowKey| {
            self.rows.get(k).map(|r| Target {
                key: k.clone(),
                name: r.sb.name.clone(),
            })
        };
        if !self.marks.is_empty() {
            return self.marks.iter().filter_map(mk).collect();
        }
        self.selected_key().and_then(mk).into_iter().collect()
    }

    /// Show a message on the message line.
    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Info,
            text: text.into(),
            until: Some(self.now + 5),
        });
        self.dirty = true;
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            level: Level::Error,
            text: text.into(),
            until: None,
        });
        self.dirty = true;
    }

    /// After every change: tell the workers what is now watched, followed and inspected.
    pub fn sync(&mut self) {
        if self.view_stale {
            self.refresh_view();
        }
        if self.view.is_empty() && self.sent_follow.is_none() && self.sent_watch.is_empty() {
            return;
        }
        let watch = self.visible_keys();
        if watch != self.sent_watch {
            self.sent_watch = watch.clone();
            self.outbox.push(Action::Watch(watch));
        }
        let sel = self.selected_key().cloned();
        if sel != self.sent_follow {
            self.sent_follow = sel.clone();
            self.logs.clear();
            self.logs_key = sel.clone();
            self.outbox.push(Action::FollowLogs(sel.clone()));
        }
        if self.tab == Tab::Inspect
            && let Some(k) = sel
            && self.sent_inspect.as_ref() != Some(&k)
        {
            self.sent_inspect = Some(k.clone());
            self.outbox.push(Action::Inspect(k));
        }
        crate::procview::wire::sync(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_from_status() {
        assert_eq!(up_secs("Up 5 minutes"), Some(300));
        assert_eq!(up_secs("Up About an hour (healthy)"), Some(3600));
        assert_eq!(up_secs("Up Less than a second"), Some(0));
        assert_eq!(up_secs("Up 1 second"), Some(1));
        assert_eq!(up_secs("Up 3 days (Paused)"), Some(3 * 86_400));
        assert_eq!(up_secs("Exited (0) 2 hours ago"), None);
    }
}
