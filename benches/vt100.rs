//! Parsing 64 MB of mixed session output (SPEC 11, session pane budget).
//!
//! The input mixes what a shell session prints: plain lines (`cat` of a log), coloured `ls`
//! style output, full-screen redraws with cursor addressing (top, vi), REP/HPA runs as ncurses
//! emits them under xterm-256color, and UTF-8 including wide characters. It is parsed by
//! boxdeck's terminal (vt100 0.18 with query answers and a 10,000-line scrollback) and, for
//! comparison, by plain vt100 0.16 and 0.18 parsers. Run: `cargo bench --bench vt100`.

use std::hint::black_box;

use boxdeck::emulator::term::{SCROLLBACK_LINES, Terminal};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const TOTAL: usize = 64 << 20;
const CHUNK: usize = 32 * 1024;

fn mixed_output() -> Vec<u8> {
    let mut one = Vec::new();
    // A log being cat'ed.
    for i in 0..200 {
        one.extend_from_slice(
            format!(
                "2026-11-21T06:00:{:02}Z INFO worker[{i}] processed batch {i} in 12ms ok\r\n",
                i % 60
            )
            .as_bytes(),
        );
    }
    // Coloured listing.
    for i in 0..100 {
        one.extend_from_slice(
            format!("\x1b[0m\x1b[01;34mdir{i}\x1b[0m  \x1b[01;32mrun{i}.sh\x1b[0m  file{i}.txt  \x1b[38;5;208mwarn\x1b[0m\r\n").as_bytes(),
        );
    }
    // A full-screen redraw, as top does it.
    one.extend_from_slice(b"\x1b[?1049h\x1b[H\x1b[2J");
    for row in 1..=24 {
        one.extend_from_slice(
            format!("\x1b[{row};1H\x1b[7m{:>5} root      20   0  {:>6}  {:>5} S   0.{row}  0.1   0:00.0{row} proc{row}\x1b[m\x1b[K", row * 7, row * 1000, row * 13)
                .as_bytes(),
        );
    }
    // ncurses under xterm-256color: REP and HPA runs.
    for row in 1..=24 {
        one.extend_from_slice(format!("\x1b[{row};1H-\x1b[78b\x1b[40`|").as_bytes());
    }
    one.extend_from_slice(b"\x1b[?1049l");
    // UTF-8 and wide characters.
    for _ in 0..50 {
        one.extend_from_slice("héllo wörld — 日本語のテキスト 😀 ok\r\n".as_bytes());
    }
    let mut out = Vec::with_capacity(TOTAL);
    while out.len() < TOTAL {
        let take = (TOTAL - out.len()).min(one.len());
        out.extend_from_slice(&one[..take]);
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = mixed_output();
    let mut g = c.benchmark_group("session_output_64MB");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.sample_size(10);
    g.bench_function("boxdeck_terminal_vt100_0.18", |b| {
        b.iter(|| {
            let mut t = Terminal::new(120, 40);
            for chunk in data.chunks(CHUNK) {
                black_box(t.process(chunk));
            }
            black_box(t.screen().cursor_position())
        })
    });
    g.bench_function("vt100_0.18", |b| {
        b.iter(|| {
            let n = |v| std::num::NonZeroU16::new(v).expect("non-zero");
            let mut p = vt100_18::Parser::new(n(40), n(120), SCROLLBACK_LINES);
            for chunk in data.chunks(CHUNK) {
                p.process(chunk);
            }
            black_box(p.screen().cursor_position())
        })
    });
    g.bench_function("vt100_0.16", |b| {
        b.iter(|| {
            let mut p = vt100::Parser::new(40, 120, SCROLLBACK_LINES);
            for chunk in data.chunks(CHUNK) {
                p.process(chunk);
            }
            black_box(p.screen().cursor_position())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
