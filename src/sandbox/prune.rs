//! Prune (SPEC 7.2): remove stopped sandboxes, never anything that should stay.
//!
//! The rule is one pure function ([`select`]) used by both the dry run and the real run, so
//! what a preview lists is exactly what is removed. Before each removal the container is
//! inspected again; one that changed (started, paused, marked persistent, relabelled) since the
//! plan is skipped, never removed. Removal never forces, so a container that starts in the last
//! instant makes the engine refuse instead of killing it.

use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use crate::engine::containers::ListQuery;
use crate::engine::{ContainerState, ContainerSummary, Engine};
use crate::{Error, Result};

use super::{Fleet, Sandbox, labels};

/// How many removals run at once per prune.
pub const CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct PruneOptions {
    pub include_persistent: bool,
    /// Only sandboxes created longer ago than this.
    pub older_than: Option<Duration>,
    pub project: Option<String>,
    /// Remove their anonymous volumes too.
    pub volumes: bool,
}

/// One container the plan will remove.
#[derive(Debug, Clone, Serialize)]
pub struct PruneItem {
    pub sandbox: Sandbox,
    /// Writable layer size, the space its removal frees.
    pub size_bytes: u64,
}

/// Why a sandbox is kept (shown by the preview's "kept" count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepReason {
    NotSandbox,
    Live,
    Persistent,
    TooYoung,
    OtherProject,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PrunePlan {
    pub remove: Vec<PruneItem>,
    pub kept: Vec<(Sandbox, KeepReason)>,
}

impl PrunePlan {
    pub fn total_bytes(&self) -> u64 {
        self.remove.iter().map(|i| i.size_bytes).sum()
    }
}

/// The outcome of one removal.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum PruneOutcome {
    Removed { bytes: u64 },
    Skipped { reason: String },
    Failed { error: String },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PruneReport {
    pub removed: Vec<Sandbox>,
    pub skipped: Vec<(Sandbox, String)>,
    pub failed: Vec<(Sandbox, String)>,
    pub reclaimed_bytes: u64,
}

/// Whether a state counts as stopped for prune.
pub fn is_stopped(s: ContainerState) -> bool {
    matches!(
        s,
        ContainerState::Exited | ContainerState::Created | ContainerState::Dead
    )
}

/// The prune rule over a listing: pure, shared by dry run, real run and dashboard preview.
pub fn select(all: &[ContainerSummary], opts: &PruneOptions, now_unix: i64) -> PrunePlan {
    let mut plan = PrunePlan::default();
    for c in all {
        let s = Sandbox::from_summary(c);
        let reason = if !labels::is_managed(&c.labels) {
            Some(KeepReason::NotSandbox)
        } else if !is_stopped(c.state) {
            Some(KeepReason::Live)
        } else if s.persist && !opts.include_persistent {
            Some(KeepReason::Persistent)
        } else if opts.project.as_ref().is_some_and(|p| s.project.as_ref() != Some(p)) {
            Some(KeepReason::OtherProject)
        } else if let Some(age) = opts.older_than {
            let created = s.created_unix().unwrap_or(c.created);
            (now_unix - created < age.as_secs() as i64).then_some(KeepReason::TooYoung)
        } else {
            None
        };
        match reason {
            Some(r) => plan.kept.push((s, r)),
            None => plan.remove.push(PruneItem {
                sandbox: s,
                size_bytes: c.size_rw.unwrap_or(0).max(0) as u64,
            }),
        }
    }
    plan.remove
        .sort_by(|a, b| (&a.sandbox.engine, &a.sandbox.name).cmp(&(&b.sandbox.engine, &b.sandbox.name)));
    plan
}

/// Make the plan from the engines' current state.
pub async fn plan(fleet: &Fleet, opts: &PruneOptions) -> Result<PrunePlan> {
    let q = ListQuery {
        all: true,
        labels: vec![labels::MANAGED_FILTER.into()],
        size: true,
        ..Default::default()
    };
    let mut all = Vec::new();
    for e in &fleet.engines {
        all.extend(e.list(&q).await?);
    }
    Ok(select(&all, opts, chrono::Utc::now().timestamp()))
}

/// Re-check one planned item and remove it if it still qualifies.
pub async fn remove_one(engine: &Engine, item: &PruneItem, opts: &PruneOptions) -> PruneOutcome {
    let id = &item.sandbox.id;
    let now = match engine.inspect(id).await {
        Ok(d) => d,
        Err(e) if crate::engine::is_not_found(&e) => {
            return PruneOutcome::Skipped {
                reason: "already gone".into(),
            };
        }
        Err(e) => return PruneOutcome::Failed { error: e.message },
    };
    if !labels::is_managed(&now.labels) {
        return PruneOutcome::Skipped {
            reason: "no longer a sandbox".into(),
        };
    }
    if !is_stopped(now.state) || now.running || now.paused {
        return PruneOutcome::Skipped {
            reason: format!("now {} (changed since the preview)", now.state),
        };
    }
    if labels::is_persistent(&now.labels) && !opts.include_persistent {
        return PruneOutcome::Skipped {
            reason: "now persistent".into(),
        };
    }
    match engine.remove(id, false, opts.volumes).await {
        Ok(()) => PruneOutcome::Removed { bytes: item.size_bytes },
        Err(e) if crate::engine::is_not_found(&e) => PruneOutcome::Skipped {
            reason: "already gone".into(),
        },
        Err(e) if e.message.contains("conflict") || e.message.contains("running") => PruneOutcome::Skipped {
            reason: "started since the preview".into(),
        },
        Err(e) => PruneOutcome::Failed { error: e.message },
    }
}

/// Carry out a plan with bounded concurrency; `progress` is told each outcome as it happens.
pub async fn execute(
    fleet: &Fleet,
    plan: &PrunePlan,
    opts: &PruneOptions,
    progress: &mut (dyn FnMut(&PruneItem, &PruneOutcome) + Send),
) -> Result<PruneReport> {
    let mut jobs = Vec::new();
    for item in &plan.remove {
        let engine = fleet
            .engine(&item.sandbox.engine)
            .ok_or_else(|| Error::failed(format!("engine {} is not connected", item.sandbox.engine)))?
            .clone();
        jobs.push((engine, item));
    }
    let mut stream = futures::stream::iter(jobs)
        .map(|(engine, item)| async move { (item, remove_one(&engine, item, opts).await) })
        .buffer_unordered(CONCURRENCY);
    let mut report = PruneReport::default();
    while let Some((item, outcome)) = stream.next().await {
        progress(item, &outcome);
        match outcome {
            PruneOutcome::Removed { bytes } => {
                report.reclaimed_bytes += bytes;
                report.removed.push(item.sandbox.clone());
            }
            PruneOutcome::Skipped { reason } => report.skipped.push((item.sandbox.clone(), reason)),
            PruneOutcome::Failed { error } => report.failed.push((item.sandbox.clone(), error)),
        }
    }
    report.removed.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn c(
        name: &str,
        state: ContainerState,
        managed: bool,
        persist: bool,
        project: Option<&str>,
        created: i64,
    ) -> ContainerSummary {
        let mut l = BTreeMap::new();
        if managed {
            l = labels::for_new_sandbox(name, persist, project, "p", "");
            l.remove(labels::CREATED_AT);
        }
        ContainerSummary {
            id: format!("{name}-id"),
            name: name.into(),
            image: "i".into(),
            state,
            status: String::new(),
            health: None,
            labels: l,
            created,
            size_rw: Some(10),
            engine: "docker".into(),
        }
    }

    #[test]
    fn default_rule_keeps_live_persistent_and_foreign() {
        use ContainerState::*;
        let all = vec![
            c("run", Running, true, false, None, 0),
            c("pause", Paused, true, false, None, 0),
            c("stop", Exited, true, false, None, 0),
            c("made", Created, true, false, None, 0),
            c("keep", Exited, true, true, None, 0),
            c("foreign", Exited, false, false, None, 0),
        ];
        let p = select(&all, &PruneOptions::default(), 1000);
        let names: Vec<&str> = p.remove.iter().map(|i| i.sandbox.name.as_str()).collect();
        assert_eq!(names, vec!["made", "stop"]);
        assert_eq!(p.total_bytes(), 20);
        let p = select(
            &all,
            &PruneOptions {
                include_persistent: true,
                ..Default::default()
            },
            1000,
        );
        assert_eq!(p.remove.len(), 3);
        assert!(
            p.kept
                .iter()
                .any(|(s, r)| s.name == "foreign" && *r == KeepReason::NotSandbox)
        );
    }

    #[test]
    fn age_and_project_filters() {
        use ContainerState::*;
        let all = vec![
            c("old", Exited, true, false, Some("a"), 0),
            c("young", Exited, true, false, Some("b"), 950),
        ];
        let p = select(
            &all,
            &PruneOptions {
                older_than: Some(Duration::from_secs(100)),
                ..Default::default()
            },
            1000,
        );
        assert_eq!(p.remove.len(), 1);
        assert_eq!(p.remove[0].sandbox.name, "old");
        let p = select(
            &all,
            &PruneOptions {
                project: Some("b".into()),
                ..Default::default()
            },
            1000,
        );
        assert_eq!(p.remove.len(), 1);
        assert_eq!(p.remove[0].sandbox.name, "young");
    }
}
