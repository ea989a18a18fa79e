//! The Logs tab: the `logview` pane of the followed row (search, filter, wrap, timestamps,
//! autoscroll, status line), drawn by `logview::draw`.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    crate::logview::draw(f, area, &s.logs, &s.log_theme);
}
