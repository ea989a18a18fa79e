//! Fan-out (SPEC 6.3): one command in many sandboxes at once, like `asyncio.gather`: two
//! commands of 2 s in two sandboxes take about 2 s, not 4.
//!
//! [`fanout`] spawns one task per sandbox (at most `concurrency` running at a time) and returns
//! a stream of [`FanoutEvent`]s: output as it arrives and a result as each sandbox finishes, in
//! completion order. [`FanoutTable`] folds those events into the rows of a results table
//! (sandbox, exit code, duration, output) for the dashboard; the CLI prefixes output lines.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use futures::channel::mpsc;

use super::fleet::Target;
use super::run::{self as runner, RunOptions, RunResult};
use crate::Result;
use crate::engine::{Engine, StreamKind};

/// How many sandboxes a fan-out runs in at once by default.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Something that happened in one sandbox of a fan-out; `index` is the target's position.
#[derive(Debug, Clone)]
pub enum FanoutEvent {
    Output {
        index: usize,
        stream: StreamKind,
        data: Vec<u8>,
    },
    Done {
        index: usize,
        result: Result<RunResult>,
    },
}

/// Run `cmd` in every target concurrently. The stream ends after the last `Done`.
/// Must be called inside a tokio runtime.
pub fn fanout(
    targets: Vec<Target>,
    cmd: Vec<String>,
    opts: RunOptions,
    concurrency: usize,
) -> impl Stream<Item = FanoutEvent> + Send + Unpin {
    fanout_in(
        targets.into_iter().map(|t| (t.engine, t.sandbox.id)).collect(),
        cmd,
        opts,
        concurrency,
    )
}

/// [`fanout`] over `(engine, container id)` pairs.
pub fn fanout_in(
    targets: Vec<(Engine, String)>,
    cmd: Vec<String>,
    opts: RunOptions,
    concurrency: usize,
) -> impl Stream<Item = FanoutEvent> + Send + Unpin {
    let (tx, rx) = mpsc::unbounded();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let cmd = Arc::new(cmd);
    let opts = Arc::new(opts);
    for (index, (engine, id)) in targets.into_iter().enumerate() {
        let tx = tx.clone();
        let sem = sem.clone();
        let cmd = cmd.clone();
        let opts = opts.clone();
        tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            let out_tx = tx.clone();
            let mut sink = move |stream: StreamKind, d: &[u8]| {
                let _ = out_tx.unbounded_send(FanoutEvent::Output {
                    index,
                    stream,
                    data: d.to_vec(),
                });
            };
            let result = runner::run(&engine, &id, &cmd, &opts, &mut sink).await;
            let _ = tx.unbounded_send(FanoutEvent::Done { index, result });
        });
    }
    rx
}

/// One row of a fan-out results table.
#[derive(Debug, Clone, PartialEq)]
pub struct FanoutRow {
    pub sandbox: String,
    pub engine: String,
    /// None while running.
    pub exit_code: Option<i64>,
    pub timed_out: bool,
    /// Error starting or running the command (the sandbox was not running, ...).
    pub error: Option<String>,
    pub duration: Option<Duration>,
    /// Combined output, capped at [`FanoutTable::OUTPUT_CAP`] bytes (the end is kept).
    pub output: Vec<u8>,
}

impl FanoutRow {
    pub fn is_done(&self) -> bool {
        self.exit_code.is_some() || self.error.is_some()
    }

    /// The last non-empty output line, lossy.
    pub fn last_line(&self) -> String {
        String::from_utf8_lossy(&self.output)
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string()
    }
}

/// The results table of a fan-out, filled in as events arrive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FanoutTable {
    pub rows: Vec<FanoutRow>,
}

impl FanoutTable {
    /// Output kept per sandbox.
    pub const OUTPUT_CAP: usize = 64 * 1024;

    pub fn new(targets: &[Target]) -> Self {
        Self {
            rows: targets
                .iter()
                .map(|t| FanoutRow {
                    sandbox: t.sandbox.name.clone(),
                    engine: t.engine.name.clone(),
                    exit_code: None,
                    timed_out: false,
                    error: None,
                    duration: None,
                    output: Vec::new(),
                })
                .collect(),
        }
    }

    pub fn apply(&mut self, ev: FanoutEvent) {
        match ev {
            FanoutEvent::Output { index, data, .. } => {
                if let Some(r) = self.rows.get_mut(index) {
                    r.output.extend_from_slice(&data);
                    if r.output.len() > Self::OUTPUT_CAP {
                        let cut = r.output.len() - Self::OUTPUT_CAP;
                        r.output.drain(..cut);
                    }
                }
            }
            FanoutEvent::Done { index, result } => {
                if let Some(r) = self.rows.get_mut(index) {
                    match result {
                        Ok(res) => {
                            r.exit_code = Some(res.exit_code);
                            r.timed_out = res.timed_out;
                            r.duration = Some(res.duration);
                        }
                        Err(e) => r.error = Some(e.message),
                    }
                }
            }
        }
    }

    pub fn done(&self) -> usize {
        self.rows.iter().filter(|r| r.is_done()).count()
    }

    pub fn failed(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.error.is_some() || r.exit_code.is_some_and(|c| c != 0))
            .count()
    }

    pub fn is_finished(&self) -> bool {
        self.done() == self.rows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: usize) -> FanoutTable {
        FanoutTable {
            rows: (0..n)
                .map(|i| FanoutRow {
                    sandbox: format!("s{i}"),
                    engine: "docker".into(),
                    exit_code: None,
                    timed_out: false,
                    error: None,
                    duration: None,
                    output: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn fills_in_as_results_arrive() {
        let mut t = table(3);
        t.apply(FanoutEvent::Output {
            index: 1,
            stream: StreamKind::Stdout,
            data: b"one\ntwo\n".to_vec(),
        });
        t.apply(FanoutEvent::Done {
            index: 1,
            result: Ok(RunResult {
                exit_code: 3,
                timed_out: false,
                duration: Duration::from_millis(1500),
            }),
        });
        assert_eq!(t.done(), 1);
        assert!(!t.is_finished());
        assert_eq!(t.rows[1].last_line(), "two");
        t.apply(FanoutEvent::Done {
            index: 0,
            result: Err(crate::Error::failed("sandbox s0 is not running")),
        });
        t.apply(FanoutEvent::Done {
            index: 2,
            result: Ok(RunResult {
                exit_code: 0,
                timed_out: false,
                duration: Duration::from_secs(1),
            }),
        });
        assert!(t.is_finished());
        assert_eq!(t.failed(), 2);
        assert_eq!(t.rows[0].error.as_deref(), Some("sandbox s0 is not running"));
    }

    #[test]
    fn output_is_capped_keeping_the_end() {
        let mut t = table(1);
        let big = vec![b'a'; FanoutTable::OUTPUT_CAP];
        t.apply(FanoutEvent::Output {
            index: 0,
            stream: StreamKind::Stdout,
            data: big,
        });
        t.apply(FanoutEvent::Output {
            index: 0,
            stream: StreamKind::Stdout,
            data: b"END".to_vec(),
        });
        assert_eq!(t.rows[0].output.len(), FanoutTable::OUTPUT_CAP);
        assert!(t.rows[0].output.ends_with(b"aEND"));
    }
}
