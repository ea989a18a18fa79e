//! `stop|start|restart NAME...` and `rm [--force] NAME...`: concurrent, with a failure summary.

use clap::Args;
use futures::StreamExt;

use super::Ctx;
use crate::engine::ContainerState;
use crate::sandbox::fleet::Target;
use crate::{Error, Result};

/// How many lifecycle actions run at once.
pub const CONCURRENCY: usize = 8;

#[derive(Debug, Args)]
pub struct NamesArgs {
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove running sandboxes too (they are killed).
    #[arg(long, short)]
    pub force: bool,
    /// Remove the sandboxes' anonymous volumes too.
    #[arg(long, short)]
    pub volumes: bool,
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Stop,
    Start,
    Restart,
    Remove { force: bool, volumes: bool },
}

impl Verb {
    fn past(&self) -> &'static str {
        match self {
            Verb::Stop => "stopped",
            Verb::Start => "started",
            Verb::Restart => "restarted",
            Verb::Remove { .. } => "removed",
        }
    }
}

/// Apply one verb to one target.
pub async fn apply(t: &Target, verb: Verb) -> Result<()> {
    let e = &t.engine;
    let id = &t.sandbox.id;
    match verb {
        Verb::Stop => e.stop(id, 10).await,
        Verb::Start => {
            if t.sandbox.state == ContainerState::Paused {
                e.unpause(id).await
            } else {
                e.start(id).await
            }
        }
        Verb::Restart => e.restart(id, 10).await,
        Verb::Remove { force, volumes } => {
            if !force && t.sandbox.state.is_live() {
                return Err(
                    Error::failed(format!("{} is {}", t.sandbox.name, t.sandbox.state)).hint(format!(
                        "stop it first (boxdeck stop {}) or use rm --force",
                        t.sandbox.name
                    )),
                );
            }
            e.remove(id, force, volumes).await
        }
    }
}

async fn apply_all(ctx: &Ctx, verb: Verb, names: &[String]) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let targets = fleet.resolve_many(names).await?;
    let results: Vec<(String, Result<()>)> = futures::stream::iter(targets.iter())
        .map(|t| async move { (t.sandbox.name.clone(), apply(t, verb).await) })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut failures = Vec::new();
    for (name, r) in results {
        match r {
            Ok(()) => println!("{} {name}", verb.past()),
            Err(e) => failures.push((name, e)),
        }
    }
    if failures.is_empty() {
        return Ok(0);
    }
    eprintln!("{} of {} failed:", failures.len(), names.len());
    for (name, e) in &failures {
        eprintln!("  {name}: {}", e.message);
        if let Some(h) = &e.hint {
            eprintln!("    hint: {h}");
        }
    }
    Ok(1)
}

pub async fn run(ctx: &Ctx, verb: Verb, names: &[String]) -> Result<i32> {
    apply_all(ctx, verb, names).await
}

pub async fn rm(ctx: &Ctx, a: &RmArgs) -> Result<i32> {
    apply_all(
        ctx,
        Verb::Remove {
            force: a.force,
            volumes: a.volumes,
        },
        &a.names,
    )
    .await
}
