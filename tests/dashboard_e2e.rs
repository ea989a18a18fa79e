//! End to end: the real `boxdeck` binary in a pseudo-terminal against the real Docker engine.
//!
//! A sandbox made by this test prints a marker line in a loop. The dashboard, filtered to that
//! sandbox, must show it in the table and its marker line in the Logs tab; `s` must stop it on
//! the engine (checked with `Engine::inspect`); `q` must quit with the terminal restored.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use boxdeck::engine::ContainerState;
use common::{RunId, TEST_IMAGE};
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
fn table_logs_and_stop_against_docker() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let marker = format!("MARK-{}", rid.id);
    // A profile whose command prints the marker forever.
    let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
    cfg.push_str(&format!(
        "[profiles.marker]\nimage = \"{TEST_IMAGE}\"\ncommand = [\"sh\", \"-c\", \"while true; do echo {marker}; sleep 0.3; done\"]\n"
    ));
    std::fs::write(&rid.config, cfg).unwrap();
    let name = rid.create(&docker.url, &rid.name("dash"), &["--profile", "marker"]);

    let pty = native_pty_system();
    let pair = pty
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
    };

    screen.wait_for("the table", Duration::from_secs(20), |c| {
        c.contains("NAME") && c.contains("● docker")
    });
    // Other helpers' sandboxes share the engine: filter to ours.
    send(b"/");
    std::thread::sleep(Duration::from_millis(200));
    send(name.as_bytes());
    send(b"\r");
    let c = screen.wait_for("our sandbox alone in the table", Duration::from_secs(20), |c| {
        c.contains(&name) && c.contains("Sandboxes 1/")
    });
    assert!(c.contains("running"), "the row shows its state:\n{c}");
    screen.wait_for("the marker line in the Logs tab", Duration::from_secs(20), |c| {
        c.contains(&marker)
    });

    send(b"s");
    let rt = common::rt();
    let engine = rt.block_on(docker.connect());
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let d = rt.block_on(engine.inspect(&name)).unwrap();
        if d.state == ContainerState::Exited {
            break;
        }
        assert!(Instant::now() < end, "the sandbox was not stopped: {:?}", d.state);
        std::thread::sleep(Duration::from_millis(200));
    }
    screen.wait_for("the stopped state in the table", Duration::from_secs(20), |c| {
        c.contains("exited")
    });

    send(b"q");
    let end = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("the dashboard did not quit on q");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status:?}");
    drop(pair.master);
    let _ = reader_thread.join();
    let p = screen.parser.lock().unwrap();
    assert!(!p.screen().alternate_screen(), "the terminal left the alternate screen");
    assert!(!p.screen().hide_cursor(), "the cursor is shown again");
}
