//! The log buffer of the followed row, until the `logview` module's `LogPane` replaces it.
//!
//! Bounded ring of lines (config `[logs] ring_lines`), control characters stripped so nothing a
//! container prints reaches the real terminal, stderr kept apart, timestamps (the engine always
//! sends them) split off and shown on demand, autoscroll that pauses when scrolled up.
//! Everything the dashboard does with logs goes through the small API below (see
//! `app::logwire`), so swapping in `LogPane` touches one place.

use std::collections::VecDeque;

use crate::engine::StreamKind;

#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub stream: StreamKind,
    /// RFC 3339 timestamp from the engine, when present.
    pub ts: Option<String>,
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct LogBuf {
    pub lines: VecDeque<LogLine>,
    pub cap: usize,
    /// Lines scrolled up from the bottom (0: following the end).
    pub scroll: usize,
    pub timestamps: bool,
    /// A partial line per stream (stdout, stderr) waiting for its newline.
    partial: [Vec<u8>; 2],
    /// Why the follow ended, if it did.
    pub ended: Option<String>,
}

impl LogBuf {
    pub fn new(cap: usize) -> LogBuf {
        LogBuf {
            lines: VecDeque::new(),
            cap: cap.max(1),
            scroll: 0,
            timestamps: false,
            partial: [Vec::new(), Vec::new()],
            ended: None,
        }
    }

    pub fn clear(&mut self) {
        self.lines.clear();
        self.partial = [Vec::new(), Vec::new()];
        self.scroll = 0;
        self.ended = None;
    }

    /// Add raw bytes from the engine; complete lines enter the ring.
    pub fn push(&mut self, stream: StreamKind, data: &[u8]) {
        let slot = usize::from(stream == StreamKind::Stderr);
        let mut buf = std::mem::take(&mut self.partial[slot]);
        buf.extend_from_slice(data);
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
            let line = &buf[start..start + nl];
            self.push_line(stream, line);
            start += nl + 1;
        }
        buf.drain(..start);
        // A runaway line without a newline is cut into pieces of 64 KiB.
        if buf.len() > 64 * 1024 {
            let line = std::mem::take(&mut buf);
            self.push_line(stream, &line);
        }
        self.partial[slot] = buf;
    }

    fn push_line(&mut self, stream: StreamKind, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        let (ts, body) = split_timestamp(text);
        let clean = sanitize(body);
        if self.lines.len() == self.cap {
            self.lines.pop_front();
        }
        self.lines.push_back(LogLine {
            stream,
            ts: ts.map(str::to_string),
            text: clean,
        });
        if self.scroll > 0 {
            // Keep the view still while the user is scrolled up.
            self.scroll = (self.scroll + 1).min(self.lines.len().saturating_sub(1));
        }
    }

    pub fn scroll_up(&mut self, n: usize) {
        self.scroll = (self.scroll + n).min(self.lines.len().saturating_sub(1));
    }

    pub fn scroll_down(&mut self, n: usize) {
        self.scroll = self.scroll.saturating_sub(n);
    }

    pub fn to_top(&mut self) {
        self.scroll = self.lines.len().saturating_sub(1);
    }

    pub fn follow(&mut self) {
        self.scroll = 0;
    }
}

/// Split the engine's `2024-01-01T00:00:00.123456789Z ` prefix off a line.
fn split_timestamp(s: &str) -> (Option<&str>, &str) {
    match s.split_once(' ') {
        Some((ts, rest)) if ts.len() >= 20 && ts.as_bytes()[4] == b'-' && ts.contains('T') => (Some(ts), rest),
        _ => (None, s),
    }
}

/// Drop escape sequences and control characters (tabs become spaces).
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                // CSI: ESC [ params final; OSC: ESC ] ... BEL|ST; other: ESC + one char.
                match chars.peek() {
                    Some('[') => {
                        chars.next();
                        for d in chars.by_ref() {
                            if ('@'..='~').contains(&d) {
                                break;
                            }
                        }
                    }
                    Some(']') => {
                        chars.next();
                        while let Some(d) = chars.next() {
                            if d == '\u{7}' {
                                break;
                            }
                            if d == '\u{1b}' {
                                chars.next();
                                break;
                            }
                        }
                    }
                    Some(_) => {
                        chars.next();
                    }
                    None => {}
                }
            }
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_ring_and_sanitising() {
        let mut b = LogBuf::new(3);
        b.push(
            StreamKind::Stdout,
            b"2024-05-01T10:00:00.000000001Z one\n2024-05-01T10:00:01.0Z tw",
        );
        b.push(StreamKind::Stdout, b"o\n");
        b.push(StreamKind::Stderr, b"\x1b[31mred\x1b[0m \x1b]0;title\x07bell\x07\n");
        b.push(StreamKind::Stdout, b"four\n");
        assert_eq!(b.lines.len(), 3, "ring is bounded");
        assert_eq!(b.lines[0].text, "two");
        assert_eq!(b.lines[0].ts.as_deref(), Some("2024-05-01T10:00:01.0Z"));
        assert_eq!(b.lines[1].text, "red bell");
        assert_eq!(b.lines[1].stream, StreamKind::Stderr);
        assert_eq!(b.lines[2].ts, None);
    }

    #[test]
    fn scrolled_view_stays_put() {
        let mut b = LogBuf::new(100);
        for i in 0..10 {
            b.push(StreamKind::Stdout, format!("{i}\n").as_bytes());
        }
        b.scroll_up(2);
        b.push(StreamKind::Stdout, b"new\n");
        assert_eq!(b.scroll, 3);
        b.follow();
        assert_eq!(b.scroll, 0);
    }
}
