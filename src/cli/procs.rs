//! `ps NAME [--json]`, `peek NAME PROC [-f]`, `kill NAME PROC` (SPEC 6.1, 6.2, 8).
//!
//! `ps` lists every exec the engine records for the sandbox plus every detached process boxdeck
//! started there (kept on disk inside the sandbox, so nothing boxdeck started is lost when the
//! engine forgets an exec). See [`crate::sandbox::procs`] for what each engine keeps.

use std::io::Write;

use clap::Args;

use super::Ctx;
use super::output;
use crate::sandbox::procs::{self, KillOutcome, ProcInfo, ProcSource};
use crate::{Error, Result};

#[derive(Debug, Args)]
pub struct PsArgs {
    /// The sandbox.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// One JSON array of processes on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PeekArgs {
    /// The sandbox.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Process id from `boxdeck run -d` or `boxdeck ps` (a unique prefix is enough).
    #[arg(value_name = "PROC")]
    pub proc: String,
    /// Keep printing output as it grows, until the process ends.
    #[arg(long, short)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// The sandbox.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Process id from `boxdeck run -d` or `boxdeck ps` (a unique prefix is enough).
    #[arg(value_name = "PROC")]
    pub proc: String,
}

fn started(p: &ProcInfo) -> String {
    p.started_at
        .as_deref()
        .map(|s| format!("{} ago", output::age(s)))
        .unwrap_or_else(|| "-".into())
}

fn duration(p: &ProcInfo) -> String {
    match p.duration_secs {
        Some(d) if d < 60.0 => format!("{d:.1}s"),
        Some(d) => crate::util::human_duration(std::time::Duration::from_secs_f64(d)),
        None => "-".into(),
    }
}

fn clip(s: &str, n: usize) -> String {
    let s: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if s.chars().count() > n {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s
    }
}

/// The last non-empty line of a process's kept output.
fn last_line(p: &ProcInfo) -> String {
    match (&p.source, &p.output_tail) {
        (ProcSource::Boxdeck, Some(t)) => t
            .split(['\n', '\r'])
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string(),
        _ => "-".into(),
    }
}

pub async fn ps(ctx: &Ctx, a: &PsArgs) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let t = fleet.resolve(&a.name).await?;
    let list = procs::list(&t.engine, &t.sandbox.id).await?;
    if t.sandbox.state != crate::engine::ContainerState::Running {
        eprintln!(
            "note: {} is {}: boxdeck's own process records are kept inside it and show when it runs",
            t.sandbox.name, t.sandbox.state
        );
    }
    if a.json {
        output::json(&list)?;
        return Ok(0);
    }
    if list.is_empty() {
        eprintln!(
            "no processes in {} (start one with `boxdeck run -d {} -- CMD`)",
            t.sandbox.name, t.sandbox.name
        );
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                p.id.clone(),
                match p.source {
                    ProcSource::Boxdeck => "boxdeck".into(),
                    ProcSource::Engine => "exec".into(),
                },
                p.state_text(),
                started(p),
                duration(p),
                clip(&p.cmd_line(), 40),
                clip(&last_line(p), 40),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &["ID", "SOURCE", "STATE", "STARTED", "DURATION", "COMMAND", "OUTPUT"],
            &rows
        )
    );
    Ok(0)
}

pub async fn peek(ctx: &Ctx, a: &PeekArgs) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let t = fleet.resolve(&a.name).await?;
    let list = procs::list(&t.engine, &t.sandbox.id).await?;
    let p = procs::find_proc(&list, &t.sandbox.name, &a.proc)?;
    let mut sink = |d: &[u8]| {
        let mut o = std::io::stdout().lock();
        let _ = o.write_all(d);
        let _ = o.flush();
    };
    procs::output(&t.engine, &t.sandbox.id, &t.sandbox.name, p, 0, a.follow, &mut sink).await?;
    Ok(0)
}

pub async fn kill(ctx: &Ctx, a: &KillArgs) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let t = fleet.resolve(&a.name).await?;
    let list = procs::list(&t.engine, &t.sandbox.id).await?;
    let p = procs::find_proc(&list, &t.sandbox.name, &a.proc)?;
    if !p.is_killable() {
        return Err(Error::failed(format!(
            "process {} in {} is not running ({})",
            p.id,
            t.sandbox.name,
            p.state_text()
        ))
        .hint(format!("see `boxdeck ps {}`", t.sandbox.name)));
    }
    match procs::kill(&t.engine, &t.sandbox.id, &t.sandbox.name, p).await? {
        KillOutcome::Killed => {
            println!("killed {} in {}", p.id, t.sandbox.name);
            Ok(0)
        }
        KillOutcome::NotRunning => Err(Error::failed(format!(
            "process {} in {} ended before it could be killed",
            p.id, t.sandbox.name
        ))),
    }
}
