//! End to end: the real `boxdeck` binary in a pseudo-terminal against the real Docker engine.
//!
//! A sandbox made by this test prints a marker line in a loop. The dashboard, filtered to that
//! sandbox, must show it in the table and its marker line in the Logs tab; `s` must stop it on
//! the engine (checked with `Engine::inspect`); `q` must quit with the terminal restored.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// A unix-socket forwarder in front of the real Docker socket, so a test can make the engine
/// "go away" and "come back" without touching the shared engine.
struct Proxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    conns: Arc<Mutex<Vec<UnixStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    fn start(path: &Path, upstream: &str) -> Proxy {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (st, cs, up) = (stop.clone(), conns.clone(), upstream.to_string());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).unwrap();
                        let Ok(server) = UnixStream::connect(&up) else { continue };
                        let mut c = cs.lock().unwrap();
                        c.push(client.try_clone().unwrap());
                        c.push(server.try_clone().unwrap());
                        let (mut a, mut b) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut a, &mut b);
                            let _ = b.shutdown(std::net::Shutdown::Write);
                        });
                        let (mut a, mut b) = (server, client);
                        std::thread::spawn(move || {
                            let _ = std::io::copy(&mut a, &mut b);
                            let _ = b.shutdown(std::net::Shutdown::Write);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Proxy {
            path: path.to_path_buf(),
            stop,
            conns,
            thread: Some(thread),
        }
    }

    /// Close the socket and cut every open connection.
    fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The largest `MARK-<id>-<n>` counter on screen.
fn max_mark(screen: &str, marker: &str) -> u64 {
    screen
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter_map(|w| w.strip_prefix(marker)?.strip_prefix('-')?.parse().ok())
        .max()
        .unwrap_or(0)
}

#[test]
fn engine_that_goes_away_shows_a_banner_and_resumes() {
    let Some(docker) = common::docker() else { return };
    let upstream = docker
        .url
        .strip_prefix("unix://")
        .expect("docker on a unix socket")
        .to_string();
    let rid = RunId::new(std::slice::from_ref(&docker));
    let marker = format!("MARK-{}", rid.id);
    let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
    cfg.push_str(&format!(
        "[profiles.counter]\nimage = \"{TEST_IMAGE}\"\ncommand = [\"sh\", \"-c\", \"i=0; while true; do i=$((i+1)); echo {marker}-$i; sleep 0.2; done\"]\n"
    ));
    std::fs::write(&rid.config, cfg).unwrap();
    let name = rid.create(&docker.url, &rid.name("recon"), &["--profile", "counter"]);
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("engine.sock");
    let mut proxy = Proxy::start(&sock, &upstream);
    let url = format!("unix://{}", sock.display());

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
    cmd.args(["--host", &url]);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
    let p2 = parser.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p2.lock().unwrap().process(&buf[..n]);
        }
    });
    let screen = Screen { parser };
    let mut send = |bytes: &[u8]| {
        writer.write_all(bytes).unwrap();
        writer.flush().unwrap();
    };
    screen.wait_for("the table", Duration::from_secs(20), |c| c.contains("● docker"));
    send(b"/");
    std::thread::sleep(Duration::from_millis(200));
    send(name.as_bytes());
    send(b"\r");
    let before = screen.wait_for("the counter in the logs", Duration::from_secs(20), |c| {
        c.contains("Sandboxes 1/") && max_mark(c, &marker) >= 3
    });
    let seen = max_mark(&before, &marker);

    proxy.stop();
    let c = screen.wait_for("the disconnected banner", Duration::from_secs(20), |c| {
        c.contains("disconnected")
    });
    assert!(c.contains("✗ docker"), "the status line shows the engine down:\n{c}");
    assert!(c.contains(&name), "rows stay on screen while the engine is away:\n{c}");

    let _proxy = Proxy::start(&sock, &upstream);
    let c = screen.wait_for("the engine back and the follow resumed", Duration::from_secs(40), |c| {
        !c.contains("disconnected") && c.contains("● docker") && max_mark(c, &marker) > seen + 5
    });
    assert!(c.contains(&name), "{c}");

    send(b"q");
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            assert!(s.success(), "{s:?}");
            break;
        }
        assert!(Instant::now() < end, "did not quit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
