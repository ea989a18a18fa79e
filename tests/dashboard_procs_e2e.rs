//! End to end: the real `boxdeck` dashboard in a pseudo-terminal against the real Docker engine.
//! `x` starts a detached process in the selected sandbox; the Processes tab opens on it and shows
//! its output live and then its exit code; a separate `boxdeck ps` lists it afterwards (the
//! record lives in the sandbox). Then `x` over two marked sandboxes shows the results table.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{RunId, assert_ok, stdout};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const ROWS: u16 = 40;
const COLS: u16 = 160;

struct Screen {
    parser: Arc<Mutex<vt100::Parser>>,
}

impl Screen {
    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str, within: Duration, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + within;
        loop {
            let c = self.contents();
            if pred(&c) {
                return c;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{c}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn x_runs_detached_and_fans_out_in_the_dashboard() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    // Both names share a unique prefix, so one filter shows exactly these two.
    let a = rid.create(&docker.url, &rid.name("xdp-a"), &[]);
    let b = rid.create(&docker.url, &rid.name("xdp-b"), &[]);
    let filter = format!("-{}", rid.id);

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
    let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
    let p2 = parser.clone();
    let reader_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => p2.lock().unwrap().process(&buf[..n]),
            }
        }
    });
    let screen = Screen { parser };
    let mut send = |bytes: &[u8]| {
        writer.write_all(bytes).unwrap();
        writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    };

    screen.wait_for("the table", Duration::from_secs(20), |c| c.contains("NAME"));
    send(b"/");
    send(filter.as_bytes());
    send(b"\r");
    screen.wait_for("our two sandboxes", Duration::from_secs(20), |c| {
        c.contains(&a) && c.contains(&b) && c.contains("Sandboxes 2/")
    });

    // x without marks: a detached process in the selected (first) sandbox.
    let begin = format!("BEGIN-{}", rid.id);
    let end = format!("END-{}", rid.id);
    send(b"x");
    send(format!("echo {begin}; sleep 2; echo {end}; exit 7").as_bytes());
    send(b"\r");
    // An output line of the pane (the command column shows the markers too).
    let out_line = |c: &str, m: &str| c.lines().any(|l| l.trim_start_matches('│').starts_with(m));
    let c = screen.wait_for("the live output in the Processes tab", Duration::from_secs(20), |c| {
        c.contains("output of") && out_line(c, &begin)
    });
    assert!(
        c.contains("running") && !out_line(&c, &end),
        "output is shown while it runs:\n{c}"
    );
    screen.wait_for("the exit code", Duration::from_secs(20), |c| {
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
    send(b"A");
    send(b"x");
    send(b"sleep 1; echo fan-$(hostname)");
    send(b"\r");
    screen.wait_for("the fan-out results", Duration::from_secs(20), |c| {
        c.contains("in 2 sandboxes") && c.contains("done · 0 failed") && c.matches("fan-").count() >= 2
    });
    send(b"\x1b");
    send(b"q");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the dashboard did not quit on q");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    drop(pair.master);
    let _ = reader_thread.join();
}
