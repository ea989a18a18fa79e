//! `boxdeck shell NAME` through the real binary against the real Docker engine: in a
//! pseudo-terminal (raw mode, SIGWINCH resize, exit code, terminal restored), with a pipe, and
//! with the engine cut away mid-session (a socket proxy in front of Docker).

use crate::common;

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::RunId;
use common::proxy::CuttableEngine;
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

const WAIT: Duration = Duration::from_secs(15);

struct Pty {
    master: Box<dyn portable_pty::MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    screen: Arc<Mutex<vt100_18::Parser>>,
}

impl Pty {
    fn spawn(run: &RunId, url: &str, args: &[&str], cols: u16, rows: u16) -> Pty {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("openpty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_boxdeck"));
        cmd.env("BOXDECK_CONFIG", &run.config);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("DOCKER_HOST");
        cmd.args(["--host", url]);
        cmd.args(args);
        let child = pair.slave.spawn_command(cmd).expect("spawn boxdeck in a pty");
        let mut reader = pair.master.try_clone_reader().expect("reader");
        let writer = pair.master.take_writer().expect("writer");
        let n = |v: u16| std::num::NonZeroU16::new(v).unwrap();
        let screen = Arc::new(Mutex::new(vt100_18::Parser::new(n(rows), n(cols), 0)));
        let s2 = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(k) = reader.read(&mut buf) {
                if k == 0 {
                    break;
                }
                s2.lock().unwrap().process(&buf[..k]);
            }
        });
        Pty {
            master: pair.master,
            writer,
            child,
            screen,
        }
    }

    fn rows(&self) -> Vec<String> {
        let p = self.screen.lock().unwrap();
        let (_, cols) = p.screen().size();
        p.screen().rows(0, cols.get()).collect()
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + WAIT;
        loop {
            let rows = self.rows();
            if pred(&rows) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{}",
                rows.join("\n")
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn type_str(&mut self, s: &str) {
        self.writer.write_all(s.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn resize(&self, cols: u16, rows: u16) {
        self.screen.lock().unwrap().screen_mut().set_size(
            std::num::NonZeroU16::new(rows).unwrap(),
            std::num::NonZeroU16::new(cols).unwrap(),
        );
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    /// The pty's local flags (ICANON, ECHO): raw mode clears them, restoring sets them back.
    fn lflags(&self) -> libc::tcflag_t {
        let fd = self.master.as_raw_fd().expect("unix pty fd");
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0, "tcgetattr");
        t.c_lflag
    }

    fn wait_exit(&mut self) -> u32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.exit_code();
            }
            assert!(
                Instant::now() < deadline,
                "boxdeck shell did not exit; screen:\n{}",
                self.rows().join("\n")
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }
}

fn has_line(rows: &[String], line: &str) -> bool {
    rows.iter().any(|r| r.trim_end() == line)
}

fn at_prompt(rows: &[String]) -> bool {
    rows.iter()
        .rev()
        .find(|r| !r.trim().is_empty())
        .is_some_and(|r| r.trim_end().ends_with('#'))
}

/// The local flags raw mode clears and a restored terminal has.
const COOKED: libc::tcflag_t = libc::ICANON | libc::ECHO;

/// `boxdeck shell NAME` in a pty of `cols` x `rows`, once its prompt shows.
fn shell_at_prompt(run: &RunId, url: &str, name: &str, cols: u16, rows: u16) -> Pty {
    let pty = Pty::spawn(run, url, &["shell", name], cols, rows);
    pty.wait_for("a prompt", at_prompt);
    pty
}

#[test]
fn shell_in_a_pty_resizes_and_passes_the_exit_code() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("shell-pty"), &[]);
    let mut pty = shell_at_prompt(&run, &te.url, &name, 100, 30);
    assert_eq!(pty.lflags() & COOKED, 0, "raw mode while the shell runs");
    pty.type_str("stty size\r");
    pty.wait_for("stty size 30 100", |r| has_line(r, "30 100"));
    pty.resize(120, 40);
    std::thread::sleep(Duration::from_millis(300));
    pty.type_str("clear; stty size\r");
    pty.wait_for("stty size 40 120 after SIGWINCH", |r| has_line(r, "40 120"));
    pty.type_str("echo $TERM $((6*7))\r");
    pty.wait_for("TERM passed through", |r| has_line(r, "xterm-256color 42"));
    pty.type_str("exit 5\r");
    assert_eq!(pty.wait_exit(), 5, "the shell's exit code is boxdeck's");
    assert_eq!(pty.lflags() & COOKED, COOKED, "terminal restored after the shell ended");
}

#[test]
fn sigterm_restores_the_terminal_and_ends_the_shell() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("shell-term"), &[]);
    let mut pty = shell_at_prompt(&run, &te.url, &name, 80, 24);
    // A foreground program that ignores EOF, so only the hang-up can end the shell.
    pty.type_str("sleep 4321\r");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(pty.lflags() & COOKED, 0, "raw mode while the shell runs");
    let pid = pty.child.process_id().expect("pid") as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    assert_eq!(pty.wait_exit(), 128 + 15, "SIGTERM exit code");
    assert_eq!(pty.lflags() & COOKED, COOKED, "terminal restored after SIGTERM");
    let rt = common::rt();
    let engine = rt.block_on(te.connect());
    let end = Instant::now() + WAIT;
    loop {
        let ps = rt
            .block_on(engine.exec_collect(
                &name,
                &boxdeck::engine::ExecSpec::cmd(["sh", "-c", "ps -o args | grep -c '^sleep 4321' || true"]),
            ))
            .unwrap();
        if String::from_utf8_lossy(&ps.stdout).trim() == "0" {
            break;
        }
        assert!(
            Instant::now() < end,
            "the shell's program still runs after boxdeck got SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn shell_with_a_pipe_and_bad_input() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("shell-pipe"), &[]);
    let mut child = run
        .boxdeck(&te.url)
        .args(["shell", &name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"echo $((6*7))\necho oops >&2\nexit 7\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", common::stderr(&out));
    assert_eq!(common::stdout(&out).trim(), "42");
    assert_eq!(common::stderr(&out).trim(), "oops");

    // EOF on stdin ends the shell with 0.
    let out = run
        .boxdeck(&te.url)
        .args(["shell", &name])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));

    // An unknown sandbox: exit 1 with a message.
    let out = run
        .boxdeck(&te.url)
        .args(["shell", "no-such-sandbox-xyz"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("no-such-sandbox-xyz"),
        "{}",
        common::stderr(&out)
    );

    // A stopped sandbox: exit 1 with a hint to start it.
    common::assert_ok(&run.boxdeck(&te.url).args(["stop", &name]).output().unwrap(), "stop");
    let out = run
        .boxdeck(&te.url)
        .args(["shell", &name])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(err.contains("boxdeck start"), "{err}");
    assert_eq!(err.trim().lines().count(), 2, "one line and a hint: {err}");
}

#[test]
fn engine_cut_mid_session_is_a_clear_error_with_the_terminal_restored() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("shell-cut"), &[]);
    let mut engine = CuttableEngine::new(&te.url);
    let mut pty = shell_at_prompt(&run, &engine.url, &name, 100, 30);
    pty.type_str("echo cut-$((6*7))\r");
    pty.wait_for("the shell's answer", |r| has_line(r, "cut-42"));
    engine.cut();
    assert_eq!(pty.wait_exit(), 1, "a lost engine is a failure (exit 1)");
    assert_eq!(
        pty.lflags() & COOKED,
        COOKED,
        "terminal restored after the engine went away"
    );
    let screen = pty.rows().join("\n");
    assert!(
        screen.contains(&name) && (screen.contains("broke") || screen.contains("lost the engine")),
        "the error names the sandbox and what happened:\n{screen}"
    );
    assert!(!screen.contains("panicked"), "{screen}");
}
