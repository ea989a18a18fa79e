//! The one place the dashboard talks to the log pane: pushing chunks, resetting, and keys.
//! (Swapping the interim `state::LogBuf` for `logview::LogPane` changes only this file and
//! `views/logs.rs`.)

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::engine::LogChunk;
use crate::state::State;

/// New output for the followed row.
pub fn push(s: &mut State, chunk: &LogChunk) {
    s.logs.push(chunk.stream, &chunk.data);
}

/// A follow (re)started: start from an empty pane.
pub fn reset(s: &mut State) {
    s.logs.clear();
}

/// The follow ended.
pub fn ended(s: &mut State, why: String) {
    s.logs.ended = Some(why);
}

/// Keys for the Logs tab while the detail pane has focus; true when used.
pub fn key(s: &mut State, k: &KeyEvent) -> bool {
    let page = (s.area.height as usize / 2).max(1);
    if k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return false;
    }
    match k.code {
        KeyCode::Char('j') | KeyCode::Down => s.logs.scroll_down(1),
        KeyCode::Char('k') | KeyCode::Up => s.logs.scroll_up(1),
        KeyCode::PageDown => s.logs.scroll_down(page),
        KeyCode::PageUp => s.logs.scroll_up(page),
        KeyCode::Char('g') | KeyCode::Home => s.logs.to_top(),
        KeyCode::Char('G') | KeyCode::End => s.logs.follow(),
        KeyCode::Char('t') => s.logs.timestamps = !s.logs.timestamps,
        _ => return false,
    }
    s.dirty = true;
    true
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
