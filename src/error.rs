//! The error type shared by the CLI, the dashboard and the library.
//!
//! Every error carries a one-line cause, an optional fix hint, and the exit code the CLI
//! uses for it (SPEC 8: 1 the operation failed, 2 bad usage).

use std::fmt;

/// What kind of failure this is; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The user asked for something malformed: bad flag value, unknown profile, bad config.
    Usage,
    /// The operation was valid but failed: engine unreachable, command failed.
    Failed,
    /// The engine answered that the object (container, exec, image) does not exist: HTTP 404.
    /// Only an engine's answer makes this kind, never a transport error, so "gone" is never
    /// confused with "could not ask" (a missing socket also reads "No such file").
    NotFound,
}

/// A boxdeck error: cause plus optional hint.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
            hint: None,
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Failed,
            message: message.into(),
            hint: None,
        }
    }

    /// The engine says the object does not exist (exit code 1, like [`ErrorKind::Failed`]).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::NotFound,
            message: message.into(),
            hint: None,
        }
    }

    /// Attach a fix hint ("try ...").
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Prefix the message with context ("creating sandbox foo: ...").
    pub fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }

    /// Exit code for the CLI.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage => 2,
            ErrorKind::Failed | ErrorKind::NotFound => 1,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::failed(e.to_string())
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::failed(format!("JSON: {e}"))
    }
}
