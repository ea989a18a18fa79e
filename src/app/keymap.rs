//! Key bindings: named commands, their default keys, and `[keys]` overrides from the config.
//!
//! In the config file a binding is `command = "key"`, e.g. `quit = "ctrl-q"`; a rebound command
//! loses its default key.
//! Key syntax: a character (`q`, `Q`, `/`), a name (`enter`, `esc`, `tab`, `backtab`, `space`,
//! `up`, `down`, `left`, `right`, `home`, `end`, `pgup`, `pgdn`, `delete`, `backspace`,
//! `f1`..`f12`), optionally prefixed by `ctrl-`, `alt-` or `shift-`.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::{Error, Result};

/// Every rebindable dashboard command. The help overlay lists them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Help,
    Quit,
    Filter,
    Palette,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    PrevTab,
    NextTab,
    NextPane,
    Session,
    Mark,
    MarkAll,
    ClearMarks,
    Create,
    StopStart,
    Restart,
    Destroy,
    Run,
    Prune,
    Zoom,
    Mouse,
    AllContainers,
    Sort,
    SortReverse,
    GrowSplit,
    ShrinkSplit,
    Detach,
    // The Logs tab, while it has focus.
    LogSearch,
    NextMatch,
    PrevMatch,
    LogFilter,
    Timestamps,
    Wrap,
    ScrollLeft,
    ScrollRight,
    SaveLog,
    ClearLog,
    // The Sessions tab, while it has focus and no session does.
    FocusSession,
    PrevSession,
    NextSession,
    CloseSession,
    // The Processes tab, while it has focus.
    Kill,
}

/// Where a command's key works. Global keys work everywhere; a focused tab's own keys come
/// first there, so they may reuse a global key (`/` searches the log when the Logs tab has
/// focus, and filters the table elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Logs,
    Sessions,
    Processes,
}

impl Scope {
    /// Heading in the help overlay.
    pub fn title(&self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Logs => "Logs tab (focus it with Tab)",
            Scope::Sessions => "Sessions tab, no session focused",
            Scope::Processes => "Processes tab (focus it with Tab)",
        }
    }
}

impl Command {
    pub const ALL: [Command; 46] = [
        Command::Help,
        Command::Quit,
        Command::Filter,
        Command::Palette,
        Command::Up,
        Command::Down,
        Command::PageUp,
        Command::PageDown,
        Command::Top,
        Command::Bottom,
        Command::PrevTab,
        Command::NextTab,
        Command::NextPane,
        Command::Session,
        Command::Mark,
        Command::MarkAll,
        Command::ClearMarks,
        Command::Create,
        Command::StopStart,
        Command::Restart,
        Command::Destroy,
        Command::Run,
        Command::Prune,
        Command::Zoom,
        Command::Mouse,
        Command::AllContainers,
        Command::Sort,
        Command::SortReverse,
        Command::GrowSplit,
        Command::ShrinkSplit,
        Command::Detach,
        Command::LogSearch,
        Command::NextMatch,
        Command::PrevMatch,
        Command::LogFilter,
        Command::Timestamps,
        Command::Wrap,
        Command::ScrollLeft,
        Command::ScrollRight,
        Command::SaveLog,
        Command::ClearLog,
        Command::FocusSession,
        Command::PrevSession,
        Command::NextSession,
        Command::CloseSession,
        Command::Kill,
    ];

    /// Where this command's key works.
    pub fn scope(&self) -> Scope {
        use Command::*;
        match self {
            LogSearch | NextMatch | PrevMatch | LogFilter | Timestamps | Wrap | ScrollLeft | ScrollRight | SaveLog
            | ClearLog => Scope::Logs,
            FocusSession | PrevSession | NextSession | CloseSession => Scope::Sessions,
            Kill => Scope::Processes,
            _ => Scope::Global,
        }
    }

    /// The name used in `[keys]`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Help => "help",
            Command::Quit => "quit",
            Command::Filter => "filter",
            Command::Palette => "palette",
            Command::Up => "up",
            Command::Down => "down",
            Command::PageUp => "page_up",
            Command::PageDown => "page_down",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::PrevTab => "prev_tab",
            Command::NextTab => "next_tab",
            Command::NextPane => "next_pane",
            Command::Session => "session",
            Command::Mark => "mark",
            Command::MarkAll => "mark_all",
            Command::ClearMarks => "clear_marks",
            Command::Create => "create",
            Command::StopStart => "stop_start",
            Command::Restart => "restart",
            Command::Destroy => "destroy",
            Command::Run => "run",
            Command::Prune => "prune",
            Command::Zoom => "zoom",
            Command::Mouse => "mouse",
            Command::AllContainers => "all",
            Command::Sort => "sort",
            Command::SortReverse => "sort_reverse",
            Command::GrowSplit => "grow_split",
            Command::ShrinkSplit => "shrink_split",
            Command::Detach => "detach",
            Command::LogSearch => "search",
            Command::NextMatch => "next_match",
            Command::PrevMatch => "prev_match",
            Command::LogFilter => "log_filter",
            Command::Timestamps => "timestamps",
            Command::Wrap => "wrap",
            Command::ScrollLeft => "scroll_left",
            Command::ScrollRight => "scroll_right",
            Command::SaveLog => "save_log",
            Command::ClearLog => "clear_log",
            Command::FocusSession => "focus_session",
            Command::PrevSession => "prev_session",
            Command::NextSession => "next_session",
            Command::CloseSession => "close_session",
            Command::Kill => "kill",
        }
    }

    /// One-line description for the help overlay.
    pub fn describe(&self) -> &'static str {
        match self {
            Command::Help => "this help",
            Command::Quit => "quit",
            Command::Filter => "filter the table (Enter keeps, Esc clears)",
            Command::Palette => "command palette (:create :prune :run :host ...)",
            Command::Up => "move up / scroll up",
            Command::Down => "move down / scroll down",
            Command::PageUp => "page up",
            Command::PageDown => "page down",
            Command::Top => "first row / top",
            Command::Bottom => "last row / bottom (logs: follow)",
            Command::PrevTab => "previous detail tab",
            Command::NextTab => "next detail tab",
            Command::NextPane => "next pane (table / detail)",
            Command::Session => "open a session in the selected sandbox",
            Command::Mark => "mark / unmark the selected row",
            Command::MarkAll => "mark all rows shown",
            Command::ClearMarks => "clear marks",
            Command::Create => "create a sandbox",
            Command::StopStart => "stop (or start) the selected or marked",
            Command::Restart => "restart the selected or marked",
            Command::Destroy => "destroy the selected or marked (asks)",
            Command::Run => "run a command in the selected or marked",
            Command::Prune => "prune stopped sandboxes",
            Command::Zoom => "zoom the focused pane",
            Command::Mouse => "toggle mouse capture (off: native selection)",
            Command::AllContainers => "toggle sandboxes / all containers",
            Command::Sort => "sort by the next column",
            Command::SortReverse => "reverse the sort order",
            Command::GrowSplit => "grow the table",
            Command::ShrinkSplit => "shrink the table",
            Command::Detach => "leave a session; it keeps running",
            Command::LogSearch => "search (Enter applies, Esc clears)",
            Command::NextMatch => "next match",
            Command::PrevMatch => "previous match",
            Command::LogFilter => "show only matching lines",
            Command::Timestamps => "timestamps on / off",
            Command::Wrap => "wrap long lines on / off",
            Command::ScrollLeft => "scroll left (wrap off)",
            Command::ScrollRight => "scroll right (wrap off)",
            Command::SaveLog => "save the log to a file",
            Command::ClearLog => "clear the pane",
            Command::FocusSession => "focus the session (an ended one: a new shell)",
            Command::PrevSession => "previous session",
            Command::NextSession => "next session",
            Command::CloseSession => "close the tab, ending its shell",
            Command::Kill => "kill the selected process and its group (asks)",
        }
    }

    fn default_key(&self) -> &'static str {
        match self {
            Command::Help => "?",
            Command::Quit => "q",
            Command::Filter => "/",
            Command::Palette => ":",
            Command::Up => "k",
            Command::Down => "j",
            Command::PageUp => "pgup",
            Command::PageDown => "pgdn",
            Command::Top => "g",
            Command::Bottom => "G",
            Command::PrevTab => "[",
            Command::NextTab => "]",
            Command::NextPane => "tab",
            Command::Session => "enter",
            Command::Mark => "space",
            Command::MarkAll => "A",
            Command::ClearMarks => "u",
            Command::Create => "c",
            Command::StopStart => "s",
            Command::Restart => "r",
            Command::Destroy => "d",
            Command::Run => "x",
            Command::Prune => "P",
            Command::Zoom => "z",
            Command::Mouse => "M",
            Command::AllContainers => "a",
            Command::Sort => "o",
            Command::SortReverse => "O",
            Command::GrowSplit => "+",
            Command::ShrinkSplit => "-",
            Command::Detach => "ctrl-]",
            Command::LogSearch => "/",
            Command::NextMatch => "n",
            Command::PrevMatch => "N",
            Command::LogFilter => "f",
            Command::Timestamps => "t",
            Command::Wrap => "w",
            Command::ScrollLeft => "h",
            Command::ScrollRight => "l",
            Command::SaveLog => "S",
            Command::ClearLog => "C",
            Command::FocusSession => "i",
            Command::PrevSession => "h",
            Command::NextSession => "l",
            Command::CloseSession => "X",
            Command::Kill => "K",
        }
    }

    /// Keys that also work by default, beside [`Command::default_key`].
    fn extra_keys(&self) -> &'static [KeyCode] {
        match self {
            Command::Up => &[KeyCode::Up],
            Command::Down => &[KeyCode::Down],
            Command::Top => &[KeyCode::Home],
            Command::Bottom => &[KeyCode::End],
            Command::ScrollLeft | Command::PrevSession => &[KeyCode::Left],
            Command::ScrollRight | Command::NextSession => &[KeyCode::Right],
            Command::FocusSession => &[KeyCode::Enter],
            Command::CloseSession | Command::Kill => &[KeyCode::Delete],
            _ => &[],
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A key: code plus the modifiers that matter (Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// Normalise a key event: uppercase letters carry no Shift, only Ctrl/Alt are kept.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) => KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_lowercase()
            } else {
                c
            }),
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => {
                if e.modifiers.contains(KeyModifiers::SHIFT) {
                    mods |= KeyModifiers::SHIFT;
                }
                other
            }
        };
        Key { code, mods }
    }

    /// Parse the config syntax (see the module doc).
    pub fn parse(s: &str) -> Result<Key> {
        let bad = || {
            Error::usage(format!("bad key '{s}' in [keys]"))
                .hint("use a character like \"q\", a name like \"enter\" or \"f5\", optionally with ctrl-/alt-/shift-")
        };
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                mods |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else if rest.chars().count() > 1 && lower.starts_with("shift-") {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[6..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return Err(bad()),
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() {
                    mods.remove(KeyModifiers::SHIFT);
                    KeyCode::Char(c.to_ascii_uppercase())
                } else if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "delete" | "del" => KeyCode::Delete,
                "backspace" => KeyCode::Backspace,
                "insert" => KeyCode::Insert,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n) if (1..=12).contains(&n) => KeyCode::F(n),
                    _ => return Err(bad()),
                },
                _ => return Err(bad()),
            },
        };
        Ok(Key { code, mods })
    }
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("backtab"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The live bindings.
#[derive(Debug, Clone)]
pub struct KeyMap {
    /// Command -> its keys (the first is shown in hints).
    pub bindings: BTreeMap<Command, Vec<Key>>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut bindings = BTreeMap::new();
        for c in Command::ALL {
            let mut keys = vec![Key::parse(c.default_key()).expect("default keys parse")];
            keys.extend(c.extra_keys().iter().map(|&code| Key {
                code,
                mods: KeyModifiers::NONE,
            }));
            bindings.insert(c, keys);
        }
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// Defaults overlaid with the config's `[keys]`; a rebound command loses its default key.
    /// Unknown commands, bad keys and one key bound to two commands are usage errors.
    pub fn from_config(keys: &BTreeMap<String, String>) -> Result<KeyMap> {
        let mut map = KeyMap::default();
        for (name, key) in keys {
            let cmd = Command::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
                Error::usage(format!("unknown command '{name}' in [keys]"))
                    .hint(format!("known commands: {}", names.join(", ")))
            })?;
            let k = Key::parse(key)?;
            map.bindings.insert(cmd, vec![k]);
        }
        // One key, one command, within a scope (a tab's keys may shadow global ones).
        let mut seen: BTreeMap<(Scope, String), Command> = BTreeMap::new();
        for (cmd, ks) in &map.bindings {
            for k in ks {
                if let Some(other) = seen.insert((cmd.scope(), k.to_string()), *cmd) {
                    return Err(Error::usage(format!(
                        "key '{k}' is bound to both '{}' and '{}' in [keys]",
                        other.name(),
                        cmd.name()
                    ))
                    .hint("give each command its own key"));
                }
            }
        }
        Ok(map)
    }

    /// The global command bound to this key event, if any.
    pub fn lookup(&self, e: &KeyEvent) -> Option<Command> {
        self.find(Scope::Global, &Key::from_event(e))
    }

    /// The command this key means where `scope` has focus: the scope's own first, then global.
    pub fn lookup_in(&self, scope: Scope, e: &KeyEvent) -> Option<Command> {
        let k = Key::from_event(e);
        (scope != Scope::Global)
            .then(|| self.find(scope, &k))
            .flatten()
            .or_else(|| self.find(Scope::Global, &k))
    }

    fn find(&self, scope: Scope, k: &Key) -> Option<Command> {
        self.bindings
            .iter()
            .find(|(c, ks)| c.scope() == scope && ks.contains(k))
            .map(|(c, _)| *c)
    }

    /// The first key of a command, as text (for hints).
    pub fn key_of(&self, c: Command) -> String {
        self.bindings
            .get(&c)
            .and_then(|ks| ks.first())
            .map(|k| k.to_string())
            .unwrap_or_default()
    }

    /// All keys of a command, as text.
    pub fn keys_of(&self, c: Command) -> String {
        self.bindings
            .get(&c)
            .map(|ks| ks.iter().map(|k| k.to_string()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_and_rebinding() {
        let m = KeyMap::default();
        assert_eq!(
            m.lookup(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Command::Quit)
        );
        assert_eq!(
            m.lookup(&ev(KeyCode::Char('A'), KeyModifiers::SHIFT)),
            Some(Command::MarkAll)
        );
        assert_eq!(m.lookup(&ev(KeyCode::Down, KeyModifiers::NONE)), Some(Command::Down));
        let mut keys = BTreeMap::new();
        keys.insert("quit".to_string(), "ctrl-q".to_string());
        keys.insert("mark".to_string(), "m".to_string());
        let m = KeyMap::from_config(&keys).unwrap();
        assert_eq!(m.lookup(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            m.lookup(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            m.lookup(&ev(KeyCode::Char('m'), KeyModifiers::NONE)),
            Some(Command::Mark)
        );
        assert_eq!(m.key_of(Command::Quit), "ctrl-q");
    }

    #[test]
    fn tab_keys_come_first_in_their_tab_and_can_be_rebound() {
        let m = KeyMap::default();
        let slash = ev(KeyCode::Char('/'), KeyModifiers::NONE);
        assert_eq!(m.lookup(&slash), Some(Command::Filter));
        assert_eq!(m.lookup_in(Scope::Logs, &slash), Some(Command::LogSearch));
        assert_eq!(m.lookup_in(Scope::Processes, &slash), Some(Command::Filter));
        let big_k = ev(KeyCode::Char('K'), KeyModifiers::SHIFT);
        assert_eq!(m.lookup(&big_k), None, "kill is not a global key");
        assert_eq!(m.lookup_in(Scope::Processes, &big_k), Some(Command::Kill));
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(m.lookup_in(Scope::Logs, &j), Some(Command::Down), "movement is global");
        let enter = ev(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(m.lookup_in(Scope::Sessions, &enter), Some(Command::FocusSession));
        assert_eq!(m.lookup(&enter), Some(Command::Session));

        let mut keys = BTreeMap::new();
        keys.insert("kill".to_string(), "ctrl-k".to_string());
        keys.insert("search".to_string(), "?".to_string());
        let m = KeyMap::from_config(&keys).unwrap();
        assert_eq!(
            m.lookup_in(Scope::Processes, &big_k),
            None,
            "rebound: K no longer kills"
        );
        assert_eq!(
            m.lookup_in(Scope::Processes, &ev(KeyCode::Char('k'), KeyModifiers::CONTROL)),
            Some(Command::Kill)
        );
        let q = ev(KeyCode::Char('?'), KeyModifiers::NONE);
        assert_eq!(m.lookup_in(Scope::Logs, &q), Some(Command::LogSearch));
        assert_eq!(m.lookup(&q), Some(Command::Help), "help stays ? elsewhere");
        // Within one tab a key still means one thing.
        let mut keys = BTreeMap::new();
        keys.insert("wrap".to_string(), "t".to_string());
        let e = KeyMap::from_config(&keys).unwrap_err();
        assert!(e.message.contains("both"), "{}", e.message);
    }

    #[test]
    fn bad_bindings_are_usage_errors() {
        let mut keys = BTreeMap::new();
        keys.insert("nope".to_string(), "x".to_string());
        let e = KeyMap::from_config(&keys).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint.unwrap().contains("stop_start"));
        let mut keys = BTreeMap::new();
        keys.insert("quit".to_string(), "ctrl-".to_string());
        assert!(KeyMap::from_config(&keys).is_err());
        let mut keys = BTreeMap::new();
        keys.insert("quit".to_string(), "s".to_string());
        let e = KeyMap::from_config(&keys).unwrap_err();
        assert!(e.message.contains("both"), "{}", e.message);
        assert_eq!(Key::parse("F5").unwrap().code, KeyCode::F(5));
        assert_eq!(Key::parse("shift-a").unwrap().code, KeyCode::Char('A'));
    }
}
