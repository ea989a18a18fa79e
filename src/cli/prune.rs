//! `boxdeck prune [--dry-run] [--yes] [--older-than D] [--project P] [--include-persistent]
//! [--volumes] [--json]`.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde::Serialize;

use super::{Ctx, output};
use crate::sandbox::prune::{self, PruneOptions, PruneOutcome};
use crate::util::human_bytes;
use crate::{Error, Result};

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Only list what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask.
    #[arg(long, short)]
    pub yes: bool,
    /// Only sandboxes created longer ago than this (e.g. 2h, 7d).
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Only sandboxes of this project.
    #[arg(long)]
    pub project: Option<String>,
    /// Persistent sandboxes too.
    #[arg(long)]
    pub include_persistent: bool,
    /// Their anonymous volumes too.
    #[arg(long)]
    pub volumes: bool,
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct JsonItem<'a> {
    name: &'a str,
    id: &'a str,
    engine: &'a str,
    state: String,
    project: Option<&'a str>,
    persist: bool,
    size_bytes: u64,
}

pub async fn run(ctx: &Ctx, a: &PruneArgs) -> Result<i32> {
    let opts = PruneOptions {
        include_persistent: a.include_persistent,
        older_than: a.older_than.as_deref().map(crate::util::parse_duration).transpose()?,
        project: a.project.clone(),
        volumes: a.volumes,
    };
    let fleet = ctx.fleet().await?;
    let plan = prune::plan(&fleet, &opts).await?;
    let items: Vec<JsonItem> = plan
        .remove
        .iter()
        .map(|i| JsonItem {
            name: &i.sandbox.name,
            id: &i.sandbox.id,
            engine: &i.sandbox.engine,
            state: i.sandbox.state.to_string(),
            project: i.sandbox.project.as_deref(),
            persist: i.sandbox.persist,
            size_bytes: i.size_bytes,
        })
        .collect();

    if a.dry_run {
        if a.json {
            output::json(
                &serde_json::json!({ "dry_run": true, "would_remove": items, "total_bytes": plan.total_bytes() }),
            )?;
        } else if plan.remove.is_empty() {
            println!("nothing to prune");
        } else {
            print_plan(&plan);
            println!(
                "would remove {} sandboxes, {}",
                plan.remove.len(),
                human_bytes(plan.total_bytes())
            );
        }
        return Ok(0);
    }
    if plan.remove.is_empty() {
        if a.json {
            output::json(&serde_json::json!({ "removed": [], "skipped": [], "failed": [], "reclaimed_bytes": 0 }))?;
        } else {
            println!("nothing to prune");
        }
        return Ok(0);
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::usage(format!(
                "prune would remove {} sandboxes and needs confirmation",
                plan.remove.len()
            ))
            .hint("pass --yes to confirm without a terminal, or --dry-run to only list them"));
        }
        print_plan(&plan);
        eprint!(
            "remove these {} sandboxes ({})? [y/N] ",
            plan.remove.len(),
            human_bytes(plan.total_bytes())
        );
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
            eprintln!("nothing removed");
            return Ok(1);
        }
    }
    let json = a.json;
    let mut progress = |item: &prune::PruneItem, o: &PruneOutcome| {
        if json {
            return;
        }
        match o {
            PruneOutcome::Removed { .. } => println!("removed {}", item.sandbox.name),
            PruneOutcome::Skipped { reason } => eprintln!("skipped {}: {reason}", item.sandbox.name),
            PruneOutcome::Failed { error } => eprintln!("failed {}: {error}", item.sandbox.name),
        }
    };
    let report = prune::execute(&fleet, &plan, &opts, &mut progress).await?;
    if a.json {
        output::json(&serde_json::json!({
            "removed": report.removed.iter().map(|s| serde_json::json!({"name": s.name, "id": s.id, "engine": s.engine})).collect::<Vec<_>>(),
            "skipped": report.skipped.iter().map(|(s, r)| serde_json::json!({"name": s.name, "id": s.id, "reason": r})).collect::<Vec<_>>(),
            "failed": report.failed.iter().map(|(s, r)| serde_json::json!({"name": s.name, "id": s.id, "error": r})).collect::<Vec<_>>(),
            "reclaimed_bytes": report.reclaimed_bytes,
        }))?;
    } else {
        println!(
            "removed {} sandboxes, reclaimed {}{}{}",
            report.removed.len(),
            human_bytes(report.reclaimed_bytes),
            if report.skipped.is_empty() {
                String::new()
            } else {
                format!(", {} skipped", report.skipped.len())
            },
            if report.failed.is_empty() {
                String::new()
            } else {
                format!(", {} failed", report.failed.len())
            },
        );
    }
    Ok(if report.failed.is_empty() { 0 } else { 1 })
}

fn print_plan(plan: &prune::PrunePlan) {
    let rows: Vec<Vec<String>> = plan
        .remove
        .iter()
        .map(|i| {
            vec![
                i.sandbox.name.clone(),
                i.sandbox.short_id().to_string(),
                i.sandbox.engine.clone(),
                i.sandbox.state.to_string(),
                i.sandbox.project.clone().unwrap_or_else(|| "-".into()),
                output::age(&i.sandbox.created_at),
                human_bytes(i.size_bytes),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(&["NAME", "ID", "ENGINE", "STATE", "PROJECT", "AGE", "SIZE"], &rows)
    );
}
