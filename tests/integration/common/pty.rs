//! The real `boxdeck` dashboard in a pseudo-terminal, its screen parsed by vt100.
//!
//! [`Dashboard::spawn`] starts `boxdeck` with the test config (`BOXDECK_CONFIG`),
//! `TERM=xterm-256color`, no `DOCKER_HOST` / `DOCKER_CONTEXT`, and one `--host` per URL; a reader
//! thread feeds everything it prints into a parser. The parser is vt100 0.16 by default; a test
//! that needs vt100 0.18 (REP/HPA, see docs/TERMINAL.md) names it:
//! `Dashboard::<vt100_18::Parser>::spawn_with(..)`.
//!
//! No harness answers terminal queries (the dashboard sends none that it waits on).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// A terminal emulator the reader thread can feed (vt100 0.16 or 0.18).
pub trait Emulator: Send + 'static {
    fn with_size(rows: u16, cols: u16) -> Self;
    fn feed(&mut self, bytes: &[u8]);
    fn text(&self) -> String;
}

impl Emulator for vt100::Parser {
    fn with_size(rows: u16, cols: u16) -> Self {
        vt100::Parser::new(rows, cols, 0)
    }
    fn feed(&mut self, bytes: &[u8]) {
        self.process(bytes);
    }
    fn text(&self) -> String {
        self.screen().contents()
    }
}

impl Emulator for vt100_18::Parser {
    fn with_size(rows: u16, cols: u16) -> Self {
        let n = |v| std::num::NonZeroU16::new(v).expect("a non-zero terminal size");
        vt100_18::Parser::new(n(rows), n(cols), 0)
    }
    fn feed(&mut self, bytes: &[u8]) {
        self.process(bytes);
    }
    fn text(&self) -> String {
        self.screen().contents()
    }
}

/// How often [`Dashboard::wait_for`] looks at the screen.
const POLL: Duration = Duration::from_millis(50);

/// The dashboard running in a pty. Dropping it kills the process if it still runs.
pub struct Dashboard<P: Emulator = vt100::Parser> {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<P>>,
    /// Closed by the reader thread when the pty has no more output.
    reader_done: mpsc::Receiver<()>,
    send_pause: Duration,
    _master: Box<dyn MasterPty + Send>,
}

impl Dashboard {
    /// `boxdeck --host URL...` with `config` as `BOXDECK_CONFIG` in a `rows` x `cols` pty,
    /// parsed by vt100 0.16.
    pub fn spawn(config: &Path, hosts: &[&str], rows: u16, cols: u16) -> Dashboard {
        Self::spawn_with(config, hosts, rows, cols)
    }
}

impl<P: Emulator> Dashboard<P> {
    /// [`Dashboard::spawn`] with the parser `P`: `Dashboard::<vt100_18::Parser>::spawn_with(..)`.
    pub fn spawn_with(config: &Path, hosts: &[&str], rows: u16, cols: u16) -> Dashboard<P> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_boxdeck"));
        cmd.env("BOXDECK_CONFIG", config);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("DOCKER_HOST");
        cmd.env_remove("DOCKER_CONTEXT");
        for h in hosts {
            cmd.args(["--host", h]);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(P::with_size(rows, cols)));
        let p2 = parser.clone();
        let (done_tx, reader_done) = mpsc::channel();
        std::thread::spawn(move || {
            let _done = done_tx;
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => p2.lock().unwrap().feed(&buf[..n]),
                }
            }
        });
        Dashboard {
            child,
            writer,
            parser,
            reader_done,
            send_pause: Duration::ZERO,
            _master: pair.master,
        }
    }

    /// Sleep this long after every [`send`](Self::send) (default: not at all).
    pub fn with_send_pause(mut self, pause: Duration) -> Self {
        self.send_pause = pause;
        self
    }

    /// Type `bytes` into the terminal.
    pub fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).unwrap();
        self.writer.flush().unwrap();
        if !self.send_pause.is_zero() {
            std::thread::sleep(self.send_pause);
        }
    }

    /// The screen's text now.
    pub fn contents(&self) -> String {
        self.parser.lock().unwrap().text()
    }

    /// The parser itself, for what the text does not show (modes, cursor).
    pub fn parser(&self) -> MutexGuard<'_, P> {
        self.parser.lock().unwrap()
    }

    /// Wait until `pred` holds for the screen and return that screen; panics with the screen
    /// when it does not within `within`.
    pub fn wait_for(&self, what: &str, within: Duration, pred: impl Fn(&str) -> bool) -> String {
        let end = Instant::now() + within;
        loop {
            let c = self.contents();
            if pred(&c) {
                return c;
            }
            if Instant::now() > end {
                panic!("timed out waiting for {what}; screen:\n{c}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// The dashboard process (exit status, pid, kill).
    pub fn child(&mut self) -> &mut (dyn Child + Send + Sync) {
        &mut *self.child
    }

    /// Wait for the process to end and for the reader to take its last output; kills it and
    /// panics when it does not end within `within`.
    pub fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let end = Instant::now() + within;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > end {
                let _ = self.child.kill();
                panic!("the dashboard did not exit within {within:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        // The pty reports end of output once no process holds its other side.
        let _ = self.reader_done.recv_timeout(Duration::from_secs(2));
        status
    }
}

impl<P: Emulator> Drop for Dashboard<P> {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}
