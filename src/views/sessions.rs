//! The Sessions tab: drawn by the emulator's tab view (`crate::emulator::tabs`).

use ratatui::Frame;
use ratatui::layout::Rect;

use crate::state::State;

pub fn draw(f: &mut Frame, area: Rect, s: &State) {
    crate::emulator::tabs::draw(f, area, s);
}
