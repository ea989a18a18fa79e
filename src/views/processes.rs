//! The Processes tab (SPEC 6.2): drawn by [`crate::procview::draw_procs`] from `State::procs`.

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    crate::procview::draw_procs(f, area, &s.procs.pane, &crate::procview::wire::styles(&s.theme));
}
