//! Session panes in the real dashboard: the `boxdeck` binary in a pseudo-terminal against the
//! real Docker engine. `Enter` opens a session in the selected sandbox, keys reach the shell,
//! `Ctrl-]` gives focus back while the shell keeps running (checked on the engine), `Enter`
//! focuses it again, and quitting ends the shell in the sandbox.
//!
//! An engine that goes away mid-session (a socket proxy in front of Docker is cut): the session
//! tab shows that it ended and why, the dashboard stays usable, and once the engine is back
//! `Enter` opens a fresh shell instead of focusing the dead one.

use crate::common;

use std::time::{Duration, Instant};

use common::RunId;
use common::proxy::CuttableEngine;
use common::pty::Dashboard;

const ROWS: u16 = 40;
const COLS: u16 = 150;

/// How long each step may take to show on screen.
const WAIT: Duration = Duration::from_secs(20);

/// Ids of the running execs in the container whose command is the session's shell.
fn running_shells(rt: &tokio::runtime::Runtime, engine: &boxdeck::engine::Engine, name: &str) -> Vec<String> {
    let d = rt.block_on(engine.inspect(name)).unwrap();
    d.exec_ids
        .into_iter()
        .filter(|id| {
            rt.block_on(engine.exec_inspect(id))
                .is_ok_and(|st| st.running && st.tty && st.cmd.first().is_some_and(|c| c == "/bin/bash"))
        })
        .collect()
}

/// The dashboard on `url` (its screen parsed with vt100 0.18: REP and HPA, see
/// docs/TERMINAL.md), filtered to the sandbox `name` alone.
fn spawn_filtered(rid: &RunId, url: &str, name: &str) -> Dashboard<vt100_18::Parser> {
    let mut d = Dashboard::<vt100_18::Parser>::spawn_with(&rid.config, &[url], ROWS, COLS)
        .with_send_pause(Duration::from_millis(150));
    d.wait_for("the table", WAIT, |c| c.contains("NAME"));
    d.send(b"/");
    d.send(name.as_bytes());
    d.send(b"\r");
    d.wait_for("our sandbox alone", WAIT, |c| {
        c.contains(name) && c.contains("Sandboxes 1/")
    });
    d
}

#[test]
fn enter_opens_a_session_and_ctrl_bracket_leaves_it_running() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let name = rid.create(&docker.url, &rid.name("dsess"), &[]);
    let rt = common::rt();
    let engine = rt.block_on(docker.connect());

    // The screen is parsed with vt100 0.18 (REP and HPA, see docs/TERMINAL.md).
    let mut d = spawn_filtered(&rid, &docker.url, &name);

    // Enter opens a session; the prompt appears in the pane.
    d.send(b"\r");
    d.wait_for("a shell prompt in the pane", WAIT, |c| c.contains("bash-5.2#"));
    d.send(b"echo $((6*7))-$((100+1))\r");
    d.wait_for("the shell's answer", WAIT, |c| c.contains("42-101"));
    // The TTY has the pane's size, inside the dashboard's screen.
    d.send(b"clear; echo size=$(stty size | tr ' ' x)\r");
    let c = d.wait_for("stty size", WAIT, |c| c.contains("size=") && !c.contains("size=$"));
    let size = c
        .split("size=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let (r, w) = size.split_once('x').unwrap();
    let (r, w): (u16, u16) = (r.parse().unwrap(), w.parse().unwrap());
    assert!(
        r > 3 && r < ROWS && w > 20 && w < COLS,
        "pane size {r}x{w} inside {ROWS}x{COLS}"
    );
    let shells = running_shells(&rt, &engine, &name);
    assert_eq!(shells.len(), 1, "one session shell runs in the sandbox");

    // Ctrl-] gives focus back: dashboard keys work again ("]" then "[" flips the detail tab).
    d.send(b"\x1d");
    d.send(b"]");
    d.wait_for("the Processes tab", WAIT, |c| !c.contains("42-101"));
    d.send(b"[");
    d.wait_for("the Sessions tab again", WAIT, |c| {
        c.contains("42-101") || c.contains("size=")
    });
    assert_eq!(
        running_shells(&rt, &engine, &name),
        shells,
        "the shell kept running while unfocused"
    );

    // Enter focuses the same session again (no second shell).
    d.send(b"\r");
    d.send(b"echo again-$((2+3))\r");
    d.wait_for("typing after re-focus", WAIT, |c| c.contains("again-5"));
    assert_eq!(
        running_shells(&rt, &engine, &name),
        shells,
        "re-focus reused the session"
    );

    // X closes the tab and ends its shell in the sandbox.
    d.send(b"\x1d");
    d.send(b"X");
    d.wait_for("the empty Sessions tab", WAIT, |c| c.contains("no sessions"));
    let end = Instant::now() + Duration::from_secs(15);
    while !running_shells(&rt, &engine, &name).is_empty() {
        assert!(Instant::now() < end, "closing the tab did not end the shell");
        std::thread::sleep(Duration::from_millis(200));
    }
    for id in &shells {
        assert!(
            !rt.block_on(engine.exec_inspect(id)).unwrap().running,
            "shell {id} ended with its tab"
        );
    }

    // Enter opens a fresh one.
    d.send(b"\r");
    d.wait_for("a new prompt", WAIT, |c| c.contains("bash-5.2#"));
    let shells = running_shells(&rt, &engine, &name);
    assert_eq!(shells.len(), 1, "a new shell runs");

    // Quit asks while a session runs; yes ends the shell in the sandbox too.
    d.send(b"\x1d");
    d.send(b"q");
    d.wait_for("the quit question", WAIT, |c| c.contains("still running"));
    assert!(
        d.child().try_wait().unwrap().is_none(),
        "q with a running session asks first"
    );
    d.send(b"y");
    let status = d.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
    for id in &shells {
        assert!(
            !rt.block_on(engine.exec_inspect(id)).unwrap().running,
            "shell {id} ended with the dashboard"
        );
    }
}

#[test]
fn engine_lost_mid_session_ends_the_tab_and_enter_opens_a_new_shell() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let name = rid.create(&docker.url, &rid.name("dlost"), &[]);
    let rt = common::rt();
    let engine = rt.block_on(docker.connect());
    let mut cuttable = CuttableEngine::new(&docker.url);

    let mut d = spawn_filtered(&rid, &cuttable.url, &name);
    d.send(b"\r");
    d.wait_for("a shell prompt in the pane", WAIT, |c| c.contains("bash-5.2#"));
    d.send(b"echo before-$((6*7))\r");
    d.wait_for("the shell's answer", WAIT, |c| c.contains("before-42"));

    let old = running_shells(&rt, &engine, &name);
    assert_eq!(old.len(), 1, "one session shell runs in the sandbox");

    // The engine goes away: the tab says the session ended and why; the output stays.
    cuttable.cut();
    let c = d.wait_for("the session marked as ended", WAIT, |c| {
        c.contains("disconnected") && c.contains("ended") && c.contains("connection lost")
    });
    assert!(c.contains("before-42"), "the pane keeps what the shell printed:\n{c}");
    // Keys still work: an ended session gives focus back on Enter, and the tabs flip.
    d.send(b"\r");
    d.send(b"]");
    d.wait_for("the Processes tab", WAIT, |c| !c.contains("before-42"));
    d.send(b"[");
    d.wait_for("the Sessions tab", WAIT, |c| {
        c.contains("before-42") && c.contains("enter: new shell")
    });

    // The engine comes back; Enter opens a new shell rather than focusing the dead tab.
    cuttable.restore();
    d.wait_for("the engine back", Duration::from_secs(40), |c| {
        !c.contains("disconnected") && c.contains("● docker")
    });
    // What is typed straight after Enter, before the shell is there, reaches the new shell.
    d.send(b"\r");
    d.send(b"clear; echo after-$((6*7))\r");
    let c = d.wait_for("the new shell's answer", WAIT, |c| {
        c.contains("after-42") && c.contains(" 2:")
    });
    assert!(!c.contains("before-42"), "the new tab is shown, not the old one:\n{c}");
    // The old shell outlived the cut (an exec does not end with its connection); once the engine
    // is back boxdeck ends it, and only the new one is left.
    let end = Instant::now() + WAIT;
    loop {
        let now = running_shells(&rt, &engine, &name);
        if now.len() == 1 && !now.contains(&old[0]) {
            break;
        }
        assert!(
            Instant::now() < end,
            "the orphaned shell was not ended: {now:?} (old {old:?})"
        );
        std::thread::sleep(Duration::from_millis(300));
    }

    d.send(b"\x1d");
    d.send(b"q");
    d.wait_for("the quit question", WAIT, |c| c.contains("still running"));
    d.send(b"y");
    assert!(d.wait_exit(Duration::from_secs(15)).success());
}
