//! `boxdeck shell NAME`: an interactive shell in a sandbox in the plain terminal, like
//! `docker exec -it` (SPEC 5.5).
//!
//! The shell is the same one a session pane runs (profile `shell`, else `/bin/bash` when
//! present, else `/bin/sh`). With a terminal on stdin it runs with a TTY: raw mode, the TTY
//! follows the window size (SIGWINCH), and the terminal is restored afterwards, on error and
//! on SIGTERM/SIGHUP too. Bytes pass straight through: the real terminal does the emulation.
//! Without a terminal (a pipe) it runs without a TTY and stdin's end is the shell's EOF.
//! The shell's exit code becomes boxdeck's.

use std::io::{IsTerminal, Read, Write};

use clap::Args;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::Ctx;
use crate::emulator::session::{MARKER_VAR, resize_until_applied, signal_session};
use crate::engine::ExecSpec;
use crate::{Error, Result};

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Sandbox to open the shell in.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Run this shell instead of the profile's (for example /bin/sh).
    #[arg(long, value_name = "CMD")]
    pub shell: Option<String>,
}

/// Restores the terminal from raw mode when dropped (also while unwinding a panic).
struct RawMode;

impl RawMode {
    fn enable() -> Result<RawMode> {
        crossterm::terminal::enable_raw_mode()
            .map_err(|e| Error::failed(format!("cannot put the terminal in raw mode: {e}")))?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

enum Ended {
    /// The shell's output ended.
    Output,
    /// boxdeck got SIGTERM or SIGHUP (exit code 128 + signal).
    Signal(i32),
}

pub async fn run(ctx: &Ctx, a: &ShellArgs) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let t = fleet.resolve(&a.name).await?;
    let name = &t.sandbox.name;
    if !t.sandbox.state.is_live() {
        return Err(Error::failed(format!("sandbox {name} is {}", t.sandbox.state))
            .hint(format!("start it first: boxdeck start {name}")));
    }
    let cmd = match a.shell.as_deref().map(str::trim) {
        Some("") => return Err(Error::usage("--shell needs a command").hint("for example: --shell /bin/sh")),
        Some(s) => s.split_whitespace().map(str::to_string).collect(),
        None => crate::emulator::resolve_shell(&t.engine, &t.sandbox, &ctx.config).await,
    };
    let tty = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let marker = format!("{:016x}", rand::random::<u64>());
    let term = std::env::var("TERM").ok().filter(|t| !t.is_empty() && t != "dumb");
    let spec = ExecSpec {
        cmd,
        env: vec![
            format!("TERM={}", term.unwrap_or_else(|| crate::emulator::SESSION_TERM.into())),
            format!("{MARKER_VAR}={marker}"),
        ],
        tty,
        stdin: true,
        user: None,
        working_dir: None,
    };
    let mut h = t.engine.exec_start(&t.sandbox.id, &spec).await?;

    // Keys from a thread of its own: a blocking read of stdin must never hold up the runtime.
    let (key_tx, mut key_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    std::thread::Builder::new()
        .name("boxdeck-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 8192];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if key_tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        })
        .map_err(|e| Error::failed(format!("cannot read the terminal: {e}")))?;

    let raw = if tty { Some(RawMode::enable()?) } else { None };
    if tty && let Ok((cols, rows)) = crossterm::terminal::size() {
        let _ = resize_until_applied(&t.engine, &h.id, cols, rows, std::time::Duration::from_secs(10)).await;
    }
    let mut winch = signal(SignalKind::window_change())?;
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup_sig = signal(SignalKind::hangup())?;
    let mut stdin_open = true;
    let mut out = std::io::stdout();
    let ended = loop {
        tokio::select! {
            chunk = h.output.next() => match chunk {
                Some(Ok(c)) => {
                    let w = if c.stream == crate::engine::StreamKind::Stderr && !tty {
                        std::io::stderr().write_all(&c.data)
                    } else {
                        out.write_all(&c.data).and_then(|_| out.flush())
                    };
                    if w.is_err() {
                        break Ended::Signal(libc::SIGPIPE);
                    }
                }
                Some(Err(e)) => {
                    drop(raw);
                    // The shell goes on without its connection: hang it up if the engine answers.
                    let hup = signal_session(&t.engine, &t.sandbox.id, &marker, "HUP");
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), hup).await;
                    return Err(Error::failed(format!("the session with {name} broke: {}", e.message)));
                }
                None => break Ended::Output,
            },
            keys = key_rx.recv(), if stdin_open => match keys {
                Some(k) => {
                    if h.input.write_all(&k).await.is_err() || h.input.flush().await.is_err() {
                        stdin_open = false;
                    }
                }
                None => {
                    // stdin ended: without a TTY that is the shell's EOF.
                    stdin_open = false;
                    let _ = h.input.shutdown().await;
                }
            },
            _ = winch.recv() => {
                if let Ok((cols, rows)) = crossterm::terminal::size() {
                    let _ = t.engine.exec_resize(&h.id, cols, rows).await;
                }
            }
            _ = term_sig.recv() => break Ended::Signal(libc::SIGTERM),
            _ = hup_sig.recv() => break Ended::Signal(libc::SIGHUP),
        }
    };
    drop(raw);
    match ended {
        Ended::Signal(sig) => {
            // Dropping the connection would leave the shell running: hang it up.
            let _ = signal_session(&t.engine, &t.sandbox.id, &marker, "HUP").await;
            Ok(128 + sig)
        }
        Ended::Output => {
            let code = match t.engine.exec_wait(&h.id).await {
                Ok(c) => c,
                Err(e) => {
                    return Err(match t.engine.inspect(&t.sandbox.id).await {
                        Err(ie) if crate::engine::is_not_found(&ie) => {
                            Error::failed(format!("sandbox {name} was removed during the session"))
                        }
                        Err(_) => e.context(format!("lost the engine during the session with {name}")),
                        Ok(_) => e,
                    });
                }
            };
            if code >= 128
                && let Ok(d) = t.engine.inspect(&t.sandbox.id).await
                && !d.running
            {
                eprintln!("boxdeck: sandbox {name} stopped during the session");
            }
            Ok(if (0..=255).contains(&code) { code as i32 } else { 1 })
        }
    }
}
