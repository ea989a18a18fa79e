//! Bulk lifecycle actions over a selection by label and by project (SPEC 7.1 / issue 6),
//! through the real binary and the library, against the real engines.

use crate::common;

use std::collections::BTreeMap;

use boxdeck::engine::{ContainerState, CreateSpec, Engine};
use boxdeck::sandbox::Fleet;
use boxdeck::sandbox::bulk::{self, Progress, Verb};
use boxdeck::sandbox::select::Selection;
use common::{RUN_LABEL, RunId, TEST_IMAGE, TestEngine, assert_ok, stderr, stdout};

fn state(rt: &tokio::runtime::Runtime, e: &Engine, name: &str) -> Option<ContainerState> {
    rt.block_on(e.inspect(name)).ok().map(|d| d.state)
}

/// A container with this run's label but no `pocketdock.managed`: bulk must never touch it.
fn foreign(rt: &tokio::runtime::Runtime, e: &Engine, run: &RunId, project: &str) -> String {
    let name = run.name("foreign");
    let mut l = BTreeMap::new();
    l.insert(RUN_LABEL.to_string(), run.id.clone());
    l.insert(boxdeck::sandbox::labels::PROJECT.to_string(), project.to_string());
    rt.block_on(async {
        let id = e
            .create(&CreateSpec {
                name: name.clone(),
                image: TEST_IMAGE.into(),
                cmd: Some(vec!["sleep".into(), "infinity".into()]),
                labels: l,
                init: true,
                network: Some("none".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        e.start(&id).await.unwrap();
    });
    name
}

fn check(te: &TestEngine) {
    let run = RunId::new(std::slice::from_ref(te));
    let rt = common::rt();
    let e = rt.block_on(te.connect());
    let project = run.name("proj");
    let names: Vec<String> = (0..4)
        .map(|i| run.create(&te.url, &run.name(&format!("b{i}")), &["--project", &project]))
        .collect();
    let other = run.create(&te.url, &run.name("other"), &[]);
    let alien = foreign(&rt, &e, &run, &project);
    let label = run.label();
    let bx = |args: &[&str]| run.boxdeck(&te.url).args(args).output().unwrap();

    // stop by label: every sandbox with the label, never the non-sandbox.
    let out = bx(&["stop", "--label", &label]);
    assert_ok(&out, "stop --label");
    for n in names.iter().chain([&other]) {
        assert_eq!(state(&rt, &e, n), Some(ContainerState::Exited), "{n}");
        assert!(stdout(&out).contains(&format!("stopped {n}")), "{}", stdout(&out));
    }
    assert_eq!(state(&rt, &e, &alien), Some(ContainerState::Running));

    // start by project: only that project's sandboxes.
    let out = bx(&["start", "--project", &project]);
    assert_ok(&out, "start --project");
    for n in &names {
        assert_eq!(state(&rt, &e, n), Some(ContainerState::Running), "{n}");
    }
    assert_eq!(state(&rt, &e, &other), Some(ContainerState::Exited));

    // restart by label and project together: a new run of each.
    let started = |n: &str| rt.block_on(e.inspect(n)).unwrap().started_at;
    let before: Vec<_> = names.iter().map(|n| started(n)).collect();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = bx(&["restart", "--label", &label, "--project", &project]);
    assert_ok(&out, "restart");
    for (n, b) in names.iter().zip(&before) {
        assert_eq!(state(&rt, &e, n), Some(ContainerState::Running), "{n}");
        assert_ne!(&started(n), b, "{n} was not restarted");
    }

    // rm without --force over the project: the running ones fail, named with the reason; the
    // stopped one is removed all the same.
    let out = bx(&["stop", &names[0]]);
    assert_ok(&out, "stop one");
    let out = bx(&["rm", "--project", &project]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("3 of 4 failed"), "{err}");
    for n in &names[1..] {
        assert!(err.contains(&format!("{n}: {n} is running")), "{err}");
        assert_eq!(state(&rt, &e, n), Some(ContainerState::Running));
    }
    assert!(err.contains("rm --force"), "{err}");
    assert_eq!(state(&rt, &e, &names[0]), None, "the stopped one is removed");

    // A selection that matches nothing is an error, not a silent success.
    let out = bx(&["stop", "--project", &run.name("nope")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no sandboxes match"), "{}", stderr(&out));

    // Through the library, as the dashboard workers use it: progress for every item.
    rt.block_on(async {
        let fleet = Fleet::from_engines(vec![e.clone()]);
        let targets = fleet
            .select(&Selection {
                labels: vec![label.clone()],
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(targets.len(), 4, "3 of the project and `other`");
        let mut started = 0;
        let mut finished = Vec::new();
        let report = bulk::run_bounded(
            &targets,
            Verb::Remove {
                force: true,
                volumes: true,
            },
            2,
            &mut |p| match p {
                Progress::Started(_) => started += 1,
                Progress::Finished(s, r, _) => finished.push((s.name.clone(), r.is_ok())),
            },
        )
        .await;
        assert_eq!(started, 4);
        assert_eq!(finished.len(), 4);
        assert!(finished.iter().all(|(_, ok)| *ok), "{finished:?}");
        assert!(report.failed.is_empty(), "{}", report.summary(Verb::Stop));
    });
    for n in names.iter().chain([&other]) {
        assert_eq!(state(&rt, &e, n), None, "{n} removed");
    }
    assert_eq!(
        state(&rt, &e, &alien),
        Some(ContainerState::Running),
        "non-sandbox untouched"
    );
}

#[test]
fn bulk_by_label_and_project() {
    for te in common::engines() {
        check(&te);
    }
}
