//! Prune loses nothing (SPEC 7.2), against the real engines.
//!
//! A seeded random population of containers in every state (created, running, paused, exited),
//! persistent or not, sandbox or not (no `pocketdock.managed=true`), in one of two projects or
//! none, young or old (`pocketdock.created-at` written in the past), some with an anonymous
//! volume. The set prune may remove is computed here, independently of the product's rule, from
//! what was created. Then, for each option, on the same shrinking population:
//! the dry run (`--dry-run --json`) lists exactly that set, and the real run (`--yes --json`)
//! removes exactly that set and nothing else. Repeated for 3 seeds on each engine.
//!
//! The engines are shared with other tests, so every real run is restricted to this test's
//! containers: by the hidden `--label boxdeck.test-run=<id>` filter, or (one step per seed) by
//! a project name unique to this run, without any label filter. The unfiltered default rule is
//! covered by the pure `select` tests in src/sandbox/prune.rs and by tests/integration/prune_rule.rs.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use boxdeck::engine::{CreateSpec, Engine};
use boxdeck::sandbox::labels;
use common::{RUN_LABEL, RunId, TEST_IMAGE, TestEngine};
use futures::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    Created,
    Running,
    Paused,
    Exited,
}

/// What the test made, and the facts the expected set is computed from.
#[derive(Debug, Clone)]
struct Made {
    name: String,
    id: String,
    sandbox: bool,
    state: St,
    persist: bool,
    project: Option<String>,
    old: bool,
    volume: Option<String>,
}

/// The options of one step, as flags and as facts for the expected set.
#[derive(Debug, Clone, Default)]
struct Step {
    include_persistent: bool,
    older_than_1d: bool,
    project: Option<String>,
    volumes: bool,
    /// Restrict by this run's label (false only when `project` is unique to this run).
    by_label: bool,
}

impl Step {
    fn args(&self, run: &RunId) -> Vec<String> {
        let mut v = Vec::new();
        if self.by_label {
            v.extend(["--label".to_string(), run.label()]);
        }
        if self.include_persistent {
            v.push("--include-persistent".into());
        }
        if self.older_than_1d {
            v.extend(["--older-than".into(), "1d".into()]);
        }
        if let Some(p) = &self.project {
            v.extend(["--project".into(), p.clone()]);
        }
        if self.volumes {
            v.push("--volumes".into());
        }
        v
    }

    /// Independent statement of SPEC 7.2 for what this test made.
    fn may_remove(&self, m: &Made) -> bool {
        m.sandbox
            && matches!(m.state, St::Created | St::Exited)
            && (self.include_persistent || !m.persist)
            && self.project.as_ref().is_none_or(|p| m.project.as_ref() == Some(p))
            && (!self.older_than_1d || m.old)
    }
}

fn population(seed: u64, run: &RunId, projects: &[String; 2]) -> Vec<(Made, bool)> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    let states = [St::Created, St::Running, St::Paused, St::Exited];
    let mut push = |i: usize, sandbox: bool, state: St, persist: bool, project: Option<usize>, old: bool, vol: bool| {
        out.push((
            Made {
                name: run.name(&format!("s{seed}-{i:02}")),
                id: String::new(),
                sandbox,
                state,
                persist,
                project: project.map(|p| projects[p].clone()),
                old,
                volume: None,
            },
            vol,
        ));
    };
    // Every kind at least once, then random ones.
    let mut i = 0;
    for (sandbox, state, persist, project, old) in [
        (true, St::Created, false, None, true),
        (true, St::Running, false, None, true),
        (true, St::Paused, false, None, true),
        (true, St::Exited, false, None, true),
        (true, St::Exited, false, None, false),
        (true, St::Exited, true, None, true),
        (true, St::Exited, false, Some(0), true),
        (true, St::Exited, false, Some(1), true),
        (false, St::Exited, false, Some(0), true),
        (false, St::Created, false, None, true),
    ] {
        push(i, sandbox, state, persist, project, old, rng.random_bool(0.3));
        i += 1;
    }
    while i < 36 {
        let sandbox = rng.random_bool(0.85);
        let state = states[rng.random_range(0..states.len())];
        let persist = rng.random_bool(0.25);
        let project = match rng.random_range(0..3) {
            0 => None,
            p => Some(p - 1),
        };
        let old = rng.random_bool(0.5);
        push(i, sandbox, state, persist, project, old, rng.random_bool(0.3));
        i += 1;
    }
    out
}

async fn make(engine: &Engine, run: &RunId, mut m: Made, volume: bool) -> Made {
    let created_at = if m.old {
        chrono::Utc::now() - chrono::Duration::days(3)
    } else {
        chrono::Utc::now()
    }
    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut l = labels::for_new_sandbox(&m.name, m.persist, m.project.as_deref(), "default", &created_at);
    if !m.sandbox {
        // Not a sandbox: every other pocketdock label, but no managed=true.
        l.remove(labels::MANAGED);
        if m.name.ends_with('1') {
            l.insert(labels::MANAGED.into(), "false".into());
        }
    }
    l.insert(RUN_LABEL.into(), run.id.clone());
    let spec = CreateSpec {
        name: m.name.clone(),
        image: TEST_IMAGE.into(),
        cmd: Some(vec!["sleep".into(), "infinity".into()]),
        labels: l,
        network: Some("none".into()),
        binds: if volume { vec!["/data".into()] } else { Vec::new() },
        ..Default::default()
    };
    m.id = engine.create(&spec).await.expect("create");
    match m.state {
        St::Created => {}
        St::Running => engine.start(&m.id).await.expect("start"),
        St::Paused => {
            engine.start(&m.id).await.expect("start");
            engine.pause(&m.id).await.expect("pause");
        }
        St::Exited => {
            engine.start(&m.id).await.expect("start");
            engine.stop(&m.id, 0).await.expect("stop");
        }
    }
    if volume {
        let d = engine.inspect(&m.id).await.expect("inspect");
        m.volume = d
            .mounts
            .iter()
            .find(|x| x.destination == "/data")
            .and_then(|x| x.name.clone());
        assert!(m.volume.is_some(), "{}: no anonymous volume: {:?}", m.name, d.mounts);
    }
    m
}

fn ids(v: &serde_json::Value, key: &str) -> BTreeSet<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|x| x["id"].as_str().expect("id").to_string())
        .collect()
}

fn prune_json(run: &RunId, url: &str, args: &[String], dry: bool) -> serde_json::Value {
    let out = run
        .boxdeck(url)
        .arg("prune")
        .args(args)
        .arg(if dry { "--dry-run" } else { "--yes" })
        .arg("--json")
        .output()
        .expect("run prune");
    common::assert_ok(&out, &format!("prune {args:?}"));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("prune --json is not JSON ({e}): {}", common::stdout(&out)))
}

async fn remaining(engine: &Engine, run: &RunId) -> BTreeSet<String> {
    let q = boxdeck::engine::containers::ListQuery {
        all: true,
        labels: vec![run.label()],
        ..Default::default()
    };
    engine.list(&q).await.expect("list").into_iter().map(|c| c.id).collect()
}

fn seed_run(te: &TestEngine, seed: u64) {
    let run = RunId::new(std::slice::from_ref(te));
    let projects = [run.name("pa"), run.name("pb")];
    let rt = common::rt();
    let engine = rt.block_on(te.connect());
    let plan = population(seed, &run, &projects);
    let made: Vec<Made> = rt.block_on(
        futures::stream::iter(plan)
            .map(|(m, vol)| make(&engine, &run, m, vol))
            .buffer_unordered(6)
            .collect(),
    );
    assert!(made.len() >= 30);
    // The population covers every kind the rule distinguishes.
    for st in [St::Created, St::Running, St::Paused, St::Exited] {
        assert!(
            made.iter().any(|m| m.sandbox && m.state == st),
            "{st:?} sandbox missing"
        );
    }
    assert!(made.iter().any(|m| m.persist && m.sandbox && m.state == St::Exited));
    assert!(made.iter().any(|m| !m.sandbox));
    assert!(made.iter().any(|m| m.old) && made.iter().any(|m| !m.old));
    assert!(made.iter().any(|m| m.volume.is_some()));
    let by_id: BTreeMap<String, Made> = made.iter().map(|m| (m.id.clone(), m.clone())).collect();

    // Without --yes and without a terminal, prune refuses and removes nothing.
    let out = run
        .boxdeck(&te.url)
        .args(["prune", "--label", &run.label()])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("--yes"), "{}", common::stderr(&out));
    assert_eq!(rt.block_on(remaining(&engine, &run)).len(), made.len());

    let steps = [
        Step {
            project: Some(projects[0].clone()),
            older_than_1d: true,
            by_label: true,
            ..Default::default()
        },
        Step {
            older_than_1d: true,
            by_label: true,
            ..Default::default()
        },
        // No label filter: the project name is unique to this run.
        Step {
            project: Some(projects[1].clone()),
            ..Default::default()
        },
        Step {
            by_label: true,
            ..Default::default()
        },
        Step {
            include_persistent: true,
            volumes: true,
            by_label: true,
            ..Default::default()
        },
    ];
    let mut left: BTreeSet<String> = by_id.keys().cloned().collect();
    let mut kept_volumes: Vec<String> = Vec::new();
    for step in &steps {
        let args = step.args(&run);
        let expected: BTreeSet<String> = left.iter().filter(|id| step.may_remove(&by_id[*id])).cloned().collect();
        let dry = prune_json(&run, &te.url, &args, true);
        let listed = ids(&dry, "would_remove");
        assert_eq!(
            listed,
            expected,
            "seed {seed} {} {args:?}: dry run lists {:?}, expected {:?}",
            te.kind,
            names(&by_id, &listed),
            names(&by_id, &expected)
        );
        let real = prune_json(&run, &te.url, &args, false);
        assert_eq!(
            ids(&real, "removed"),
            expected,
            "seed {seed} {} {args:?}: real run",
            te.kind
        );
        assert!(
            ids(&real, "skipped").is_empty() && ids(&real, "failed").is_empty(),
            "{real}"
        );
        left = left.difference(&expected).cloned().collect();
        assert_eq!(
            rt.block_on(remaining(&engine, &run)),
            left,
            "seed {seed} {} {args:?}: something else was removed",
            te.kind
        );
        // Anonymous volumes go only with --volumes.
        for id in &expected {
            if let Some(v) = &by_id[id].volume {
                let exists = rt.block_on(engine.volume_exists(v)).unwrap();
                assert_eq!(exists, !step.volumes, "volume of {} after {args:?}", by_id[id].name);
                if exists {
                    kept_volumes.push(v.clone());
                }
            }
        }
    }
    // What is left is exactly what no option may remove: live ones and non-sandboxes.
    for id in &left {
        let m = &by_id[id];
        assert!(
            !m.sandbox || matches!(m.state, St::Running | St::Paused),
            "{m:?} was left"
        );
    }
    assert!(left.iter().any(|id| !by_id[id].sandbox));
    drop(run);
    for v in kept_volumes {
        let _ = rt.block_on(engine.remove_volume(&v));
    }
}

fn names(by_id: &BTreeMap<String, Made>, ids: &BTreeSet<String>) -> Vec<String> {
    ids.iter()
        .map(|id| {
            by_id
                .get(id)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| format!("FOREIGN {id}"))
        })
        .collect()
}

fn all_seeds(kind: &str) {
    let Some(te) = common::engines().into_iter().find(|e| e.kind == kind) else {
        return;
    };
    for seed in [7, 1234, 987_654_321] {
        seed_run(&te, seed);
    }
}

#[test]
fn prune_removes_exactly_the_allowed_set_docker() {
    all_seeds("docker");
}

#[test]
fn prune_removes_exactly_the_allowed_set_podman() {
    all_seeds("podman");
}
