//! One dashboard frame with 1,000 rows (SPEC 11: under 1 ms). Only the rows on screen are
//! built, so the cost is independent of the row count.

use std::hint::black_box;

use boxdeck::app::handlers::on_msg;
use boxdeck::app::keymap::KeyMap;
use boxdeck::app::msg::{Msg, RowKey};
use boxdeck::engine::{ContainerState, LogChunk, StatsSample, StreamKind};
use boxdeck::sandbox::Sandbox;
use boxdeck::state::State;
use boxdeck::views::theme::Theme;
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn state(rows: usize, w: u16, h: u16) -> State {
    let mut s = State::new(KeyMap::default(), Theme::default(), 10_000);
    s.now = 1_800_000_000;
    s.area = ratatui::layout::Rect::new(0, 0, w, h);
    on_msg(
        &mut s,
        Msg::EngineUp {
            engine: "docker".into(),
            detail: "docker 20.10".into(),
        },
    );
    let sbs: Vec<Sandbox> = (0..rows)
        .map(|i| Sandbox {
            name: format!("sandbox-{i:04}"),
            id: format!("{i:064x}"),
            engine: "docker".into(),
            state: if i % 3 == 0 {
                ContainerState::Exited
            } else {
                ContainerState::Running
            },
            health: None,
            status: "Up 2 hours".into(),
            image: "boxdeck-test:latest".into(),
            profile: Some("default".into()),
            project: (i % 2 == 0).then(|| "webapp".to_string()),
            persist: false,
            created_at: "2027-01-15T08:00:00Z".into(),
            managed: true,
            container_name: format!("sandbox-{i:04}"),
        })
        .collect();
    on_msg(
        &mut s,
        Msg::Snapshot {
            engine: "docker".into(),
            rows: sbs.clone(),
        },
    );
    for sb in &sbs {
        on_msg(
            &mut s,
            Msg::Stats {
                key: RowKey::of(sb),
                sample: StatsSample {
                    cpu_percent: 1.5,
                    mem_bytes: 64 << 20,
                    mem_limit: 1 << 30,
                    pids: 3,
                },
            },
        );
    }
    s.sync();
    let key = s.selected_key().cloned().unwrap();
    for i in 0..2000 {
        on_msg(
            &mut s,
            Msg::Log {
                key: key.clone(),
                chunk: LogChunk {
                    stream: StreamKind::Stdout,
                    data: format!("2027-01-15T08:00:00.000000000Z line {i} of the log, some text to fill it\n").into(),
                },
            },
        );
    }
    s
}

fn frame(c: &mut Criterion) {
    let (w, h) = (200, 60);
    let mut s = state(1000, w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    c.bench_function("frame_1000_rows_200x60", |b| {
        b.iter(|| {
            // Force a full redraw each time (a new frame diffs against a cleared buffer).
            term.clear().unwrap();
            boxdeck::app::draw(&mut term, black_box(&mut s)).unwrap();
        })
    });
    let mut term2 = Terminal::new(TestBackend::new(w, h)).unwrap();
    c.bench_function("frame_1000_rows_200x60_changed_row", |b| {
        let mut n = 0u64;
        b.iter(|| {
            // A typical redraw: one stats sample changed, the rest of the screen is the same.
            n += 1;
            let key = s.view[3].clone();
            on_msg(
                &mut s,
                Msg::Stats {
                    key,
                    sample: StatsSample {
                        cpu_percent: (n % 100) as f64,
                        mem_bytes: 64 << 20,
                        mem_limit: 1 << 30,
                        pids: 3,
                    },
                },
            );
            boxdeck::app::draw(&mut term2, black_box(&mut s)).unwrap();
        })
    });
    let mut small = state(10, w, h);
    let mut term3 = Terminal::new(TestBackend::new(w, h)).unwrap();
    c.bench_function("frame_10_rows_200x60", |b| {
        b.iter(|| {
            term3.clear().unwrap();
            boxdeck::app::draw(&mut term3, black_box(&mut small)).unwrap();
        })
    });
    c.bench_function("refresh_view_1000_rows", |b| {
        b.iter(|| black_box(&mut s).refresh_view())
    });
}

criterion_group!(benches, frame);
criterion_main!(benches);
