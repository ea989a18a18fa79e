//! `boxdeck run NAME... [--label K=V] [--project P] [--timeout S] [--stream] -- CMD...` and
//! `boxdeck run -d NAME... -- CMD...`.
//!
//! One name: the command's output goes to stdout/stderr (as it arrives with `--stream`, at the
//! end otherwise) and its exit code becomes boxdeck's. Several names, or a selection by label or
//! project: the command runs in all of them at once (SPEC 6.3, through
//! [`crate::sandbox::fanout`]), every output line is prefixed with the sandbox name, and boxdeck
//! exits with the first non-zero code in the order the sandboxes were selected.
//!
//! `-d` starts a detached process instead ([`crate::sandbox::procs`]) and prints its id.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use futures::StreamExt;

use super::Ctx;
use crate::engine::StreamKind;
use crate::sandbox::fanout::{self, FanoutEvent};
use crate::sandbox::fleet::Target;
use crate::sandbox::procs::{self, DetachOptions};
use crate::sandbox::run::{self as runner, RunOptions, RunResult};
use crate::sandbox::select::Selection;
use crate::{Error, Result};

/// How many sandboxes a fan-out runs in at once.
pub const FANOUT_CONCURRENCY: usize = fanout::DEFAULT_CONCURRENCY;

const RUN_HELP: &str = "\
Forms:
  boxdeck run NAME -- CMD...                 run in one sandbox; its exit code is boxdeck's
  boxdeck run A B C -- CMD...                run in several at once, lines prefixed 'NAME | '
  boxdeck run --label team=ml -- CMD...      run in every sandbox with that label (repeat
                                             --label: all must match)
  boxdeck run --project P -- CMD...          run in every sandbox of project P
  boxdeck run -d NAME -- CMD...              start a detached process; prints its id
                                             (see `boxdeck ps`, `peek`, `kill`)

Names, --label and --project combine: the named sandboxes are added to what the filters match.
A selection by label or project only ever takes sandboxes (pocketdock.managed=true).
With several sandboxes, boxdeck exits with the first non-zero exit code.";

#[derive(Debug, Args)]
#[command(after_help = RUN_HELP)]
pub struct RunArgs {
    /// Sandboxes to run in.
    #[arg(value_name = "NAME", required_unless_present_any = ["labels", "project"])]
    pub names: Vec<String>,
    /// Also run in every sandbox with this label (KEY=VALUE or KEY; repeat: all must match).
    #[arg(long = "label", short = 'l', value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Also run in every sandbox of this project.
    #[arg(long, value_name = "P")]
    pub project: Option<String>,
    /// Start a detached process whose output and exit code are kept in the sandbox; prints its id.
    #[arg(long, short = 'd', conflicts_with_all = ["timeout", "stream"])]
    pub detach: bool,
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

impl RunArgs {
    fn selection(&self) -> Selection {
        Selection {
            names: self.names.clone(),
            labels: self.labels.clone(),
            project: self.project.clone(),
        }
    }

    fn has_filter(&self) -> bool {
        !self.labels.is_empty() || self.project.is_some()
    }
}

pub async fn run(ctx: &Ctx, a: &RunArgs) -> Result<i32> {
    let opts = a.options()?;
    for l in &a.labels {
        if l.is_empty() || l.starts_with('=') {
            return Err(Error::usage(format!("bad --label '{l}'")).hint("use --label KEY=VALUE or --label KEY"));
        }
    }
    let fleet = ctx.fleet().await?;
    let targets = fleet.select(&a.selection()).await?;
    if a.detach {
        return detach(&targets, a, ctx.config.output_cap()?).await;
    }
    if targets.len() == 1 && !a.has_filter() {
        return run_one(&targets[0], a, &opts).await;
    }
    run_many(&targets, a, &opts).await
}

/// `run -d`: start a detached process in every target; print its id (with the sandbox name
/// first when there are several).
async fn detach(targets: &[Target], a: &RunArgs, output_cap: u64) -> Result<i32> {
    let opts = DetachOptions {
        env: a.env.clone(),
        workdir: a.workdir.clone(),
        user: None,
        output_cap,
    };
    let jobs = targets
        .iter()
        .map(|t| async { procs::start(&t.engine, &t.sandbox.id, &a.cmd, &opts).await });
    let results = futures::future::join_all(jobs).await;
    let many = targets.len() > 1 || a.has_filter();
    if !many {
        let r = results.into_iter().next().expect("one target");
        let s = r.map_err(|e| e.context(&targets[0].sandbox.name))?;
        println!("{}", s.id);
        return Ok(0);
    }
    let mut code = 0;
    for (t, r) in targets.iter().zip(results) {
        match r {
            Ok(s) => println!("{} {}", t.sandbox.name, s.id),
            Err(e) => {
                eprintln!("boxdeck: {}: {}", t.sandbox.name, e.message);
                code = 1;
            }
        }
    }
    Ok(code)
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
    let mut prefixers: Vec<Prefixer> = targets
        .iter()
        .map(|t| Prefixer {
            prefix: format!("{:width$} | ", t.sandbox.name),
            partial: [Vec::new(), Vec::new()],
        })
        .collect();
    let mut held: Vec<Vec<(bool, Vec<u8>)>> = vec![Vec::new(); targets.len()];
    let mut results: Vec<Option<Result<RunResult>>> = (0..targets.len()).map(|_| None).collect();
    let mut events = fanout::fanout(targets.to_vec(), a.cmd.clone(), opts.clone(), FANOUT_CONCURRENCY);
    while let Some(ev) = events.next().await {
        match ev {
            FanoutEvent::Output { index, stream, data } => {
                let mut lines = Vec::new();
                prefixers[index].feed(stream, &data, &mut lines);
                if a.stream {
                    emit(lines);
                } else {
                    held[index].extend(lines);
                }
            }
            FanoutEvent::Done { index, result } => {
                prefixers[index].finish(&mut held[index]);
                emit(std::mem::take(&mut held[index]));
                results[index] = Some(result);
            }
        }
    }
    let mut first_code = 0;
    for (i, r) in results.into_iter().enumerate() {
        let name = &targets[i].sandbox.name;
        let code = match r {
            Some(Ok(r)) => {
                report_timeout(name, a, &r);
                clamp(r.exit_code)
            }
            Some(Err(e)) => {
                eprintln!("boxdeck: {name}: {}", e.message);
                1
            }
            None => {
                eprintln!("boxdeck: {name}: the run ended without a result");
                1
            }
        };
        if code != 0 && first_code == 0 {
            first_code = code;
        }
    }
    Ok(first_code)
}
