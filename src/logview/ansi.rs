//! The sanitiser: one raw log line (bytes, no newline) in, plain text plus style runs out.
//!
//! A byte-level state machine modelled on how a real terminal (ECMA-48 / xterm) splits its
//! input, so that a sequence is removed exactly where a terminal would have acted on it:
//!
//! - SGR (`CSI ... m`) is parsed into a [`SgrState`] and becomes a ratatui [`Style`] run. Blink
//!   is ignored on purpose (a dashboard must not flash because a container asked it to).
//! - Every other CSI (cursor moves, clears, modes, private `CSI ? ...`), OSC (titles,
//!   hyperlinks, clipboard), DCS / SOS / PM / APC strings, two-byte escapes (`ESC c`, `ESC 7`,
//!   `ESC ( B`, ...) are consumed and dropped, terminated the way a terminal terminates them
//!   (final byte, BEL, ST = `ESC \` or U+009C, or aborted by CAN / SUB / a new ESC).
//! - C1 controls in their UTF-8 form (U+0080..U+009F) act like their 7-bit twins (U+009B is a
//!   CSI, U+009D an OSC, ...) and are dropped; lone raw bytes 0x80..0x9F are dropped too.
//! - Other C0 controls (BEL, BS, bare CR, NUL, ...), DEL, and the Unicode bidi / format
//!   controls that can reorder what the terminal shows are dropped.
//! - Tabs expand to spaces (tab stops every 8 columns).
//! - Any other invalid UTF-8 becomes one U+FFFD per bad sequence: the output is always valid
//!   UTF-8 made of printable characters only.
//!
//! The produced text is capped ([`TEXT_CAP`] bytes); beyond it the line is marked truncated.

use ratatui::style::{Color, Modifier, Style};
use unicode_width::UnicodeWidthChar;

/// Most bytes of sanitised text kept for one line.
pub const TEXT_CAP: usize = 16 * 1024;

/// Tab stops every this many columns.
const TAB: usize = 8;

/// The graphic rendition carried from one line to the next of the same stream, like a terminal
/// does. `None` colours mean "the pane's default for this stream" (stdout or stderr colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SgrState {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub mods: Modifier,
}

impl SgrState {
    /// The ratatui style to patch onto the pane's base style.
    pub fn style(&self) -> Style {
        let mut s = Style::new().add_modifier(self.mods);
        if let Some(c) = self.fg {
            s = s.fg(c);
        }
        if let Some(c) = self.bg {
            s = s.bg(c);
        }
        s
    }

    fn is_default(&self) -> bool {
        *self == SgrState::default()
    }
}

/// A change of style at byte `start` of the line's text, lasting until the next run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: u32,
    pub style: Style,
}

/// One sanitised line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub text: String,
    /// Style runs; text before the first run has the default style. Empty: all default.
    pub runs: Vec<Run>,
    /// Display width in columns.
    pub width: usize,
    /// The text cap was hit: the rest of the raw line was not kept.
    pub truncated: bool,
}

struct Builder {
    out: Parsed,
    /// Style of the last run pushed (or default when none).
    last: SgrState,
}

impl Builder {
    fn new(cap_hint: usize) -> Self {
        Builder {
            out: Parsed {
                text: String::with_capacity(cap_hint.min(TEXT_CAP)),
                ..Default::default()
            },
            last: SgrState::default(),
        }
    }

    fn full(&self) -> bool {
        self.out.text.len() >= TEXT_CAP
    }

    #[inline]
    fn style_for_text(&mut self, st: &SgrState) {
        if *st != self.last {
            let start = self.out.text.len() as u32;
            // Two style changes with no text between: the later one wins.
            if let Some(r) = self.out.runs.last_mut()
                && r.start == start
            {
                r.style = st.style();
            } else {
                self.out.runs.push(Run {
                    start,
                    style: st.style(),
                });
            }
            self.last = *st;
        }
    }

    fn push_ascii(&mut self, st: &SgrState, s: &[u8]) {
        self.style_for_text(st);
        let room = TEXT_CAP.saturating_sub(self.out.text.len());
        let take = s.len().min(room);
        // Only printable ASCII reaches here, so this is valid UTF-8.
        self.out.text.push_str(std::str::from_utf8(&s[..take]).unwrap_or(""));
        self.out.width += take;
        if take < s.len() {
            self.out.truncated = true;
        }
    }

    fn push_char(&mut self, st: &SgrState, c: char) {
        if self.out.text.len() + c.len_utf8() > TEXT_CAP {
            self.out.truncated = true;
            return;
        }
        self.style_for_text(st);
        self.out.text.push(c);
        self.out.width += c.width().unwrap_or(0);
    }

    fn push_tab(&mut self, st: &SgrState) {
        let n = TAB - self.out.width % TAB;
        for _ in 0..n {
            self.push_char(st, ' ');
        }
    }

    fn finish(mut self) -> Parsed {
        // A trailing run with no text after it carries nothing.
        if let Some(r) = self.out.runs.last()
            && r.start as usize == self.out.text.len()
        {
            self.out.runs.pop();
        }
        // A first run at 0 in the default style is the same as no run.
        if self.out.runs.len() == 1 && self.out.runs[0].start == 0 && self.out.runs[0].style == Style::new() {
            self.out.runs.clear();
        }
        self.out
    }
}

/// True for code points that are dropped even though they are valid UTF-8: C1 controls
/// (handled by the caller) and bidi / invisible format controls.
fn is_format_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}')
}

/// Decode one UTF-8 character at `i`: Ok((char, len)) or Err(len of the invalid sequence).
#[inline]
fn decode(raw: &[u8], i: usize) -> Result<(char, usize), usize> {
    let need = match raw[i] {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return Err(1),
    };
    let end = (i + need).min(raw.len());
    match std::str::from_utf8(&raw[i..end]) {
        Ok(s) => {
            let c = s.chars().next().unwrap_or('\u{FFFD}');
            Ok((c, need))
        }
        Err(e) => Err(e.error_len().unwrap_or(end - i).max(1)),
    }
}

/// Sanitise one raw line. `carry` is the SGR state at the start of the line and is updated to
/// the state at its end (so colours span lines like they do in a terminal).
pub fn parse_line(raw: &[u8], carry: &mut SgrState) -> Parsed {
    let mut b = Builder::new(raw.len());
    let mut st = *carry;
    // Text before the first run is "default"; if the carried style is not, start with a run.
    if !st.is_default() {
        b.style_for_text(&st);
    }
    let n = raw.len();
    let mut i = 0;
    while i < n {
        if b.full() {
            b.out.truncated = true;
            break;
        }
        let c = raw[i];
        match c {
            0x20..=0x7E => {
                let start = i;
                while i < n && (0x20..=0x7E).contains(&raw[i]) {
                    i += 1;
                }
                b.push_ascii(&st, &raw[start..i]);
            }
            b'\t' => {
                b.push_tab(&st);
                i += 1;
            }
            0x1B => i = escape(raw, i + 1, &mut st),
            0x00..=0x1F | 0x7F => i += 1,
            _ => match decode(raw, i) {
                Ok((ch, len)) => {
                    i += len;
                    if ('\u{80}'..='\u{9F}').contains(&ch) {
                        i = c1(raw, i, ch as u32 as u8, &mut st);
                    } else if !is_format_control(ch) {
                        b.push_char(&st, ch);
                    }
                }
                Err(len) => {
                    // A lone raw C1 byte (8-bit control) is dropped; other garbage shows as U+FFFD.
                    if !(len == 1 && (0x80..=0x9F).contains(&c)) {
                        b.push_char(&st, '\u{FFFD}');
                    }
                    i += len;
                }
            },
        }
    }
    *carry = st;
    b.finish()
}

/// A C1 control met in its UTF-8 form; `i` is just after it.
fn c1(raw: &[u8], i: usize, code: u8, st: &mut SgrState) -> usize {
    match code {
        0x9B => csi(raw, i, st),
        0x9D | 0x90 | 0x98 | 0x9E | 0x9F => string(raw, i),
        _ => i,
    }
}

/// After an ESC at `i - 1`: consume the sequence, return where text resumes.
fn escape(raw: &[u8], i: usize, st: &mut SgrState) -> usize {
    let n = raw.len();
    if i >= n {
        return n;
    }
    match raw[i] {
        b'[' => csi(raw, i + 1, st),
        b']' | b'P' | b'X' | b'^' | b'_' => string(raw, i + 1),
        0x20..=0x2F => {
            // ESC intermediates... final (e.g. ESC ( B, ESC # 8).
            let mut j = i;
            while j < n && (0x20..=0x2F).contains(&raw[j]) {
                j += 1;
            }
            if j < n && (0x30..=0x7E).contains(&raw[j]) {
                j + 1
            } else {
                j
            }
        }
        0x30..=0x7E => i + 1,
        // ESC followed by a control or non-ASCII: drop the ESC, keep the byte for the next step.
        _ => i,
    }
}

/// A control sequence starting at `i` (just after CSI). Applies SGR, drops everything else.
fn csi(raw: &[u8], i: usize, st: &mut SgrState) -> usize {
    let n = raw.len();
    let mut j = i;
    let mut intermediates = false;
    let mut params = Params::new();
    while j < n {
        let c = raw[j];
        match c {
            0x30..=0x3F if !intermediates => {
                params.feed(c);
                j += 1;
            }
            0x20..=0x2F => {
                intermediates = true;
                j += 1;
            }
            0x40..=0x7E => {
                if c == b'm' && !intermediates && !params.private {
                    apply_sgr(&params, st);
                }
                return j + 1;
            }
            0x1B => return j,            // a new escape aborts this one
            0x18 | 0x1A => return j + 1, // CAN / SUB abort
            // C0 controls inside a sequence: a terminal executes them; we drop them.
            0x00..=0x1F => j += 1,
            // A parameter byte after an intermediate, DEL or non-ASCII: malformed, stop here.
            0x7F => return j + 1,
            _ => return j,
        }
    }
    n
}

/// Most SGR values kept from one sequence (xterm keeps 30); the rest are ignored.
const MAX_PARAMS: usize = 32;

/// CSI parameters, parsed as they arrive, without allocating: values, and whether each one is
/// a `:` sub-parameter of the value before it.
struct Params {
    vals: [u16; MAX_PARAMS],
    sub: [bool; MAX_PARAMS],
    n: usize,
    /// A private marker (`<=>?`) was seen: not an SGR.
    private: bool,
}

impl Params {
    fn new() -> Self {
        Params {
            vals: [0; MAX_PARAMS],
            sub: [false; MAX_PARAMS],
            n: 1,
            private: false,
        }
    }

    #[inline]
    fn feed(&mut self, c: u8) {
        match c {
            b'0'..=b'9' => {
                if let Some(v) = self.vals.get_mut(self.n - 1) {
                    *v = v.saturating_mul(10).saturating_add((c - b'0') as u16);
                }
            }
            b';' | b':' => {
                if self.n < MAX_PARAMS {
                    self.sub[self.n] = c == b':';
                }
                // Past the limit, keep counting so later values land nowhere.
                self.n = (self.n + 1).min(MAX_PARAMS + 1);
            }
            _ => self.private = true,
        }
    }

    fn len(&self) -> usize {
        self.n.min(MAX_PARAMS)
    }
}

/// An OSC / DCS / SOS / PM / APC string starting at `i`: skip to its terminator.
fn string(raw: &[u8], i: usize) -> usize {
    let n = raw.len();
    let mut j = i;
    while j < n {
        match raw[j] {
            0x07 => return j + 1,
            0x18 | 0x1A => return j + 1,
            0x1B => {
                if j + 1 < n && raw[j + 1] == b'\\' {
                    return j + 2;
                }
                return j; // ESC aborts the string and starts a new sequence
            }
            0x9C => return j + 1,
            0xC2 if j + 1 < n && raw[j + 1] == 0x9C => return j + 2,
            _ => j += 1,
        }
    }
    n
}

fn basic(n: u16) -> Color {
    match n {
        0 => Color::Black,
        1 => Color::Red,
        2 => Color::Green,
        3 => Color::Yellow,
        4 => Color::Blue,
        5 => Color::Magenta,
        6 => Color::Cyan,
        _ => Color::Gray,
    }
}

fn bright(n: u16) -> Color {
    match n {
        0 => Color::DarkGray,
        1 => Color::LightRed,
        2 => Color::LightGreen,
        3 => Color::LightYellow,
        4 => Color::LightBlue,
        5 => Color::LightMagenta,
        6 => Color::LightCyan,
        _ => Color::White,
    }
}

/// An extended colour: `5;n` or `2;r;g;b` from `rest` (sub-parameters or following groups).
/// Returns the colour (if valid) and how many values were used.
fn extended(rest: &[u16]) -> (Option<Color>, usize) {
    match rest.first() {
        Some(5) => match rest.get(1) {
            Some(&v) => (u8::try_from(v).ok().map(Color::Indexed), 2),
            None => (None, rest.len()),
        },
        Some(2) => {
            if rest.len() >= 4 {
                let c = match (u8::try_from(rest[1]), u8::try_from(rest[2]), u8::try_from(rest[3])) {
                    (Ok(r), Ok(g), Ok(b)) => Some(Color::Rgb(r, g, b)),
                    _ => None,
                };
                (c, 4)
            } else {
                (None, rest.len())
            }
        }
        Some(_) => (None, 1),
        None => (None, 0),
    }
}

fn apply_sgr(ps: &Params, st: &mut SgrState) {
    let n = ps.len();
    let vals = &ps.vals[..n];
    let mut k = 0;
    while k < n {
        // One group: a value and its `:` sub-parameters.
        let mut end = k + 1;
        while end < n && ps.sub[end] {
            end += 1;
        }
        let g = &vals[k..end];
        let p = g[0];
        k = end;
        match p {
            0 => *st = SgrState::default(),
            1 => st.mods.insert(Modifier::BOLD),
            2 => st.mods.insert(Modifier::DIM),
            3 => st.mods.insert(Modifier::ITALIC),
            4 => {
                if g.get(1) == Some(&0) {
                    st.mods.remove(Modifier::UNDERLINED)
                } else {
                    st.mods.insert(Modifier::UNDERLINED)
                }
            }
            5 | 6 | 25 => {} // blink: ignored on purpose
            7 => st.mods.insert(Modifier::REVERSED),
            8 => st.mods.insert(Modifier::HIDDEN),
            9 => st.mods.insert(Modifier::CROSSED_OUT),
            21 => st.mods.insert(Modifier::UNDERLINED),
            22 => st.mods.remove(Modifier::BOLD | Modifier::DIM),
            23 => st.mods.remove(Modifier::ITALIC),
            24 => st.mods.remove(Modifier::UNDERLINED),
            27 => st.mods.remove(Modifier::REVERSED),
            28 => st.mods.remove(Modifier::HIDDEN),
            29 => st.mods.remove(Modifier::CROSSED_OUT),
            30..=37 => st.fg = Some(basic(p - 30)),
            39 => st.fg = None,
            40..=47 => st.bg = Some(basic(p - 40)),
            49 => st.bg = None,
            90..=97 => st.fg = Some(bright(p - 90)),
            100..=107 => st.bg = Some(bright(p - 100)),
            38 | 48 | 58 => {
                let color = if g.len() > 1 {
                    // Colon form: 38:5:n, 38:2:r:g:b or 38:2:cs:r:g:b.
                    let sub = &g[1..];
                    if sub.first() == Some(&2) && sub.len() >= 5 {
                        extended(&[2, sub[2], sub[3], sub[4]]).0
                    } else {
                        extended(sub).0
                    }
                } else {
                    // Semicolon form: the values are the following parameters.
                    let (c, used) = extended(&vals[k..]);
                    k += used;
                    c
                };
                match p {
                    38 if color.is_some() => st.fg = color,
                    48 if color.is_some() => st.bg = color,
                    _ => {} // underline colour: consumed, not rendered
                }
            }
            _ => {}
        }
    }
}
