//! One interactive shell in a sandbox, emulated in memory (SPEC 5.1-5.3).
//!
//! Three pieces run per session, none of them on the UI's task:
//! - the *reader* task pulls the exec's output from the engine and hands it on through a
//!   bounded channel (so a flood such as `yes` pushes back on the engine instead of growing
//!   memory);
//! - the *parser* thread feeds it to vt100 in slices, sends query answers back to the program,
//!   and wakes the UI (coalesced: one pending wake-up at most, plus a dirty flag);
//! - the *writer* task writes keys, pastes and answers to the exec's input.
//!
//! A fourth task applies size changes to the exec's TTY, always the newest one.
//!
//! Closing sends EOF; if the shell is still there a second later it hangs up every process of the session
//! inside the sandbox (found by a marker in their environment), then kills them, since dropping
//! the engine connection ends nothing. The status follows what happened: `Exited(code)` when the
//! shell ended, `Failed(..)` when the sandbox stopped or vanished or the engine went away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use crossterm::event::{KeyEvent, MouseEvent, MouseEventKind};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, mpsc, watch};

use super::input::{self, InputModes};
use super::term::Terminal;
use crate::engine::{Engine, ExecSpec, is_not_found};
use crate::{Error, Result};

/// The TERM a session announces (chosen by measurement, see docs/TERMINAL.md).
pub const SESSION_TERM: &str = "xterm-256color";
/// Environment variable that marks every process of one session inside the sandbox.
pub const MARKER_VAR: &str = "BOXDECK_SESSION";
/// Lines one wheel step scrolls the local scrollback.
pub const WHEEL_LINES: usize = 3;
/// Largest slice parsed under one lock, so drawing never waits long.
const PARSE_SLICE: usize = 32 * 1024;

/// Where a session is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Running,
    /// The shell ended with this code.
    Exited(i64),
    /// The session ended some other way (sandbox stopped or gone, engine lost).
    Failed(String),
}

impl Status {
    pub fn is_running(&self) -> bool {
        matches!(self, Status::Running)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Running => f.write_str("running"),
            Status::Exited(c) => write!(f, "exited with code {c}"),
            Status::Failed(m) => f.write_str(m),
        }
    }
}

enum Msg {
    Data(Bytes),
    End(Status),
}

struct Shared {
    term: Mutex<Terminal>,
    status: watch::Sender<Status>,
    dirty: AtomicBool,
    waker: Arc<Notify>,
}

impl Shared {
    fn term(&self) -> MutexGuard<'_, Terminal> {
        // A panic while parsing must not take the UI down: keep using the terminal.
        self.term.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wake(&self) {
        self.dirty.store(true, Ordering::Release);
        self.waker.notify_one();
    }
}

/// An interactive shell in a sandbox with its emulated screen.
pub struct Session {
    shared: Arc<Shared>,
    input: mpsc::UnboundedSender<Vec<u8>>,
    size: watch::Sender<(u16, u16)>,
    /// The size the exec's TTY has (as far as the engine confirmed).
    applied: watch::Sender<(u16, u16)>,
    /// None for a [`Session::replay`], which has no shell behind it.
    engine: Option<Engine>,
    container: String,
    exec_id: String,
    marker: String,
    closing: Arc<AtomicBool>,
}

impl Session {
    /// Start `shell_cmd` with a TTY of `cols` x `rows` in the container and begin emulating it.
    /// `waker` is notified (coalesced) whenever the screen or the status changed.
    pub async fn open(
        engine: &Engine,
        container_id: &str,
        shell_cmd: Vec<String>,
        cols: u16,
        rows: u16,
        waker: Arc<Notify>,
    ) -> Result<Session> {
        if shell_cmd.is_empty() {
            return Err(Error::usage("no shell command given for the session"));
        }
        let (cols, rows) = (cols.max(1), rows.max(1));
        let marker = format!("{:016x}", rand::random::<u64>());
        let spec = ExecSpec {
            cmd: shell_cmd,
            env: vec![format!("TERM={SESSION_TERM}"), format!("{MARKER_VAR}={marker}")],
            tty: true,
            stdin: true,
            user: None,
            working_dir: None,
        };
        let handle = engine.exec_start(container_id, &spec).await?;
        let shared = Arc::new(Shared {
            term: Mutex::new(Terminal::new(cols, rows)),
            status: watch::channel(Status::Running).0,
            dirty: AtomicBool::new(true),
            waker,
        });

        // Writer: keys, pastes and query answers to the exec's input.
        let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let mut exec_input = handle.input;
        tokio::spawn(async move {
            while let Some(first) = in_rx.recv().await {
                let mut buf = first;
                while let Ok(more) = in_rx.try_recv() {
                    buf.extend_from_slice(&more);
                }
                if exec_input.write_all(&buf).await.is_err() || exec_input.flush().await.is_err() {
                    break;
                }
            }
        });

        // The first size before anything is typed: until then the TTY is 0x0.
        let first = resize_until_applied(engine, &handle.id, cols, rows, Duration::from_secs(10)).await;
        let (applied_tx, _) = watch::channel(if first { (cols, rows) } else { (0, 0) });
        // Resizer: the newest size to the exec's TTY, retried until the engine takes it.
        let (size_tx, mut size_rx) = watch::channel((cols, rows));
        if first {
            size_rx.mark_unchanged();
        } else {
            size_rx.mark_changed();
        }
        {
            let engine = engine.clone();
            let id = handle.id.clone();
            let applied = applied_tx.clone();
            tokio::spawn(async move {
                loop {
                    if size_rx.changed().await.is_err() {
                        break;
                    }
                    let (c, r) = *size_rx.borrow_and_update();
                    tokio::select! {
                        ok = resize_until_applied(&engine, &id, c, r, Duration::from_secs(20)) => {
                            if ok {
                                applied.send_replace((c, r));
                            }
                        }
                        // A newer size wins; stop retrying the old one.
                        ch = size_rx.changed() => {
                            if ch.is_err() { break; }
                            size_rx.mark_changed();
                        }
                    }
                }
            });
        }

        // Parser thread.
        let (data_tx, mut data_rx) = mpsc::channel::<Msg>(64);
        {
            let shared = shared.clone();
            let answers = in_tx.clone();
            std::thread::Builder::new()
                .name("boxdeck-vt".into())
                .spawn(move || {
                    while let Some(msg) = data_rx.blocking_recv() {
                        let mut msgs = vec![msg];
                        let mut total = 0usize;
                        while total < 1 << 20 {
                            match data_rx.try_recv() {
                                Ok(m) => {
                                    if let Msg::Data(d) = &m {
                                        total += d.len();
                                    }
                                    msgs.push(m);
                                }
                                Err(_) => break,
                            }
                        }
                        for m in msgs {
                            match m {
                                Msg::Data(d) => {
                                    for slice in d.chunks(PARSE_SLICE) {
                                        let replies = shared.term().process(slice);
                                        if !replies.is_empty() {
                                            let _ = answers.send(replies);
                                        }
                                    }
                                }
                                Msg::End(st) => {
                                    shared.status.send_replace(st);
                                }
                            }
                        }
                        shared.wake();
                    }
                })
                .map_err(|e| Error::failed(format!("cannot start the session's parser thread: {e}")))?;
        }

        // Reader: engine output to the parser; then the final status.
        {
            let engine = engine.clone();
            let container = container_id.to_string();
            let id = handle.id.clone();
            let marker = marker.clone();
            let mut output = handle.output;
            tokio::spawn(async move {
                let mut failure = None;
                while let Some(chunk) = output.next().await {
                    match chunk {
                        Ok(c) => {
                            if data_tx.send(Msg::Data(c.data)).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            failure = Some(e.message);
                            break;
                        }
                    }
                }
                let st = final_status(&engine, &container, &id, failure).await;
                let lost = matches!(&st, Status::Failed(m) if m.starts_with(LOST));
                let _ = data_tx.send(Msg::End(st)).await;
                if lost {
                    reap_orphan(&engine, &container, &marker).await;
                }
            });
        }

        Ok(Session {
            shared,
            input: in_tx,
            size: size_tx,
            applied: applied_tx,
            engine: Some(engine.clone()),
            container: container_id.to_string(),
            exec_id: handle.id,
            marker,
            closing: Arc::new(AtomicBool::new(false)),
        })
    }

    /// A session with no shell behind it: `output` as the screen draws it, in `status`. Input
    /// goes nowhere and resizes only reflow the screen. Used by the snapshot tests of the
    /// Sessions pane, which must not need an engine.
    pub fn replay(cols: u16, rows: u16, output: &[u8], status: Status) -> Session {
        let (cols, rows) = (cols.max(1), rows.max(1));
        let mut term = Terminal::new(cols, rows);
        term.process(output);
        let shared = Arc::new(Shared {
            term: Mutex::new(term),
            status: watch::channel(status).0,
            dirty: AtomicBool::new(true),
            waker: Arc::new(Notify::new()),
        });
        Session {
            shared,
            input: mpsc::unbounded_channel().0,
            size: watch::channel((cols, rows)).0,
            applied: watch::channel((cols, rows)).0,
            engine: None,
            container: String::new(),
            exec_id: String::new(),
            marker: String::new(),
            closing: Arc::new(AtomicBool::new(true)),
        }
    }

    /// The engine's id of the shell's exec.
    pub fn exec_id(&self) -> &str {
        &self.exec_id
    }

    /// The container the session runs in.
    pub fn container(&self) -> &str {
        &self.container
    }

    pub fn status(&self) -> Status {
        self.shared.status.borrow().clone()
    }

    /// Wait until the session is no longer running; returns how it ended.
    pub async fn wait(&self) -> Status {
        let mut rx = self.shared.status.subscribe();
        let r = rx.wait_for(|s| !s.is_running()).await.map(|s| s.clone());
        r.unwrap_or_else(|_| self.status())
    }

    /// True once since the last call if the screen or status changed.
    pub fn take_dirty(&self) -> bool {
        self.shared.dirty.swap(false, Ordering::AcqRel)
    }

    /// Lock the terminal (to draw it, read text or modes). Hold it briefly.
    pub fn terminal(&self) -> MutexGuard<'_, Terminal> {
        self.shared.term()
    }

    /// The window title the program set, if any.
    pub fn title(&self) -> Option<String> {
        self.terminal().title().map(str::to_string)
    }

    /// The emulated size (cols, rows).
    pub fn size(&self) -> (u16, u16) {
        self.terminal().size()
    }

    /// The text of the visible rows.
    pub fn rows_text(&self) -> Vec<String> {
        self.terminal().rows_text()
    }

    fn modes(&self) -> InputModes {
        InputModes::of(self.terminal().screen())
    }

    /// Send raw bytes to the program.
    pub fn send_bytes(&self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            let _ = self.input.send(bytes);
        }
    }

    /// Send a key press, xterm-encoded for the program's current modes. Typing returns the view
    /// to the live screen. Returns false for keys a terminal does not send.
    pub fn send_key(&self, key: KeyEvent) -> bool {
        let Some(bytes) = input::encode_key(key, self.modes()) else {
            return false;
        };
        self.scroll_reset();
        self.send_bytes(bytes);
        true
    }

    /// Send pasted text (bracketed when the program asked for it).
    pub fn send_paste(&self, text: &str) {
        let bytes = input::encode_paste(text, self.modes());
        self.scroll_reset();
        self.send_bytes(bytes);
    }

    /// A mouse event at absolute terminal coordinates; `origin` is the pane's top-left cell.
    /// Forwarded when the program asked for mouse events; otherwise the wheel scrolls the local
    /// scrollback. Returns true when the event was used.
    pub fn send_mouse(&self, ev: MouseEvent, origin: (u16, u16)) -> bool {
        let (cols, rows) = self.size();
        let (Some(col), Some(row)) = (ev.column.checked_sub(origin.0), ev.row.checked_sub(origin.1)) else {
            return false;
        };
        if col >= cols || row >= rows {
            return false;
        }
        let modes = self.modes();
        if let Some(bytes) = input::encode_mouse(&ev, col, row, modes) {
            self.send_bytes(bytes);
            return true;
        }
        match ev.kind {
            MouseEventKind::ScrollUp if modes.mouse_mode == input::MouseMode::None => {
                self.scroll_back(WHEEL_LINES);
                true
            }
            MouseEventKind::ScrollDown if modes.mouse_mode == input::MouseMode::None => {
                self.scroll_forward(WHEEL_LINES);
                true
            }
            _ => false,
        }
    }

    /// Resize the emulated screen and the exec's TTY (no-op when the size is unchanged).
    pub fn resize(&self, cols: u16, rows: u16) {
        let (cols, rows) = (cols.max(1), rows.max(1));
        {
            let mut t = self.terminal();
            if t.size() == (cols, rows) {
                return;
            }
            t.resize(cols, rows);
        }
        self.size.send_replace((cols, rows));
        self.shared.wake();
    }

    /// Wait until the exec's TTY has the emulated size (resizes reach the engine in the
    /// background); false if that did not happen within `limit`.
    pub async fn size_applied(&self, limit: Duration) -> bool {
        let want = self.size();
        let mut rx = self.applied.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|s| *s == want))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Scroll the view `lines` further back into the scrollback.
    pub fn scroll_back(&self, lines: usize) {
        let mut t = self.terminal();
        let n = t.scrollback().saturating_add(lines);
        t.set_scrollback(n);
        drop(t);
        self.shared.wake();
    }

    /// Scroll the view `lines` towards the live screen.
    pub fn scroll_forward(&self, lines: usize) {
        let mut t = self.terminal();
        let n = t.scrollback().saturating_sub(lines);
        t.set_scrollback(n);
        drop(t);
        self.shared.wake();
    }

    /// Back to the live screen.
    pub fn scroll_reset(&self) {
        let mut t = self.terminal();
        if t.scrollback() != 0 {
            t.set_scrollback(0);
            drop(t);
            self.shared.wake();
        }
    }

    /// How many lines the view is scrolled back (0 = live).
    pub fn scrollback(&self) -> usize {
        self.terminal().scrollback()
    }

    /// End the shell in the sandbox: EOF first, then a hang-up of the session's processes,
    /// then a kill. Returns at once; [`Session::wait`] tells when it ended. Idempotent.
    pub fn close(&self) {
        if self.closing.swap(true, Ordering::AcqRel) || !self.status().is_running() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(engine) = self.engine.clone() else {
            return;
        };
        let container = self.container.clone();
        let marker = self.marker.clone();
        let input = self.input.clone();
        let mut status = self.shared.status.subscribe();
        rt.spawn(async move {
            let mut ended = async |d: Duration| {
                tokio::time::timeout(d, status.wait_for(|s| !s.is_running()))
                    .await
                    .is_ok()
            };
            // EOF ends a shell waiting at its prompt.
            let _ = input.send(vec![0x04]);
            if ended(Duration::from_millis(1000)).await {
                return;
            }
            for sig in ["HUP", "KILL"] {
                let _ = signal_session(&engine, &container, &marker, sig).await;
                if ended(Duration::from_secs(2)).await {
                    return;
                }
            }
        });
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("container", &self.container)
            .field("exec_id", &self.exec_id)
            .field("status", &self.status())
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}

/// Resize an exec's TTY, retrying until the engine accepts it or `limit` passes. Until the
/// exec's process runs the engine refuses resizes, and on a loaded machine that can take longer
/// than `Engine::exec_resize`'s own retries; a TTY left at 0x0 breaks `stty size` and curses.
pub async fn resize_until_applied(engine: &Engine, exec_id: &str, cols: u16, rows: u16, limit: Duration) -> bool {
    let end = tokio::time::Instant::now() + limit;
    loop {
        if engine.exec_resize(exec_id, cols, rows).await.is_ok() {
            return true;
        }
        if tokio::time::Instant::now() >= end {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Send a signal to every process of a session inside the sandbox (found by its marker).
pub async fn signal_session(engine: &Engine, container: &str, marker: &str, sig: &str) -> Result<()> {
    let script = format!(
        "for d in /proc/[0-9]*; do \
         if tr '\\0' '\\n' < $d/environ 2>/dev/null | grep -qx '{MARKER_VAR}={marker}'; then \
         kill -{sig} ${{d#/proc/}} 2>/dev/null; fi; done; true"
    );
    engine
        .exec_collect(container, &ExecSpec::cmd(["/bin/sh", "-c", &script]))
        .await?;
    Ok(())
}

/// How a [`Status::Failed`] starts when the session lost its connection to the shell.
const LOST: &str = "connection lost";

/// A session that lost its connection cannot reach its shell again (an exec is attached once),
/// but the shell goes on in the sandbox: dropping a connection does not end an exec. End it
/// once the engine answers again (a hang-up, then a kill), trying every few seconds for ten
/// minutes, so an engine restart does not leave orphaned shells behind.
async fn reap_orphan(engine: &Engine, container: &str, marker: &str) {
    let end = tokio::time::Instant::now() + Duration::from_secs(600);
    while tokio::time::Instant::now() < end {
        if signal_session(engine, container, marker, "HUP").await.is_ok() {
            tokio::time::sleep(Duration::from_secs(2)).await;
            let _ = signal_session(engine, container, marker, "KILL").await;
            return;
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
}

/// How a session ended once its output stream closed.
async fn final_status(engine: &Engine, container: &str, exec_id: &str, failure: Option<String>) -> Status {
    let code = match &failure {
        None => engine.exec_wait(exec_id).await.ok(),
        Some(_) => None,
    };
    // A shell killed by a signal may have gone down with its sandbox: the container's state
    // can trail the exec's end by a moment, so look a few times before calling it an exit.
    let checks = if code.is_some_and(|c| (0..128).contains(&c)) {
        1
    } else {
        6
    };
    for i in 0..checks {
        match engine.inspect(container).await {
            Err(e) if is_not_found(&e) => return Status::Failed("sandbox vanished".into()),
            // The engine cannot be asked (gone, restarting, socket cut): the shell may still
            // run in the sandbox, but this session has lost it.
            Err(e) => return Status::Failed(format!("{LOST}: {}", failure.unwrap_or(e.message))),
            Ok(d) if !d.running => return Status::Failed(format!("sandbox stopped ({})", d.state)),
            Ok(_) => {}
        }
        if i + 1 < checks {
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    match (code, failure) {
        (Some(c), _) => Status::Exited(c),
        (None, Some(f)) => Status::Failed(format!("{LOST}: {f}")),
        (None, None) => Status::Failed("the engine did not report the shell's exit code".into()),
    }
}
