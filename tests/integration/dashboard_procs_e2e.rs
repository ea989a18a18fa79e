//! End to end: the real `boxdeck` dashboard in a pseudo-terminal against the real Docker engine.
//! `x` starts a detached process in the selected sandbox; the Processes tab opens on it and shows
//! its output live and then its exit code; a separate `boxdeck ps` lists it afterwards (the
//! record lives in the sandbox). Then `x` over two marked sandboxes shows the results table.

use crate::common;

use std::time::Duration;

use common::pty::Dashboard;
use common::{RunId, assert_ok, stdout};

const ROWS: u16 = 40;
const COLS: u16 = 160;

#[test]
fn x_runs_detached_and_fans_out_in_the_dashboard() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    // Both names share a unique prefix, so one filter shows exactly these two.
    let a = rid.create(&docker.url, &rid.name("xdp-a"), &[]);
    let b = rid.create(&docker.url, &rid.name("xdp-b"), &[]);
    let filter = format!("-{}", rid.id);

    let mut d = Dashboard::spawn(&rid.config, &[&docker.url], ROWS, COLS).with_send_pause(Duration::from_millis(150));

    d.wait_for("the table", Duration::from_secs(20), |c| c.contains("NAME"));
    d.send(b"/");
    d.send(filter.as_bytes());
    d.send(b"\r");
    d.wait_for("our two sandboxes", Duration::from_secs(20), |c| {
        c.contains(&a) && c.contains(&b) && c.contains("Sandboxes 2/")
    });

    // x without marks: a detached process in the selected (first) sandbox.
    let begin = format!("BEGIN-{}", rid.id);
    let end = format!("END-{}", rid.id);
    d.send(b"x");
    d.send(format!("echo {begin}; sleep 2; echo {end}; exit 7").as_bytes());
    d.send(b"\r");
    // An output line of the pane (the command column shows the markers too).
    let out_line = |c: &str, m: &str| c.lines().any(|l| l.trim_start_matches('│').starts_with(m));
    let c = d.wait_for("the live output in the Processes tab", Duration::from_secs(20), |c| {
        c.contains("output of") && out_line(c, &begin)
    });
    assert!(
        c.contains("running") && !out_line(&c, &end),
        "output is shown while it runs:\n{c}"
    );
    d.wait_for("the exit code", Duration::from_secs(20), |c| {
        out_line(c, &end) && c.contains("exit 7")
    });

    // A separate boxdeck sees the same process with its output and exit code.
    let out = rid.boxdeck(&docker.url).args(["ps", &a, "--json"]).output().unwrap();
    assert_ok(&out, "ps --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "boxdeck")
        .unwrap_or_else(|| panic!("not listed: {}", stdout(&out)));
    assert_eq!(p["exit_code"], 7);
    assert_eq!(p["output_tail"], format!("{begin}\n{end}\n"));

    // Mark both (A), x: the results table fills in.
    d.send(b"A");
    d.send(b"x");
    d.send(b"sleep 1; echo fan-$(hostname)");
    d.send(b"\r");
    d.wait_for("the fan-out results", Duration::from_secs(20), |c| {
        c.contains("in 2 sandboxes") && c.contains("done · 0 failed") && c.matches("fan-").count() >= 2
    });
    d.send(b"\x1b");
    d.send(b"q");
    let status = d.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status:?}");
}
