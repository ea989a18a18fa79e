//! The engine workers against the real engines (Docker and Podman): the listing, stats only
//! for watched rows, the log follow, lifecycle actions reflected through the event stream,
//! and inspect.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use boxdeck::app::msg::{Action, Msg, RowKey, Target, Verb};
use boxdeck::config::Config;
use boxdeck::engine::{ContainerState, EngineTarget, HostSource};
use common::{RunId, TEST_IMAGE};
use tokio::sync::mpsc::UnboundedReceiver;

/// Wait for the first message that `pick` accepts (others are skipped).
async fn wait<T>(rx: &mut UnboundedReceiver<Msg>, what: &str, secs: u64, mut pick: impl FnMut(&Msg) -> Option<T>) -> T {
    let end = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(end, rx.recv()).await {
            Ok(Some(m)) => {
                if let Some(t) = pick(&m) {
                    return t;
                }
            }
            Ok(None) => panic!("workers gone while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

#[test]
fn workers_list_watch_follow_act_and_inspect() {
    let engines = common::engines();
    for e in &engines {
        let rid = RunId::new(std::slice::from_ref(e));
        let marker = format!("W-{}", rid.id);
        let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
        cfg.push_str(&format!(
            "[profiles.talk]\nimage = \"{TEST_IMAGE}\"\ncommand = [\"sh\", \"-c\", \"while true; do echo {marker}; sleep 0.2; done\"]\n"
        ));
        std::fs::write(&rid.config, &cfg).unwrap();
        let a = rid.create(&e.url, &rid.name("wa"), &["--profile", "talk"]);
        let b = rid.create(&e.url, &rid.name("wb"), &[]);
        let config = Config::parse(&cfg).unwrap();
        let rt = common::rt();
        rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut t = EngineTarget::new(e.url.clone(), HostSource::Flag);
            t.name = Some("eng".into());
            let actions = boxdeck::workers::spawn(vec![t], Arc::new(config), tx);
            let rows = wait(&mut rx, "the snapshot", 20, |m| match m {
                Msg::Snapshot { engine, rows } if engine == "eng" => Some(rows.clone()),
                _ => None,
            })
            .await;
            let key = |n: &str| {
                let s = rows
                    .iter()
                    .find(|s| s.name == n)
                    .unwrap_or_else(|| panic!("{n} not listed on {}", e.kind));
                RowKey::of(s)
            };
            let (ka, kb) = (key(&a), key(&b));
            assert!(rows.iter().all(|s| s.managed), "only sandboxes are listed by default");

            // Stats only for the watched row.
            actions.send(Action::Watch(vec![ka.clone()])).unwrap();
            let mut got_a = 0;
            let end = tokio::time::Instant::now() + Duration::from_secs(6);
            while let Ok(Some(m)) = tokio::time::timeout_at(end, rx.recv()).await {
                if let Msg::Stats { key, sample } = m {
                    assert_ne!(key, kb, "no stats for an unwatched row ({})", e.kind);
                    if key == ka {
                        got_a += 1;
                        assert!(sample.pids >= 1, "{sample:?}");
                    }
                }
            }
            assert!(
                got_a >= 2,
                "stats keep coming for the watched row on {} ({got_a})",
                e.kind
            );

            // The log follow: reset, then the marker.
            actions.send(Action::FollowLogs(Some(ka.clone()))).unwrap();
            wait(&mut rx, "the log reset", 10, |m| {
                matches!(m, Msg::LogReset(k) if *k == ka).then_some(())
            })
            .await;
            wait(&mut rx, "the marker in the log", 10, |m| match m {
                Msg::Log { key, chunk } if *key == ka && String::from_utf8_lossy(&chunk.data).contains(&marker) => {
                    Some(())
                }
                _ => None,
            })
            .await;

            // Stop b: the event stream brings the new state.
            actions
                .send(Action::Lifecycle {
                    verb: Verb::Stop,
                    targets: vec![Target {
                        key: kb.clone(),
                        name: b.clone(),
                    }],
                })
                .unwrap();
            // The summary and the event-driven row update may come in either order.
            let (mut exited, mut summary) = (false, false);
            while !(exited && summary) {
                wait(&mut rx, "b exited and the stop summary", 30, |m| match m {
                    Msg::Upsert(s) if RowKey::of(s) == kb && s.state == ContainerState::Exited => {
                        exited = true;
                        Some(())
                    }
                    Msg::Info(t) if t.starts_with("stop") => {
                        summary = true;
                        Some(())
                    }
                    Msg::Error(t) => panic!("stop failed on {}: {t}", e.kind),
                    _ => None,
                })
                .await;
            }

            // Inspect a.
            actions.send(Action::Inspect(ka.clone())).unwrap();
            let d = wait(&mut rx, "the details", 10, |m| match m {
                Msg::Details { key, details } if *key == ka => Some(details.clone()),
                _ => None,
            })
            .await;
            assert_eq!(d.name, a);
            assert!(d.security.no_new_privileges, "secure defaults visible in Inspect");

            // Destroy b: the row goes away.
            actions
                .send(Action::Lifecycle {
                    verb: Verb::Destroy,
                    targets: vec![Target {
                        key: kb.clone(),
                        name: b.clone(),
                    }],
                })
                .unwrap();
            wait(&mut rx, "b removed", 30, |m| {
                matches!(m, Msg::Removed(k) if *k == kb).then_some(())
            })
            .await;
        });
    }
}
