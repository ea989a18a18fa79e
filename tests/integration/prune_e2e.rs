//! End to end: prune from the dashboard (the real `boxdeck` binary in a pseudo-terminal)
//! against the real engines (Docker and Podman at once, when both are up).
//!
//! The engines are shared with other tests, so the real prune is restricted to this test's
//! containers with `:prune --label boxdeck.test-run=<id>` (the same narrowing filter the CLI
//! has); `P` (default rule) is only opened and cancelled, which removes nothing. The preview
//! must list exactly this test's stopped, non-persistent sandboxes; one of them is started
//! between the preview and the confirmation and must be skipped and kept; the summary must
//! report the removed count, the space and the skip; the engine must agree.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use boxdeck::engine::{CreateSpec, Engine};
use boxdeck::sandbox::labels;
use common::pty::Dashboard;
use common::{RUN_LABEL, RunId, TEST_IMAGE, TestEngine};

const ROWS: u16 = 45;
const COLS: u16 = 160;

/// A sandbox of this run: `started` leaves it running, else it is created, started and stopped.
async fn sandbox(e: &Engine, run: &RunId, base: &str, started: bool, persist: bool) -> String {
    let name = run.name(base);
    let mut l: BTreeMap<String, String> =
        labels::for_new_sandbox(&name, persist, None, "default", &boxdeck::util::now_rfc3339());
    l.insert(RUN_LABEL.into(), run.id.clone());
    let id = e
        .create(&CreateSpec {
            name: name.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels: l,
            network: Some("none".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    e.start(&id).await.expect("start");
    if !started {
        e.stop(&id, 0).await.expect("stop");
    }
    name
}

#[test]
fn prune_from_the_dashboard() {
    let engines = common::engines();
    if engines.is_empty() {
        return;
    }
    let run = RunId::new(&engines);
    let rt = common::rt();
    // (engine, name, expected to be removed)
    let mut made: Vec<(TestEngine, Engine, String, bool)> = Vec::new();
    let mut racer: Option<(Engine, String)> = None;
    for te in &engines {
        let e = rt.block_on(te.connect());
        // Short names: the dialog shows 24 characters of a name.
        let k = &te.kind[..1];
        for (base, started, persist, removed) in [
            (format!("{k}-old1"), false, false, true),
            (format!("{k}-old2"), false, false, true),
            (format!("{k}-live"), true, false, false),
            (format!("{k}-keep"), false, true, false),
        ] {
            let n = rt.block_on(sandbox(&e, &run, &base, started, persist));
            made.push((te.clone(), e.clone(), n, removed));
        }
        if racer.is_none() {
            let n = rt.block_on(sandbox(&e, &run, &format!("{k}-race"), false, false));
            racer = Some((e.clone(), n.clone()));
            made.push((te.clone(), e.clone(), n, false));
        }
    }
    let (racer_engine, racer_name) = racer.unwrap();
    let to_remove = made.iter().filter(|m| m.3).count();

    let hosts: Vec<&str> = engines.iter().map(|te| te.url.as_str()).collect();
    let mut d = Dashboard::spawn(&run.config, &hosts, ROWS, COLS).with_send_pause(Duration::from_millis(100));
    let all_up = |c: &str| engines.iter().all(|te| c.contains(&format!("● {}", te.kind)));
    d.wait_for("the table", Duration::from_secs(30), |c| {
        c.contains("NAME") && all_up(c)
    });

    // Hide every row (the filter matches nothing), so names on screen are the dialog's.
    d.send(b"/");
    d.send(format!("nothing-matches-{}\r", run.id).as_bytes());
    d.wait_for("an empty table", Duration::from_secs(10), |c| {
        c.contains("Sandboxes 0/")
    });

    // `P` opens the preview of the default rule; Esc cancels it and nothing is removed.
    d.send(b"P");
    d.wait_for("the prune dialog", Duration::from_secs(30), |c| {
        c.contains("Prune") && (c.contains("Will remove") || c.contains("Nothing to prune"))
    });
    d.send(b"\x1b");
    d.wait_for("the dialog closed", Duration::from_secs(10), |c| {
        !c.contains("y/Enter remove them")
    });
    for m in &made {
        assert!(
            rt.block_on(m.1.inspect(&m.2)).is_ok(),
            "{} removed by a cancelled prune",
            m.2
        );
    }

    // The preview of this run's containers.
    d.send(format!(":prune --label {}\r", run.label()).as_bytes());
    let c = d.wait_for("the preview", Duration::from_secs(30), |c| {
        c.contains("y/Enter remove them")
    });
    let want = format!("Will remove {} stopped sandboxes", to_remove + 1);
    assert!(c.contains(&want), "expected '{want}':\n{c}");
    for (_, _, name, removed) in &made {
        let listed = c.contains(name.as_str());
        let expected = *removed || *name == racer_name;
        assert_eq!(listed, expected, "{name} listed={listed}:\n{c}");
    }
    let live = engines.len();
    assert!(
        c.contains(&format!("kept: {live} running or paused, {live} persistent")),
        "kept counts:\n{c}"
    );

    // Between preview and confirmation the racer is started: it must be skipped and kept.
    rt.block_on(racer_engine.start(&racer_name)).unwrap();
    d.send(b"y");
    let c = d.wait_for("the summary", Duration::from_secs(60), |c| {
        c.contains("Esc/Enter close")
    });
    let summary = format!("removed {to_remove} sandboxes, reclaimed ");
    assert!(c.contains(&summary), "expected '{summary}':\n{c}");
    assert!(c.contains("1 skipped"), "{c}");
    assert!(c.contains("changed since the preview"), "{c}");
    assert!(!c.contains("failed"), "{c}");
    for (_, e, name, removed) in &made {
        let exists = rt.block_on(e.inspect(name)).is_ok();
        assert_eq!(exists, !removed, "{name}: exists={exists}");
    }
    d.send(b"\x1b");
    d.wait_for("the dialog closed", Duration::from_secs(10), |c| {
        !c.contains("Esc/Enter close")
    });

    d.send(b"q");
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}
