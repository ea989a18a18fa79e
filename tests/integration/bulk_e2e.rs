//! End to end: a bulk action on marked sandboxes from the dashboard (the real binary in a
//! pseudo-terminal) against the real Docker engine. Three sandboxes of this run are stopped;
//! one of them cannot start (its command does not exist). Filter to this run, `A` marks all
//! shown, `s` starts them: the progress panel lists each target, the two good ones run on the
//! engine, and the failure stays listed with the engine's reason until `Esc`.

use crate::common;

use std::time::Duration;

use boxdeck::engine::{ContainerState, CreateSpec, Engine};
use boxdeck::sandbox::labels;
use common::pty::Dashboard;
use common::{RUN_LABEL, RunId, TEST_IMAGE};

const ROWS: u16 = 40;
const COLS: u16 = 160;

async fn stopped(e: &Engine, run: &RunId, base: &str, cmd: &[&str], start_first: bool) -> String {
    let name = run.name(base);
    let mut l = labels::for_new_sandbox(&name, false, None, "default", &boxdeck::util::now_rfc3339());
    l.insert(RUN_LABEL.into(), run.id.clone());
    let id = e
        .create(&CreateSpec {
            name: name.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: l,
            network: Some("none".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    if start_first {
        e.start(&id).await.unwrap();
        e.stop(&id, 0).await.unwrap();
    }
    name
}

#[test]
fn bulk_start_with_a_failure_from_the_dashboard() {
    let Some(docker) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&docker));
    let rt = common::rt();
    let e = rt.block_on(docker.connect());
    let good = [
        rt.block_on(stopped(&e, &run, "bk-a", &["sleep", "infinity"], true)),
        rt.block_on(stopped(&e, &run, "bk-b", &["sleep", "infinity"], true)),
    ];
    let bad = rt.block_on(stopped(&e, &run, "bk-bad", &["/no/such/command"], false));

    let mut d = Dashboard::spawn(&run.config, &[&docker.url], ROWS, COLS).with_send_pause(Duration::from_millis(150));
    d.wait_for("the table", Duration::from_secs(30), |c| {
        c.contains("NAME") && c.contains("● docker")
    });
    // Other tests' sandboxes share the engine: show only this run's.
    d.send(b"/");
    d.send(format!("{}\r", run.id).as_bytes());
    d.wait_for("this run's three sandboxes", Duration::from_secs(20), |c| {
        c.contains("Sandboxes 3/")
    });
    d.send(b"A");
    d.wait_for("three marked", Duration::from_secs(10), |c| c.contains("[3 marked]"));
    d.send(b"s");
    let c = d.wait_for("the failure listed in the panel", Duration::from_secs(60), |c| {
        c.contains("Start 3 sandboxes") && c.contains("Esc close")
    });
    assert!(c.contains("start: 2 of 3 done"), "{c}");
    assert!(c.contains("✗ bk-bad"), "{c}");
    assert!(
        c.contains("└ engine docker: "),
        "the engine's reason under the failed row:\n{c}"
    );
    for n in &good {
        assert!(c.contains(&format!("✓ {}", &n[..n.len().min(24)])), "{n} done:\n{c}");
        let d = rt.block_on(e.inspect(n)).unwrap();
        assert_eq!(d.state, ContainerState::Running, "{n}");
    }
    assert_ne!(rt.block_on(e.inspect(&bad)).unwrap().state, ContainerState::Running);
    // The message line names the failure too.
    assert!(c.contains("start: 1 of 3 failed"), "{c}");
    d.send(b"\x1b");
    d.wait_for("the panel closed", Duration::from_secs(10), |c| {
        !c.contains("Start 3 sandboxes")
    });

    d.send(b"q");
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}
