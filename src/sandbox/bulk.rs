//! Bulk lifecycle actions (SPEC 7.1): stop, start, restart and destroy over a set of targets,
//! concurrently with a bound, telling a progress callback as each item starts and finishes,
//! and returning a report that names each failure and why. The CLI (`stop|start|restart|rm`)
//! and the dashboard workers (marked sandboxes) both use it.
//!
//! Running a command in many sandboxes (fan-out, SPEC 6.3) lives in the run/fan-out code; this
//! module is for lifecycle verbs.

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::Serialize;

use super::Sandbox;
use super::fleet::Target;
use crate::engine::ContainerState;
use crate::{Error, Result};

/// How many actions run at once.
pub const CONCURRENCY: usize = 8;
/// Grace period for stop and restart, in seconds.
pub const STOP_GRACE_SECS: i32 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "verb")]
pub enum Verb {
    Stop,
    Start,
    Restart,
    Remove { force: bool, volumes: bool },
}

impl Verb {
    /// "stopped", "started", ...
    pub fn past(&self) -> &'static str {
        match self {
            Verb::Stop => "stopped",
            Verb::Start => "started",
            Verb::Restart => "restarted",
            Verb::Remove { .. } => "removed",
        }
    }

    /// "stopping", "starting", ...
    pub fn progressive(&self) -> &'static str {
        match self {
            Verb::Stop => "stopping",
            Verb::Start => "starting",
            Verb::Restart => "restarting",
            Verb::Remove { .. } => "removing",
        }
    }

    /// "stop", "start", ...
    pub fn name(&self) -> &'static str {
        match self {
            Verb::Stop => "stop",
            Verb::Start => "start",
            Verb::Restart => "restart",
            Verb::Remove { .. } => "destroy",
        }
    }
}

/// What happened to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The action was carried out.
    Ok,
    /// Nothing to do (already in the wanted state).
    Unchanged(String),
}

/// A progress event for one target.
#[derive(Debug)]
pub enum Progress<'a> {
    Started(&'a Sandbox),
    Finished(&'a Sandbox, &'a Result<Done>, Duration),
}

/// The outcome of a bulk action.
#[derive(Debug, Clone, Default)]
pub struct BulkReport {
    /// Targets the action succeeded on (or that needed nothing), in input order.
    pub ok: Vec<(Sandbox, Done)>,
    /// Targets it failed on, with the reason, in input order.
    pub failed: Vec<(Sandbox, Error)>,
}

impl BulkReport {
    pub fn total(&self) -> usize {
        self.ok.len() + self.failed.len()
    }

    /// One line: "stopped 4 of 5; 1 failed: box-3 (…)".
    pub fn summary(&self, verb: Verb) -> String {
        let mut s = format!("{} {} of {}", verb.past(), self.ok.len(), self.total());
        if !self.failed.is_empty() {
            let names: Vec<String> = self
                .failed
                .iter()
                .map(|(sb, e)| format!("{}: {}", sb.name, e.message))
                .collect();
            s.push_str(&format!("; {} failed: {}", self.failed.len(), names.join("; ")));
        }
        s
    }
}

/// Apply one verb to one target. Stopping a stopped sandbox, or starting a running one, is
/// not an error (nothing to do); removing a live one without `force` is.
pub async fn apply(t: &Target, verb: Verb) -> Result<Done> {
    let e = &t.engine;
    let s = &t.sandbox;
    let id = &s.id;
    match verb {
        Verb::Stop => {
            if !s.state.is_live() {
                return Ok(Done::Unchanged(format!("already {}", s.state)));
            }
            if s.state == ContainerState::Paused {
                // A paused container stops on Docker only after it is unpaused.
                let _ = e.unpause(id).await;
            }
            e.stop(id, STOP_GRACE_SECS).await.map(|()| Done::Ok)
        }
        Verb::Start => match s.state {
            ContainerState::Paused => e.unpause(id).await.map(|()| Done::Ok),
            ContainerState::Running => Ok(Done::Unchanged("already running".into())),
            _ => e.start(id).await.map(|()| Done::Ok),
        },
        Verb::Restart => {
            if s.state == ContainerState::Paused {
                let _ = e.unpause(id).await;
            }
            e.restart(id, STOP_GRACE_SECS).await.map(|()| Done::Ok)
        }
        Verb::Remove { force, volumes } => {
            if !force && s.state.is_live() {
                return Err(Error::failed(format!("{} is {}", s.name, s.state))
                    .hint(format!("stop it first (boxdeck stop {}) or use rm --force", s.name)));
            }
            e.remove(id, force, volumes).await.map(|()| Done::Ok)
        }
    }
}

/// Apply `verb` to every target, at most [`CONCURRENCY`] at once.
pub async fn run(targets: &[Target], verb: Verb, progress: &mut (dyn FnMut(Progress<'_>) + Send)) -> BulkReport {
    run_bounded(targets, verb, CONCURRENCY, progress).await
}

/// [`run`] with an explicit bound.
pub async fn run_bounded(
    targets: &[Target],
    verb: Verb,
    bound: usize,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> BulkReport {
    // Starts are reported as each item is picked up; the callback is only ever called from
    // this task, so it needs no locking.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    // Indices, not references, go through the stream: the future stays `Send` in spawned tasks.
    let mut stream = futures::stream::iter(0..targets.len())
        .map(move |i| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(i);
                let t0 = Instant::now();
                let r = apply(&targets[i], verb).await;
                (i, r, t0.elapsed())
            }
        })
        .buffer_unordered(bound.max(1));
    let mut results: Vec<Option<Result<Done>>> = vec![None; targets.len()];
    loop {
        tokio::select! {
            biased;
            Some(i) = rx.recv() => progress(Progress::Started(&targets[i].sandbox)),
            next = stream.next() => match next {
                Some((i, r, took)) => {
                    while let Ok(j) = rx.try_recv() {
                        progress(Progress::Started(&targets[j].sandbox));
                    }
                    progress(Progress::Finished(&targets[i].sandbox, &r, took));
                    results[i] = Some(r);
                }
                None => break,
            },
        }
    }
    let mut report = BulkReport::default();
    for (t, r) in targets.iter().zip(results) {
        match r {
            Some(Ok(d)) => report.ok.push((t.sandbox.clone(), d)),
            Some(Err(e)) => report.failed.push((t.sandbox.clone(), e)),
            None => report
                .failed
                .push((t.sandbox.clone(), Error::failed("the action did not run"))),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(name: &str) -> Sandbox {
        crate::sandbox::test_sandbox(name)
    }

    #[test]
    fn summary_names_each_failure_and_why() {
        let r = BulkReport {
            ok: vec![(sb("a"), Done::Ok), (sb("b"), Done::Unchanged("already exited".into()))],
            failed: vec![(sb("c"), Error::failed("c is running"))],
        };
        assert_eq!(r.total(), 3);
        assert_eq!(
            r.summary(Verb::Remove {
                force: false,
                volumes: false
            }),
            "removed 2 of 3; 1 failed: c: c is running"
        );
        let ok = BulkReport {
            ok: vec![(sb("a"), Done::Ok)],
            failed: Vec::new(),
        };
        assert_eq!(ok.summary(Verb::Stop), "stopped 1 of 1");
    }
}
