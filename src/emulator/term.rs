//! The emulated terminal: a vt100 0.18 parser with a 10,000-line scrollback, answers to the
//! terminal queries programs send (SPEC 5.3), and the adapter that lets tui-term's
//! `PseudoTerminal` draw it.
//!
//! Why vt100 0.18 and not 0.16 (which tui-term uses by default): 0.16 ignores REP (`CSI n b`,
//! repeat the last character) and HPA (`CSI n \``), and ncurses emits both under
//! `TERM=xterm-256color`; 0.18 implements them. The measurement is in docs/TERMINAL.md.

use ratatui::style::{Modifier, Style};
use std::num::NonZeroU16;

/// Lines of local scrollback kept per session.
pub const SCROLLBACK_LINES: usize = 10_000;

/// What the terminal answers and records while parsing.
#[derive(Debug, Default)]
pub struct Answers {
    /// Bytes to send back to the program (query answers), in order.
    pub replies: Vec<u8>,
    /// The window title the program set (OSC 0 / OSC 2), if any.
    pub title: Option<String>,
    /// The program rang the bell since this was last cleared.
    pub bell: bool,
}

impl vt100_18::Callbacks for Answers {
    fn audible_bell(&mut self, _: &mut vt100_18::Screen) {
        self.bell = true;
    }

    fn set_window_title(&mut self, _: &mut vt100_18::Screen, title: &[u8]) {
        let t: String = String::from_utf8_lossy(title)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        self.title = Some(t);
    }

    fn unhandled_csi(
        &mut self,
        screen: &mut vt100_18::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied().unwrap_or(0);
        match (i1, c) {
            // DSR: cursor position report (1-based).
            (None, 'n') if first == 6 => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[{};{}R", row + 1, col + 1).as_bytes());
            }
            // DSR: status report, "OK".
            (None, 'n') if first == 5 => self.replies.extend_from_slice(b"\x1b[0n"),
            // DECXCPR: extended cursor position report.
            (Some(b'?'), 'n') if first == 6 => {
                let (row, col) = screen.cursor_position();
                self.replies
                    .extend_from_slice(format!("\x1b[?{};{}R", row + 1, col + 1).as_bytes());
            }
            // Primary device attributes: a VT100 with advanced video (what tmux and screen say).
            (None, 'c') if first == 0 => self.replies.extend_from_slice(b"\x1b[?1;2c"),
            // Secondary device attributes: terminal type 0, version 0.
            (Some(b'>'), 'c') if first == 0 => self.replies.extend_from_slice(b"\x1b[>0;0;0c"),
            _ => {}
        }
    }
}

/// A terminal screen plus its parser.
pub struct Terminal {
    parser: vt100_18::Parser<Answers>,
}

fn nz(v: u16) -> NonZeroU16 {
    NonZeroU16::new(v.max(1)).unwrap_or(NonZeroU16::MIN)
}

impl Terminal {
    /// A blank terminal of `cols` x `rows` (each at least 1).
    pub fn new(cols: u16, rows: u16) -> Terminal {
        Terminal {
            parser: vt100_18::Parser::new_with_callbacks(nz(rows), nz(cols), SCROLLBACK_LINES, Answers::default()),
        }
    }

    /// Parse program output; returns the bytes to answer with (query replies), if any.
    pub fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.parser.process(bytes);
        std::mem::take(&mut self.parser.callbacks_mut().replies)
    }

    /// Resize (each dimension at least 1).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.parser.set_size(nz(rows), nz(cols));
    }

    /// (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        let (r, c) = self.parser.screen().size();
        (c.get(), r.get())
    }

    pub fn screen(&self) -> &vt100_18::Screen {
        self.parser.screen()
    }

    pub fn title(&self) -> Option<&str> {
        self.parser.callbacks().title.as_deref()
    }

    /// Take the bell flag.
    pub fn take_bell(&mut self) -> bool {
        std::mem::take(&mut self.parser.callbacks_mut().bell)
    }

    /// How many lines the view is scrolled back (0 = live).
    pub fn scrollback(&self) -> usize {
        self.parser.screen().scrollback()
    }

    /// Scroll the view to `lines` above the live screen (clamped to what is kept).
    pub fn set_scrollback(&mut self, lines: usize) {
        self.parser.screen_mut().set_scrollback(lines);
    }

    /// The text of every visible row, trailing blanks trimmed.
    pub fn rows_text(&self) -> Vec<String> {
        let (cols, _) = self.size();
        self.parser.screen().rows(0, cols).collect()
    }

    /// A tui-term view of the screen.
    pub fn view(&self) -> View<'_> {
        View(self.parser.screen())
    }
}

/// tui-term `Screen` over a vt100 0.18 screen.
pub struct View<'a>(pub &'a vt100_18::Screen);

/// tui-term `Cell` over a vt100 0.18 cell.
#[repr(transparent)]
pub struct CellView(vt100_18::Cell);

impl CellView {
    fn from_ref(c: &vt100_18::Cell) -> &CellView {
        // SAFETY: CellView is repr(transparent) over vt100_18::Cell, so the layouts are equal
        // and the reference keeps the same lifetime.
        unsafe { &*(c as *const vt100_18::Cell as *const CellView) }
    }
}

impl tui_term::widget::Screen for View<'_> {
    type C = CellView;

    fn cell(&self, row: u16, col: u16) -> Option<&CellView> {
        self.0.cell(row, col).map(CellView::from_ref)
    }

    fn hide_cursor(&self) -> bool {
        self.0.hide_cursor()
    }

    fn cursor_position(&self) -> (u16, u16) {
        let (row, col) = self.0.cursor_position();
        let back = u16::try_from(self.0.scrollback()).unwrap_or(u16::MAX);
        (row.saturating_add(back), col)
    }

    fn cursor_shape(&self) -> tui_term::widget::CursorShape {
        use tui_term::widget::CursorShape as S;
        use vt100_18::CursorStyle as C;
        match self.0.cursor_style() {
            C::Default => S::Default,
            C::BlinkBlock => S::BlinkingBlock,
            C::SteadyBlock => S::SteadyBlock,
            C::BlinkUnderline => S::BlinkingUnderline,
            C::SteadyUnderline => S::SteadyUnderline,
            C::BlinkVerticalBar => S::BlinkingBar,
            C::SteadyVerticalBar => S::SteadyBar,
        }
    }
}

fn color(c: vt100_18::Color) -> ratatui::style::Color {
    match c {
        vt100_18::Color::Default => ratatui::style::Color::Reset,
        vt100_18::Color::Idx(i) => ratatui::style::Color::Indexed(i),
        vt100_18::Color::Rgb(r, g, b) => ratatui::style::Color::Rgb(r, g, b),
    }
}

impl tui_term::widget::Cell for CellView {
    fn has_contents(&self) -> bool {
        self.0.has_contents()
    }

    fn apply(&self, cell: &mut ratatui::buffer::Cell) {
        let c = &self.0;
        if c.has_contents() {
            cell.set_symbol(c.contents());
        }
        let mut m = Modifier::empty();
        if c.bold() {
            m |= Modifier::BOLD;
        }
        if c.dim() {
            m |= Modifier::DIM;
        }
        if c.italic() {
            m |= Modifier::ITALIC;
        }
        if c.underline() {
            m |= Modifier::UNDERLINED;
        }
        if c.inverse() {
            m |= Modifier::REVERSED;
        }
        cell.set_style(
            Style::reset()
                .fg(color(c.fgcolor()))
                .bg(color(c.bgcolor()))
                .add_modifier(m),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cursor_position_and_device_attributes() {
        let mut t = Terminal::new(80, 24);
        assert_eq!(t.process(b"\x1b[5;10H\x1b[6n"), b"\x1b[5;10R");
        assert_eq!(t.process(b"\x1b[c"), b"\x1b[?1;2c");
        assert_eq!(t.process(b"\x1b[0c"), b"\x1b[?1;2c");
        assert_eq!(t.process(b"\x1b[>c"), b"\x1b[>0;0;0c");
        assert_eq!(t.process(b"\x1b[5n"), b"\x1b[0n");
        assert!(t.process(b"plain text").is_empty());
    }

    #[test]
    fn rep_and_hpa_render() {
        let mut t = Terminal::new(20, 3);
        t.process(b"ab\x1b[3b|\x1b[10`X");
        assert_eq!(t.rows_text()[0], "abbbb|   X");
    }

    #[test]
    fn scrollback_keeps_ten_thousand_lines() {
        let mut t = Terminal::new(20, 5);
        let mut s = String::new();
        for i in 0..12_000 {
            s.push_str(&format!("line {i}\r\n"));
        }
        t.process(s.as_bytes());
        t.set_scrollback(usize::MAX);
        assert_eq!(t.scrollback(), SCROLLBACK_LINES);
        // The oldest kept line is 12,000 + 1 (the prompt row) - 5 rows - 10,000 back.
        assert_eq!(t.rows_text()[0], format!("line {}", 12_000 + 1 - 5 - SCROLLBACK_LINES));
        t.set_scrollback(0);
        assert_eq!(t.rows_text()[3], "line 11999");
    }

    #[test]
    fn title_and_tiny_size() {
        let mut t = Terminal::new(0, 0);
        assert_eq!(t.size(), (1, 1));
        t.process(b"\x1b]2;my title\x07hello");
        assert_eq!(t.title(), Some("my title"));
        t.resize(1, 1);
        t.resize(300, 100);
        assert_eq!(t.size(), (300, 100));
    }
}
