//! Session benchmarks against a real engine (used by `scripts/bench.sh session`).
//!
//! ```text
//! cargo run --release --example session_bench -- HOST_URL IMAGE
//! ```
//! Prints `throughput_ms=N echo_session_us=N echo_engine_us=N`:
//! - throughput: 64 MiB of output through a session pane's emulator (engine exec with a TTY,
//!   reader, vt100 parser) until the marker after it shows on the emulated screen;
//! - echo: a keystroke typed into the session until it shows on the emulated screen (median),
//!   beside the engine's own round trip (a byte written to a TTY exec of `cat` until it comes
//!   back, no emulation).
//!
//! It creates one container labelled `boxdeck.bench=session-<pid>` and removes it at the end.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxdeck::emulator::Session;
use boxdeck::engine::{CreateSpec, Engine, EngineTarget, ExecSpec, HostSource};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

const TOTAL: u64 = 64 * 1024 * 1024;

async fn wait_screen(s: &Session, waker: &Notify, needle: &str, limit: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    loop {
        if s.rows_text().iter().any(|r| r.contains(needle)) {
            return Some(t0.elapsed());
        }
        if t0.elapsed() > limit {
            return None;
        }
        let _ = tokio::time::timeout(Duration::from_millis(20), waker.notified()).await;
    }
}

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let host = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "unix:///var/run/docker.sock".into());
    let image = args.get(2).cloned().unwrap_or_else(|| "boxdeck-test:latest".into());
    let engine = Engine::connect(&EngineTarget::new(host, HostSource::Flag)).await?;
    let mut labels = BTreeMap::new();
    labels.insert("boxdeck.bench".to_string(), format!("session-{}", std::process::id()));
    let name = format!("bench-session-{}", std::process::id());
    let id = engine
        .create(&CreateSpec {
            name,
            image,
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels,
            init: true,
            ..Default::default()
        })
        .await?;
    engine.start(&id).await?;
    let result = run(&engine, &id).await;
    let _ = engine.remove(&id, true, true).await;
    let (throughput, echo_session, echo_engine) = result?;
    println!("throughput_ms={throughput} echo_session_us={echo_session} echo_engine_us={echo_engine}");
    Ok(())
}

async fn run(engine: &Engine, id: &str) -> Result<(u128, u128, u128), Box<dyn std::error::Error>> {
    // The engine's own round trip: one byte through a TTY exec of `cat`, no emulation.
    let spec = ExecSpec {
        cmd: vec!["cat".into()],
        tty: true,
        stdin: true,
        ..Default::default()
    };
    let mut h = engine.exec_start(id, &spec).await?;
    let mut engine_rtt = Vec::new();
    for i in 0..40u8 {
        let c = b'a' + (i % 26);
        let t0 = Instant::now();
        h.input.write_all(&[c]).await?;
        h.input.flush().await?;
        while let Some(chunk) = h.output.next().await {
            if chunk?.data.contains(&c) {
                break;
            }
        }
        engine_rtt.push(t0.elapsed().as_micros());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = h.input.write_all(&[4]).await;
    drop(h);

    let waker = Arc::new(Notify::new());
    let s = Session::open(engine, id, vec!["/bin/sh".into()], 120, 40, waker.clone()).await?;
    wait_screen(&s, &waker, "#", Duration::from_secs(10))
        .await
        .ok_or("no prompt")?;

    // Keystroke to echo on the emulated screen.
    let mut session_rtt = Vec::new();
    for i in 0..40u32 {
        let c = char::from(b'A' + (i % 26) as u8);
        let before = s.rows_text().join("\n").matches(c).count();
        let t0 = Instant::now();
        s.send_bytes(vec![c as u8]);
        loop {
            if s.rows_text().join("\n").matches(c).count() > before {
                break;
            }
            if t0.elapsed() > Duration::from_secs(5) {
                return Err(format!("keystroke {c} never echoed").into());
            }
            let _ = tokio::time::timeout(Duration::from_millis(5), waker.notified()).await;
        }
        session_rtt.push(t0.elapsed().as_micros());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.send_bytes(vec![3]); // Ctrl-C: drop the typed line
    tokio::time::sleep(Duration::from_millis(200)).await;

    // 64 MiB through the session.
    let cmd = format!(
        "yes abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ | head -c {TOTAL}; echo DONE$((40+2))MARK\r"
    );
    let t0 = Instant::now();
    s.send_bytes(cmd.into_bytes());
    wait_screen(&s, &waker, "DONE42MARK", Duration::from_secs(300))
        .await
        .ok_or("the 64 MiB output never finished")?;
    let throughput = t0.elapsed().as_millis();
    s.close();
    Ok((throughput, median(session_rtt), median(engine_rtt)))
}
