//! Session panes in the real dashboard: the `boxdeck` binary in a pseudo-terminal against the
//! real Docker engine. `Enter` opens a session in the selected sandbox, keys reach the shell,
//! `Ctrl-]` gives focus back while the shell keeps running (checked on the engine), `Enter`
//! focuses it again, and quitting ends the shell in the sandbox.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::RunId;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 150;

fn wait_for(parser: &Mutex<vt100_18::Parser>, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        let c = parser.lock().unwrap().screen().contents();
        if pred(&c) {
            return c;
        }
        assert!(Instant::now() < end, "timed out waiting for {what}; screen:\n{c}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

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

#[test]
fn enter_opens_a_session_and_ctrl_bracket_leaves_it_running() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let name = rid.create(&docker.url, &rid.name("dsess"), &[]);
    let rt = common::rt();
    let engine = rt.block_on(docker.connect());

    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_boxdeck"));
    cmd.env("BOXDECK_CONFIG", &rid.config);
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("DOCKER_HOST");
    cmd.env_remove("DOCKER_CONTEXT");
    cmd.args(["--host", &docker.url]);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let n = |v| std::num::NonZeroU16::new(v).unwrap();
    let parser = Arc::new(Mutex::new(vt100_18::Parser::new(n(ROWS), n(COLS), 0)));
    let p2 = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(k) = reader.read(&mut buf) {
            if k == 0 {
                break;
            }
            p2.lock().unwrap().process(&buf[..k]);
        }
    });
    let mut send = |bytes: &[u8]| {
        writer.write_all(bytes).unwrap();
        writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    };

    wait_for(&parser, "the table", |c| c.contains("NAME"));
    send(b"/");
    send(name.as_bytes());
    send(b"\r");
    wait_for(&parser, "our sandbox alone", |c| {
        c.contains(&name) && c.contains("Sandboxes 1/")
    });

    // Enter opens a session; the prompt appears in the pane.
    send(b"\r");
    wait_for(&parser, "a shell prompt in the pane", |c| c.contains("bash-5.2#"));
    send(b"echo $((6*7))-$((100+1))\r");
    wait_for(&parser, "the shell's answer", |c| c.contains("42-101"));
    // The TTY has the pane's size, inside the dashboard's screen.
    send(b"clear; echo size=$(stty size | tr ' ' x)\r");
    let c = wait_for(&parser, "stty size", |c| c.contains("size=") && !c.contains("size=$"));
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
    send(b"\x1d");
    send(b"]");
    wait_for(&parser, "the Processes tab", |c| !c.contains("42-101"));
    send(b"[");
    wait_for(&parser, "the Sessions tab again", |c| {
        c.contains("42-101") || c.contains("size=")
    });
    assert_eq!(
        running_shells(&rt, &engine, &name),
        shells,
        "the shell kept running while unfocused"
    );

    // Enter focuses the same session again (no second shell).
    send(b"\r");
    send(b"echo again-$((2+3))\r");
    wait_for(&parser, "typing after re-focus", |c| c.contains("again-5"));
    assert_eq!(
        running_shells(&rt, &engine, &name),
        shells,
        "re-focus reused the session"
    );

    // X closes the tab and ends its shell in the sandbox.
    send(b"\x1d");
    send(b"X");
    wait_for(&parser, "the empty Sessions tab", |c| c.contains("no sessions"));
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
    send(b"\r");
    wait_for(&parser, "a new prompt", |c| c.contains("bash-5.2#"));
    let shells = running_shells(&rt, &engine, &name);
    assert_eq!(shells.len(), 1, "a new shell runs");

    // Quit asks while a session runs; yes ends the shell in the sandbox too.
    send(b"\x1d");
    send(b"q");
    wait_for(&parser, "the quit question", |c| c.contains("still running"));
    assert!(
        child.try_wait().unwrap().is_none(),
        "q with a running session asks first"
    );
    send(b"y");
    let end = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < end, "the dashboard did not quit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    for id in &shells {
        assert!(
            !rt.block_on(engine.exec_inspect(id)).unwrap().running,
            "shell {id} ended with the dashboard"
        );
    }
}
