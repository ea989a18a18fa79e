//! `boxdeck prune [--dry-run] [--yes] [--older-than D] [--project P] [--include-persistent]
//! [--volumes] [--json]`, plus a hidden `--label KEY=VALUE` narrowing filter for scripts.
//!
//! Without `--yes` the plan is shown and the user is asked on the terminal; with no terminal
//! and no `--yes` prune refuses (exit 2). The dry run and the real run share one plan, so the
//! dry run lists exactly what the real run removes.
//!
//! `--json` prints one document on stdout:
//! - dry run: `{"dry_run": true, "would_remove": [{name, id, engine, state, project, persist,
//!   created_at, size_bytes}], "total_bytes": N, "kept": {"live": N, "persistent": N, ...}}`
//! - real run: `{"removed": [{name, id, engine, size_bytes}], "skipped": [{name, id, engine,
//!   reason}], "failed": [{name, id, engine, error}], "reclaimed_bytes": N, "kept": {...}}`
//!
//! Exit codes: 0 done (skips are not failures), 1 some removal failed or the user said no,
//! 2 bad usage or confirmation needed without a terminal.

use std::io::{BufRead, IsTerminal, Write};

use clap::Args;
use serde::Serialize;

use super::{Ctx, output};
use crate::Result;
use crate::sandbox::prune::{self, PruneItem, PruneOptions, PruneOutcome, PrunePlan, PruneReport};
use crate::util::human_bytes;

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
    /// Only sandboxes with this label (KEY=VALUE or KEY; repeatable, all must match).
    #[arg(long = "label", value_name = "KEY=VALUE", hide = true)]
    pub labels: Vec<String>,
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
    created_at: &'a str,
    size_bytes: u64,
}

fn json_item(i: &PruneItem) -> JsonItem<'_> {
    JsonItem {
        name: &i.sandbox.name,
        id: &i.sandbox.id,
        engine: &i.sandbox.engine,
        state: i.sandbox.state.to_string(),
        project: i.sandbox.project.as_deref(),
        persist: i.sandbox.persist,
        created_at: &i.sandbox.created_at,
        size_bytes: i.size_bytes,
    }
}

fn kept_json(plan: &PrunePlan) -> serde_json::Value {
    let m: serde_json::Map<String, serde_json::Value> = plan
        .kept_counts()
        .into_iter()
        .map(|(r, n)| {
            (
                serde_json::to_value(r)
                    .unwrap_or_default()
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                n.into(),
            )
        })
        .collect();
    serde_json::Value::Object(m)
}

/// Parse the flags into options (bad values are usage errors, exit 2).
pub fn options(a: &PruneArgs) -> Result<PruneOptions> {
    for l in &a.labels {
        if l.is_empty() || l.starts_with('=') {
            return Err(
                crate::Error::usage(format!("bad label filter '{l}'")).hint("use --label KEY=VALUE or --label KEY")
            );
        }
    }
    if a.project.as_deref() == Some("") {
        return Err(crate::Error::usage("empty project name").hint("use --project NAME"));
    }
    Ok(PruneOptions {
        include_persistent: a.include_persistent,
        older_than: a.older_than.as_deref().map(crate::util::parse_duration).transpose()?,
        project: a.project.clone(),
        labels: a.labels.clone(),
        volumes: a.volumes,
    })
}

pub async fn run(ctx: &Ctx, a: &PruneArgs) -> Result<i32> {
    let opts = options(a)?;
    let fleet = ctx.fleet().await?;
    // A plan shown and then confirmed is fingerprinted, so what changed in between is skipped;
    // one carried out at once (or only listed) needs no fingerprints: same rule, same set.
    let plan = if a.yes || a.dry_run {
        prune::plan_at_once(&fleet, &opts).await?
    } else {
        prune::plan(&fleet, &opts).await?
    };

    if a.dry_run {
        if a.json {
            let items: Vec<JsonItem> = plan.remove.iter().map(json_item).collect();
            output::json(&serde_json::json!({
                "dry_run": true,
                "would_remove": items,
                "total_bytes": plan.total_bytes(),
                "kept": kept_json(&plan),
            }))?;
        } else if plan.remove.is_empty() {
            println!("nothing to prune{}", kept_summary(&plan));
        } else {
            print!("{}", plan_table(&plan));
            println!(
                "would remove {} sandboxes, {}{}",
                plan.remove.len(),
                human_bytes(plan.total_bytes()),
                kept_summary(&plan)
            );
        }
        return Ok(0);
    }
    if plan.remove.is_empty() {
        if a.json {
            print_report_json(&plan, &PruneReport::default())?;
        } else {
            println!("nothing to prune{}", kept_summary(&plan));
        }
        return Ok(0);
    }
    if !a.yes {
        if !std::io::stdin().is_terminal() {
            return Err(prune::needs_confirmation(plan.remove.len()));
        }
        let mut err = std::io::stderr().lock();
        write!(err, "{}", plan_table(&plan))?;
        write!(
            err,
            "remove these {} sandboxes ({})? [y/N] ",
            plan.remove.len(),
            human_bytes(plan.total_bytes())
        )?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            eprintln!("nothing removed");
            return Ok(1);
        }
    }
    let json = a.json;
    let mut progress = |item: &PruneItem, o: &PruneOutcome| {
        if json {
            return;
        }
        match o {
            PruneOutcome::Removed { .. } => println!("removed {}", item.sandbox.name),
            PruneOutcome::Skipped { reason } => eprintln!("skipped {}: {reason}", item.sandbox.name),
            PruneOutcome::Failed { error } => eprintln!("failed {}: {error}", item.sandbox.name),
        }
    };
    let report = prune::execute(&fleet, &plan, &opts, &mut progress).await;
    if a.json {
        print_report_json(&plan, &report)?;
    } else {
        println!("{}", report_line(&report));
        if !report.failed.is_empty() {
            eprintln!("failures:");
            for (s, e) in &report.failed {
                eprintln!("  {} ({}): {e}", s.name, s.short_id());
            }
        }
    }
    Ok(if report.failed.is_empty() { 0 } else { 1 })
}

fn print_report_json(plan: &PrunePlan, report: &PruneReport) -> Result<()> {
    let size_of = |id: &str| plan.remove.iter().find(|i| i.sandbox.id == id).map(|i| i.size_bytes);
    output::json(&serde_json::json!({
        "removed": report.removed.iter().map(|s| serde_json::json!({
            "name": s.name, "id": s.id, "engine": s.engine, "size_bytes": size_of(&s.id),
        })).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|(s, r)| serde_json::json!({
            "name": s.name, "id": s.id, "engine": s.engine, "reason": r,
        })).collect::<Vec<_>>(),
        "failed": report.failed.iter().map(|(s, r)| serde_json::json!({
            "name": s.name, "id": s.id, "engine": s.engine, "error": r,
        })).collect::<Vec<_>>(),
        "reclaimed_bytes": report.reclaimed_bytes,
        "kept": kept_json(plan),
    }))
}

/// "removed 3 sandboxes, reclaimed 12 KiB, 1 skipped, 1 failed".
pub fn report_line(report: &PruneReport) -> String {
    let mut s = format!(
        "removed {} sandboxes, reclaimed {}",
        report.removed.len(),
        human_bytes(report.reclaimed_bytes)
    );
    if !report.skipped.is_empty() {
        s.push_str(&format!(", {} skipped", report.skipped.len()));
    }
    if !report.failed.is_empty() {
        s.push_str(&format!(", {} failed", report.failed.len()));
    }
    s
}

/// " (kept: 2 running or paused, 1 persistent)" or "".
fn kept_summary(plan: &PrunePlan) -> String {
    let parts: Vec<String> = plan
        .kept_counts()
        .into_iter()
        .map(|(r, n)| format!("{n} {}", r.describe()))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (kept: {})", parts.join(", "))
    }
}

fn plan_table(plan: &PrunePlan) -> String {
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
    output::table(&["NAME", "ID", "ENGINE", "STATE", "PROJECT", "AGE", "SIZE"], &rows)
}
