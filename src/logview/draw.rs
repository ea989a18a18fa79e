//! Drawing the log pane: only the lines on screen are touched, from their stored text and
//! style runs (nothing is re-parsed), plus one status line at the bottom of the area.

use std::ops::Range;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthChar;

use super::{LogLine, LogPane};

/// Columns of the stream gutter (stderr marker) in front of every line.
pub(crate) const GUTTER: usize = 1;
/// Columns of a shown timestamp, including the space after it.
pub(crate) const TS_WIDTH: usize = 25;

/// Styles of the pane. The dashboard builds one from the config's `[colors]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogTheme {
    /// Base style of stdout text (a line's own SGR colours are patched on top).
    pub text: Style,
    /// Base style of stderr text.
    pub stderr: Style,
    /// The gutter marker of stderr lines.
    pub stderr_marker: Style,
    /// The symbol drawn in the gutter of stderr lines.
    pub stderr_symbol: &'static str,
    pub timestamp: Style,
    /// Every search match on screen.
    pub matched: Style,
    /// Matches on the current match's line.
    pub current_match: Style,
    /// The "line truncated" marker and empty-pane hints.
    pub dim: Style,
    /// The status line.
    pub status: Style,
    pub status_follow: Style,
    pub status_paused: Style,
}

impl Default for LogTheme {
    fn default() -> Self {
        LogTheme {
            text: Style::new(),
            stderr: Style::new().fg(Color::LightRed),
            stderr_marker: Style::new().fg(Color::Red),
            stderr_symbol: "▌",
            timestamp: Style::new().fg(Color::DarkGray),
            matched: Style::new().fg(Color::Black).bg(Color::Yellow),
            current_match: Style::new()
                .fg(Color::Black)
                .bg(Color::LightCyan)
                .add_modifier(Modifier::BOLD),
            dim: Style::new().fg(Color::DarkGray),
            status: Style::new().fg(Color::White).bg(Color::DarkGray),
            status_follow: Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
            status_paused: Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        }
    }
}

/// The pane as a ratatui widget.
pub struct LogView<'a> {
    pub pane: &'a LogPane,
    pub theme: &'a LogTheme,
}

impl<'a> LogView<'a> {
    pub fn new(pane: &'a LogPane, theme: &'a LogTheme) -> Self {
        LogView { pane, theme }
    }
}

/// Draw `pane` into `area` of the frame.
pub fn draw(frame: &mut Frame, area: Rect, pane: &LogPane, theme: &LogTheme) {
    frame.render_widget(LogView::new(pane, theme), area);
}

/// Rows a line takes when wrapped at `tw` columns.
pub(crate) fn wrap_count(l: &LogLine, tw: usize) -> usize {
    let tw = tw.max(1);
    if l.text.is_ascii() {
        return l.text.len().div_ceil(tw).max(1);
    }
    wrap_ranges(&l.text, tw).len()
}

/// Byte ranges of the rows of `text` wrapped at `tw` columns (at least one row).
pub(crate) fn wrap_ranges(text: &str, tw: usize) -> Vec<Range<usize>> {
    let tw = tw.max(1);
    if text.is_ascii() {
        if text.is_empty() {
            return std::iter::once(0..0).collect();
        }
        return (0..text.len())
            .step_by(tw)
            .map(|s| s..(s + tw).min(text.len()))
            .collect();
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut col = 0;
    for (i, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if col + w > tw && i > start {
            out.push(start..i);
            start = i;
            col = 0;
        }
        col += w;
    }
    out.push(start..text.len());
    out
}

/// Byte offset where display column `col` starts (for horizontal scrolling).
fn byte_at_col(text: &str, col: usize) -> usize {
    if text.is_ascii() {
        return col.min(text.len());
    }
    let mut c = 0;
    for (i, ch) in text.char_indices() {
        if c >= col {
            return i;
        }
        c += ch.width().unwrap_or(0);
    }
    text.len()
}

/// `1234567` -> `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl Widget for LogView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        render_pane(self.pane, self.theme, area, buf);
    }
}

fn render_pane(pane: &LogPane, theme: &LogTheme, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    buf.set_style(area, theme.text);
    let status_y = area.bottom() - 1;
    let rows = area.height.saturating_sub(1);
    pane.set_viewport(rows.max(1), area.width);
    if rows > 0 {
        let log_area = Rect { height: rows, ..area };
        render_lines(pane, theme, log_area, buf);
    }
    render_status(
        pane,
        theme,
        Rect {
            y: status_y,
            height: 1,
            ..area
        },
        buf,
    );
}

fn render_lines(pane: &LogPane, theme: &LogTheme, area: Rect, buf: &mut Buffer) {
    let rows = area.height as usize;
    let tw = pane.text_width(area.width);
    let layout = pane.layout(rows, tw);
    if layout.start >= layout.end {
        let hint = match pane.query() {
            Some(q) if pane.filter_active() => format!("no line matches /{}", q.text()),
            _ => "no output yet".to_string(),
        };
        buf.set_stringn(area.x + GUTTER as u16, area.y, hint, area.width as usize, theme.dim);
        return;
    }
    let text_x = area.x as usize + GUTTER + if pane.show_timestamps() { TS_WIDTH } else { 0 };
    let right = area.right() as usize;
    let mut y = area.y as usize;
    let bottom = area.bottom() as usize;
    let mut skip = layout.skip_rows;
    for i in layout.start..layout.end {
        let Some(line) = pane.view_line(i) else { break };
        let base = if line.is_stderr() { theme.stderr } else { theme.text };
        let hl_style = if pane.current_match_seq() == Some(line.seq) {
            theme.current_match
        } else {
            theme.matched
        };
        let hls: Vec<Range<usize>> = pane.query().map(|q| q.find_all(&line.text)).unwrap_or_default();
        let row_ranges = if pane.wrap() {
            wrap_ranges(&line.text, tw)
        } else {
            std::iter::once(byte_at_col(&line.text, pane.h_offset())..line.text.len()).collect()
        };
        for (r, range) in row_ranges.into_iter().enumerate() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if y >= bottom {
                break;
            }
            let yy = y as u16;
            if line.is_stderr() {
                buf.set_stringn(
                    area.x,
                    yy,
                    theme.stderr_symbol,
                    GUTTER.min(area.width as usize),
                    theme.stderr_marker,
                );
            }
            if pane.show_timestamps() && r == 0 {
                let ts = match line.ts {
                    Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                    None => "-".to_string(),
                };
                let x = area.x as usize + GUTTER;
                if x < right {
                    buf.set_stringn(x as u16, yy, ts, (TS_WIDTH - 1).min(right - x), theme.timestamp);
                }
            }
            if text_x < right {
                put_text(buf, text_x, yy, right, line, range, base, &hls, hl_style, theme);
            }
            y += 1;
        }
        if y >= bottom {
            break;
        }
    }
}

/// Draw `line.text[range]` from column `x`, splitting at style-run and match boundaries.
#[allow(clippy::too_many_arguments)]
fn put_text(
    buf: &mut Buffer,
    mut x: usize,
    y: u16,
    right: usize,
    line: &LogLine,
    range: Range<usize>,
    base: Style,
    hls: &[Range<usize>],
    hl_style: Style,
    theme: &LogTheme,
) {
    let text = &*line.text;
    let marker_at = line.truncated_from.and_then(|_| text.rfind(" … [line truncated"));
    let mut a = range.start;
    let runs = line.runs();
    let mut h = hls.partition_point(|m| m.end <= a);
    while a < range.end && x < right {
        // Next boundary: a run start, a match edge, the truncation marker, or the row end.
        let mut b = range.end;
        let k = runs.partition_point(|r| r.start as usize <= a);
        if let Some(r) = runs.get(k) {
            b = b.min(r.start as usize);
        }
        while h < hls.len() && hls[h].end <= a {
            h += 1;
        }
        let in_hl = hls.get(h).is_some_and(|m| m.start <= a);
        if let Some(m) = hls.get(h) {
            b = b.min(if in_hl { m.end } else { m.start });
        }
        if let Some(mk) = marker_at
            && mk > a
        {
            b = b.min(mk);
        }
        let b = b.max(a + 1).min(range.end);
        // Never split inside a character.
        let b = (b..=range.end).find(|&i| text.is_char_boundary(i)).unwrap_or(range.end);
        let mut style = if marker_at.is_some_and(|mk| a >= mk) {
            theme.dim
        } else {
            base.patch(line.style_at(a))
        };
        if in_hl {
            style = style.patch(hl_style);
        }
        let seg = &text[a..b];
        if seg.is_ascii() {
            // Fast path: one byte, one cell (the text holds printable characters only).
            let take = seg.len().min(right - x);
            let mut tmp = [0u8; 4];
            for &ch in &seg.as_bytes()[..take] {
                let sym: &str = (ch as char).encode_utf8(&mut tmp);
                buf[(x as u16, y)].set_symbol(sym).set_style(style);
                x += 1;
            }
        } else {
            let (nx, _) = buf.set_stringn(x as u16, y, seg, right - x, style);
            x = nx as usize;
        }
        a = b;
    }
}

fn render_status(pane: &LogPane, theme: &LogTheme, area: Rect, buf: &mut Buffer) {
    buf.set_style(area, theme.status);
    let (mode, mode_style) = if pane.is_following() {
        (" FOLLOW ".to_string(), theme.status_follow)
    } else if pane.new_while_paused() > 0 {
        (
            format!(" PAUSED +{} ", thousands(pane.new_while_paused())),
            theme.status_paused,
        )
    } else {
        (" PAUSED ".to_string(), theme.status_paused)
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(n) = pane.notice() {
        parts.push(n.to_string());
    }
    let mut count = format!("{} lines", thousands(pane.len() as u64));
    if pane.dropped() > 0 {
        count.push_str(&format!(" ({} dropped)", thousands(pane.dropped())));
    }
    parts.push(count);
    if let Some(q) = pane.search_query() {
        let m = pane.match_count();
        parts.push(match pane.current_match() {
            Some((n, m)) => format!("/{q} {n}/{m}"),
            None if m == 0 => format!("/{q} no match"),
            None => format!("/{q} {m} matches"),
        });
    }
    if pane.filter() {
        parts.push(if pane.search_query().is_some() {
            "FILTER".into()
        } else {
            "FILTER (no query)".into()
        });
    }
    if pane.wrap() {
        parts.push("WRAP".into());
    }
    if pane.show_timestamps() {
        parts.push("TS".into());
    }
    if !pane.wrap() && pane.h_offset() > 0 {
        parts.push(format!("col {}", pane.h_offset() + 1));
    }
    let (x, _) = buf.set_stringn(area.x, area.y, &mode, area.width as usize, mode_style);
    let rest = format!(" {}", parts.join(" · "));
    let used = (x - area.x) as usize;
    if used < area.width as usize {
        buf.set_stringn(x, area.y, rest, area.width as usize - used, theme.status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_ranges_ascii_and_wide() {
        assert_eq!(wrap_ranges("abcdefg", 3), vec![0..3, 3..6, 6..7]);
        assert_eq!(wrap_ranges("", 3), vec![0..0]);
        // Wide chars never split across rows.
        assert_eq!(wrap_ranges("a中文b", 3), vec![0..4, 4..8]);
        assert_eq!(wrap_ranges("中", 1), vec![0..3]);
    }

    #[test]
    fn thousands_sep() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
