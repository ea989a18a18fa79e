use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier, Style};

use super::ansi::{SgrState, TEXT_CAP, parse_line};
use super::*;

const OUT: StreamKind = StreamKind::Stdout;
const ERR: StreamKind = StreamKind::Stderr;

/// A line as the engine sends it with timestamps on: `<ts> <text>\n`, ts = second `n`.
fn tl(n: u32, text: &str) -> Vec<u8> {
    let mut v = format!("2026-11-21T06:{:02}:{:02}.{:09}Z ", (n / 60) % 60, n % 60, n).into_bytes();
    v.extend_from_slice(text.as_bytes());
    v.push(b'\n');
    v
}

fn texts(p: &LogPane) -> Vec<String> {
    p.lines().map(|l| l.text().to_string()).collect()
}

fn sanitize(raw: &[u8]) -> String {
    parse_line(raw, &mut SgrState::default()).text
}

/// Nothing that a terminal could act on.
fn assert_clean(s: &str) {
    for c in s.chars() {
        assert!(!c.is_control(), "control char {:?} in {s:?}", c);
        assert!(!('\u{80}'..='\u{9f}').contains(&c), "C1 char {:?} in {s:?}", c);
    }
}

// ---- line splitting and timestamps ------------------------------------------------------

#[test]
fn lines_split_across_chunks_and_streams_interleave() {
    let mut p = LogPane::new(100);
    let a = tl(1, "hello world");
    // Split in the middle of the timestamp and of the text.
    assert_eq!(p.push(OUT, &a[..7]), 0);
    assert_eq!(p.push(OUT, &a[7..35]), 0);
    // A whole stderr line arrives while the stdout line is still partial.
    assert_eq!(p.push(ERR, &tl(2, "oops")), 1);
    assert_eq!(p.push(OUT, &a[35..]), 1);
    // Several lines in one chunk, the last one partial.
    let mut many = tl(3, "three");
    many.extend(tl(4, "four"));
    many.extend_from_slice(b"2026-11-21T06:00:05.000000005Z fi");
    assert_eq!(p.push(OUT, &many), 2);
    assert_eq!(p.push(OUT, b"ve\r\n"), 1);
    assert_eq!(texts(&p), ["oops", "hello world", "three", "four", "five"]);
    assert!(p.line(0).unwrap().is_stderr());
    assert!(!p.line(1).unwrap().is_stderr());
    assert_eq!(
        p.line(1).unwrap().timestamp().unwrap().to_rfc3339(),
        "2026-11-21T06:00:01.000000001+00:00"
    );
    // A partial line without newline only shows up after flush.
    p.push(OUT, b"2026-11-21T06:00:06Z no newline");
    assert_eq!(p.len(), 5);
    assert_eq!(p.flush(), 1);
    assert_eq!(p.line(5).unwrap().text(), "no newline");
    assert_eq!(p.flush(), 0);
}

#[test]
fn timestamps_parse_and_fall_back() {
    let mut p = LogPane::new(100);
    p.push(OUT, b"2026-11-21T06:00:00.123456789Z nanos\n");
    p.push(OUT, b"2026-11-21T07:00:00.5+01:00 offset\n");
    p.push(OUT, b"2026-11-21 not a timestamp\n");
    p.push(OUT, b"no timestamp at all\n");
    p.push(OUT, b"2026-11-21T06:00:00Z\n"); // no space: not split
    let l = |i| p.line(i).unwrap();
    assert_eq!(l(0).text(), "nanos");
    assert_eq!(l(0).timestamp().unwrap().timestamp_subsec_nanos(), 123_456_789);
    assert_eq!(l(1).text(), "offset");
    assert_eq!(l(1).timestamp().unwrap().to_rfc3339(), "2026-11-21T06:00:00.500+00:00");
    assert_eq!(l(2).text(), "2026-11-21 not a timestamp");
    assert!(l(2).timestamp().is_none());
    assert_eq!(l(3).text(), "no timestamp at all");
    assert_eq!(l(4).text(), "2026-11-21T06:00:00Z");
    assert_eq!(
        p.last_timestamp().unwrap().to_rfc3339(),
        "2026-11-21T06:00:00.500+00:00"
    );

    let mut raw = LogPane::new(10);
    raw.set_parse_timestamps(false);
    raw.push(OUT, b"2026-11-21T06:00:00Z kept whole\n");
    assert_eq!(raw.line(0).unwrap().text(), "2026-11-21T06:00:00Z kept whole");
    assert!(raw.line(0).unwrap().timestamp().is_none());
}

#[test]
fn continuation_timestamp_of_a_split_long_line_is_dropped() {
    // Docker sends a >16 KiB line as several messages, each with its own timestamp.
    let mut p = LogPane::new(10);
    p.push(OUT, b"2026-11-21T06:00:00.1Z aaaa");
    p.push(OUT, b"2026-11-21T06:00:00.2Z bbbb");
    p.push(OUT, b"2026-11-21T06:00:00.3Z cc\n");
    assert_eq!(texts(&p), ["aaaabbbbcc"]);
}

#[test]
fn resume_skips_lines_already_kept() {
    let mut p = LogPane::new(100);
    p.push(OUT, &tl(1, "one"));
    p.push(OUT, &tl(2, "two"));
    p.push(OUT, b"2026-11-21T06:00:03.000000003Z half a li"); // the stream broke here
    let since = p.prepare_resume().unwrap();
    assert_eq!(since, p.line(1).unwrap().timestamp().unwrap().timestamp());
    // The engine sends everything since that second again, then new lines.
    p.push(OUT, &tl(1, "one"));
    p.push(OUT, &tl(2, "two"));
    p.push(OUT, &tl(3, "half a line, whole"));
    p.push(OUT, &tl(2, "an old-stamped line after new ones is kept"));
    assert_eq!(
        texts(&p),
        [
            "one",
            "two",
            "half a line, whole",
            "an old-stamped line after new ones is kept"
        ]
    );
    let mut none = LogPane::new(10);
    none.set_parse_timestamps(false);
    none.push(OUT, b"x\n");
    assert_eq!(none.prepare_resume(), None);
}

#[test]
fn resume_with_streams_interleaved_takes_nothing_twice_and_loses_nothing() {
    // stdout and stderr reach the ring in no fixed order: here the newest-stamped line is not
    // the last one that arrived. All within one second, which is what the engine sends again.
    let at = |frac: &str, text: &str| format!("2026-11-21T06:00:05.{frac}Z {text}\n").into_bytes();
    let mut p = LogPane::new(100);
    p.push(OUT, &at("1", "out one"));
    p.push(OUT, &at("3", "out three"));
    p.push(ERR, &at("2", "err two"));
    let since = p.prepare_resume().unwrap();
    assert_eq!(since % 60, 5);
    // The engine sends that second again in time order, with a stderr line the ring never got
    // (stamped before the newest kept line), then a new line.
    p.push(OUT, &at("1", "out one"));
    p.push(ERR, &at("2", "err two"));
    p.push(ERR, &at("25", "err two and a half"));
    p.push(OUT, &at("3", "out three"));
    p.push(OUT, b"2026-11-21T06:00:06.0Z out four\n");
    assert_eq!(
        texts(&p),
        ["out one", "out three", "err two", "err two and a half", "out four"]
    );
}

// ---- ring bounds ------------------------------------------------------------------------

#[test]
fn ring_evicts_oldest_and_stays_bounded() {
    let mut p = LogPane::new(100);
    for i in 0..1000 {
        p.push(OUT, &tl(i, &format!("line {i}")));
    }
    assert_eq!(p.len(), 100);
    assert_eq!(p.dropped(), 900);
    assert_eq!(p.line(0).unwrap().text(), "line 900");
    assert_eq!(p.line(99).unwrap().text(), "line 999");
    assert_eq!(p.line(0).unwrap().seq(), 900);
    // A pane of capacity 0 still keeps one line.
    let mut one = LogPane::new(0);
    one.push(OUT, b"a\nb\n");
    assert_eq!(texts(&one), ["b"]);
}

#[test]
fn byte_budget_bounds_memory() {
    let mut p = LogPane::new(1_000_000).with_byte_budget(64 * 1024);
    let line = "x".repeat(1000);
    for i in 0..1000 {
        p.push(OUT, &tl(i, &line));
    }
    assert!(p.memory_bytes() <= 64 * 1024 + 2 * 1024, "{} bytes", p.memory_bytes());
    assert!(p.len() > 10 && p.len() < 70, "{} lines", p.len());
    assert_eq!(p.dropped() as usize + p.len(), 1000);
}

#[test]
fn one_megabyte_line_is_cut_and_bounded() {
    let mut p = LogPane::new(10);
    let mut big = b"2026-11-21T06:00:00Z ".to_vec();
    big.extend(std::iter::repeat_n(b'A', 1 << 20));
    big.push(b'\n');
    for c in big.chunks(65536) {
        p.push(OUT, c);
        // The pending partial line never holds the whole megabyte.
        assert!(p.memory_bytes() < 200 * 1024, "{}", p.memory_bytes());
    }
    assert_eq!(p.len(), 1);
    let l = p.line(0).unwrap();
    assert_eq!(l.truncated_from(), Some(1 << 20));
    assert!(l.text().starts_with("AAAA"));
    assert!(l.text().len() < TEXT_CAP + 100, "{}", l.text().len());
    assert!(
        l.text().ends_with("[line truncated: 16.0 KiB of 1.0 MiB]"),
        "{}",
        &l.text()[TEXT_CAP - 10..]
    );
    assert!(p.memory_bytes() < 64 * 1024);
    // Drawing it is bounded too (one screen row without wrap; a screenful with wrap).
    let mut t = Terminal::new(TestBackend::new(40, 6)).unwrap();
    t.draw(|f| draw(f, f.area(), &p, &LogTheme::default())).unwrap();
    p.toggle_wrap();
    t.draw(|f| draw(f, f.area(), &p, &LogTheme::default())).unwrap();
    // The next line is normal again.
    p.push(OUT, b"2026-11-21T06:00:01Z after\n");
    assert_eq!(p.line(1).unwrap().text(), "after");
    assert_eq!(p.line(1).unwrap().truncated_from(), None);
}

#[test]
fn huge_line_of_escape_sequences_is_bounded() {
    let mut p = LogPane::new(10);
    let mut raw = Vec::new();
    for _ in 0..100_000 {
        raw.extend_from_slice(b"\x1b[31mx\x1b[0m");
    }
    raw.push(b'\n');
    p.push(OUT, &raw);
    let l = p.line(0).unwrap();
    assert!(l.truncated_from().is_some());
    assert!(l.runs().len() < TEXT_CAP);
    assert!(p.memory_bytes() < 512 * 1024, "{}", p.memory_bytes());
}

// ---- sanitising -------------------------------------------------------------------------

#[test]
fn sgr_becomes_styles() {
    let mut st = SgrState::default();
    let raw = b"\x1b[31mred\x1b[0m plain \x1b[1;38;5;208mbold208\x1b[22;38;2;1;2;3mrgb\x1b[48:2::9:8:7mbg\x1b[m end";
    let p = parse_line(raw, &mut st);
    assert_eq!(p.text, "red plain bold208rgbbg end");
    let mut pane = LogPane::new(10);
    pane.push(OUT, &[raw.as_slice(), b"\n"].concat());
    let spans = pane.line(0).unwrap().spans();
    let want: Vec<(Style, &str)> = vec![
        (Style::new().fg(Color::Red), "red"),
        (Style::new(), " plain "),
        (
            Style::new().fg(Color::Indexed(208)).add_modifier(Modifier::BOLD),
            "bold208",
        ),
        (Style::new().fg(Color::Rgb(1, 2, 3)), "rgb"),
        (Style::new().fg(Color::Rgb(1, 2, 3)).bg(Color::Rgb(9, 8, 7)), "bg"),
        (Style::new(), " end"),
    ];
    assert_eq!(spans, want);
    assert_eq!(st, SgrState::default());
}

#[test]
fn sgr_modifiers_and_bright_colours() {
    let p = parse_line(
        b"\x1b[3;4;7;9;92;104mx\x1b[23;24;27;29;39;49my",
        &mut SgrState::default(),
    );
    assert_eq!(p.runs.len(), 2);
    assert_eq!(
        p.runs[0].style,
        Style::new()
            .fg(Color::LightGreen)
            .bg(Color::LightBlue)
            .add_modifier(Modifier::ITALIC | Modifier::UNDERLINED | Modifier::REVERSED | Modifier::CROSSED_OUT)
    );
    assert_eq!(p.runs[1].style, Style::new());
    assert_eq!(p.runs[1].start, 1);
    // Colon forms, with and without a colour-space id; semicolon 256-colour background.
    let p = parse_line(
        b"\x1b[38:5:196;48;5;17ma\x1b[38:2:10:20:30mb\x1b[38:2::1:2:3mc",
        &mut SgrState::default(),
    );
    let styles: Vec<Style> = p.runs.iter().map(|r| r.style).collect();
    let bg = Color::Indexed(17);
    assert_eq!(
        styles,
        vec![
            Style::new().fg(Color::Indexed(196)).bg(bg),
            Style::new().fg(Color::Rgb(10, 20, 30)).bg(bg),
            Style::new().fg(Color::Rgb(1, 2, 3)).bg(bg),
        ]
    );
    // More values than kept: the first ones still apply, nothing panics.
    let mut many = b"\x1b[31".to_vec();
    many.extend(std::iter::repeat_n(b";1".as_slice(), 100).flatten());
    many.extend_from_slice(b"mz");
    let p = parse_line(&many, &mut SgrState::default());
    assert_eq!(
        p.runs[0].style,
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    );
    // Blink is ignored; invalid extended colours do not change the colour.
    let p = parse_line(b"\x1b[5;31m\x1b[38;5;999mz", &mut SgrState::default());
    assert_eq!(p.runs[0].style, Style::new().fg(Color::Red));
}

#[test]
fn colour_carries_to_the_next_line_of_the_same_stream_only() {
    let mut p = LogPane::new(10);
    p.push(OUT, b"\x1b[32mgreen starts\n");
    p.push(ERR, b"stderr stays plain\n");
    p.push(OUT, b"still green\x1b[0m done\n");
    p.push(OUT, b"plain again\n");
    assert_eq!(p.line(1).unwrap().spans(), vec![(Style::new(), "stderr stays plain")]);
    assert_eq!(
        p.line(2).unwrap().spans(),
        vec![(Style::new().fg(Color::Green), "still green"), (Style::new(), " done")]
    );
    assert!(p.line(3).unwrap().runs().is_empty());
}

#[test]
fn hostile_sequences_are_stripped() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("OSC title BEL", b"a\x1b]0;evil title\x07b", "ab"),
        ("OSC title ST", b"a\x1b]2;evil\x1b\\b", "ab"),
        (
            "OSC 8 hyperlink",
            b"\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ text",
            "link text",
        ),
        ("OSC 52 clipboard", b"x\x1b]52;c;ZXZpbA==\x07y", "xy"),
        (
            "CSI cursor moves",
            b"\x1b[2J\x1b[H\x1b[10;20Ha\x1b[5Ab\x1b[?1049h\x1b[?25lc\x1b[K",
            "abc",
        ),
        ("CSI with intermediates", b"a\x1b[1 qb\x1b[>0;1cc", "abc"),
        ("private SGR is not SGR", b"a\x1b[?31mb", "ab"),
        ("ESC c reset", b"a\x1bcb", "ab"),
        ("ESC charset and DEC", b"a\x1b(0b\x1b#8c\x1b7d\x1b8e\x1b=f", "abcdef"),
        ("DCS", b"a\x1bP1$r0m\x1b\\b\x1bPq#0;2;0;0;0\x1b\\c", "abc"),
        ("SOS PM APC", b"a\x1bXsos\x1b\\b\x1b^pm\x1b\\c\x1b_apc\x1b\\d", "abcd"),
        ("BEL and C0", b"a\x07b\x08c\x00d\x0be\x0cf\x0eg\x7fh", "abcdefgh"),
        ("bare CR", b"progress 10%\rprogress 20%", "progress 10%progress 20%"),
        ("raw C1 bytes", b"a\x9b31mb\x9dtitle\x07c\x90d", "a31mbtitlecd"),
        ("UTF-8 C1 CSI", "a\u{9b}31mb".as_bytes(), "ab"),
        ("UTF-8 C1 OSC", "a\u{9d}0;title\u{9c}b".as_bytes(), "ab"),
        ("UTF-8 C1 other", "a\u{85}b\u{84}c".as_bytes(), "abc"),
        (
            "invalid UTF-8",
            b"a\xff\xfeb\xc3c\xe2\x82d",
            "a\u{FFFD}\u{FFFD}b\u{FFFD}c\u{FFFD}d",
        ),
        ("bidi controls", "a\u{202E}b\u{2066}c\u{200F}d".as_bytes(), "abcd"),
        (
            "unterminated OSC eats the rest of the line only",
            b"a\x1b]0;never ends",
            "a",
        ),
        ("lone ESC at end", b"abc\x1b", "abc"),
        ("CAN aborts a CSI", b"a\x1b[31\x18b", "ab"),
        ("ESC inside CSI starts anew", b"a\x1b[3\x1b[32mb", "ab"),
        ("tabs expand", b"a\tb\t\tc", "a       b               c"),
        ("UTF-8 text kept", "héllo wörld 中文 ✓".as_bytes(), "héllo wörld 中文 ✓"),
    ];
    for (what, raw, want) in cases {
        let got = sanitize(raw);
        assert_eq!(&got, want, "{what}");
        assert_clean(&got);
    }
    // The stripped CSI in UTF-8 C1 form did not leave a colour behind, but a real SGR after
    // garbage still works.
    let p = parse_line(b"\x1b]0;t\x07\x1b[31mred", &mut SgrState::default());
    assert_eq!(p.runs[0].style, Style::new().fg(Color::Red));
}

#[test]
fn random_bytes_never_produce_control_characters() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let alphabet: &[u8] = b"\x1b[];?0123456789mHJPX^_\\\x07\x9b\x9c\x9d\xc2\x90\x18\x1a\r\t ab\xff\xe2";
    for _ in 0..2000 {
        let len = rng.random_range(0..64);
        let raw: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        let got = parse_line(&raw, &mut SgrState::default());
        assert_clean(&got.text);
        for r in &got.runs {
            assert!(got.text.is_char_boundary(r.start as usize));
        }
    }
}

// ---- search, filter, navigation --------------------------------------------------------

fn numbered(n: usize, every: usize) -> LogPane {
    let mut p = LogPane::new(10_000);
    for i in 0..n {
        let text = if i % every == 0 {
            format!("line {i} ERROR boom")
        } else {
            format!("line {i} ok")
        };
        p.push(OUT, &tl(i as u32, &text));
    }
    p
}

#[test]
fn search_counts_and_jumps() {
    let mut p = numbered(100, 10);
    p.set_viewport(10, 80);
    p.set_search("error");
    assert_eq!(p.match_count(), 10);
    // While following, the newest match is current (it is on screen: no pause).
    assert_eq!(p.current_match(), Some((10, 10)));
    assert!(p.is_following());
    p.prev_match();
    assert_eq!(p.current_match(), Some((9, 10)));
    // line 80 is not on screen (90..99 are): the view jumped and paused.
    assert!(!p.is_following());
    assert!(p.visible_range().contains(&80), "{:?}", p.visible_range());
    p.next_match();
    p.next_match();
    // Wraps around to the first match.
    assert_eq!(p.current_match(), Some((1, 10)));
    assert!(p.visible_range().contains(&0));
    p.prev_match();
    assert_eq!(p.current_match(), Some((10, 10)));
    // Smart case: upper case in the query matches exactly.
    p.set_search("Error");
    assert_eq!(p.match_count(), 0);
    assert_eq!(p.current_match(), None);
    p.next_match(); // no match: nothing happens
    p.clear_search();
    assert_eq!(p.search_query(), None);
    assert_eq!(p.match_count(), 0);
}

#[test]
fn jumping_to_a_match_far_right_scrolls_sideways() {
    let mut p = LogPane::new(100);
    p.push(OUT, &tl(1, &format!("{}needle{}", "a".repeat(300), "b".repeat(50))));
    p.push(OUT, &tl(2, "needle at the start"));
    p.set_viewport(5, 41); // 40 columns of text
    p.set_search("needle");
    // Newest match first: at the start, no sideways scroll.
    assert_eq!(p.h_offset(), 0);
    p.prev_match();
    // 300 columns in: scrolled so the match sits a quarter into the pane.
    assert_eq!(p.h_offset(), 290);
    let t = render(&p, 41, 3);
    let row: String = (1..41).map(|x| buffer(&t)[(x, 0)].symbol().to_string()).collect();
    assert_eq!(row, format!("{}needle{}", "a".repeat(10), "b".repeat(24)));
    p.next_match();
    assert_eq!(p.h_offset(), 0);
    // Sideways scrolling stops when the widest line on screen ends at the right edge.
    p.scroll_right(1000);
    assert_eq!(p.h_offset(), 356 - 40);
    p.scroll_left(16);
    assert_eq!(p.h_offset(), 300);
    p.scroll_left(1000);
    assert_eq!(p.h_offset(), 0);
}

#[test]
fn new_lines_are_matched_and_evicted_matches_drop() {
    let mut p = LogPane::new(20);
    p.set_search("boom");
    for i in 0..30 {
        p.push(OUT, &tl(i, if i % 2 == 0 { "boom" } else { "calm" }));
    }
    // Only the 20 kept lines count: 10 of them match.
    assert_eq!(p.match_count(), 10);
    p.next_match();
    assert!(p.current_match().is_some());
}

#[test]
fn filter_shows_only_matching_lines() {
    let mut p = numbered(50, 5);
    p.set_viewport(20, 80);
    p.toggle_filter();
    // Filter on without a query hides nothing.
    assert!(p.filter() && !p.filter_active());
    assert_eq!(p.view_len(), 50);
    p.set_search("error");
    assert!(p.filter_active());
    assert_eq!(p.view_len(), 10);
    let shown: Vec<&str> = (0..p.view_len()).map(|i| p.view_line(i).unwrap().text()).collect();
    assert!(shown.iter().all(|t| t.contains("ERROR")), "{shown:?}");
    // New lines: only matching ones enter the filtered view.
    p.push(OUT, &tl(60, "calm"));
    p.push(OUT, &tl(61, "late error"));
    assert_eq!(p.view_len(), 11);
    assert_eq!(p.view_line(10).unwrap().text(), "late error");
    p.toggle_filter();
    assert_eq!(p.view_len(), 52);
}

#[test]
fn autoscroll_pauses_on_scroll_up_and_resumes_at_bottom() {
    let mut p = numbered(100, 1000);
    p.set_viewport(10, 80);
    assert!(p.is_following());
    assert_eq!(p.visible_range(), 90..100);
    p.scroll_up(3);
    assert!(!p.is_following());
    assert_eq!(p.visible_range(), 87..97);
    // New lines do not move a paused view, and are counted.
    for i in 100..105 {
        p.push(OUT, &tl(i, &format!("line {i} ok")));
    }
    assert_eq!(p.visible_range(), 87..97);
    assert_eq!(p.new_while_paused(), 5);
    p.scroll_down(2);
    assert!(!p.is_following());
    assert_eq!(p.visible_range(), 89..99);
    // Scrolling down to the bottom resumes following.
    p.scroll_down(100);
    assert!(p.is_following());
    assert_eq!(p.new_while_paused(), 0);
    assert_eq!(p.visible_range(), 95..105);
    // Pages, top and bottom.
    p.page_up();
    assert!(!p.is_following());
    assert_eq!(p.visible_range(), 86..96);
    p.page_down();
    assert_eq!(p.visible_range(), 95..105);
    assert!(p.is_following());
    p.scroll_to_top();
    assert_eq!(p.visible_range(), 0..10);
    p.scroll_up(5);
    assert_eq!(p.visible_range(), 0..10);
    p.scroll_to_bottom();
    assert!(p.is_following());
    assert_eq!(p.visible_range(), 95..105);
}

#[test]
fn paused_view_survives_eviction() {
    let mut p = LogPane::new(50);
    for i in 0..50 {
        p.push(OUT, &tl(i, &format!("l{i}")));
    }
    p.set_viewport(10, 80);
    p.scroll_to_top();
    assert_eq!(p.view_line(p.visible_range().start).unwrap().text(), "l0");
    for i in 50..60 {
        p.push(OUT, &tl(i, &format!("l{i}")));
    }
    // The top line was evicted: the view shows the oldest kept line instead of panicking.
    assert!(!p.is_following());
    assert_eq!(p.view_line(p.visible_range().start).unwrap().text(), "l10");
}

#[test]
fn short_log_does_not_pause() {
    let mut p = numbered(3, 1000);
    p.set_viewport(10, 80);
    p.scroll_up(1);
    p.page_up();
    assert!(p.is_following());
    p.scroll_to_top();
    assert!(p.is_following());
}

#[test]
fn wrap_changes_rows_and_scroll_accounts_for_it() {
    let mut p = LogPane::new(100);
    for i in 0..10 {
        p.push(OUT, &tl(i, &format!("{i}{}", "x".repeat(29))));
    }
    // 30 columns of text on a 11 wide pane: text width 10 (1 gutter) -> 3 rows per line.
    p.set_viewport(6, 11);
    assert_eq!(p.visible_range(), 4..10);
    p.toggle_wrap();
    assert_eq!(p.visible_range(), 8..10);
    p.scroll_up(1);
    assert_eq!(p.visible_range(), 7..9);
    p.scroll_down(1);
    assert!(p.is_following());
}

#[test]
fn save_writes_sanitised_view() {
    let mut p = LogPane::new(100);
    p.push(
        OUT,
        b"2026-11-21T06:00:00.000000001Z \x1b[31mred\x1b[0m \x1b]0;title\x07text\n",
    );
    p.push(ERR, b"2026-11-21T06:00:01Z err line\n");
    p.push(OUT, b"2026-11-21T06:00:02Z other\n");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("out.log");
    assert_eq!(p.save(&f).unwrap(), 3);
    assert_eq!(std::fs::read_to_string(&f).unwrap(), "red text\nerr line\nother\n");
    p.set_search("e");
    p.toggle_filter();
    p.toggle_timestamps();
    assert_eq!(p.save(&f).unwrap(), 3);
    p.set_search("line");
    assert_eq!(p.save(&f).unwrap(), 1);
    assert_eq!(
        std::fs::read_to_string(&f).unwrap(),
        "2026-11-21T06:00:01.000000000Z err line\n"
    );
    let e = p.save(&dir.path().join("no/such/dir/x.log")).unwrap_err();
    assert!(e.to_string().contains("cannot save the log"), "{e}");
}

#[test]
fn clear_empties_everything() {
    let mut p = numbered(30, 3);
    p.set_search("error");
    p.push(OUT, b"partial");
    p.scroll_up(5);
    p.clear();
    assert!(p.is_empty());
    assert_eq!(p.match_count(), 0);
    assert!(p.is_following());
    assert_eq!(p.flush(), 0);
    // The query stays and applies to new lines; seqs keep increasing.
    p.push(OUT, &tl(1, "an error"));
    assert_eq!(p.match_count(), 1);
    assert_eq!(p.line(0).unwrap().seq(), 30);
}

#[test]
fn pane_is_clone_send_sync() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<LogPane>();
    let mut p = numbered(30, 3);
    p.set_viewport(5, 40);
    p.set_search("error");
    p.scroll_up(4);
    let q = p.clone();
    assert_eq!(q.visible_range(), p.visible_range());
    assert_eq!(q.current_match(), p.current_match());
    assert_eq!(texts(&q), texts(&p));
}

#[test]
fn generation_changes_on_visible_change() {
    let mut p = LogPane::new(10);
    let g0 = p.generation();
    p.push(OUT, b"partial");
    assert_eq!(p.generation(), g0);
    p.push(OUT, b" done\n");
    let g1 = p.generation();
    assert!(g1 > g0);
    p.toggle_wrap();
    assert!(p.generation() > g1);
}

// ---- drawing ----------------------------------------------------------------------------

fn render(p: &LogPane, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, f.area(), p, &LogTheme::default())).unwrap();
    t
}

fn buffer(t: &Terminal<TestBackend>) -> &Buffer {
    t.backend().buffer()
}

/// The buffer as text, plus one line per row listing its non-default style runs:
/// `  y: x..x fg=.. bg=.. mods` so snapshots also pin colours.
fn styled_dump(buf: &Buffer) -> String {
    let mut out = String::new();
    let a = buf.area;
    for y in a.y..a.bottom() {
        let mut row = String::new();
        let mut runs = Vec::new();
        let mut x = a.x;
        while x < a.right() {
            let c = &buf[(x, y)];
            row.push_str(c.symbol());
            let style = c.style();
            let start = x;
            while x + 1 < a.right() && buf[(x + 1, y)].style() == style {
                x += 1;
                row.push_str(buf[(x, y)].symbol());
            }
            if style.fg != Some(Color::Reset) || style.bg != Some(Color::Reset) || !style.add_modifier.is_empty() {
                runs.push(format!(
                    "{start}..{x} {:?}/{:?}/{:?}",
                    style.fg, style.bg, style.add_modifier
                ));
            }
            x += 1;
        }
        out.push_str(&format!("|{row}|\n"));
        for r in runs {
            out.push_str(&format!("      {r}\n"));
        }
    }
    out
}

fn demo_pane() -> LogPane {
    let mut p = LogPane::new(1000);
    p.push(OUT, b"2026-11-21T06:00:00.000000001Z starting server on :8080\n");
    p.push(
        OUT,
        b"2026-11-21T06:00:01.250000000Z \x1b[32mINFO\x1b[0m ready in 12ms\n",
    );
    p.push(ERR, b"2026-11-21T06:00:02.5Z \x1b[1;33mWARN\x1b[0m disk almost full\n");
    p.push(OUT, b"2026-11-21T06:00:03Z \x1b]0;pwned\x07request GET /health 200\n");
    p.push(ERR, b"2026-11-21T06:00:04Z error: connection reset by peer\n");
    p.push(OUT, b"2026-11-21T06:00:05Z \tindented\twith tabs\n");
    p
}

#[test]
fn snapshot_following_with_stderr_and_colours() {
    let p = demo_pane();
    let t = render(&p, 48, 8);
    insta::assert_snapshot!(styled_dump(buffer(&t)));
}

#[test]
fn snapshot_timestamps_shown() {
    let mut p = demo_pane();
    p.toggle_timestamps();
    let t = render(&p, 60, 5);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn snapshot_scrolled_with_search_highlight() {
    let mut p = numbered(60, 3);
    let t = render(&p, 40, 8); // learn the viewport
    drop(t);
    p.set_search("error");
    // The newest matches are on screen; going back past them makes the view jump and pause.
    for _ in 0..4 {
        p.prev_match();
    }
    p.push(OUT, &tl(61, "line 61 error again")); // paused: counted, not shown
    let t = render(&p, 40, 8);
    assert!(!p.is_following());
    insta::assert_snapshot!(styled_dump(buffer(&t)));
}

#[test]
fn snapshot_filter_mode() {
    let mut p = numbered(60, 7);
    p.set_search("error");
    p.toggle_filter();
    let t = render(&p, 40, 6);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn snapshot_wrapped() {
    let mut p = LogPane::new(100);
    p.push(OUT, &tl(1, "short"));
    p.push(
        ERR,
        &tl(2, "a long stderr line that needs to wrap over several rows of the pane"),
    );
    p.push(OUT, &tl(3, "中文字符也要正确换行不能切开"));
    p.toggle_wrap();
    let t = render(&p, 24, 9);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn snapshot_truncated_line_and_horizontal_scroll() {
    let mut p = LogPane::new(100);
    let mut big = b"2026-11-21T06:00:00Z ".to_vec();
    big.extend((0..40_000u32).map(|i| b'a' + (i % 26) as u8));
    big.push(b'\n');
    p.push(OUT, &big);
    p.push(OUT, &tl(1, "0123456789abcdefghij"));
    p.scroll_right(5);
    let t = render(&p, 30, 4);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn empty_and_tiny_areas_do_not_panic() {
    let mut p = demo_pane();
    for (w, h) in [(1, 1), (2, 1), (1, 5), (3, 2), (0, 0), (26, 2)] {
        let mut t = Terminal::new(TestBackend::new(w.max(1), h.max(1))).unwrap();
        t.draw(|f| {
            let a = ratatui::layout::Rect::new(0, 0, w, h);
            draw(f, a, &p, &LogTheme::default())
        })
        .unwrap();
        p.toggle_wrap();
        p.toggle_timestamps();
        t.draw(|f| draw(f, f.area(), &p, &LogTheme::default())).unwrap();
        p.page_up();
        p.page_down();
        p.scroll_up(3);
    }
    let mut empty = LogPane::new(10);
    empty.set_notice(Some("log ended: \x1b]0;x\x07exited"));
    assert_eq!(empty.notice(), Some("log ended: exited"));
    let t = render(&empty, 40, 3);
    insta::assert_snapshot!(t.backend());
}

#[test]
fn draw_styles_stderr_and_sgr() {
    let p = demo_pane();
    let t = render(&p, 48, 8);
    let b = buffer(&t);
    let theme = LogTheme::default();
    // Row of "INFO": green from SGR 32.
    let y = (0..8)
        .find(|&y| (0..48).map(|x| b[(x, y)].symbol()).collect::<String>().contains("INFO"))
        .unwrap();
    assert_eq!(b[(1, y)].fg, Color::Green);
    // The stderr WARN row: marker in the gutter, bold yellow WARN, stderr colour after.
    let y = (0..8)
        .find(|&y| (0..48).map(|x| b[(x, y)].symbol()).collect::<String>().contains("WARN"))
        .unwrap();
    assert_eq!(b[(0, y)].symbol(), theme.stderr_symbol);
    assert_eq!(b[(1, y)].fg, Color::Yellow);
    assert!(b[(1, y)].modifier.contains(Modifier::BOLD));
    assert_eq!(b[(6, y)].fg, Color::LightRed);
    // No cell anywhere holds a control character (the OSC title is gone).
    for y in 0..8 {
        for x in 0..48 {
            assert_clean(b[(x, y)].symbol());
        }
    }
    let all: String = (0..8)
        .flat_map(|y| (0..48).map(move |x| (x, y)))
        .map(|p| b[p].symbol().to_string())
        .collect();
    assert!(!all.contains("pwned"));
}

/// What ratatui's crossterm backend writes to the "terminal".
#[derive(Clone, Default)]
struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a terminal could act on, recorded by vt100's callbacks.
#[derive(Default)]
struct TermEffects(Vec<String>);

impl vt100::Callbacks for TermEffects {
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.0.push("bell".into());
    }
    fn visual_bell(&mut self, _: &mut vt100::Screen) {
        self.0.push("visual bell".into());
    }
    fn resize(&mut self, _: &mut vt100::Screen, r: (u16, u16)) {
        self.0.push(format!("resize {r:?}"));
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, n: &[u8]) {
        self.0.push(format!("icon {}", String::from_utf8_lossy(n)));
    }
    fn set_window_title(&mut self, _: &mut vt100::Screen, t: &[u8]) {
        self.0.push(format!("title {}", String::from_utf8_lossy(t)));
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], d: &[u8]) {
        self.0.push(format!("clipboard {}", String::from_utf8_lossy(d)));
    }
    fn paste_from_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8]) {
        self.0.push("paste".into());
    }
    fn unhandled_control(&mut self, _: &mut vt100::Screen, b: u8) {
        self.0.push(format!("control {b:#x}"));
    }
    fn unhandled_osc(&mut self, _: &mut vt100::Screen, p: &[&[u8]]) {
        self.0.push(format!(
            "osc {:?}",
            p.iter().map(|x| String::from_utf8_lossy(x)).collect::<Vec<_>>()
        ));
    }
}

#[test]
fn hostile_log_never_reaches_the_real_terminal() {
    use ratatui::backend::CrosstermBackend;
    use ratatui::{TerminalOptions, Viewport};
    let hostile: &[&[u8]] = &[
        b"\x1b]0;PWNED title\x07\x1b]2;PWNED2\x1b\\visible-1",
        b"\x1b]52;c;UFdORUQ=\x07\x1b]8;;http://evil.example/\x1b\\visible-2\x1b]8;;\x1b\\",
        b"\x1b[2J\x1b[H\x1b[?1049h\x1b[?1000h\x1b[8;5;5t\x1bcvisible-3\x07\x07",
        b"\x1bP1$r0m\x1b\\\x1bPq#0;2;0;0;0#0~~\x1b\\visible-4\x1b_apc\x1b\\\x1b^pm\x1b\\",
        b"\x9b2J\x9d0;raw c1 title\x07visible-5\xc2\x9b2J\xc2\x9d0;utf8 c1\xc2\x9c",
        b"\x1b[31mred\x1b[0m \xff\xfe\x00\x08\x0b\x0c\x0e\x0f\x7f\rvisible-6\x1b",
    ];
    let mut p = LogPane::new(100);
    for (i, l) in hostile.iter().enumerate() {
        let mut raw = format!("2026-11-21T06:00:0{i}Z ").into_bytes();
        raw.extend_from_slice(l);
        raw.push(b'\n');
        p.push(if i % 2 == 0 { OUT } else { ERR }, &raw);
    }
    p.set_search("visible");
    p.toggle_timestamps();
    let area = ratatui::layout::Rect::new(0, 0, 70, 10);
    let sink = Sink::default();
    let backend = CrosstermBackend::new(sink.clone());
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(area),
        },
    )
    .unwrap();
    term.draw(|f| draw(f, area, &p, &LogTheme::default())).unwrap();
    drop(term);
    let bytes = sink.0.lock().unwrap().clone();

    // The byte stream is valid UTF-8 and holds only CSI sequences (cursor moves and SGR from
    // ratatui itself): no OSC, DCS, SOS/PM/APC, RIS, BEL, C1 or other control bytes.
    let out = std::str::from_utf8(&bytes).expect("terminal output is valid UTF-8");
    for (i, c) in out.char_indices() {
        assert!(!('\u{80}'..='\u{9f}').contains(&c), "C1 {c:?} at {i}");
        if c.is_control() {
            assert_eq!(c, '\x1b', "control {c:?} at {i}");
            assert_eq!(
                out.as_bytes().get(i + 1),
                Some(&b'['),
                "non-CSI escape at {i}: {:?}",
                &out[i..(i + 8).min(out.len())]
            );
        }
    }
    assert!(!out.contains("PWNED") && !out.contains("evil.example") && !out.contains("UFdORUQ"));

    // A terminal emulator fed that stream does nothing but draw.
    let mut vt = vt100::Parser::new_with_callbacks(10, 70, 0, TermEffects::default());
    vt.process(&bytes);
    assert!(vt.callbacks().0.is_empty(), "terminal effects: {:?}", vt.callbacks().0);
    let screen = vt.screen().contents();
    for k in 1..=6 {
        assert!(
            screen.contains(&format!("visible-{k}")),
            "visible-{k} missing:\n{screen}"
        );
    }
    assert!(!vt.screen().alternate_screen());
}

/// Random chunks, random operations, random pane sizes: nothing panics and the invariants hold.
#[test]
fn random_operations_keep_the_pane_consistent() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let pieces: &[&[u8]] = &[
        b"2026-11-21T06:00:00.5Z ",
        b"error ",
        b"ok ",
        b"\n",
        b"\x1b[31m",
        b"\x1b]0;t\x07",
        "中文".as_bytes(),
        b"\t",
        b"\r\n",
        b"\xff",
        b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ];
    for round in 0..25 {
        let mut p = LogPane::new(rng.random_range(1..60)).with_byte_budget(rng.random_range(2_000..20_000));
        let mut term = Terminal::new(TestBackend::new(50, 12)).unwrap();
        for _ in 0..300 {
            match rng.random_range(0..20) {
                0..=9 => {
                    let mut chunk = Vec::new();
                    for _ in 0..rng.random_range(1..6) {
                        chunk.extend_from_slice(pieces[rng.random_range(0..pieces.len())]);
                    }
                    p.push(if rng.random_bool(0.3) { ERR } else { OUT }, &chunk);
                }
                10 => p.scroll_up(rng.random_range(0..5)),
                11 => p.scroll_down(rng.random_range(0..5)),
                12 => {
                    if rng.random_bool(0.5) {
                        p.page_up()
                    } else {
                        p.page_down()
                    }
                }
                13 => p.set_search(["error", "x", "中", "", "ERROR"][rng.random_range(0..5)]),
                14 => {
                    if rng.random_bool(0.5) {
                        p.next_match()
                    } else {
                        p.prev_match()
                    }
                }
                15 => p.toggle_filter(),
                16 => p.toggle_wrap(),
                17 => p.toggle_timestamps(),
                18 => {
                    if rng.random_bool(0.5) {
                        p.scroll_right(7)
                    } else {
                        p.scroll_to_top()
                    }
                }
                _ => {
                    if rng.random_bool(0.1) {
                        p.clear();
                    } else {
                        p.flush();
                    }
                }
            }
            let (w, h) = (rng.random_range(1..50), rng.random_range(1..12));
            term.draw(|f| draw(f, ratatui::layout::Rect::new(0, 0, w, h), &p, &LogTheme::default()))
                .unwrap();
            // Invariants.
            assert!(p.len() <= p.capacity(), "round {round}");
            let r = p.visible_range();
            assert!(
                r.start <= r.end && r.end <= p.view_len(),
                "round {round}: {r:?} of {}",
                p.view_len()
            );
            if let Some((n, m)) = p.current_match() {
                assert!(n >= 1 && n <= m && m == p.match_count());
            }
            assert!(p.match_count() <= p.len());
            for l in p.lines() {
                assert_clean(l.text());
            }
        }
    }
}
