//! Session budgets of SPEC 11, measured against the real Docker engine. These are benchmarks:
//! slow and sensitive to machine load, so they are ignored by default. Run them with
//! `cargo test --release --test session_budget -- --ignored --nocapture --test-threads 1`.
//!
//! - Throughput: 64 MB of output through a session must finish within 1.3x the time the same
//!   exec takes in tmux (`docker exec -it` inside a detached tmux session of the same size).
//! - Latency: keystroke to echo must add under 5 ms (median) to the engine's own round trip
//!   (the same byte written to a bare TTY exec and read back raw).

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxdeck::emulator::Session;
use boxdeck::engine::ExecSpec;
use common::RunId;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

const FLOOD: &str = "yes 'boxdeck session throughput 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c 67108864; \
                     echo; echo DONE-$((40+2)); sleep 600";

#[test]
#[ignore = "benchmark: run with --ignored"]
fn throughput_64mb_within_1_3x_of_tmux() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("tput"), &[]);

    // tmux: poll the pane until the marker shows.
    let sock = format!("boxdeck-tput-{}", std::process::id());
    let t0 = Instant::now();
    let st = Command::new("tmux")
        .args([
            "-L",
            &sock,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
        ])
        .arg(format!(
            "docker exec -it -e TERM=xterm-256color {name} sh -c \"{FLOOD}\""
        ))
        .status()
        .unwrap();
    assert!(st.success());
    let tmux_time = loop {
        let out = Command::new("tmux")
            .args(["-L", &sock, "capture-pane", "-p"])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&out.stdout).contains("DONE-42") {
            break t0.elapsed();
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "tmux run did not finish");
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = Command::new("tmux").args(["-L", &sock, "kill-server"]).status();

    let session_time = common::rt().block_on(async {
        let engine = te.connect().await;
        let waker = Arc::new(Notify::new());
        let t0 = Instant::now();
        let cmd = vec!["sh".to_string(), "-c".into(), FLOOD.into()];
        let s = Session::open(&engine, &name, cmd, 120, 40, waker.clone())
            .await
            .unwrap();
        loop {
            if s.rows_text().iter().any(|r| r.contains("DONE-42")) {
                break t0.elapsed();
            }
            assert!(t0.elapsed() < Duration::from_secs(300), "session run did not finish");
            let _ = tokio::time::timeout(Duration::from_millis(50), waker.notified()).await;
        }
    });
    let ratio = session_time.as_secs_f64() / tmux_time.as_secs_f64();
    eprintln!("64 MB: tmux {tmux_time:.2?}, boxdeck session {session_time:.2?}, ratio {ratio:.2}");
    assert!(ratio <= 1.3, "session took {ratio:.2}x tmux's time");
}

#[test]
#[ignore = "benchmark: run with --ignored"]
fn keystroke_to_echo_adds_under_5ms() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("lat"), &[]);
    common::rt().block_on(async {
        let engine = te.connect().await;
        // `cat` echoes through the TTY line discipline: one byte in, one byte out.
        let shell = vec!["sh".to_string(), "-c".into(), "stty raw -echo; cat".into()];
        const N: usize = 60;
        let keys: Vec<char> = (0..N).map(|i| (b'a' + (i % 26) as u8) as char).collect();

        // The engine's own round trip: a bare TTY exec, bytes read raw.
        let spec = ExecSpec {
            cmd: shell.clone(),
            tty: true,
            stdin: true,
            ..Default::default()
        };
        let mut h = engine.exec_start(&name, &spec).await.unwrap();
        engine.exec_resize(&h.id, 80, 24).await.unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut raw = Vec::new();
        for &c in &keys {
            let t = Instant::now();
            h.input.write_all(&[c as u8]).await.unwrap();
            h.input.flush().await.unwrap();
            loop {
                let chunk = h.output.next().await.unwrap().unwrap();
                if chunk.data.contains(&(c as u8)) {
                    break;
                }
            }
            raw.push(t.elapsed());
        }
        let _ = h.input.write_all(&[0x03]).await;

        // Through a session: key encoding, writer task, reader task, parser thread, screen.
        let waker = Arc::new(Notify::new());
        let s = Session::open(&engine, &name, shell, 80, 24, waker.clone())
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mut ours = Vec::new();
        for (i, &c) in keys.iter().enumerate() {
            let t = Instant::now();
            s.send_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            loop {
                let shown = s
                    .terminal()
                    .screen()
                    .contents()
                    .chars()
                    .filter(|x| !x.is_whitespace())
                    .count();
                if shown > i {
                    break;
                }
                let _ = tokio::time::timeout(Duration::from_millis(20), waker.notified()).await;
            }
            ours.push(t.elapsed());
        }
        s.close();
        let median = |v: &mut Vec<Duration>| {
            v.sort();
            v[v.len() / 2]
        };
        let (r, o) = (median(&mut raw), median(&mut ours));
        let added = o.saturating_sub(r);
        eprintln!("keystroke to echo, median of {N}: engine {r:.2?}, session {o:.2?}, added {added:.2?}");
        assert!(
            added < Duration::from_millis(5),
            "a session adds {added:?} to the engine's round trip"
        );
    });
}
