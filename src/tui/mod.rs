//! The real terminal: raw mode + alternate screen + mouse capture, and restoring it on quit,
//! on panic and on SIGTERM.
//!
//! Order matters: [`install_hooks`] installs color-eyre's hook first and then wraps whatever
//! panic hook is in place with one that restores the terminal before the report is printed.
//! [`restore`] is idempotent, so the normal exit path, the panic hook and the guard's `Drop`
//! may all call it.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// Is the terminal in dashboard mode right now?
static ACTIVE: AtomicBool = AtomicBool::new(false);

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// color-eyre first, then the terminal-restoring panic hook on top of it.
pub fn install_hooks() {
    // A second install (tests, a re-entered dashboard) fails harmlessly.
    let _ = color_eyre::install();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Enter dashboard mode and make the ratatui terminal.
pub fn init() -> io::Result<Term> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste) {
        restore();
        return Err(e);
    }
    let t = Terminal::new(CrosstermBackend::new(io::stdout()));
    if t.is_err() {
        restore();
    }
    t
}

/// Leave dashboard mode (no-op when not in it).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Turn mouse capture on or off (off lets the terminal select text natively).
pub fn set_mouse_capture(on: bool) {
    let mut out = io::stdout();
    let _ = if on {
        execute!(out, EnableMouseCapture)
    } else {
        execute!(out, DisableMouseCapture)
    };
}

/// Restores the terminal when dropped (early returns, errors).
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_hook_restores_the_terminal() {
        install_hooks();
        ACTIVE.store(true, Ordering::SeqCst);
        let r = std::panic::catch_unwind(|| panic!("boom"));
        assert!(r.is_err());
        assert!(
            !ACTIVE.load(Ordering::SeqCst),
            "the hook restored the terminal before reporting"
        );
    }
}
