//! The worker half of the dashboard's Processes tab and `x` against the real engines: the same
//! `ProcAction`s the UI sends, carried out by `ProcWorker` on a real Docker/Podman engine, and the
//! `Msg`s it answers with.

use crate::common;

use std::time::Duration;

use boxdeck::app::msg::{Msg, RowKey, Target};
use boxdeck::engine::Engine;
use boxdeck::sandbox::fanout::FanoutEvent;
use boxdeck::sandbox::procs::{ProcInfo, ProcState};
use boxdeck::workers::procs::{ProcAction, ProcMsg, ProcWorker};
use common::{RunId, engines, rt};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

async fn next(rx: &mut UnboundedReceiver<Msg>) -> Msg {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a worker message within 30s")
        .expect("channel open")
}

/// Wait for the next listing (skipping other messages, which are returned).
async fn listed(rx: &mut UnboundedReceiver<Msg>) -> (Vec<ProcInfo>, Vec<Msg>) {
    let mut other = Vec::new();
    loop {
        match next(rx).await {
            Msg::Procs(ProcMsg::Listed { result, .. }) => return (result.expect("listing"), other),
            m => other.push(m),
        }
    }
}

async fn id_of(e: &Engine, name: &str) -> String {
    e.inspect(name).await.expect("inspect").id
}

#[test]
fn worker_starts_follows_kills_and_fans_out() {
    let es = engines();
    let run = RunId::new(&es);
    for te in &es {
        let a = run.create(&te.url, &run.name(&format!("dw-{}", te.kind)), &[]);
        let b = run.create(&te.url, &run.name(&format!("dw2-{}", te.kind)), &[]);
        rt().block_on(async {
            let engine = te.connect().await;
            let key = RowKey {
                engine: engine.name.clone(),
                id: id_of(&engine, &a).await,
            };
            let target = Target {
                key: key.clone(),
                name: a.clone(),
            };
            let (tx, mut rx) = unbounded_channel();
            let mut w = ProcWorker::default();

            // x: a detached process; the worker reports its id, then the fresh listing.
            w.on_action(
                &engine,
                ProcAction::Start {
                    target: target.clone(),
                    command: "echo first; sleep 4; printf second".into(),
                },
                &tx,
            );
            let started = match next(&mut rx).await {
                Msg::Procs(ProcMsg::Started { proc_id, name, .. }) => {
                    assert_eq!(name, a);
                    proc_id
                }
                m => panic!("expected Started, got {m:?}"),
            };
            let (list, _) = listed(&mut rx).await;
            let p = list.iter().find(|p| p.id == started).expect("listed").clone();
            assert_eq!(p.state, ProcState::Running);

            // Follow it: all output, in order, then the end.
            w.on_action(&engine, ProcAction::Follow(Some((key.clone(), Box::new(p)))), &tx);
            let mut out = Vec::new();
            loop {
                match next(&mut rx).await {
                    Msg::Procs(ProcMsg::Output { proc_id, data, .. }) => {
                        assert_eq!(proc_id, started);
                        out.extend(data);
                    }
                    Msg::Procs(ProcMsg::OutputEnded { error, .. }) => {
                        assert_eq!(error, None);
                        break;
                    }
                    m => panic!("unexpected {m:?}"),
                }
            }
            assert_eq!(String::from_utf8_lossy(&out), "first\nsecond");
            w.on_action(&engine, ProcAction::List(key.clone()), &tx);
            let (list, _) = listed(&mut rx).await;
            let p = list.iter().find(|p| p.id == started).unwrap();
            assert_eq!((p.state, p.exit_code), (ProcState::Exited, Some(0)));

            // Kill a process with children: message, then a listing that says killed.
            w.on_action(
                &engine,
                ProcAction::Start {
                    target: target.clone(),
                    command: "sleep 311 & sleep 312; wait".into(),
                },
                &tx,
            );
            let (list, other) = listed(&mut rx).await;
            let victim = other
                .iter()
                .find_map(|m| match m {
                    Msg::Procs(ProcMsg::Started { proc_id, .. }) => Some(proc_id.clone()),
                    _ => None,
                })
                .expect("started");
            let p = list.iter().find(|p| p.id == victim).unwrap().clone();
            w.on_action(
                &engine,
                ProcAction::Kill {
                    key: key.clone(),
                    name: a.clone(),
                    proc: Box::new(p),
                },
                &tx,
            );
            let (list, other) = listed(&mut rx).await;
            assert!(
                other.iter().any(|m| matches!(m, Msg::Info(t) if t.contains("killed"))),
                "{other:?}"
            );
            let p = list.iter().find(|p| p.id == victim).unwrap();
            assert_eq!(p.state, ProcState::Killed, "{p:?}");
            let ps = engine
                .exec_collect(&key.id, &boxdeck::engine::ExecSpec::cmd(["ps", "-o", "args"]))
                .await
                .unwrap();
            let ps = String::from_utf8_lossy(&ps.stdout).into_owned();
            assert!(!ps.contains("sleep 311") && !ps.contains("sleep 312"), "{ps}");

            // Fan-out over two sandboxes with the results table's row numbers kept.
            let tb = Target {
                key: RowKey {
                    engine: engine.name.clone(),
                    id: id_of(&engine, &b).await,
                },
                name: b.clone(),
            };
            w.on_action(
                &engine,
                ProcAction::Fanout {
                    run: 42,
                    targets: vec![(5, target.clone()), (9, tb)],
                    command: "sleep 1; echo out-$(hostname); exit 3".into(),
                },
                &tx,
            );
            let mut done = Vec::new();
            let mut outputs = Vec::new();
            while done.len() < 2 {
                match next(&mut rx).await {
                    Msg::Procs(ProcMsg::Fanout { run, event }) => {
                        assert_eq!(run, 42);
                        match event {
                            FanoutEvent::Output { index, data, .. } => outputs.push((index, data)),
                            FanoutEvent::Done { index, result } => {
                                let r = result.expect("ran");
                                assert_eq!(r.exit_code, 3);
                                assert!(r.duration >= Duration::from_secs(1));
                                done.push(index);
                            }
                        }
                    }
                    m => panic!("unexpected {m:?}"),
                }
            }
            done.sort();
            assert_eq!(done, [5, 9]);
            assert!(outputs.iter().any(|(i, d)| *i == 5 && d.starts_with(b"out-")));
            assert!(outputs.iter().any(|(i, d)| *i == 9 && d.starts_with(b"out-")));
        });
    }
}
