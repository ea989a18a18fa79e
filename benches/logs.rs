//! Log pane budgets (SPEC 11): ingest of the tail the engine sends, search, sanitising, and
//! drawing a full ring. Run: `cargo bench --bench logs`.

use std::hint::black_box;

use boxdeck::engine::StreamKind;
use boxdeck::logview::ansi::{SgrState, parse_line};
use boxdeck::logview::{LogPane, LogTheme, LogView};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// `n` log lines as the engine sends them (timestamp + text), some coloured, some with an
/// ERROR marker, cut into 32 KiB chunks like a socket read would.
fn engine_chunks(n: usize) -> Vec<Vec<u8>> {
    let mut all = Vec::with_capacity(n * 100);
    for i in 0..n {
        let ts = format!("2026-11-21T06:{:02}:{:02}.{:09}Z ", (i / 60) % 60, i % 60, i);
        all.extend_from_slice(ts.as_bytes());
        match i % 10 {
            0 => all.extend_from_slice(format!("\x1b[31mERROR\x1b[0m request {i} failed: timeout").as_bytes()),
            1 => all.extend_from_slice(format!("\x1b[1;32mINFO\x1b[0m served /api/items/{i} in 3ms").as_bytes()),
            _ => all.extend_from_slice(format!("INFO worker {i} processed batch of 128 items\tok").as_bytes()),
        }
        all.push(b'\n');
    }
    all.chunks(32 * 1024).map(|c| c.to_vec()).collect()
}

fn ingest(c: &mut Criterion) {
    let chunks = engine_chunks(100_000);
    let bytes: usize = chunks.iter().map(Vec::len).sum();
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(100_000));
    g.bench_function("ring insert 100k lines (ring 10k)", |b| {
        b.iter_batched(
            || LogPane::new(10_000),
            |mut p| {
                for ch in &chunks {
                    p.push(StreamKind::Stdout, ch);
                }
                black_box(p.len())
            },
            BatchSize::LargeInput,
        )
    });
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("ring insert 100k lines with a search set", |b| {
        b.iter_batched(
            || {
                let mut p = LogPane::new(10_000);
                p.set_search("error");
                p
            },
            |mut p| {
                for ch in &chunks {
                    p.push(StreamKind::Stdout, ch);
                }
                black_box(p.match_count())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn full_pane() -> LogPane {
    let mut p = LogPane::new(10_000);
    for ch in engine_chunks(10_000) {
        p.push(StreamKind::Stdout, &ch);
    }
    p
}

fn search(c: &mut Criterion) {
    let mut p = full_pane();
    c.bench_function("search 10k lines (smart-case)", |b| {
        b.iter(|| {
            p.set_search(black_box("timeout"));
            black_box(p.match_count())
        })
    });
    c.bench_function("search 10k lines (case-sensitive, rare)", |b| {
        b.iter(|| {
            p.set_search(black_box("items/9999 "));
            black_box(p.match_count())
        })
    });
}

fn sanitise(c: &mut Criterion) {
    let plain = b"INFO worker 42 processed batch of 128 items in 3ms, queue depth 17, all good".to_vec();
    let coloured =
        b"\x1b[1;32mINFO\x1b[0m \x1b[38;5;208mworker\x1b[0m 42 \x1b[38;2;10;20;30mprocessed\x1b[m batch \x1b[4mok\x1b[24m"
            .to_vec();
    let hostile =
        b"\x1b]0;title\x07\x1b[2J\x1b[H\x1bP1$r\x1b\\\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ \x07\x9b\r\xff tail"
            .to_vec();
    let mut g = c.benchmark_group("sanitise line");
    for (name, line) in [("plain", &plain), ("sgr", &coloured), ("hostile", &hostile)] {
        g.throughput(Throughput::Bytes(line.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(parse_line(black_box(line), &mut SgrState::default())))
        });
    }
    g.finish();
}

/// Opening a log tab: the engine sends the tail (config `[logs] tail`, default 1000 lines);
/// ingest it into a fresh pane and draw the first frame.
fn open_tail(c: &mut Criterion) {
    let chunks = engine_chunks(1000);
    let theme = LogTheme::default();
    let area = Rect::new(0, 0, 200, 50);
    c.bench_function("open: ingest 1000-line tail + first draw", |b| {
        b.iter(|| {
            let mut p = LogPane::new(10_000);
            for ch in &chunks {
                p.push(StreamKind::Stdout, ch);
            }
            let mut buf = Buffer::empty(area);
            LogView::new(&p, &theme).render(area, &mut buf);
            black_box(buf)
        })
    });
}

fn render(c: &mut Criterion) {
    let mut p = full_pane();
    p.set_search("error");
    let theme = LogTheme::default();
    let area = Rect::new(0, 0, 200, 50);
    let mut buf = Buffer::empty(area);
    c.bench_function("draw 200x50 pane over a 10k ring", |b| {
        b.iter(|| {
            LogView::new(&p, &theme).render(area, &mut buf);
            black_box(&buf);
        })
    });
    p.toggle_wrap();
    p.toggle_timestamps();
    c.bench_function("draw 200x50 pane over a 10k ring (wrap + timestamps)", |b| {
        b.iter(|| {
            LogView::new(&p, &theme).render(area, &mut buf);
            black_box(&buf);
        })
    });
}

criterion_group!(benches, ingest, search, sanitise, open_tail, render);
criterion_main!(benches);
