//! Running a command in a sandbox to completion (SPEC 8 `run`), with an optional timeout that
//! kills the whole process group inside the sandbox.
//!
//! With a timeout the command is started through `sh -c` that first reports its pid on
//! stderr (a marker line boxdeck strips), then `exec`s the command. An exec'd process leads
//! its own process group on Docker and Podman, so on timeout a second exec sends TERM, then
//! KILL, to that group: children die too.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::engine::{Engine, ExecSpec, StreamKind};
use crate::{Error, Result};

/// Exit code reported for a command killed by `--timeout` (as coreutils `timeout` does).
pub const TIMEOUT_EXIT: i64 = 124;
const PID_MARKER: &[u8] = b"\x1eBOXDECK-PID ";

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub timeout: Option<Duration>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RunResult {
    pub exit_code: i64,
    pub timed_out: bool,
    pub duration: Duration,
}

/// Run `cmd` in container `id`; each output chunk goes to `on_output` as it arrives.
pub async fn run(
    engine: &Engine,
    id: &str,
    cmd: &[String],
    opts: &RunOptions,
    on_output: &mut (dyn FnMut(StreamKind, &[u8]) + Send),
) -> Result<RunResult> {
    if cmd.is_empty() {
        return Err(Error::usage("no command given").hint("put the command after --, e.g. boxdeck run NAME -- ls -l"));
    }
    let started = Instant::now();
    let mut full = Vec::new();
    if opts.timeout.is_some() {
        full.extend(
            [
                "/bin/sh",
                "-c",
                "printf '\\036BOXDECK-PID %s\\n' \"$$\" >&2; exec \"$@\"",
                "boxdeck-run",
            ]
            .map(String::from),
        );
    }
    full.extend(cmd.iter().cloned());
    let spec = ExecSpec::command(full, &opts.env, opts.user.as_deref(), opts.workdir.as_deref());
    let mut h = engine.exec_start(id, &spec).await?;
    drop(h.input);

    let mut pid: Option<i64> = None;
    let mut marker_buf: Option<Vec<u8>> = opts.timeout.map(|_| Vec::new());
    let deadline = opts.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut timed_out = false;
    loop {
        let next = match deadline {
            Some(d) if !timed_out => match tokio::time::timeout_at(d, h.output.next()).await {
                Ok(n) => n,
                Err(_) => {
                    timed_out = true;
                    kill_group(engine, id, pid).await;
                    continue;
                }
            },
            _ => h.output.next().await,
        };
        let Some(chunk) = next else { break };
        let chunk = chunk?;
        // Strip the pid marker line from the start of stderr.
        if chunk.stream == StreamKind::Stderr
            && let Some(buf) = marker_buf.as_mut()
        {
            buf.extend_from_slice(&chunk.data);
            if let Some(nl) = buf.iter().position(|b| *b == b'\n') {
                let line = buf[..nl].to_vec();
                let rest = buf[nl + 1..].to_vec();
                marker_buf = None;
                if let Some(p) = line.strip_prefix(PID_MARKER) {
                    pid = std::str::from_utf8(p).ok().and_then(|s| s.trim().parse().ok());
                } else {
                    on_output(StreamKind::Stderr, &line);
                    on_output(StreamKind::Stderr, b"\n");
                }
                if !rest.is_empty() {
                    on_output(StreamKind::Stderr, &rest);
                }
            } else if !buf.starts_with(&PID_MARKER[..buf.len().min(PID_MARKER.len())]) {
                on_output(StreamKind::Stderr, buf);
                marker_buf = None;
            }
            continue;
        }
        on_output(chunk.stream, &chunk.data);
    }
    let code = engine.exec_wait(&h.id).await?;
    Ok(RunResult {
        exit_code: if timed_out { TIMEOUT_EXIT } else { code },
        timed_out,
        duration: started.elapsed(),
    })
}

/// TERM then KILL the process group `pid` inside the sandbox.
async fn kill_group(engine: &Engine, id: &str, pid: Option<i64>) {
    let Some(p) = pid else { return };
    let script = format!(
        "kill -TERM -{p} 2>/dev/null || kill -TERM {p} 2>/dev/null; \
         i=0; while [ $i -lt 20 ] && kill -0 -{p} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; \
         kill -KILL -{p} 2>/dev/null; kill -KILL {p} 2>/dev/null; true"
    );
    let spec = ExecSpec::cmd(["/bin/sh".to_string(), "-c".to_string(), script]);
    let _ = engine.exec_collect(id, &spec).await;
}
