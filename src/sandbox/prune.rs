//! Prune (SPEC 7.2): remove stopped sandboxes, never anything that should stay.
//!
//! The rule is one pure function ([`rule`], applied to a listing by [`select`]) used by the dry
//! run, the real run and the dashboard preview, so what a preview lists is exactly what is
//! removed. The rule keeps:
//! - any container without `pocketdock.managed=true` (never a candidate, whatever the options),
//! - live ones (running, paused, restarting) and those in a state prune does not know,
//! - persistent ones (`pocketdock.persist` is anything but `false` or absent: an unreadable value
//!   is treated as persistent, losing nothing), unless `--include-persistent`,
//! - with `--project P`, sandboxes of other projects (or of none),
//! - with `--label K=V` (a narrowing filter, used by scripts and tests), sandboxes without it,
//! - with `--older-than D`, sandboxes created less than `D` ago (the `pocketdock.created-at`
//!   label, or the engine's creation time when the label is missing or unreadable).
//!
//! [`plan`] lists the candidates and takes a fingerprint of each (inspect: state, start and
//! finish times). Before each removal [`remove_one`] inspects again and applies the same rule;
//! a container that changed since the plan (started, restarted, paused, relabelled) is skipped,
//! never removed. Removal never forces, so a container that starts in the last instant makes
//! the engine refuse instead of killing it.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use crate::engine::containers::ListQuery;
use crate::engine::{ContainerDetails, ContainerState, ContainerSummary, Engine};
use crate::{Error, Result};

use super::{Fleet, Sandbox, labels};

/// How many removals (and plan inspections) run at once per engine.
pub const CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PruneOptions {
    pub include_persistent: bool,
    /// Only sandboxes created longer ago than this.
    pub older_than: Option<Duration>,
    pub project: Option<String>,
    /// Only sandboxes carrying all of these labels (`key=value` or `key`).
    pub labels: Vec<String>,
    /// Remove their anonymous volumes too.
    pub volumes: bool,
}

impl PruneOptions {
    /// Options from words as the CLI takes them (`--older-than 2h --project p
    /// --include-persistent --volumes --label k=v`): for the dashboard's `:prune` command.
    pub fn from_words(words: &[&str]) -> Result<PruneOptions> {
        let mut o = PruneOptions::default();
        let mut it = words.iter().copied();
        while let Some(w) = it.next() {
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v)),
                _ => (w, None),
            };
            let mut value = |name: &str| -> Result<String> {
                match inline.map(str::to_string).or_else(|| it.next().map(str::to_string)) {
                    Some(v) if !v.is_empty() => Ok(v),
                    _ => Err(Error::usage(format!("{name} needs a value"))),
                }
            };
            match flag {
                "--include-persistent" => o.include_persistent = true,
                "--volumes" => o.volumes = true,
                "--older-than" => o.older_than = Some(crate::util::parse_duration(&value(flag)?)?),
                "--project" => o.project = Some(value(flag)?),
                "--label" => o.labels.push(value(flag)?),
                other => {
                    return Err(Error::usage(format!("prune does not take '{other}'"))
                        .hint("prune takes --older-than D, --project P, --include-persistent, --volumes"));
                }
            }
        }
        Ok(o)
    }
}

/// What the plan saw of a candidate; a removal only goes ahead when it still matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fingerprint {
    pub state: ContainerState,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl Fingerprint {
    fn of(d: &ContainerDetails) -> Fingerprint {
        Fingerprint {
            state: d.state,
            started_at: d.started_at.clone(),
            finished_at: d.finished_at.clone(),
        }
    }
}

/// One container the plan will remove.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PruneItem {
    pub sandbox: Sandbox,
    /// Writable layer size, the space its removal frees.
    pub size_bytes: u64,
    /// Engine creation time (unix seconds), the age fallback when the label is missing.
    #[serde(skip)]
    pub engine_created: i64,
    /// Set by [`plan`]; `None` only for plans made by [`select`] alone.
    pub fingerprint: Option<Fingerprint>,
}

/// Why a sandbox is kept (shown by the preview's "kept" counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeepReason {
    NotSandbox,
    Live,
    Persistent,
    OtherProject,
    NotSelected,
    TooYoung,
}

impl KeepReason {
    pub fn describe(&self) -> &'static str {
        match self {
            KeepReason::NotSandbox => "not a sandbox",
            KeepReason::Live => "running or paused",
            KeepReason::Persistent => "persistent",
            KeepReason::OtherProject => "other project",
            KeepReason::NotSelected => "label does not match",
            KeepReason::TooYoung => "too young",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PrunePlan {
    pub remove: Vec<PruneItem>,
    pub kept: Vec<(Sandbox, KeepReason)>,
}

impl PrunePlan {
    pub fn total_bytes(&self) -> u64 {
        self.remove.iter().map(|i| i.size_bytes).sum()
    }

    /// How many sandboxes are kept for each reason, in a stable order.
    pub fn kept_counts(&self) -> BTreeMap<KeepReason, usize> {
        let mut m = BTreeMap::new();
        for (_, r) in &self.kept {
            *m.entry(*r).or_insert(0) += 1;
        }
        m
    }
}

/// The outcome of one removal.
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// Whether a state counts as stopped for prune (never live, never unknown).
pub fn is_stopped(s: ContainerState) -> bool {
    matches!(
        s,
        ContainerState::Exited | ContainerState::Created | ContainerState::Dead
    )
}

/// Whether the persist label keeps a sandbox: anything but absent or `false` does.
pub fn is_persistent_for_prune(l: &BTreeMap<String, String>) -> bool {
    l.get(labels::PERSIST)
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("false"))
}

fn label_matches(l: &BTreeMap<String, String>, filter: &str) -> bool {
    match filter.split_once('=') {
        Some((k, v)) => l.get(k).is_some_and(|x| x == v),
        None => l.contains_key(filter),
    }
}

/// Creation time for the age rule: the `pocketdock.created-at` label, else the engine's.
fn created_unix(l: &BTreeMap<String, String>, engine_created: i64) -> i64 {
    l.get(labels::CREATED_AT)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.timestamp())
        .unwrap_or(engine_created)
}

/// The prune rule for one container: `None` means prune may remove it.
pub fn rule(
    l: &BTreeMap<String, String>,
    state: ContainerState,
    engine_created: i64,
    opts: &PruneOptions,
    now_unix: i64,
) -> Option<KeepReason> {
    if !labels::is_managed(l) {
        return Some(KeepReason::NotSandbox);
    }
    if !is_stopped(state) {
        return Some(KeepReason::Live);
    }
    if !opts.include_persistent && is_persistent_for_prune(l) {
        return Some(KeepReason::Persistent);
    }
    if let Some(p) = &opts.project
        && l.get(labels::PROJECT) != Some(p)
    {
        return Some(KeepReason::OtherProject);
    }
    if !opts.labels.iter().all(|f| label_matches(l, f)) {
        return Some(KeepReason::NotSelected);
    }
    if let Some(age) = opts.older_than {
        let age = i64::try_from(age.as_secs()).unwrap_or(i64::MAX);
        if now_unix.saturating_sub(created_unix(l, engine_created)) < age {
            return Some(KeepReason::TooYoung);
        }
    }
    None
}

/// The prune rule over a listing: pure, shared by dry run, real run and dashboard preview.
pub fn select(all: &[ContainerSummary], opts: &PruneOptions, now_unix: i64) -> PrunePlan {
    let mut plan = PrunePlan::default();
    for c in all {
        let s = Sandbox::from_summary(c);
        match rule(&c.labels, c.state, c.created, opts, now_unix) {
            Some(r) => plan.kept.push((s, r)),
            None => plan.remove.push(PruneItem {
                sandbox: s,
                size_bytes: c.size_rw.unwrap_or(0).max(0) as u64,
                engine_created: c.created,
                fingerprint: None,
            }),
        }
    }
    plan.remove
        .sort_by(|a, b| (&a.sandbox.engine, &a.sandbox.name).cmp(&(&b.sandbox.engine, &b.sandbox.name)));
    plan.kept
        .sort_by(|a, b| (&a.0.engine, &a.0.name).cmp(&(&b.0.engine, &b.0.name)));
    plan
}

/// The engine query for a prune: sandboxes only, narrowed by the options' labels and project.
fn list_query(opts: &PruneOptions) -> ListQuery {
    let mut filters = vec![labels::MANAGED_FILTER.to_string()];
    filters.extend(opts.labels.iter().cloned());
    if let Some(p) = &opts.project {
        filters.push(format!("{}={p}", labels::PROJECT));
    }
    ListQuery {
        all: true,
        labels: filters,
        size: true,
        ..Default::default()
    }
}

/// Make the plan from the engines' current state: list, apply the rule, fingerprint each
/// candidate. A candidate that changed while being fingerprinted is moved to `kept`.
pub async fn plan(fleet: &Fleet, opts: &PruneOptions) -> Result<PrunePlan> {
    let now = chrono::Utc::now().timestamp();
    let mut plan = plan_at_once(fleet, opts).await?;
    let items = std::mem::take(&mut plan.remove);
    let checked: Vec<(PruneItem, Result<Option<ContainerDetails>>)> = futures::stream::iter(items)
        .map(|item| async move {
            let r = match fleet.engine(&item.sandbox.engine) {
                Some(e) => match e.inspect(&item.sandbox.id).await {
                    Ok(d) => Ok(Some(d)),
                    Err(err) if crate::engine::is_not_found(&err) => Ok(None),
                    Err(err) => Err(err),
                },
                None => Ok(None),
            };
            (item, r)
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    for (mut item, r) in checked {
        // Gone since the listing: nothing to remove, nothing to report.
        let Some(d) = r? else { continue };
        match rule(&d.labels, d.state, item.engine_created, opts, now) {
            None => {
                item.fingerprint = Some(Fingerprint::of(&d));
                plan.remove.push(item);
            }
            Some(reason) => {
                let mut s = item.sandbox;
                s.state = d.state;
                plan.kept.push((s, reason));
            }
        }
    }
    Ok(plan)
}

/// The plan for a prune carried out at once, with no preview in between (`prune --yes`, and
/// the dry run, which lists the same set): the listing and the rule, without fingerprints.
/// [`remove_one`] then skips the pre-removal inspect and relies on the engine, which refuses
/// to remove a live container without force; a refusal is re-checked and reported as skipped.
/// Same rule, same set; only the preview-to-removal check needs the fingerprints of [`plan`].
pub async fn plan_at_once(fleet: &Fleet, opts: &PruneOptions) -> Result<PrunePlan> {
    let q = list_query(opts);
    let lists = futures::future::join_all(fleet.engines.iter().map(|e| e.list(&q))).await;
    let mut all = Vec::new();
    for l in lists {
        all.extend(l?);
    }
    Ok(select(&all, opts, chrono::Utc::now().timestamp()))
}

/// Re-check one planned item and remove it if it still qualifies and has not changed.
/// Items with a fingerprint (a previewed plan) are inspected first and skipped when anything
/// changed; items without one go straight to a non-forced removal (see [`plan_at_once`]).
pub async fn remove_one(engine: &Engine, item: &PruneItem, opts: &PruneOptions) -> PruneOutcome {
    let id = &item.sandbox.id;
    let gone = || PruneOutcome::Skipped {
        reason: "already gone".into(),
    };
    if item.fingerprint.is_none() {
        return remove_checked(engine, item, opts).await;
    }
    let now = match engine.inspect(id).await {
        Ok(d) => d,
        Err(e) if crate::engine::is_not_found(&e) => return gone(),
        Err(e) => return PruneOutcome::Failed { error: e.message },
    };
    if let Some(reason) = rule(
        &now.labels,
        now.state,
        item.engine_created,
        opts,
        chrono::Utc::now().timestamp(),
    ) {
        let reason = match reason {
            KeepReason::Live => format!("now {} (changed since the preview)", now.state),
            other => format!("now {} (changed since the preview)", other.describe()),
        };
        return PruneOutcome::Skipped { reason };
    }
    if now.running || now.paused {
        return PruneOutcome::Skipped {
            reason: "now running (changed since the preview)".into(),
        };
    }
    if let Some(fp) = &item.fingerprint
        && *fp != Fingerprint::of(&now)
    {
        return PruneOutcome::Skipped {
            reason: "started or restarted since the preview".into(),
        };
    }
    remove_checked(engine, item, opts).await
}

/// Remove without force; when the engine refuses, find out why.
async fn remove_checked(engine: &Engine, item: &PruneItem, opts: &PruneOptions) -> PruneOutcome {
    let id = &item.sandbox.id;
    let gone = || PruneOutcome::Skipped {
        reason: "already gone".into(),
    };
    match engine.remove(id, false, opts.volumes).await {
        Ok(()) => PruneOutcome::Removed { bytes: item.size_bytes },
        Err(e) if crate::engine::is_not_found(&e) => gone(),
        Err(e) => match engine.inspect(id).await {
            // The engine refused because it started in the last instant: keep it, say why.
            Ok(d) if d.running || d.paused || d.state.is_live() => PruneOutcome::Skipped {
                reason: format!("now {} (started since it was listed)", d.state),
            },
            Err(e2) if crate::engine::is_not_found(&e2) => gone(),
            _ => PruneOutcome::Failed { error: e.message },
        },
    }
}

/// Carry out a plan with bounded concurrency; `progress` is told each outcome as it happens.
pub async fn execute(
    fleet: &Fleet,
    plan: &PrunePlan,
    opts: &PruneOptions,
    progress: &mut (dyn FnMut(&PruneItem, &PruneOutcome) + Send),
) -> PruneReport {
    // Indices, not references, go through the stream: the future stays `Send` in spawned tasks.
    let items = &plan.remove;
    let mut stream = futures::stream::iter(0..items.len())
        .map(move |i| async move {
            let item = &items[i];
            let outcome = match fleet.engine(&item.sandbox.engine) {
                Some(engine) => remove_one(engine, item, opts).await,
                None => PruneOutcome::Failed {
                    error: format!("engine {} is not connected", item.sandbox.engine),
                },
            };
            (i, outcome)
        })
        .buffer_unordered(CONCURRENCY);
    let mut report = PruneReport::default();
    while let Some((i, outcome)) = stream.next().await {
        let item = &items[i];
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
    let key = |s: &Sandbox| (s.engine.clone(), s.name.clone());
    report.removed.sort_by_key(key);
    report.skipped.sort_by_key(|(s, _)| key(s));
    report.failed.sort_by_key(|(s, _)| key(s));
    report
}

/// Plan and execute in one go (no preview): for callers that already confirmed.
pub async fn prune(fleet: &Fleet, opts: &PruneOptions) -> Result<(PrunePlan, PruneReport)> {
    let p = plan_at_once(fleet, opts).await?;
    let r = execute(fleet, &p, opts, &mut |_, _| {}).await;
    Ok((p, r))
}

/// Error for a prune that cannot ask: no terminal and no `--yes`.
pub fn needs_confirmation(n: usize) -> Error {
    Error::usage(format!("prune would remove {n} sandboxes and needs confirmation"))
        .hint("pass --yes to confirm without a terminal, or --dry-run to only list them")
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn names(p: &PrunePlan) -> Vec<&str> {
        p.remove.iter().map(|i| i.sandbox.name.as_str()).collect()
    }

    #[test]
    fn default_rule_keeps_live_persistent_and_foreign() {
        use ContainerState::*;
        let all = vec![
            c("run", Running, true, false, None, 0),
            c("pause", Paused, true, false, None, 0),
            c("restarting", Restarting, true, false, None, 0),
            c("removing", Removing, true, false, None, 0),
            c("unknown", Unknown, true, false, None, 0),
            c("stop", Exited, true, false, None, 0),
            c("made", Created, true, false, None, 0),
            c("dead", Dead, true, false, None, 0),
            c("keep", Exited, true, true, None, 0),
            c("foreign", Exited, false, false, None, 0),
        ];
        let p = select(&all, &PruneOptions::default(), 1000);
        assert_eq!(names(&p), vec!["dead", "made", "stop"]);
        assert_eq!(p.total_bytes(), 30);
        let counts = p.kept_counts();
        assert_eq!(counts[&KeepReason::Live], 5);
        assert_eq!(counts[&KeepReason::Persistent], 1);
        assert_eq!(counts[&KeepReason::NotSandbox], 1);
        let p = select(
            &all,
            &PruneOptions {
                include_persistent: true,
                ..Default::default()
            },
            1000,
        );
        assert_eq!(names(&p), vec!["dead", "keep", "made", "stop"]);
        // No option ever makes a live sandbox or a non-sandbox a candidate.
        let every = PruneOptions {
            include_persistent: true,
            older_than: Some(Duration::from_secs(0)),
            volumes: true,
            ..Default::default()
        };
        let p = select(&all, &every, 1000);
        assert!(
            !names(&p)
                .iter()
                .any(|n| ["run", "pause", "foreign", "restarting"].contains(n))
        );
    }

    #[test]
    fn unreadable_persist_value_is_kept() {
        let mut x = c("odd", ContainerState::Exited, true, false, None, 0);
        for v in ["yes", "1", "TRUE", " true", ""] {
            x.labels.insert(labels::PERSIST.into(), v.into());
            let p = select(std::slice::from_ref(&x), &PruneOptions::default(), 1000);
            assert!(p.remove.is_empty(), "persist={v:?} must be kept");
        }
        for v in ["false", "False", "FALSE"] {
            x.labels.insert(labels::PERSIST.into(), v.into());
            let p = select(std::slice::from_ref(&x), &PruneOptions::default(), 1000);
            assert_eq!(p.remove.len(), 1, "persist={v:?} may go");
        }
        x.labels.remove(labels::PERSIST);
        assert_eq!(select(&[x], &PruneOptions::default(), 1000).remove.len(), 1);
    }

    #[test]
    fn managed_must_be_exactly_true() {
        let mut x = c("m", ContainerState::Exited, true, false, None, 0);
        x.labels.insert(labels::MANAGED.into(), "True".into());
        let p = select(&[x], &PruneOptions::default(), 1000);
        assert!(p.remove.is_empty());
        assert_eq!(p.kept[0].1, KeepReason::NotSandbox);
    }

    #[test]
    fn age_project_and_label_filters() {
        use ContainerState::*;
        let mut old_label = c("labelled-old", Exited, true, false, Some("a"), 990);
        // The created-at label wins over the engine's time.
        old_label
            .labels
            .insert(labels::CREATED_AT.into(), "1970-01-01T00:00:00Z".into());
        let mut young_label = c("labelled-young", Exited, true, false, Some("a"), 0);
        young_label
            .labels
            .insert(labels::CREATED_AT.into(), "1970-01-01T00:16:30+00:00".into());
        let mut bad_label = c("bad-label", Exited, true, false, Some("a"), 0);
        bad_label.labels.insert(labels::CREATED_AT.into(), "yesterday".into());
        let all = vec![
            c("old", Exited, true, false, Some("a"), 0),
            c("young", Exited, true, false, Some("b"), 950),
            c("noproj", Exited, true, false, None, 0),
            old_label,
            young_label,
            bad_label,
        ];
        let older = |s| PruneOptions {
            older_than: Some(Duration::from_secs(s)),
            ..Default::default()
        };
        assert_eq!(
            names(&select(&all, &older(100), 1000)),
            vec!["bad-label", "labelled-old", "noproj", "old"]
        );
        // Exactly at the boundary counts as old enough.
        assert_eq!(names(&select(&all, &older(50), 1000)).len(), 5);
        assert_eq!(names(&select(&all, &older(51), 1000)).len(), 4);
        let p = select(
            &all,
            &PruneOptions {
                project: Some("b".into()),
                ..Default::default()
            },
            1000,
        );
        assert_eq!(names(&p), vec!["young"]);
        assert!(
            p.kept
                .iter()
                .any(|(s, r)| s.name == "noproj" && *r == KeepReason::OtherProject)
        );
        let mut tagged = c("tagged", Exited, true, false, None, 0);
        tagged.labels.insert("team".into(), "x".into());
        let mut all = all;
        all.push(tagged);
        let by_label = |f: &str| PruneOptions {
            labels: vec![f.into()],
            ..Default::default()
        };
        assert_eq!(names(&select(&all, &by_label("team=x"), 1000)), vec!["tagged"]);
        assert_eq!(names(&select(&all, &by_label("team"), 1000)), vec!["tagged"]);
        assert!(select(&all, &by_label("team=y"), 1000).remove.is_empty());
    }

    #[test]
    fn options_from_words() {
        let o = PruneOptions::from_words(&["--older-than", "2h", "--project=p", "--volumes", "--include-persistent"])
            .unwrap();
        assert_eq!(o.older_than, Some(Duration::from_secs(7200)));
        assert_eq!(o.project.as_deref(), Some("p"));
        assert!(o.volumes && o.include_persistent);
        assert_eq!(PruneOptions::from_words(&[]).unwrap(), PruneOptions::default());
        let e = PruneOptions::from_words(&["--force"]).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(PruneOptions::from_words(&["--project"]).is_err());
        assert!(PruneOptions::from_words(&["--older-than", "soon"]).is_err());
    }

    #[test]
    fn huge_older_than_does_not_overflow() {
        let all = vec![c("old", ContainerState::Exited, true, false, None, 0)];
        let p = select(
            &all,
            &PruneOptions {
                older_than: Some(Duration::from_secs(u64::MAX)),
                ..Default::default()
            },
            1000,
        );
        assert!(p.remove.is_empty());
    }
}
