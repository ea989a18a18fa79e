//! Processes and fan-out on the engine workers (SPEC 6): the worker half of the Processes tab
//! and of `x`. The UI half is [`crate::procview::wire`].
//!
//! The UI sends [`ProcAction`]s inside `Action::Procs`; the router splits them per engine with
//! [`ProcAction::route`]; each engine worker carries them out in [`ProcWorker::on_action`] and
//! answers with [`ProcMsg`]s inside `Msg::Procs`. Every engine call runs in its own task, so a
//! slow sandbox never holds up the worker.

use std::sync::Arc;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use crate::app::msg::{Action, Msg, RowKey, Target};
use crate::engine::Engine;
use crate::sandbox::fanout::{self, FanoutEvent};
use crate::sandbox::procs::{self, DetachOptions, ExecCache, KillOutcome, ProcInfo};
use crate::sandbox::run::RunOptions;

/// A request about processes, UI -> workers.
#[derive(Debug, Clone, PartialEq)]
pub enum ProcAction {
    /// List the processes of this sandbox (answer: [`ProcMsg::Listed`]).
    List(RowKey),
    /// Follow the output of this boxdeck process (from the start), or stop following.
    Follow(Option<(RowKey, Box<ProcInfo>)>),
    /// Kill this process's group (answer: a message, then a fresh [`ProcMsg::Listed`]).
    Kill {
        key: RowKey,
        name: String,
        proc: Box<ProcInfo>,
    },
    /// Start `sh -c COMMAND` detached in the target (answer: [`ProcMsg::Started`]).
    Start { target: Target, command: String },
    /// Run `sh -c COMMAND` in every target at once; `usize` is the row of the results table.
    Fanout {
        run: u64,
        targets: Vec<(usize, Target)>,
        command: String,
    },
}

/// What a worker reports about processes, workers -> UI.
#[derive(Debug, Clone)]
pub enum ProcMsg {
    Listed {
        key: RowKey,
        result: Result<Vec<ProcInfo>, String>,
    },
    /// A piece of the followed output.
    Output {
        key: RowKey,
        proc_id: String,
        data: Vec<u8>,
    },
    /// The follow ended: the process ended (error None) or reading failed.
    OutputEnded {
        key: RowKey,
        proc_id: String,
        error: Option<String>,
    },
    Started {
        key: RowKey,
        name: String,
        proc_id: String,
    },
    /// One fan-out event; `index` in the event is the row of the results table.
    Fanout {
        run: u64,
        event: FanoutEvent,
    },
}

impl ProcAction {
    /// Split an action over the engine workers (by name): `(engine, action)` pairs.
    pub fn route(self, engines: &[String]) -> Vec<(String, ProcAction)> {
        match self {
            ProcAction::List(ref k) => vec![(k.engine.clone(), self)],
            ProcAction::Kill { ref key, .. } => vec![(key.engine.clone(), self)],
            ProcAction::Start { ref target, .. } => vec![(target.key.engine.clone(), self)],
            ProcAction::Follow(f) => engines
                .iter()
                .map(|e| {
                    let mine = f.clone().filter(|(k, _)| &k.engine == e);
                    (e.clone(), ProcAction::Follow(mine))
                })
                .collect(),
            ProcAction::Fanout { run, targets, command } => {
                let mut by: Vec<(String, Vec<(usize, Target)>)> = Vec::new();
                for (i, t) in targets {
                    match by.iter_mut().find(|(e, _)| *e == t.key.engine) {
                        Some((_, v)) => v.push((i, t)),
                        None => by.push((t.key.engine.clone(), vec![(i, t)])),
                    }
                }
                by.into_iter()
                    .map(|(e, targets)| {
                        (
                            e,
                            ProcAction::Fanout {
                                run,
                                targets,
                                command: command.clone(),
                            },
                        )
                    })
                    .collect()
            }
        }
    }
}

/// How much of an existing output a follow reads before the live part.
pub const FOLLOW_FROM_END: u64 = 256 * 1024;

/// The per-engine state: the one output follow in flight, and the settled exec records.
pub struct ProcWorker {
    follow: Option<JoinHandle<()>>,
    cache: Arc<tokio::sync::Mutex<ExecCache>>,
    /// The cap on a new detached process's kept output (`[processes] output_cap`).
    pub output_cap: u64,
}

impl Default for ProcWorker {
    fn default() -> Self {
        ProcWorker::with_output_cap(procs::OUTPUT_CAP)
    }
}

impl Drop for ProcWorker {
    fn drop(&mut self) {
        if let Some(h) = self.follow.take() {
            h.abort();
        }
    }
}

fn send(msgs: &UnboundedSender<Msg>, m: ProcMsg) {
    let _ = msgs.send(Msg::Procs(m));
}

async fn list(engine: &Engine, key: RowKey, cache: &tokio::sync::Mutex<ExecCache>, msgs: &UnboundedSender<Msg>) {
    let mut cache = cache.lock().await;
    let result = procs::list_cached(engine, &key.id, &mut cache)
        .await
        .map_err(|e| e.message);
    send(msgs, ProcMsg::Listed { key, result });
}

impl ProcWorker {
    pub fn with_output_cap(output_cap: u64) -> Self {
        ProcWorker {
            follow: None,
            cache: Default::default(),
            output_cap,
        }
    }

    pub fn on_action(&mut self, engine: &Engine, a: ProcAction, msgs: &UnboundedSender<Msg>) {
        let msgs = msgs.clone();
        let engine = engine.clone();
        let cache = self.cache.clone();
        let output_cap = self.output_cap;
        match a {
            ProcAction::List(key) => {
                tokio::spawn(async move { list(&engine, key, &cache, &msgs).await });
            }
            ProcAction::Follow(f) => {
                if let Some(h) = self.follow.take() {
                    h.abort();
                }
                let Some((key, p)) = f else { return };
                self.follow = Some(tokio::spawn(async move {
                    let m = msgs.clone();
                    let (k, id) = (key.clone(), p.id.clone());
                    let mut sink = move |d: &[u8]| {
                        send(
                            &m,
                            ProcMsg::Output {
                                key: k.clone(),
                                proc_id: id.clone(),
                                data: d.to_vec(),
                            },
                        )
                    };
                    let short = &key.id[..key.id.len().min(12)];
                    // The pane keeps the last lines only: start near the end of a long output.
                    let from = p.output_bytes.unwrap_or(0).saturating_sub(FOLLOW_FROM_END);
                    let r = procs::output(&engine, &key.id, short, &p, from, p.is_running(), &mut sink).await;
                    send(
                        &msgs,
                        ProcMsg::OutputEnded {
                            key,
                            proc_id: p.id.clone(),
                            error: r.err().map(|e| e.message),
                        },
                    );
                }));
            }
            ProcAction::Kill { key, name, proc } => {
                tokio::spawn(async move {
                    let m = match procs::kill(&engine, &key.id, &name, &proc).await {
                        Ok(KillOutcome::Killed) => Msg::Info(format!("killed {} in {name}", proc.id)),
                        Ok(KillOutcome::NotRunning) => Msg::Info(format!("{} in {name} had already ended", proc.id)),
                        Err(e) => Msg::Error(e.message),
                    };
                    let _ = msgs.send(m);
                    list(&engine, key, &cache, &msgs).await;
                });
            }
            ProcAction::Start { target, command } => {
                tokio::spawn(async move {
                    let cmd = ["sh".to_string(), "-c".to_string(), command];
                    let opts = DetachOptions {
                        output_cap,
                        ..Default::default()
                    };
                    match procs::start(&engine, &target.key.id, &cmd, &opts).await {
                        Ok(s) => send(
                            &msgs,
                            ProcMsg::Started {
                                key: target.key.clone(),
                                name: target.name.clone(),
                                proc_id: s.id,
                            },
                        ),
                        Err(e) => {
                            let _ = msgs.send(Msg::Error(format!("{}: {}", target.name, e.message)));
                        }
                    }
                    list(&engine, target.key, &cache, &msgs).await;
                });
            }
            ProcAction::Fanout { run, targets, command } => {
                tokio::spawn(async move {
                    let rows: Vec<usize> = targets.iter().map(|(i, _)| *i).collect();
                    let ids = targets.into_iter().map(|(_, t)| (engine.clone(), t.key.id)).collect();
                    let cmd = vec!["sh".to_string(), "-c".to_string(), command];
                    let mut events = fanout::fanout_in(ids, cmd, RunOptions::default(), fanout::DEFAULT_CONCURRENCY);
                    while let Some(ev) = events.next().await {
                        let event = match ev {
                            FanoutEvent::Output { index, stream, data } => FanoutEvent::Output {
                                index: rows[index],
                                stream,
                                data,
                            },
                            FanoutEvent::Done { index, result } => FanoutEvent::Done {
                                index: rows[index],
                                result,
                            },
                        };
                        send(&msgs, ProcMsg::Fanout { run, event });
                    }
                });
            }
        }
    }
}

/// Wrap for the action channel.
pub fn action(a: ProcAction) -> Action {
    Action::Procs(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(engine: &str, id: &str) -> Target {
        Target {
            key: RowKey {
                engine: engine.into(),
                id: id.into(),
            },
            name: id.into(),
        }
    }

    #[test]
    fn routes_per_engine() {
        let engines = vec!["docker".to_string(), "podman".to_string()];
        let a = ProcAction::Fanout {
            run: 1,
            targets: vec![(0, t("docker", "a")), (1, t("podman", "b")), (2, t("docker", "c"))],
            command: "true".into(),
        };
        let r = a.route(&engines);
        assert_eq!(r.len(), 2);
        let ProcAction::Fanout { targets, .. } = &r[0].1 else {
            panic!()
        };
        assert_eq!(r[0].0, "docker");
        assert_eq!(targets.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2]);
        // A follow goes to every engine: the others stop theirs.
        let r = ProcAction::Follow(None).route(&engines);
        assert_eq!(r.len(), 2);
        assert_eq!(ProcAction::List(t("podman", "x").key).route(&engines)[0].0, "podman");
    }
}
