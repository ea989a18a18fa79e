//! The two message types that cross the UI/worker boundary.
//!
//! - [`Action`]: a user intent the UI sends to the workers (UI -> workers).
//! - [`Msg`]: what the workers report back (workers -> UI). Workers never touch UI state;
//!   the UI applies every `Msg` in [`crate::app::handlers::on_msg`].
//!
//! Both enums are meant to be extended by later features (sessions, processes, prune): add a
//! variant, handle it in `workers::route` (for an `Action`) or `handlers::on_msg` (for a `Msg`).

use crate::engine::{ContainerDetails, LogChunk, StatsSample};
use crate::sandbox::Sandbox;
use crate::sandbox::create::CreateOptions;
use crate::sandbox::prune::{PruneOptions, PruneOutcome, PrunePlan};
use crate::views::bulk::BulkStatus;

/// Identifies one row: the engine it lives on and the full container id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub engine: String,
    pub id: String,
}

impl RowKey {
    pub fn of(s: &Sandbox) -> RowKey {
        RowKey {
            engine: s.engine.clone(),
            id: s.id.clone(),
        }
    }
}

/// A lifecycle verb applied to one or more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Stop,
    Start,
    Restart,
    /// Remove, killing a running container first (the user confirmed).
    Destroy,
}

impl Verb {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verb::Stop => "stop",
            Verb::Start => "start",
            Verb::Restart => "restart",
            Verb::Destroy => "destroy",
        }
    }
}

/// A target of an action: its key plus the name to show in progress and errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub key: RowKey,
    pub name: String,
}

/// A user intent, sent from the UI to the workers.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// List every container (true) or only sandboxes (false).
    SetAll(bool),
    /// The rows now on screen: the workers keep one stats stream per running row in this set
    /// and none for any other row.
    Watch(Vec<RowKey>),
    /// Follow this row's logs (tail then follow), or stop following.
    FollowLogs(Option<RowKey>),
    /// Re-open the follow of this row after a break, from `since` (Unix seconds; None: the
    /// tail again). The answer to [`Msg::LogResume`].
    ResumeLogs { key: RowKey, since: Option<i64> },
    /// Inspect this row (answer: [`Msg::Details`]).
    Inspect(RowKey),
    /// Stop/start/restart/destroy; runs concurrently (bounded) on the engine workers.
    Lifecycle { verb: Verb, targets: Vec<Target> },
    /// Create a sandbox on an engine (None: the first connected one).
    Create {
        engine: Option<String>,
        opts: CreateOptions,
    },
    /// Run a command (through `sh -c`) in each target and report its exit code.
    Run { targets: Vec<Target>, command: String },
    /// Connect one more engine (`:host URL`).
    AddHost(String),
    /// Quit the dashboard (confirmed by the user; never sent to the workers).
    Quit,
    /// Open an interactive session in a sandbox (answer: [`Msg::SessionOpened`]).
    OpenSession {
        target: Target,
        profile: Option<String>,
        cols: u16,
        rows: u16,
        waker: crate::emulator::tabs::Waker,
    },
    /// Processes tab and `x` (issue 5): see `crate::workers::procs`.
    Procs(crate::workers::procs::ProcAction),
    /// Make the prune plan on every engine (answers: [`Msg::PrunePlanned`] or
    /// [`Msg::PrunePlanFailed`] per engine). Issue 6.
    PrunePlan(PruneOptions),
    /// Carry out exactly this (previewed) plan; the router splits it by engine (answers:
    /// [`Msg::PruneItem`] per item, then [`Msg::PruneDone`] per engine).
    PruneRun { plan: PrunePlan, opts: PruneOptions },
}

/// What a worker reports to the UI.
#[derive(Debug, Clone)]
pub enum Msg {
    /// An engine is connected (again).
    EngineUp { engine: String, detail: String },
    /// An engine went away; it is retried after `retry_secs`.
    EngineDown {
        engine: String,
        error: String,
        retry_secs: u64,
    },
    /// The full listing of one engine (after connect, reconnect or the all-containers toggle).
    Snapshot { engine: String, rows: Vec<Sandbox> },
    /// One row was created or changed.
    Upsert(Sandbox),
    /// One row is gone.
    Removed(RowKey),
    /// A stats sample of a watched row.
    Stats { key: RowKey, sample: StatsSample },
    /// Inspect result.
    Details {
        key: RowKey,
        details: Box<ContainerDetails>,
    },
    /// A log follow (re)started for this row: the pane starts empty.
    LogReset(RowKey),
    /// The follow of this row broke and can be resumed (engine back, container restarted):
    /// the UI answers with [`Action::ResumeLogs`] and the `since` its log pane asks for.
    LogResume(RowKey),
    /// A piece of the followed log.
    Log { key: RowKey, chunk: LogChunk },
    /// The follow ended (container stopped, or an error).
    LogEnded { key: RowKey, error: Option<String> },
    /// Long work in progress (pull, bulk action); None clears the progress line.
    Progress(Option<String>),
    /// Something finished fine.
    Info(String),
    /// Something failed; shown on the message line.
    Error(String),
    /// Quit (SIGTERM).
    Quit,
    /// A session opened by [`Action::OpenSession`].
    SessionOpened {
        key: RowKey,
        name: String,
        session: std::sync::Arc<crate::emulator::Session>,
    },
    /// Opening a session failed (the reason follows as a [`Msg::Error`]).
    SessionFailed(RowKey),
    /// Processes tab and fan-out answers (issue 5): see `crate::workers::procs`.
    Procs(crate::workers::procs::ProcMsg),
    /// One engine's prune plan (issue 6).
    PrunePlanned { engine: String, plan: PrunePlan },
    /// One engine could not make its prune plan.
    PrunePlanFailed { engine: String, error: String },
    /// One prune item finished.
    PruneItem {
        engine: String,
        id: String,
        outcome: PruneOutcome,
    },
    /// One engine finished its part of a prune.
    PruneDone { engine: String },
    /// One target of a lifecycle action changed status (issue 6 bulk progress).
    BulkItem {
        engine: String,
        id: String,
        status: BulkStatus,
    },
    /// One engine finished its part of a lifecycle action.
    BulkDone { engine: String },
}
