//! `boxdeck run NAME... [--timeout S] [--stream] -- CMD...`
//!
//! One name: the command's output goes to stdout/stderr (as it arrives with `--stream`, at the
//! end otherwise) and its exit code becomes boxdeck's. Several names: the command runs in all of
//! them at once, every output line is prefixed with the sandbox name, and boxdeck exits with the
//! first non-zero code in the order the names were given.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use futures::StreamExt;

use super::Ctx;
use crate::engine::StreamKind;
use crate::sandbox::fleet::Target;
use crate::sandbox::run::{self as runner, RunOptions, RunResult};
use crate::{Error, Result};

/// How many sandboxes a fan-out runs in at once.
pub const FANOUT_CONCURRENCY: usize = 32;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Sandboxes to run in.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    /// Kill the command (and its children) after this many seconds; exit code 124.
    #[arg(long, value_name = "S")]
    pub timeout: Option<f64>,
    /// Print output as it arrives instead of when the command ends.
    #[arg(long)]
    pub stream: bool,
    /// Environment KEY=VALUE for the command (repeatable).
    #[arg(long = "env", short = 'e', value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Working directory inside the sandbox.
    #[arg(long, short = 'w')]
    pub workdir: Option<String>,
    /// The command, after --.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

impl RunArgs {
    pub fn options(&self) -> Result<RunOptions> {
        let timeout = match self.timeout {
            Some(t) if !(t > 0.0 && t.is_finite()) => {
                return Err(Error::usage(format!(
                    "--timeout must be a positive number of seconds, not {t}"
                )));
            }
            Some(t) => Some(Duration::from_secs_f64(t)),
            None => None,
        };
        Ok(RunOptions {
            timeout,
            env: self.env.clone(),
            workdir: self.workdir.clone(),
            user: None,
        })
    }
}

pub async fn run(ctx: &Ctx, a: &RunArgs) -> Result<i32> {
    let opts = a.options()?;
    let fleet = ctx.fleet().await?;
    let targets = fleet.resolve_many(&a.names).await?;
    if targets.len() == 1 {
        return run_one(&targets[0], a, &opts).await;
    }
    run_many(&targets, a, &opts).await
}

async fn run_one(t: &Target, a: &RunArgs, opts: &RunOptions) -> Result<i32> {
    let mut out_buf: Vec<u8> = Vec::new();
    let mut err_buf: Vec<u8> = Vec::new();
    let stream = a.stream;
    let mut sink = |k: StreamKind, d: &[u8]| {
        if stream {
            if k == StreamKind::Stderr {
                let mut e = std::io::stderr().lock();
                let _ = e.write_all(d);
                let _ = e.flush();
            } else {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(d);
                let _ = o.flush();
            }
        } else if k == StreamKind::Stderr {
            err_buf.extend_from_slice(d);
        } else {
            out_buf.extend_from_slice(d);
        }
    };
    let r = runner::run(&t.engine, &t.sandbox.id, &a.cmd, opts, &mut sink).await?;
    std::io::stdout().write_all(&out_buf)?;
    std::io::stderr().write_all(&err_buf)?;
    std::io::stdout().flush()?;
    report_timeout(&t.sandbox.name, a, &r);
    Ok(clamp(r.exit_code))
}

fn report_timeout(name: &str, a: &RunArgs, r: &RunResult) {
    if r.timed_out {
        eprintln!(
            "boxdeck: command in {name} timed out after {}s and was killed",
            a.timeout.unwrap_or_default()
        );
    }
}

fn clamp(code: i64) -> i32 {
    if (0..=255).contains(&code) { code as i32 } else { 1 }
}

/// Splits output into lines and prefixes each with the sandbox name.
struct Prefixer {
    prefix: String,
    partial: [Vec<u8>; 2],
}

impl Prefixer {
    fn feed(&mut self, k: StreamKind, d: &[u8], out: &mut Vec<(bool, Vec<u8>)>) {
        let idx = usize::from(k == StreamKind::Stderr);
        self.partial[idx].extend_from_slice(d);
        while let Some(nl) = self.partial[idx].iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial[idx].drain(..=nl).collect();
            let mut v = self.prefix.as_bytes().to_vec();
            v.extend_from_slice(&line);
            out.push((idx == 1, v));
        }
    }

    fn finish(&mut self, out: &mut Vec<(bool, Vec<u8>)>) {
        for idx in 0..2 {
            if !self.partial[idx].is_empty() {
                let mut v = self.prefix.as_bytes().to_vec();
                v.append(&mut self.partial[idx]);
                v.push(b'\n');
                out.push((idx == 1, v));
            }
        }
    }
}

fn emit(lines: Vec<(bool, Vec<u8>)>) {
    let mut o = std::io::stdout().lock();
    let mut e = std::io::stderr().lock();
    for (is_err, l) in lines {
        if is_err {
            let _ = e.write_all(&l);
        } else {
            let _ = o.write_all(&l);
        }
    }
    let _ = o.flush();
    let _ = e.flush();
}

async fn run_many(targets: &[Target], a: &RunArgs, opts: &RunOptions) -> Result<i32> {
    let width = targets.iter().map(|t| t.sandbox.name.len()).max().unwrap_or(0);
    let lock = Arc::new(Mutex::new(()));
    let jobs = targets.iter().enumerate().map(|(i, t)| {
        let lock = lock.clone();
        let stream = a.stream;
        async move {
            let mut p = Prefixer {
                prefix: format!("{:width$} | ", t.sandbox.name),
                partial: [Vec::new(), Vec::new()],
            };
            let mut held: Vec<(bool, Vec<u8>)> = Vec::new();
            let mut sink = |k: StreamKind, d: &[u8]| {
                let mut lines = Vec::new();
                p.feed(k, d, &mut lines);
                if stream {
                    let _g = lock.lock().unwrap_or_else(|e| e.into_inner());
                    emit(lines);
                } else {
                    held.extend(lines);
                }
            };
            let r = runner::run(&t.engine, &t.sandbox.id, &a.cmd, opts, &mut sink).await;
            p.finish(&mut held);
            let _g = lock.lock().unwrap_or_else(|e| e.into_inner());
            emit(held);
            (i, r)
        }
    });
    let mut results: Vec<(usize, Result<RunResult>)> = futures::stream::iter(jobs)
        .buffer_unordered(FANOUT_CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let mut first_code = 0;
    for (i, r) in results {
        let name = &targets[i].sandbox.name;
        let code = match r {
            Ok(r) => {
                report_timeout(name, a, &r);
                clamp(r.exit_code)
            }
            Err(e) => {
                eprintln!("boxdeck: {name}: {}", e.message);
                1
            }
        };
        if code != 0 && first_code == 0 {
            first_code = code;
        }
    }
    Ok(first_code)
}
