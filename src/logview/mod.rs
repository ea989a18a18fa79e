//! The log pane: a bounded, sanitised, searchable model of one container's log, and the ratatui
//! widget that draws it (SPEC 4.3, 10, 11).
//!
//! The dashboard owns the keys and the log worker (engine `logs` stream, tail then follow,
//! always with `timestamps: true`); this module owns everything about the pane:
//!
//! - [`LogPane::new`]`(ring_lines)`: a ring of at most `ring_lines` lines (config
//!   `[logs] ring_lines`) and at most [`DEFAULT_BYTE_BUDGET`] bytes of text
//!   ([`LogPane::with_byte_budget`]). One line keeps at most [`ansi::TEXT_CAP`] bytes (16 KiB)
//!   plus a "truncated" marker, so a 1 MB line costs 16 KiB, not 1 MB, to keep and to draw.
//! - [`LogPane::push`]`(stream, bytes)`: raw bytes exactly as the engine sends them. Chunks may
//!   split lines anywhere and stdout / stderr chunks may interleave: each stream keeps its own
//!   partial line. Each completed line has the engine's RFC 3339 timestamp parsed off (kept
//!   apart, shown with the timestamps toggle), and is sanitised ONCE, here: SGR colours become
//!   style runs, every other control sequence is removed (see [`ansi`]). Nothing a container
//!   prints can reach the real terminal. [`LogPane::flush`] completes a pending partial line
//!   (call it when the stream ends).
//! - The view: follow (autoscroll) while at the bottom, paused as soon as the user scrolls up,
//!   resumed by scrolling back to the bottom or [`LogPane::scroll_to_bottom`]. The viewport size
//!   is learnt from the last draw (or [`LogPane::set_viewport`]), so paging works without the
//!   caller passing sizes around.
//! - Search (smart-case substring) highlights every match of the visible lines;
//!   next / previous jump the view to the match; filter mode shows only matching lines.
//! - Stream lifecycle: [`LogPane::set_notice`] puts a short message in the status line ("log
//!   ended: ..."); [`LogPane::prepare_resume`] returns the `since` to re-open a broken follow
//!   with and makes the pane skip the lines it already has.
//! - [`draw`] / [`LogView`] render only the visible lines, plus a status line at the bottom of
//!   the pane: follow / paused (+new lines), line count, match n/m, filter, wrap, timestamps.
//!
//! Intended default keys (the dashboard maps them; all rebindable there):
//!
//! | key            | method                                          |
//! |----------------|-------------------------------------------------|
//! | `/` (type, Enter) | [`LogPane::set_search`] (Esc: [`LogPane::clear_search`]) |
//! | `n` / `N`      | [`LogPane::next_match`] / [`LogPane::prev_match`] |
//! | `f`            | [`LogPane::toggle_filter`]                      |
//! | `t`            | [`LogPane::toggle_timestamps`]                  |
//! | `w`            | [`LogPane::toggle_wrap`]                        |
//! | `g` / `G`, Home / End | [`LogPane::scroll_to_top`] / [`LogPane::scroll_to_bottom`] |
//! | `k` `j`, Up / Down, wheel | [`LogPane::scroll_up`] / [`LogPane::scroll_down`] (1 line; wheel 3) |
//! | PgUp / PgDn    | [`LogPane::page_up`] / [`LogPane::page_down`]   |
//! | `h` `l`, Left / Right | [`LogPane::scroll_left`] / [`LogPane::scroll_right`] (wrap off) |
//! | `S`            | [`LogPane::save`] (ask for a path)              |
//! | `C`            | [`LogPane::clear`]                              |
//!
//! Wiring, in short (the dashboard's log worker sends `LogChunk`s; the UI task owns the pane):
//!
//! ```
//! use boxdeck::engine::StreamKind;
//! use boxdeck::logview::{LogPane, LogTheme, draw};
//! use ratatui::{Terminal, backend::TestBackend};
//!
//! let mut pane = LogPane::new(10_000); // config.logs.ring_lines
//! // On each chunk from engine.logs(id, LogsQuery { timestamps: true, .. }):
//! let completed = pane.push(StreamKind::Stdout, b"2026-11-21T06:00:00.1Z \x1b[32mready\x1b[0m\n");
//! assert_eq!(completed, 1); // mark the UI dirty
//! pane.push(StreamKind::Stderr, b"2026-11-21T06:00:01Z \x1b]0;title\x07oops\n");
//! // When the stream ends: pane.flush(); pane.set_notice(Some("log ended: exited"));
//! // After a reconnect: let since = pane.prepare_resume(); then re-open with `since`.
//! let mut term = Terminal::new(TestBackend::new(40, 4)).unwrap();
//! term.draw(|f| draw(f, f.area(), &pane, &LogTheme::default())).unwrap();
//! assert_eq!(pane.line(1).unwrap().text(), "oops");
//! ```
//!
//! Every method is cheap: nothing walks the whole ring except setting a new search query and
//! `save`. [`LogPane::generation`] changes whenever something visible may have changed, so the
//! dashboard can redraw only when needed.

pub mod ansi;
mod draw;
pub mod search;

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use ratatui::style::Style;

pub use draw::{LogTheme, LogView, draw};
pub use search::Query;

use crate::engine::{LogChunk, StreamKind};
use crate::{Error, Result};
use ansi::{Parsed, Run, SgrState};

/// Default bound on the text bytes kept by one pane (on top of the line count).
pub const DEFAULT_BYTE_BUDGET: usize = 32 * 1024 * 1024;

/// Raw bytes of one pending (not yet newline-terminated) line kept before the rest is only
/// counted. Larger than the text cap so escape sequences in front do not eat the kept text.
const RAW_CAP: usize = 4 * ansi::TEXT_CAP;

/// Longest timestamp token looked at (RFC 3339 with nanoseconds and an offset is 35 bytes).
const MAX_TS_LEN: usize = 40;

/// Which stream a line came from, as shown in the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineStream {
    /// stdout, or a TTY container's console output.
    Out,
    Err,
}

impl From<StreamKind> for LineStream {
    fn from(k: StreamKind) -> Self {
        match k {
            StreamKind::Stderr => LineStream::Err,
            _ => LineStream::Out,
        }
    }
}

/// What the ring already has of the part of the log a resumed follow sends again.
#[derive(Debug, Clone)]
struct Resume {
    /// The newest timestamp in the ring: lines after it are new.
    max: DateTime<Utc>,
    /// The second asked for again (`max`'s); anything older is already in the ring.
    since: i64,
    /// (timestamp, stderr, text) of the ring's lines from `max`'s second on.
    seen: std::collections::HashSet<(DateTime<Utc>, bool, String)>,
}

/// One sanitised log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    seq: u64,
    stream: LineStream,
    ts: Option<DateTime<Utc>>,
    text: Box<str>,
    runs: Box<[Run]>,
    width: u32,
    /// Raw length of the line when it was cut (None: kept whole).
    truncated_from: Option<u64>,
}

impl LogLine {
    /// Monotonic sequence number (stable while the line is in the ring).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn stream(&self) -> LineStream {
        self.stream
    }

    pub fn is_stderr(&self) -> bool {
        self.stream == LineStream::Err
    }

    /// The engine's timestamp, if the line had one.
    pub fn timestamp(&self) -> Option<DateTime<Utc>> {
        self.ts
    }

    /// The sanitised text (printable characters only, tabs expanded, no escape sequences).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Display width of the text, in columns.
    pub fn width(&self) -> usize {
        self.width as usize
    }

    /// Raw byte length of the original line when it was truncated.
    pub fn truncated_from(&self) -> Option<u64> {
        self.truncated_from
    }

    /// The text split into styled pieces (styles from the line's SGR sequences, to be patched
    /// onto the pane's stdout / stderr base style).
    pub fn spans(&self) -> Vec<(Style, &str)> {
        let mut out = Vec::new();
        let text = &*self.text;
        let first = self.runs.first().map(|r| r.start as usize).unwrap_or(text.len());
        if first > 0 {
            out.push((Style::new(), &text[..first]));
        }
        for (k, r) in self.runs.iter().enumerate() {
            let end = self.runs.get(k + 1).map(|n| n.start as usize).unwrap_or(text.len());
            let start = r.start as usize;
            if end > start {
                out.push((r.style, &text[start..end]));
            }
        }
        out
    }

    /// The style run in force at byte `at`.
    pub(crate) fn style_at(&self, at: usize) -> Style {
        let k = self.runs.partition_point(|r| r.start as usize <= at);
        if k == 0 { Style::new() } else { self.runs[k - 1].style }
    }

    pub(crate) fn runs(&self) -> &[Run] {
        &self.runs
    }

    fn cost(&self) -> usize {
        self.text.len() + self.runs.len() * std::mem::size_of::<Run>() + std::mem::size_of::<LogLine>()
    }
}

/// A line being assembled from chunks of one stream.
#[derive(Debug, Clone, Default)]
struct Partial {
    buf: Vec<u8>,
    /// Raw bytes of this line beyond RAW_CAP (counted, not kept).
    overflow: u64,
    /// True while the current line already started (so a continuation timestamp can be dropped).
    started: bool,
}

/// The model of one container's log pane. See the module doc.
#[derive(Debug)]
pub struct LogPane {
    lines: VecDeque<LogLine>,
    capacity: usize,
    byte_budget: usize,
    bytes: usize,
    /// seq of `lines[0]` (or of the next line when empty).
    first_seq: u64,
    dropped: u64,
    partial: [Partial; 2],
    carry: [SgrState; 2],
    parse_timestamps: bool,
    // View.
    follow: bool,
    /// Top line (seq) while paused.
    top: u64,
    new_while_paused: u64,
    h_offset: usize,
    wrap: bool,
    show_ts: bool,
    filter: bool,
    query: Option<Query>,
    /// seqs of lines matching `query`, ascending.
    matches: VecDeque<u64>,
    current: Option<u64>,
    generation: u64,
    /// A message from the dashboard shown in the status line ("log ended: ...").
    notice: Option<String>,
    /// After a reconnect: what the ring already has of the part the engine sends again.
    resume: Option<Resume>,
    /// Rows of log lines and total width of the last draw.
    view_rows: AtomicU16,
    view_width: AtomicU16,
}

impl Clone for LogPane {
    fn clone(&self) -> Self {
        LogPane {
            lines: self.lines.clone(),
            capacity: self.capacity,
            byte_budget: self.byte_budget,
            bytes: self.bytes,
            first_seq: self.first_seq,
            dropped: self.dropped,
            partial: self.partial.clone(),
            carry: self.carry,
            parse_timestamps: self.parse_timestamps,
            follow: self.follow,
            top: self.top,
            new_while_paused: self.new_while_paused,
            h_offset: self.h_offset,
            wrap: self.wrap,
            show_ts: self.show_ts,
            filter: self.filter,
            query: self.query.clone(),
            matches: self.matches.clone(),
            current: self.current,
            generation: self.generation,
            notice: self.notice.clone(),
            resume: self.resume.clone(),
            view_rows: AtomicU16::new(self.view_rows.load(Ordering::Relaxed)),
            view_width: AtomicU16::new(self.view_width.load(Ordering::Relaxed)),
        }
    }
}

/// Which index range of the view is on screen, and how (bottom-aligned when following).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// View indices [start, end).
    pub start: usize,
    pub end: usize,
    /// Rows of `start`'s line to skip (only when following and the top line does not fit).
    pub skip_rows: usize,
}

impl LogPane {
    /// A pane keeping at most `capacity_lines` lines (at least 1).
    pub fn new(capacity_lines: usize) -> Self {
        LogPane {
            lines: VecDeque::new(),
            capacity: capacity_lines.max(1),
            byte_budget: DEFAULT_BYTE_BUDGET,
            bytes: 0,
            first_seq: 0,
            dropped: 0,
            partial: Default::default(),
            carry: Default::default(),
            parse_timestamps: true,
            follow: true,
            top: 0,
            new_while_paused: 0,
            h_offset: 0,
            wrap: false,
            show_ts: false,
            filter: false,
            query: None,
            matches: VecDeque::new(),
            current: None,
            generation: 0,
            notice: None,
            resume: None,
            view_rows: AtomicU16::new(20),
            view_width: AtomicU16::new(80),
        }
    }

    /// Also bound the kept text to `bytes` (oldest lines are dropped first).
    pub fn with_byte_budget(mut self, bytes: usize) -> Self {
        self.byte_budget = bytes.max(1);
        self
    }

    /// Whether each line starts with an engine timestamp to parse off (default true: the log
    /// worker always asks for timestamps). Turn off for input without them.
    pub fn set_parse_timestamps(&mut self, on: bool) {
        self.parse_timestamps = on;
    }

    // ---- ingest -------------------------------------------------------------------------

    /// Feed raw bytes from the engine. Returns how many lines were completed.
    pub fn push(&mut self, stream: StreamKind, data: &[u8]) -> usize {
        let ls = LineStream::from(stream);
        let k = ls as usize;
        let mut data = data;
        // Docker splits a very long line into several log messages, each with its own
        // timestamp: when a chunk continues a started line and begins with a timestamp, drop it.
        if self.parse_timestamps
            && self.partial[k].started
            && let Some((_, rest)) = split_timestamp(data)
        {
            data = rest;
        }
        let mut done = 0;
        while !data.is_empty() {
            match data.iter().position(|&b| b == b'\n') {
                Some(nl) => {
                    self.append_partial(k, &data[..nl]);
                    self.complete(ls);
                    done += 1;
                    data = &data[nl + 1..];
                }
                None => {
                    self.append_partial(k, data);
                    break;
                }
            }
        }
        if done > 0 {
            self.generation += 1;
        }
        done
    }

    /// [`push`](Self::push) for an engine chunk.
    pub fn push_chunk(&mut self, chunk: &LogChunk) -> usize {
        self.push(chunk.stream, &chunk.data)
    }

    /// Complete any pending partial line (e.g. when the log stream ended). Returns how many.
    pub fn flush(&mut self) -> usize {
        let mut n = 0;
        for ls in [LineStream::Out, LineStream::Err] {
            if self.partial[ls as usize].started {
                self.complete(ls);
                n += 1;
            }
        }
        if n > 0 {
            self.generation += 1;
        }
        n
    }

    fn append_partial(&mut self, k: usize, bytes: &[u8]) {
        let p = &mut self.partial[k];
        p.started = true;
        let room = RAW_CAP.saturating_sub(p.buf.len());
        let take = bytes.len().min(room);
        p.buf.extend_from_slice(&bytes[..take]);
        p.overflow += (bytes.len() - take) as u64;
    }

    fn complete(&mut self, ls: LineStream) {
        let k = ls as usize;
        let p = std::mem::take(&mut self.partial[k]);
        let mut raw: &[u8] = &p.buf;
        if raw.last() == Some(&b'\r') && p.overflow == 0 {
            raw = &raw[..raw.len() - 1];
        }
        let mut ts = None;
        let mut ts_len = 0;
        if self.parse_timestamps
            && let Some((t, rest)) = split_timestamp(raw)
        {
            ts = Some(t);
            ts_len = raw.len() - rest.len();
            raw = rest;
        }
        let Parsed {
            mut text,
            mut runs,
            width,
            truncated,
        } = ansi::parse_line(raw, &mut self.carry[k]);
        let mut width = width as u32;
        let truncated_from = if truncated || p.overflow > 0 {
            let total = (p.buf.len() - ts_len) as u64 + p.overflow;
            let marker = format!(
                " … [line truncated: {} of {}]",
                crate::util::human_bytes(text.len() as u64),
                crate::util::human_bytes(total)
            );
            // The marker is in the default style.
            if runs.last().is_some_and(|r| r.style != Style::new()) {
                runs.push(Run {
                    start: text.len() as u32,
                    style: Style::new(),
                });
            }
            width += unicode_width::UnicodeWidthStr::width(marker.as_str()) as u32;
            text.push_str(&marker);
            // Whatever SGR state the cut part would have left is unknown: start clean.
            self.carry[k] = SgrState::default();
            Some(total)
        } else {
            None
        };
        if let Some(r) = &self.resume {
            match ts {
                // Stamped no later than the newest kept line: skip it if the ring has it (stdout
                // and stderr arrive in no fixed order, so an older line may be new to the ring).
                Some(t) if t <= r.max => {
                    if t.timestamp() < r.since || r.seen.contains(&(t, ls == LineStream::Err, text.clone())) {
                        return;
                    }
                }
                _ => self.resume = None,
            }
        }
        let seq = self.first_seq + self.lines.len() as u64;
        let line = LogLine {
            seq,
            stream: ls,
            ts,
            text: text.into_boxed_str(),
            runs: runs.into_boxed_slice(),
            width,
            truncated_from,
        };
        if let Some(q) = &self.query
            && q.is_match(&line.text)
        {
            self.matches.push_back(seq);
        }
        if !self.follow && (!self.filter_active() || self.matches.back() == Some(&seq)) {
            self.new_while_paused += 1;
        }
        self.bytes += line.cost();
        self.lines.push_back(line);
        while self.lines.len() > self.capacity || (self.bytes > self.byte_budget && self.lines.len() > 1) {
            self.evict_front();
        }
    }

    fn evict_front(&mut self) {
        if let Some(old) = self.lines.pop_front() {
            self.bytes -= old.cost();
            self.first_seq = old.seq + 1;
            self.dropped += 1;
            while self.matches.front().is_some_and(|&s| s < self.first_seq) {
                self.matches.pop_front();
            }
            if self.current.is_some_and(|s| s < self.first_seq) {
                self.current = None;
            }
        }
    }

    /// Get ready to re-open the log after the stream broke (engine restart, reconnect):
    /// pending partial lines are dropped (the engine sends them again whole), and lines stamped
    /// at or before the newest kept line are skipped when they come again. Returns the `since`
    /// (Unix seconds) to ask the engine for, or None when no line had a timestamp (then re-read
    /// the tail; the ring may get duplicates).
    pub fn prepare_resume(&mut self) -> Option<i64> {
        self.partial = Default::default();
        let max = self.lines.iter().filter_map(|l| l.ts).max()?;
        // The engine sends again everything from `max`'s second on: remember those lines.
        let since = max.timestamp();
        let seen = self
            .lines
            .iter()
            .filter_map(|l| {
                let t = l.ts?;
                (t.timestamp() >= since).then(|| (t, l.stream == LineStream::Err, l.text.to_string()))
            })
            .collect();
        self.resume = Some(Resume { max, since, seen });
        Some(since)
    }

    /// Drop every line, pending partial line, carried colour and search match (the query,
    /// toggles and filter mode stay). The view follows again.
    pub fn clear(&mut self) {
        self.first_seq += self.lines.len() as u64;
        self.lines.clear();
        self.bytes = 0;
        self.partial = Default::default();
        self.carry = Default::default();
        self.resume = None;
        self.matches.clear();
        self.current = None;
        self.follow = true;
        self.new_while_paused = 0;
        self.generation += 1;
    }

    // ---- read access --------------------------------------------------------------------

    /// Lines in the ring.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The ring's line capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lines evicted from the ring so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Approximate bytes held by the kept lines.
    pub fn memory_bytes(&self) -> usize {
        self.bytes + self.partial.iter().map(|p| p.buf.capacity()).sum::<usize>()
    }

    /// Line `i` of the ring (0 = oldest kept).
    pub fn line(&self, i: usize) -> Option<&LogLine> {
        self.lines.get(i)
    }

    /// All kept lines, oldest first.
    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        self.lines.iter()
    }

    /// The newest line's engine timestamp (to resume a follow with `since` after a reconnect).
    pub fn last_timestamp(&self) -> Option<DateTime<Utc>> {
        self.lines.iter().rev().find_map(|l| l.ts)
    }

    /// Changes whenever the pane's content or view changed (redraw when it differs).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// A short message for the status line, e.g. "log ended: container exited" or
    /// "reconnecting..." (None clears it). It is sanitised like log text.
    pub fn set_notice(&mut self, notice: Option<&str>) {
        self.notice = notice.map(|n| ansi::parse_line(n.as_bytes(), &mut SgrState::default()).text);
        self.generation += 1;
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    // ---- toggles ------------------------------------------------------------------------

    pub fn show_timestamps(&self) -> bool {
        self.show_ts
    }

    pub fn set_show_timestamps(&mut self, on: bool) {
        self.show_ts = on;
        self.generation += 1;
    }

    pub fn toggle_timestamps(&mut self) {
        self.set_show_timestamps(!self.show_ts);
    }

    pub fn wrap(&self) -> bool {
        self.wrap
    }

    pub fn set_wrap(&mut self, on: bool) {
        self.wrap = on;
        self.h_offset = 0;
        self.generation += 1;
    }

    pub fn toggle_wrap(&mut self) {
        self.set_wrap(!self.wrap);
    }

    /// Filter mode is on (it only hides lines while a search query is set).
    pub fn filter(&self) -> bool {
        self.filter
    }

    /// Filter mode is on AND a query is set: only matching lines are shown.
    pub fn filter_active(&self) -> bool {
        self.filter && self.query.is_some()
    }

    pub fn set_filter(&mut self, on: bool) {
        self.filter = on;
        self.generation += 1;
    }

    pub fn toggle_filter(&mut self) {
        self.set_filter(!self.filter);
    }

    // ---- viewport and scrolling ---------------------------------------------------------

    /// Tell the pane its size (rows for log lines, total width). [`draw`] does this itself.
    pub fn set_viewport(&self, rows: u16, width: u16) {
        self.view_rows.store(rows, Ordering::Relaxed);
        self.view_width.store(width, Ordering::Relaxed);
    }

    fn rows(&self) -> usize {
        (self.view_rows.load(Ordering::Relaxed) as usize).max(1)
    }

    /// Columns available for line text given the current toggles.
    pub(crate) fn text_width(&self, total: u16) -> usize {
        let used = draw::GUTTER + if self.show_ts { draw::TS_WIDTH } else { 0 };
        (total as usize).saturating_sub(used).max(1)
    }

    fn tw(&self) -> usize {
        self.text_width(self.view_width.load(Ordering::Relaxed))
    }

    /// The view follows the tail (autoscroll).
    pub fn is_following(&self) -> bool {
        self.follow
    }

    /// Lines that arrived (and would be shown) since the view was paused.
    pub fn new_while_paused(&self) -> u64 {
        self.new_while_paused
    }

    /// Horizontal scroll in columns (wrap off).
    pub fn h_offset(&self) -> usize {
        self.h_offset
    }

    /// Number of lines in the view (all lines, or the matching ones in filter mode).
    pub fn view_len(&self) -> usize {
        if self.filter_active() {
            self.matches.len()
        } else {
            self.lines.len()
        }
    }

    /// The i-th line of the view.
    pub fn view_line(&self, i: usize) -> Option<&LogLine> {
        if self.filter_active() {
            let seq = *self.matches.get(i)?;
            self.lines.get((seq - self.first_seq) as usize)
        } else {
            self.lines.get(i)
        }
    }

    /// View index of the first line with seq >= `seq`.
    fn view_index_of(&self, seq: u64) -> usize {
        if self.filter_active() {
            self.matches.partition_point(|&s| s < seq)
        } else {
            (seq.saturating_sub(self.first_seq) as usize).min(self.lines.len())
        }
    }

    fn view_seq(&self, i: usize) -> u64 {
        self.view_line(i)
            .map(|l| l.seq)
            .unwrap_or(self.first_seq + self.lines.len() as u64)
    }

    /// Screen rows line `l` takes with the current toggles.
    pub(crate) fn line_rows(&self, l: &LogLine, tw: usize) -> usize {
        if !self.wrap {
            return 1;
        }
        draw::wrap_count(l, tw)
    }

    /// The smallest view index from which the rest of the view fits in `rows`.
    fn tail_top(&self, rows: usize, tw: usize) -> usize {
        let mut used = 0;
        let mut i = self.view_len();
        while i > 0 {
            let r = self.view_line(i - 1).map(|l| self.line_rows(l, tw)).unwrap_or(1);
            if used + r > rows {
                break;
            }
            used += r;
            i -= 1;
        }
        // Always show at least the last line, even when it is taller than the viewport.
        i.min(self.view_len().saturating_sub(1))
    }

    /// What is on screen for a viewport of `rows` x text width `tw`.
    pub(crate) fn layout(&self, rows: usize, tw: usize) -> Layout {
        let len = self.view_len();
        if len == 0 || rows == 0 {
            return Layout {
                start: 0,
                end: 0,
                skip_rows: 0,
            };
        }
        if self.follow {
            // Bottom-aligned: walk back from the newest line.
            let mut used = 0;
            let mut i = len;
            let mut skip = 0;
            while i > 0 && used < rows {
                let r = self.view_line(i - 1).map(|l| self.line_rows(l, tw)).unwrap_or(1);
                i -= 1;
                if used + r > rows {
                    skip = used + r - rows;
                    used = rows;
                } else {
                    used += r;
                }
            }
            return Layout {
                start: i,
                end: len,
                skip_rows: skip,
            };
        }
        let start = self.view_index_of(self.top).min(self.tail_top(rows, tw));
        let mut used = 0;
        let mut end = start;
        while end < len && used < rows {
            used += self.view_line(end).map(|l| self.line_rows(l, tw)).unwrap_or(1);
            end += 1;
        }
        Layout {
            start,
            end,
            skip_rows: 0,
        }
    }

    /// The view indices currently on screen (per the last known viewport).
    pub fn visible_range(&self) -> std::ops::Range<usize> {
        let l = self.layout(self.rows(), self.tw());
        l.start..l.end
    }

    /// The view index of the top line on screen.
    fn current_top(&self) -> usize {
        let rows = self.rows();
        let tw = self.tw();
        if self.follow {
            self.tail_top(rows, tw)
        } else {
            self.view_index_of(self.top).min(self.tail_top(rows, tw))
        }
    }

    fn set_top_index(&mut self, idx: usize) {
        let tail = self.tail_top(self.rows(), self.tw());
        if idx >= tail {
            self.follow = true;
            self.new_while_paused = 0;
        } else {
            if self.follow {
                self.new_while_paused = 0;
            }
            self.follow = false;
            self.top = self.view_seq(idx);
        }
        self.generation += 1;
    }

    /// Pause at view index `idx` (no resume even at the bottom: used by jumps).
    fn pin_top_index(&mut self, idx: usize) {
        if self.follow {
            self.new_while_paused = 0;
        }
        self.follow = false;
        self.top = self.view_seq(idx);
        self.generation += 1;
    }

    /// Scroll up `n` lines; pauses the follow.
    pub fn scroll_up(&mut self, n: usize) {
        let top = self.current_top();
        let idx = top.saturating_sub(n);
        if self.view_len() == 0 {
            return;
        }
        if self.follow && idx == top {
            return; // everything fits: nothing to scroll
        }
        self.pin_top_index(idx);
    }

    /// Scroll down `n` lines; reaching the bottom resumes following.
    pub fn scroll_down(&mut self, n: usize) {
        if self.follow {
            return;
        }
        let idx = self.current_top().saturating_add(n);
        self.set_top_index(idx);
    }

    /// Up one screen (keeping one line of context).
    pub fn page_up(&mut self) {
        let rows = self.rows();
        let tw = self.tw();
        let top = self.current_top();
        // Walk back until a screenful of rows is above the old top (minus one line of overlap).
        let mut used = 0;
        let mut i = top;
        while i > 0 {
            let r = self.view_line(i - 1).map(|l| self.line_rows(l, tw)).unwrap_or(1);
            if used + r > rows.saturating_sub(1).max(1) {
                break;
            }
            used += r;
            i -= 1;
        }
        if i == top {
            i = top.saturating_sub(1);
        }
        if self.view_len() == 0 || (self.follow && i == top) {
            return;
        }
        self.pin_top_index(i);
    }

    /// Down one screen; reaching the bottom resumes following.
    pub fn page_down(&mut self) {
        if self.follow {
            return;
        }
        let rows = self.rows();
        let l = self.layout(rows, self.tw());
        // The last line on screen becomes the top (one line of overlap).
        let idx = if l.end > l.start + 1 { l.end - 1 } else { l.end };
        self.set_top_index(idx.max(l.start + 1));
    }

    /// Jump to the oldest line (pauses the follow unless everything fits).
    pub fn scroll_to_top(&mut self) {
        if self.view_len() == 0 {
            return;
        }
        self.set_top_index(0);
    }

    /// Jump to the newest line and follow again.
    pub fn scroll_to_bottom(&mut self) {
        self.follow = true;
        self.new_while_paused = 0;
        self.generation += 1;
    }

    /// Scroll left `n` columns (wrap off).
    pub fn scroll_left(&mut self, n: usize) {
        self.h_offset = self.h_offset.saturating_sub(n);
        self.generation += 1;
    }

    /// Scroll right `n` columns (wrap off), at most until the widest line on screen ends at
    /// the right edge.
    pub fn scroll_right(&mut self, n: usize) {
        if self.wrap {
            return;
        }
        let tw = self.tw();
        let r = self.visible_range();
        let widest = r
            .filter_map(|i| self.view_line(i))
            .map(|l| l.width())
            .max()
            .unwrap_or(0);
        let limit = widest.saturating_sub(tw).max(self.h_offset);
        let h = self.h_offset.saturating_add(n).min(limit);
        if h != self.h_offset {
            self.h_offset = h;
            self.generation += 1;
        }
    }

    // ---- search -------------------------------------------------------------------------

    /// Set the search query (empty clears it) and jump to the nearest match: the newest one
    /// while following, else the first one from the top of the screen down.
    pub fn set_search(&mut self, query: &str) {
        let q = Query::new(query);
        self.matches.clear();
        self.current = None;
        if let Some(q) = &q {
            self.matches
                .extend(self.lines.iter().filter(|l| q.is_match(&l.text)).map(|l| l.seq));
        }
        // Where the user was looking, before the view set changes.
        let anchor_top = if self.follow { None } else { Some(self.top) };
        self.query = q;
        self.generation += 1;
        if self.matches.is_empty() {
            return;
        }
        let target = match anchor_top {
            None => self.matches.back().copied(),
            Some(t) => self.matches.iter().find(|&&s| s >= t).or(self.matches.back()).copied(),
        };
        if let Some(seq) = target {
            self.jump_to(seq);
        }
    }

    /// Remove the search (and with it the filter's effect).
    pub fn clear_search(&mut self) {
        self.set_search("");
    }

    pub fn search_query(&self) -> Option<&str> {
        self.query.as_ref().map(|q| q.text())
    }

    /// Lines matching the query.
    pub fn match_count(&self) -> usize {
        self.matches.len()
    }

    /// (n, m): the current match is the n-th (1-based) of m matching lines.
    pub fn current_match(&self) -> Option<(usize, usize)> {
        let c = self.current?;
        let i = self.matches.binary_search(&c).ok()?;
        Some((i + 1, self.matches.len()))
    }

    /// seq of the current match's line.
    pub fn current_match_seq(&self) -> Option<u64> {
        self.current
    }

    /// Go to the next (newer) match, wrapping around; the view jumps to it.
    pub fn next_match(&mut self) {
        let Some(first) = self.matches.front().copied() else {
            return;
        };
        let from = match self.current {
            Some(c) => c,
            // No current match: start from just above the top of the screen.
            None => self.view_seq(self.current_top()).saturating_sub(1),
        };
        let k = self.matches.partition_point(|&s| s <= from);
        let seq = self.matches.get(k).copied().unwrap_or(first);
        self.jump_to(seq);
    }

    /// Go to the previous (older) match, wrapping around; the view jumps to it.
    pub fn prev_match(&mut self) {
        let Some(last) = self.matches.back().copied() else {
            return;
        };
        let from = match self.current {
            Some(c) => c,
            None => {
                let l = self.layout(self.rows(), self.tw());
                self.view_seq(l.end)
            }
        };
        let k = self.matches.partition_point(|&s| s < from);
        let seq = if k == 0 { last } else { self.matches[k - 1] };
        self.jump_to(seq);
    }

    /// Make `seq` the current match and put it on screen (a third from the top when the view
    /// has to move; the follow pauses then).
    fn jump_to(&mut self, seq: u64) {
        self.current = Some(seq);
        self.generation += 1;
        let idx = self.view_index_of(seq);
        let rows = self.rows();
        let tw = self.tw();
        self.reveal_columns(seq, tw);
        let l = self.layout(rows, tw);
        let fully_visible = idx >= l.start && idx < l.end && !(idx == l.start && l.skip_rows > 0) && {
            // The last line may be cut at the bottom when paused.
            let used: usize = (l.start..=idx)
                .filter_map(|i| self.view_line(i))
                .map(|x| self.line_rows(x, tw))
                .sum();
            used <= rows + l.skip_rows
        };
        if fully_visible {
            return;
        }
        let top = idx.saturating_sub(rows / 3);
        self.pin_top_index(top.min(self.tail_top(rows, tw)).min(idx));
    }

    /// Without wrap, scroll sideways so the first match on line `seq` is in view.
    fn reveal_columns(&mut self, seq: u64, tw: usize) {
        if self.wrap {
            return;
        }
        let Some(line) = seq.checked_sub(self.first_seq).and_then(|i| self.lines.get(i as usize)) else {
            return;
        };
        let Some(m) = self
            .query
            .as_ref()
            .and_then(|q| q.find_all(&line.text).into_iter().next())
        else {
            return;
        };
        let col = |b: usize| unicode_width::UnicodeWidthStr::width(&line.text[..b]);
        let (start, end) = (col(m.start), col(m.end));
        if start < self.h_offset || end > self.h_offset + tw {
            // Put the match a quarter into the pane (or at the left edge when it is near the start).
            self.h_offset = if end <= tw { 0 } else { start.saturating_sub(tw / 4) };
        }
    }

    // ---- save ---------------------------------------------------------------------------

    /// Write the view's lines (all, or only matching ones in filter mode) as plain sanitised
    /// text to `path`, with RFC 3339 timestamps when they are shown. Returns the line count.
    pub fn save(&self, path: &Path) -> Result<usize> {
        let err = |e: std::io::Error| {
            Error::failed(format!("cannot save the log to {}: {e}", path.display()))
                .hint("choose a writable path, e.g. /tmp/boxdeck.log")
        };
        let f = std::fs::File::create(path).map_err(err)?;
        let mut w = std::io::BufWriter::new(f);
        let n = self.view_len();
        for i in 0..n {
            let Some(l) = self.view_line(i) else { continue };
            if self.show_ts {
                match l.ts {
                    Some(t) => write!(w, "{} ", t.to_rfc3339_opts(SecondsFormat::Nanos, true)).map_err(err)?,
                    None => w.write_all(b"- ").map_err(err)?,
                }
            }
            w.write_all(l.text.as_bytes()).map_err(err)?;
            w.write_all(b"\n").map_err(err)?;
        }
        w.flush().map_err(err)?;
        Ok(n)
    }

    pub(crate) fn query(&self) -> Option<&Query> {
        self.query.as_ref()
    }
}

/// Split `<RFC 3339 timestamp><space>` off the front of a raw line.
fn split_timestamp(raw: &[u8]) -> Option<(DateTime<Utc>, &[u8])> {
    // Cheap shape check first: "YYYY-MM-DDT".
    if raw.len() < 21 || !raw[..4].iter().all(u8::is_ascii_digit) || raw[4] != b'-' || raw[10] != b'T' {
        return None;
    }
    let sp = raw[..raw.len().min(MAX_TS_LEN + 1)].iter().position(|&b| b == b' ')?;
    let tok = std::str::from_utf8(&raw[..sp]).ok()?;
    let t = DateTime::parse_from_rfc3339(tok).ok()?;
    Some((t.with_timezone(&Utc), &raw[sp + 1..]))
}

#[cfg(test)]
mod tests;
