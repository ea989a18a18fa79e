//! Execs: run to completion, stream, interactive TTY sessions, resize, inspect.
//!
//! Interactive execs are created with a TTY but *started* with `tty: false` so bollard reads
//! a framed stream; a TTY start loses bytes. Resizes go after the start, and the first one is
//! retried because the engine may not have the process yet. Dropping the connection does not
//! end the shell: callers send EOF or `exit` when closing a session.

use std::pin::Pin;
use std::time::Duration;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bollard::query_parameters::ResizeExecOptions;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWrite;

use super::{Engine, ExecOutput, ExecSpec, ExecStatus, LogChunk, StreamKind};
use crate::{Error, Result};

/// A started, attached exec.
pub struct ExecHandle {
    pub id: String,
    pub output: Pin<Box<dyn Stream<Item = Result<LogChunk>> + Send>>,
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
}

pub(crate) fn chunk_of(o: LogOutput) -> LogChunk {
    match o {
        LogOutput::StdOut { message } => LogChunk {
            stream: StreamKind::Stdout,
            data: message,
        },
        LogOutput::StdErr { message } => LogChunk {
            stream: StreamKind::Stderr,
            data: message,
        },
        LogOutput::Console { message } => LogChunk {
            stream: StreamKind::Console,
            data: message,
        },
        LogOutput::StdIn { message } => LogChunk {
            stream: StreamKind::Stdin,
            data: message,
        },
    }
}

impl Engine {
    async fn create_exec(&self, container: &str, spec: &ExecSpec, attach: bool) -> Result<String> {
        let opts = CreateExecOptions::<String> {
            attach_stdin: Some(spec.stdin),
            attach_stdout: Some(attach),
            attach_stderr: Some(attach),
            tty: Some(spec.tty),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            cmd: Some(spec.cmd.clone()),
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            ..Default::default()
        };
        match self.docker.create_exec(container, opts).await {
            Ok(r) => Ok(r.id),
            Err(e) => Err(self.exec_err(container, e).await),
        }
    }

    /// Explain a failed exec: engines word "not running" differently, so ask for the state.
    async fn exec_err(&self, container: &str, e: bollard::errors::Error) -> Error {
        let err = self.err(e);
        match self.inspect(container).await {
            Ok(d) if !d.running || d.paused => {
                let name = if d.name.is_empty() {
                    container.to_string()
                } else {
                    d.name
                };
                Error::failed(format!("sandbox {name} is not running (it is {})", d.state))
                    .hint(format!("start it first: boxdeck start {name}"))
            }
            Err(gone) if super::is_not_found(&gone) => {
                Error::failed(format!("sandbox {container} no longer exists")).hint("list sandboxes with `boxdeck ls`")
            }
            _ => err,
        }
    }

    /// Start an attached exec and return its streams.
    pub async fn exec_start(&self, container: &str, spec: &ExecSpec) -> Result<ExecHandle> {
        let id = self.create_exec(container, spec, true).await?;
        let start = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: Some(64 * 1024),
        };
        let started = match self.docker.start_exec(&id, Some(start)).await {
            Ok(s) => s,
            Err(e) => return Err(self.exec_err(container, e).await),
        };
        match started {
            StartExecResults::Attached { output, input } => {
                let engine = self.name.clone();
                let output = output.map(move |r| {
                    r.map(chunk_of)
                        .map_err(|e| super::map_bollard(e).context(format!("engine {engine}")))
                });
                Ok(ExecHandle {
                    id,
                    output: Box::pin(output),
                    input,
                })
            }
            StartExecResults::Detached => Err(Error::failed("engine started the exec detached")),
        }
    }

    /// Start a detached exec (no streams); returns the exec id.
    pub async fn exec_detached(&self, container: &str, spec: &ExecSpec) -> Result<String> {
        let id = self.create_exec(container, spec, false).await?;
        let start = StartExecOptions {
            detach: true,
            tty: false,
            output_capacity: None,
        };
        if let Err(e) = self.docker.start_exec(&id, Some(start)).await {
            return Err(self.exec_err(container, e).await);
        }
        Ok(id)
    }

    /// Run a command to completion and collect its output.
    pub async fn exec_collect(&self, container: &str, spec: &ExecSpec) -> Result<ExecOutput> {
        let mut h = self.exec_start(container, spec).await?;
        drop(h.input);
        let mut out = ExecOutput::default();
        while let Some(chunk) = h.output.next().await {
            let c = chunk?;
            match c.stream {
                StreamKind::Stderr => out.stderr.extend_from_slice(&c.data),
                _ => out.stdout.extend_from_slice(&c.data),
            }
        }
        out.exit_code = self.exec_wait(&h.id).await?;
        Ok(out)
    }

    /// Wait (briefly polling the engine's record) until an exec whose output ended reports its
    /// exit code. The output stream ending is the real signal; this only reads the code.
    pub async fn exec_wait(&self, exec_id: &str) -> Result<i64> {
        let mut delay = Duration::from_millis(2);
        for _ in 0..200 {
            let st = self.exec_inspect(exec_id).await?;
            if !st.running {
                return Ok(st.exit_code.unwrap_or(-1));
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(100));
        }
        Err(Error::failed(format!("exec {exec_id} did not report an exit code")))
    }

    /// The engine's record of an exec.
    pub async fn exec_inspect(&self, exec_id: &str) -> Result<ExecStatus> {
        let r = self.docker.inspect_exec(exec_id).await.map_err(|e| self.err(e))?;
        let pc = r.process_config.unwrap_or_default();
        let mut cmd = Vec::new();
        if let Some(ep) = pc.entrypoint {
            cmd.push(ep);
        }
        cmd.extend(pc.arguments.unwrap_or_default());
        Ok(ExecStatus {
            id: r.id.unwrap_or_else(|| exec_id.to_string()),
            running: r.running.unwrap_or(false),
            exit_code: r.exit_code,
            pid: r.pid,
            cmd,
            tty: pc.tty.unwrap_or(false),
            container_id: r.container_id.unwrap_or_default(),
        })
    }

    /// Resize an exec's TTY. The first resize after start may race the process; retry briefly.
    pub async fn exec_resize(&self, exec_id: &str, cols: u16, rows: u16) -> Result<()> {
        let opts = ResizeExecOptions {
            w: cols as i32,
            h: rows as i32,
        };
        let mut last = None;
        for attempt in 0..10 {
            match self.docker.resize_exec(exec_id, opts.clone()).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(10 * (attempt + 1))).await;
        }
        Err(self.err(last.expect("at least one attempt")))
    }
}
