//! `stop|start|restart NAME...` and `rm [--force] NAME...`, each also taking a selection by
//! `--label KEY=VALUE` and `--project P` (sandboxes only). The work is done by
//! [`crate::sandbox::bulk`]: concurrent with a bound, one line per target as it finishes, and
//! a summary that names each failure and why.

use clap::Args;

use super::Ctx;
use crate::Result;
use crate::sandbox::bulk::{self, Done, Progress};
use crate::sandbox::select::Selection;

pub use crate::sandbox::bulk::Verb;

#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Sandboxes by name (instance name, container name or id prefix).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Every sandbox with this label (KEY=VALUE or KEY; repeatable, all must match).
    #[arg(long = "label", short = 'l', value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Every sandbox of this project.
    #[arg(long)]
    pub project: Option<String>,
}

impl SelectArgs {
    pub fn selection(&self) -> Selection {
        Selection {
            names: self.names.clone(),
            labels: self.labels.clone(),
            project: self.project.clone(),
        }
    }
}

/// `stop|start|restart`.
pub type NamesArgs = SelectArgs;

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove running sandboxes too (they are killed).
    #[arg(long, short)]
    pub force: bool,
    /// Remove the sandboxes' anonymous volumes too.
    #[arg(long, short)]
    pub volumes: bool,
    #[command(flatten)]
    pub select: SelectArgs,
}

async fn apply_all(ctx: &Ctx, verb: Verb, sel: &SelectArgs) -> Result<i32> {
    for l in &sel.labels {
        if l.is_empty() || l.starts_with('=') {
            return Err(
                crate::Error::usage(format!("bad label filter '{l}'")).hint("use --label KEY=VALUE or --label KEY")
            );
        }
    }
    let selection = sel.selection();
    if selection.is_empty() {
        return Err(crate::Error::usage(format!("{} what?", verb.name()))
            .hint("name sandboxes, or select with --label KEY=VALUE or --project P"));
    }
    let fleet = ctx.fleet().await?;
    let targets = fleet.select(&selection).await?;
    let mut progress = |p: Progress<'_>| {
        if let Progress::Finished(s, Ok(d), _) = p {
            match d {
                Done::Ok => println!("{} {}", verb.past(), s.name),
                Done::Unchanged(why) => println!("{} {} ({why})", verb.past(), s.name),
            }
        }
    };
    let report = bulk::run(&targets, verb, &mut progress).await;
    if report.failed.is_empty() {
        return Ok(0);
    }
    eprintln!(
        "{} of {} failed to {}:",
        report.failed.len(),
        report.total(),
        verb.name()
    );
    for (s, e) in &report.failed {
        eprintln!("  {}: {}", s.name, e.message);
        if let Some(h) = &e.hint {
            eprintln!("    hint: {h}");
        }
    }
    Ok(1)
}

pub async fn run(ctx: &Ctx, verb: Verb, a: &SelectArgs) -> Result<i32> {
    apply_all(ctx, verb, a).await
}

pub async fn rm(ctx: &Ctx, a: &RmArgs) -> Result<i32> {
    apply_all(
        ctx,
        Verb::Remove {
            force: a.force,
            volumes: a.volumes,
        },
        &a.select,
    )
    .await
}
