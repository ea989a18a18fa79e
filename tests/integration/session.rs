//! Session panes end to end against the real engines (SPEC 5), Docker and Podman: a shell exec
//! with a TTY, emulated by the in-memory terminal, driven by encoded keys.

use crate::common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use boxdeck::emulator::{Session, Status};
use boxdeck::engine::Engine;
use common::{RunId, TestEngine};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::Notify;

const WAIT: Duration = Duration::from_secs(15);

async fn open(engine: &Engine, container: &str, cols: u16, rows: u16) -> (Session, Arc<Notify>) {
    let waker = Arc::new(Notify::new());
    let s = Session::open(engine, container, vec!["/bin/bash".into()], cols, rows, waker.clone())
        .await
        .expect("open session");
    (s, waker)
}

/// Wait until the screen satisfies `pred`; panics with the screen on timeout.
async fn wait_screen(s: &Session, waker: &Notify, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    loop {
        let rows = s.rows_text();
        if pred(&rows) {
            return rows;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            panic!(
                "timed out waiting for {what}; status {:?}; screen:\n{}",
                s.status(),
                rows.join("\n")
            );
        }
        let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), waker.notified()).await;
    }
}

fn type_keys(s: &Session, text: &str) {
    for c in text.chars() {
        let key = match c {
            '\r' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
            '\x1b' => KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
            c => KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        };
        assert!(s.send_key(key), "key {c:?} was not encoded");
    }
}

fn has_line(rows: &[String], line: &str) -> bool {
    rows.iter().any(|r| r.trim_end() == line)
}

/// The prompt is back when the last non-empty row ends with "# " (bash as root).
fn at_prompt(rows: &[String]) -> bool {
    rows.iter()
        .rev()
        .find(|r| !r.trim().is_empty())
        .is_some_and(|r| r.trim_end().ends_with('#'))
}

struct Fixture {
    _run: RunId,
    engine: Engine,
    name: String,
}

fn fixture(te: &TestEngine, base: &str) -> Fixture {
    let run = RunId::new(std::slice::from_ref(te));
    let name = run.create(&te.url, &run.name(base), &[]);
    let engine = common::rt().block_on(te.connect());
    Fixture {
        _run: run,
        engine,
        name,
    }
}

#[test]
fn echo_arithmetic_on_every_engine() {
    for te in common::engines() {
        let f = fixture(&te, "sess-echo");
        common::rt().block_on(async {
            let (s, w) = open(&f.engine, &f.name, 80, 24).await;
            wait_screen(&s, &w, "a prompt", at_prompt).await;
            type_keys(&s, "echo $((6*7))\r");
            wait_screen(&s, &w, "42 on its own line", |r| has_line(r, "42")).await;
            s.close();
            let st = tokio::time::timeout(WAIT, s.wait())
                .await
                .expect("session ends after close");
            assert_eq!(st, Status::Exited(0), "{}: EOF at the prompt ends bash with 0", te.kind);
        });
    }
}

#[test]
fn stty_size_follows_resize() {
    for te in common::engines() {
        stty_size_follows_resize_on(&te);
    }
}

fn stty_size_follows_resize_on(te: &TestEngine) {
    let f = fixture(te, "sess-size");
    common::rt().block_on(async {
        let (s, w) = open(&f.engine, &f.name, 91, 27).await;
        assert!(s.size_applied(WAIT).await, "the TTY has the session's size once open");
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        type_keys(&s, "stty size\r");
        wait_screen(&s, &w, "stty size 27 91", |r| has_line(r, "27 91")).await;
        s.resize(60, 19);
        assert_eq!(s.size(), (60, 19));
        assert!(s.size_applied(WAIT).await, "the resize reached the TTY");
        type_keys(&s, "clear; stty size\r");
        wait_screen(&s, &w, "stty size 19 60", |r| has_line(r, "19 60")).await;
        // The shell itself saw the change (SIGWINCH updates COLUMNS/LINES).
        type_keys(&s, "echo cols=$COLUMNS lines=$LINES\r");
        wait_screen(&s, &w, "COLUMNS=60", |r| has_line(r, "cols=60 lines=19")).await;
    });
}

#[test]
fn vi_full_screen_and_back() {
    for te in common::engines() {
        vi_full_screen_and_back_on(&te);
    }
}

fn vi_full_screen_and_back_on(te: &TestEngine) {
    let f = fixture(te, "sess-vi");
    common::rt().block_on(async {
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        type_keys(&s, "printf 'alpha\\nbeta\\n' > /tmp/f.txt; vi /tmp/f.txt\r");
        let rows = wait_screen(&s, &w, "vi's screen", |r| {
            r[0] == "alpha" && r[1] == "beta" && r[2].starts_with('~') && r[22].starts_with('~')
        })
        .await;
        assert!(s.terminal().screen().alternate_screen(), "vi uses the alternate screen");
        assert!(rows[23].contains("f.txt"), "status line names the file: {:?}", rows[23]);
        // Edit with keys: go to the end of line 2 and append, then write and quit.
        type_keys(&s, "jAX\x1b");
        tokio::time::sleep(Duration::from_millis(300)).await;
        type_keys(&s, ":wq\r");
        wait_screen(&s, &w, "the prompt after :wq", at_prompt).await;
        assert!(!s.terminal().screen().alternate_screen(), "back on the main screen");
        type_keys(&s, "clear; cat /tmp/f.txt\r");
        wait_screen(&s, &w, "the edited file", |r| has_line(r, "betaX")).await;
        // :q without changes also returns to the prompt.
        type_keys(&s, "clear; vi /tmp/f.txt\r");
        wait_screen(&s, &w, "vi again", |r| r[0] == "alpha").await;
        type_keys(&s, ":q\r");
        wait_screen(&s, &w, "the prompt after :q", |r| {
            at_prompt(r) && !r.iter().any(|l| l == "alpha")
        })
        .await;
    });
}

#[test]
fn close_ends_the_shell_in_the_sandbox() {
    for te in common::engines() {
        close_ends_the_shell_in_the_sandbox_on(&te);
    }
}

fn close_ends_the_shell_in_the_sandbox_on(te: &TestEngine) {
    let f = fixture(te, "sess-close");
    common::rt().block_on(async {
        // At the prompt: EOF ends it.
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        let id = s.exec_id().to_string();
        assert!(
            f.engine.exec_inspect(&id).await.unwrap().running,
            "shell runs before close"
        );
        s.close();
        tokio::time::timeout(WAIT, s.wait()).await.expect("ends");
        assert!(
            !f.engine.exec_inspect(&id).await.unwrap().running,
            "exec stopped after close at prompt"
        );

        // Busy in a full-screen program that ignores EOF: the hang-up ends it, and its child.
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        type_keys(&s, "sleep 1234 & vi\r");
        wait_screen(&s, &w, "vi", |r| r[1].starts_with('~')).await;
        let id = s.exec_id().to_string();
        s.close();
        let st = tokio::time::timeout(WAIT, s.wait()).await.expect("ends after hang-up");
        assert!(
            matches!(st, Status::Exited(c) if c != 0),
            "hung-up shell reports a signal exit: {st:?}"
        );
        assert!(
            !f.engine.exec_inspect(&id).await.unwrap().running,
            "exec stopped after close in vi"
        );
        let ps = f
            .engine
            .exec_collect(
                &f.name,
                &boxdeck::engine::ExecSpec::cmd(["sh", "-c", "ps -o args | grep -c '^sleep 1234' || true"]),
            )
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ps.stdout).trim(),
            "0",
            "the background job was hung up too"
        );
    });
}

#[test]
fn exit_status_and_queries() {
    for te in common::engines() {
        exit_status_and_queries_on(&te);
    }
}

fn exit_status_and_queries_on(te: &TestEngine) {
    let f = fixture(te, "sess-exit");
    common::rt().block_on(async {
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        // Cursor position report (DSR 6n) is answered: after `clear` and two lines, row 3.
        type_keys(
            &s,
            "clear; echo; echo; stty -echo; printf 'ab\\033[6n'; read -rs -d R p; stty echo; echo \"POS=${p#*[}\"\r",
        );
        // Echo is off before each query is printed: an answer that arrives before `read -s`
        // has switched echo off would otherwise be echoed onto the line.
        wait_screen(&s, &w, "the cursor report", |r| has_line(r, "abPOS=3;3")).await;
        // Device attributes (DA) are answered.
        type_keys(
            &s,
            "stty -echo; printf '\\033[c'; read -rs -d c d; stty echo; echo \"DA=${d#*[}\"\r",
        );
        wait_screen(&s, &w, "the DA answer", |r| has_line(r, "DA=?1;2")).await;
        type_keys(&s, "exit 3\r");
        let st = tokio::time::timeout(WAIT, s.wait()).await.expect("shell exits");
        assert_eq!(st, Status::Exited(3));
    });
}

#[test]
fn flood_does_not_starve_keys() {
    for te in common::engines() {
        flood_does_not_starve_keys_on(&te);
    }
}

fn flood_does_not_starve_keys_on(te: &TestEngine) {
    let f = fixture(te, "sess-flood");
    common::rt().block_on(async {
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        type_keys(&s, "yes flood-flood-flood\r");
        wait_screen(&s, &w, "the flood", |r| {
            r.iter().filter(|l| *l == "flood-flood-flood").count() > 10
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let t0 = Instant::now();
        assert!(s.send_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        type_keys(&s, "clear; echo $((6*7))\r");
        wait_screen(&s, &w, "42 after Ctrl-C in a flood", |r| has_line(r, "42")).await;
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "keys went through within {:?}",
            t0.elapsed()
        );
        // The local scrollback holds the flood and can be scrolled.
        s.scroll_back(50);
        assert_eq!(s.scrollback(), 50);
        assert!(s.rows_text().iter().any(|l| l == "flood-flood-flood"));
        s.scroll_reset();
        assert_eq!(s.scrollback(), 0);
    });
}

#[test]
fn stopped_and_vanished_sandboxes_show_their_state() {
    for te in common::engines() {
        stopped_and_vanished_sandboxes_show_their_state_on(&te);
    }
}

fn stopped_and_vanished_sandboxes_show_their_state_on(te: &TestEngine) {
    let f = fixture(te, "sess-stop");
    common::rt().block_on(async {
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        f.engine.stop(&f.name, 1).await.expect("stop");
        let st = tokio::time::timeout(WAIT, s.wait())
            .await
            .expect("session notices the stop");
        assert!(matches!(&st, Status::Failed(m) if m.contains("stopped")), "{st:?}");
        // Keys and resizes on an ended session are harmless.
        type_keys(&s, "echo hi\r");
        s.resize(10, 5);
        s.close();

        f.engine.start(&f.name).await.expect("start");
        let (s, w) = open(&f.engine, &f.name, 80, 24).await;
        wait_screen(&s, &w, "a prompt", at_prompt).await;
        f.engine.remove(&f.name, true, true).await.expect("remove");
        let st = tokio::time::timeout(WAIT, s.wait())
            .await
            .expect("session notices the removal");
        assert!(matches!(&st, Status::Failed(_)), "{st:?}");
        s.close();
    });
}
