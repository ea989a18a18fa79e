//! The one place the dashboard talks to the log pane (`logview::LogPane`): chunks in, resets,
//! resumes after a break, and the Logs tab's keys.
//!
//! Keys while the Logs tab has focus (defaults; all rebindable, see `app::keymap`): `j`/`k`/
//! arrows scroll, PgUp/PgDn page, `g`/`G` top and follow, `h`/`l` scroll sideways, `/` search
//! (Enter applies), `n`/`N` next/previous match, `f` filter to matching lines, `t` timestamps,
//! `w` wrap, `S` save to a file, `C` clear, `Esc` clears the search.

use crossterm::event::{KeyCode, KeyEvent};

use super::keymap::{Command, Scope};
use super::msg::{Action, RowKey};
use crate::engine::LogChunk;
use crate::state::dialog::{Dialog, TextInput};
use crate::state::{Mode, State};

/// New output for the followed row.
pub fn push(s: &mut State, chunk: &LogChunk) {
    s.logs.push_chunk(chunk);
}

/// A follow (re)started from the tail: start from an empty pane.
pub fn reset(s: &mut State) {
    s.logs.clear();
    s.logs.set_notice(None);
}

/// The follow broke and can resume: ask the workers for what the pane does not have yet.
pub fn resume(s: &mut State, key: RowKey) {
    let since = s.logs.prepare_resume();
    s.logs.set_notice(None);
    s.outbox.push(Action::ResumeLogs { key, since });
}

/// The follow ended.
pub fn ended(s: &mut State, why: String) {
    s.logs.flush();
    s.logs.set_notice(Some(&format!("log ended: {why}")));
}

/// Keys for the Logs tab while the detail pane has focus; true when used. The keys come from
/// the key map (the Logs tab's own commands, then the global movement ones).
pub fn key(s: &mut State, k: &KeyEvent) -> bool {
    if k.code == KeyCode::Esc && s.logs.search_query().is_some() {
        s.logs.clear_search();
        s.dirty = true;
        return true;
    }
    let Some(c) = s.keymap.lookup_in(Scope::Logs, k) else {
        return false;
    };
    let p = &mut s.logs;
    match c {
        Command::Down => p.scroll_down(1),
        Command::Up => p.scroll_up(1),
        Command::PageDown => p.page_down(),
        Command::PageUp => p.page_up(),
        Command::Top => p.scroll_to_top(),
        Command::Bottom => p.scroll_to_bottom(),
        Command::ScrollLeft => p.scroll_left(8),
        Command::ScrollRight => p.scroll_right(8),
        Command::Timestamps => p.toggle_timestamps(),
        Command::Wrap => p.toggle_wrap(),
        Command::LogFilter => p.toggle_filter(),
        Command::NextMatch => p.next_match(),
        Command::PrevMatch => p.prev_match(),
        Command::ClearLog => p.clear(),
        Command::LogSearch => {
            let q = p.search_query().unwrap_or("").to_string();
            s.mode = Mode::LogSearch(TextInput::new(&q));
        }
        Command::SaveLog => {
            let name = s
                .logs_key
                .as_ref()
                .and_then(|k| s.rows.get(k))
                .map(|r| r.sb.name.clone())
                .unwrap_or_else(|| "container".into());
            s.dialog = Some(Dialog::SaveLog(TextInput::new(&format!("{name}.log"))));
        }
        _ => return false,
    }
    s.dirty = true;
    true
}

/// Keys while the log search is typed.
pub fn search_key(s: &mut State, k: &KeyEvent) {
    let Mode::LogSearch(t) = &mut s.mode else { return };
    match k.code {
        KeyCode::Enter => {
            let q = t.text.clone();
            s.mode = Mode::Normal;
            if q.is_empty() {
                s.logs.clear_search();
            } else {
                s.logs.set_search(&q);
                if s.logs.match_count() == 0 {
                    s.info(format!("no line matches '{q}'"));
                }
            }
        }
        KeyCode::Esc => s.mode = Mode::Normal,
        _ => super::handlers::text_key(t, k),
    }
    s.dirty = true;
}

/// Save the pane's lines to `path`.
pub fn save(s: &mut State, path: &str) {
    match s.logs.save(std::path::Path::new(path)) {
        Ok(n) => s.info(format!("saved {n} lines to {path}")),
        Err(e) => s.error(e.to_string().replace('\n', " ")),
    }
}

/// Mouse wheel over the log.
pub fn wheel(s: &mut State, up: bool) {
    if up {
        s.logs.scroll_up(3);
    } else {
        s.logs.scroll_down(3);
    }
    s.dirty = true;
}
