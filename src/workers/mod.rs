//! Engine workers: one task per engine, plus a router that splits each [`Action`] by engine.
//!
//! Workers own their engine connection and every stream (events, stats of watched rows, the
//! followed log). They report with [`Msg`]s and never touch UI state. A worker whose engine goes
//! away reports [`Msg::EngineDown`], retries with backoff (1 s doubling to 30 s), and on return
//! re-lists, re-opens its event stream, and resumes the stats streams and the log follow it was
//! asked for.

pub mod engine;
pub mod procs;

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use crate::app::msg::{Action, Msg, RowKey, Target};
use crate::config::Config;
use crate::engine::{EngineTarget, HostSource};

/// Give every target a stable display name before connecting (rows are keyed by it):
/// the configured name, else `podman`/`docker` from the address, made unique.
pub fn name_targets(targets: &mut [EngineTarget]) {
    let mut seen: Vec<String> = Vec::new();
    for t in targets.iter_mut() {
        let base = t.name.clone().unwrap_or_else(|| {
            if t.url.contains("podman") {
                "podman".to_string()
            } else if t.url.starts_with("unix://") || t.url.starts_with("npipe://") {
                "docker".to_string()
            } else {
                t.url
                    .split("://")
                    .nth(1)
                    .and_then(|h| h.split(':').next())
                    .filter(|h| !h.is_empty())
                    .unwrap_or("engine")
                    .to_string()
            }
        });
        let mut name = base.clone();
        let mut i = 2;
        while seen.contains(&name) {
            name = format!("{base}-{i}");
            i += 1;
        }
        seen.push(name.clone());
        t.name = Some(name);
    }
}

/// Start one worker per target and the router. Returns the sender for actions.
pub fn spawn(
    mut targets: Vec<EngineTarget>,
    config: Arc<Config>,
    msgs: UnboundedSender<Msg>,
) -> UnboundedSender<Action> {
    name_targets(&mut targets);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(route(rx, targets, config, msgs));
    tx
}

fn start_worker(
    target: EngineTarget,
    config: &Arc<Config>,
    msgs: &UnboundedSender<Msg>,
) -> (String, UnboundedSender<Action>) {
    let name = target.name.clone().unwrap_or_default();
    let (tx, rx) = mpsc::unbounded_channel();
    let w = engine::EngineWorker::new(target, config.clone(), msgs.clone(), rx);
    tokio::spawn(w.run());
    (name, tx)
}

fn group(targets: Vec<Target>) -> BTreeMap<String, Vec<Target>> {
    let mut by: BTreeMap<String, Vec<Target>> = BTreeMap::new();
    for t in targets {
        by.entry(t.key.engine.clone()).or_default().push(t);
    }
    by
}

/// The router: sends each action (or its per-engine part) to the right worker.
pub async fn route(
    mut rx: UnboundedReceiver<Action>,
    targets: Vec<EngineTarget>,
    config: Arc<Config>,
    msgs: UnboundedSender<Msg>,
) {
    let mut workers: Vec<(String, UnboundedSender<Action>)> =
        targets.into_iter().map(|t| start_worker(t, &config, &msgs)).collect();
    let mut all = false;
    let mut watch: Vec<RowKey> = Vec::new();
    let mut follow: Option<RowKey> = None;
    let send = |workers: &Vec<(String, UnboundedSender<Action>)>, engine: &str, a: Action| match workers
        .iter()
        .find(|(n, _)| n == engine)
    {
        Some((_, tx)) => {
            let _ = tx.send(a);
        }
        None => {
            let _ = msgs.send(Msg::Error(format!("engine {engine} is not connected")));
        }
    };
    while let Some(a) = rx.recv().await {
        match a {
            Action::SetAll(b) => {
                all = b;
                for (_, tx) in &workers {
                    let _ = tx.send(Action::SetAll(b));
                }
            }
            Action::Watch(keys) => {
                watch = keys.clone();
                for (name, tx) in &workers {
                    let mine = keys.iter().filter(|k| &k.engine == name).cloned().collect();
                    let _ = tx.send(Action::Watch(mine));
                }
            }
            Action::FollowLogs(k) => {
                follow = k.clone();
                for (name, tx) in &workers {
                    let mine = k.clone().filter(|k| &k.engine == name);
                    let _ = tx.send(Action::FollowLogs(mine));
                }
            }
            Action::ResumeLogs { key, since } => {
                let engine = key.engine.clone();
                send(&workers, &engine, Action::ResumeLogs { key, since });
            }
            Action::Inspect(k) => {
                let engine = k.engine.clone();
                send(&workers, &engine, Action::Inspect(k));
            }
            Action::Lifecycle { verb, targets } => {
                for (engine, ts) in group(targets) {
                    send(&workers, &engine, Action::Lifecycle { verb, targets: ts });
                }
            }
            Action::PrunePlan(opts) => {
                for (_, tx) in &workers {
                    let _ = tx.send(Action::PrunePlan(opts.clone()));
                }
            }
            Action::PruneRun { plan, opts } => {
                let mut by: BTreeMap<String, crate::sandbox::prune::PrunePlan> = BTreeMap::new();
                for item in plan.remove {
                    by.entry(item.sandbox.engine.clone()).or_default().remove.push(item);
                }
                for (engine, part) in by {
                    if workers.iter().any(|(n, _)| *n == engine) {
                        send(
                            &workers,
                            &engine,
                            Action::PruneRun {
                                plan: part,
                                opts: opts.clone(),
                            },
                        );
                    } else {
                        for item in &part.remove {
                            let _ = msgs.send(Msg::PruneItem {
                                engine: engine.clone(),
                                id: item.sandbox.id.clone(),
                                outcome: crate::sandbox::prune::PruneOutcome::Failed {
                                    error: format!("engine {engine} is not connected"),
                                },
                            });
                        }
                        let _ = msgs.send(Msg::PruneDone { engine });
                    }
                }
            }
            Action::Run { targets, command } => {
                for (engine, ts) in group(targets) {
                    send(
                        &workers,
                        &engine,
                        Action::Run {
                            targets: ts,
                            command: command.clone(),
                        },
                    );
                }
            }
            Action::Create { engine, opts } => {
                let name = engine
                    .or_else(|| workers.first().map(|(n, _)| n.clone()))
                    .unwrap_or_default();
                send(&workers, &name, Action::Create { engine: None, opts });
            }
            Action::OpenSession {
                target,
                profile,
                cols,
                rows,
                waker,
            } => {
                let engine = target.key.engine.clone();
                send(
                    &workers,
                    &engine,
                    Action::OpenSession {
                        target,
                        profile,
                        cols,
                        rows,
                        waker,
                    },
                );
            }
            Action::Quit => {}
            Action::Procs(pa) => {
                let names: Vec<String> = workers.iter().map(|(n, _)| n.clone()).collect();
                for (engine, a) in pa.route(&names) {
                    send(&workers, &engine, Action::Procs(a));
                }
            }
            Action::AddHost(url) => {
                if workers.iter().any(|(_, tx)| tx.is_closed()) {
                    workers.retain(|(_, tx)| !tx.is_closed());
                }
                let mut all_targets: Vec<EngineTarget> = workers
                    .iter()
                    .map(|(n, _)| {
                        let mut t = EngineTarget::new(String::new(), HostSource::Flag);
                        t.name = Some(n.clone());
                        t
                    })
                    .collect();
                all_targets.push(EngineTarget::new(url, HostSource::Flag));
                name_targets(&mut all_targets);
                let Some(t) = all_targets.pop() else { continue };
                let (name, tx) = start_worker(t, &config, &msgs);
                let _ = tx.send(Action::SetAll(all));
                let _ = tx.send(Action::Watch(
                    watch.iter().filter(|k| k.engine == name).cloned().collect(),
                ));
                let _ = tx.send(Action::FollowLogs(follow.clone().filter(|k| k.engine == name)));
                workers.push((name, tx));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_are_stable_and_unique() {
        let mut t = vec![
            EngineTarget::new("unix:///var/run/docker.sock", HostSource::Flag),
            EngineTarget::new("unix:///run/boxdeck-test/podman.sock", HostSource::Flag),
            EngineTarget::new("unix:///other/docker.sock", HostSource::Flag),
            EngineTarget::new("tcp://build-box:2375", HostSource::Flag),
        ];
        name_targets(&mut t);
        let names: Vec<_> = t.iter().map(|t| t.name.clone().unwrap()).collect();
        assert_eq!(names, ["docker", "podman", "docker-2", "build-box"]);
    }
}
