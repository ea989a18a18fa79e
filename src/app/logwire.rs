//! The one place the dashboard talks to the log pane (`logview::LogPane`): chunks in, resets,
//! resumes after a break, and the Logs tab's keys.
//!
//! Keys while the Logs tab has focus: `j`/`k`/arrows scroll, PgUp/PgDn page, `g`/`G` top and
//! follow, `h`/`l` scroll sideways, `/` search (Enter applies), `n`/`N` next/previous match,
//! `f` filter to matching lines, `t` timestamps, `w` wrap, `S` save to a file, `C` clear,
//! `Esc` clears the search.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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

/// Keys for the Logs tab while the detail pane has focus; true when used.
pub fn key(s: &mut State, k: &KeyEvent) -> bool {
    if k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return false;
    }
    let p = &mut s.logs;
    match k.code {
        KeyCode::Char('j') | KeyCode::Down => p.scroll_down(1),
        KeyCode::Char('k') | KeyCode::Up => p.scroll_up(1),
        KeyCode::PageDown => p.page_down(),
        KeyCode::PageUp => p.page_up(),
        KeyCode::Char('g') | KeyCode::Home => p.scroll_to_top(),
        KeyCode::Char('G') | KeyCode::End => p.scroll_to_bottom(),
        KeyCode::Char('h') | KeyCode::Left => p.scroll_left(8),
        KeyCode::Char('l') | KeyCode::Right => p.scroll_right(8),
        KeyCode::Char('t') => p.toggle_timestamps(),
        KeyCode::Char('w') => p.toggle_wrap(),
        KeyCode::Char('f') => p.toggle_filter(),
        KeyCode::Char('n') => p.next_match(),
        KeyCode::Char('N') => p.prev_match(),
        KeyCode::Char('C') => p.clear(),
        KeyCode::Esc if p.search_query().is_some() => p.clear_search(),
        KeyCode::Char('/') => {
            let q = p.search_query().unwrap_or("").to_string();
            s.mode = Mode::LogSearch(TextInput::new(&q));
        }
        KeyCode::Char('S') => {
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
