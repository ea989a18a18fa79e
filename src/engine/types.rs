//! boxdeck's own view of engine objects, independent of bollard.

use std::collections::BTreeMap;

use serde::Serialize;

/// A container's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    Running,
    Paused,
    Restarting,
    Created,
    Exited,
    Removing,
    Dead,
    Unknown,
}

impl ContainerState {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "restarting" | "stopping" => Self::Restarting,
            "created" | "configured" | "initialized" => Self::Created,
            "exited" | "stopped" => Self::Exited,
            "removing" => Self::Removing,
            "dead" => Self::Dead,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Restarting => "restarting",
            Self::Created => "created",
            Self::Exited => "exited",
            Self::Removing => "removing",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }

    /// Running or paused: the container has live processes.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Running | Self::Paused | Self::Restarting)
    }
}

impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Health as the engine reports it (only for containers with a healthcheck).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    /// Parse from the status text of a container list entry ("Up 3 minutes (healthy)").
    pub fn from_status(status: &str) -> Option<Self> {
        if status.contains("(healthy)") {
            Some(Self::Healthy)
        } else if status.contains("(unhealthy)") {
            Some(Self::Unhealthy)
        } else if status.contains("(health: starting)") || status.contains("(starting)") {
            Some(Self::Starting)
        } else {
            None
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        }
    }
}

/// One row of the engine's container list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerSummary {
    pub id: String,
    /// Engine name without the leading slash.
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    /// Engine status text ("Up 3 minutes", "Exited (0) 2 hours ago").
    pub status: String,
    pub health: Option<Health>,
    pub labels: BTreeMap<String, String>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Writable layer size in bytes, when the list asked for sizes.
    pub size_rw: Option<i64>,
    /// Name of the engine this container lives on.
    pub engine: String,
}

/// A port mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortMapping {
    pub container_port: String,
    pub host_ip: Option<String>,
    pub host_port: Option<String>,
}

/// A mount.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MountInfo {
    pub kind: String,
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    /// Volume name for volume mounts.
    pub name: Option<String>,
}

/// The last health check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthInfo {
    pub status: String,
    pub failing_streak: i64,
    pub last_output: Option<String>,
    pub last_exit_code: Option<i64>,
}

/// What boxdeck needs from a container inspect (Inspect tab, secure defaults, prune checks).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerDetails {
    pub id: String,
    pub name: String,
    pub image: String,
    pub state: ContainerState,
    pub running: bool,
    pub paused: bool,
    pub exit_code: Option<i64>,
    pub pid: Option<i64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub created: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub ports: Vec<PortMapping>,
    pub mounts: Vec<MountInfo>,
    pub health: Option<HealthInfo>,
    /// Exec ids the engine still records for this container (SPEC 6.2).
    pub exec_ids: Vec<String>,
    pub security: SecurityInfo,
    pub limits: Limits,
    /// The engine's whole inspect document, for the Inspect tab's raw view.
    pub raw: serde_json::Value,
}

/// Security-relevant settings (SPEC 3.2, 4.4).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SecurityInfo {
    pub privileged: bool,
    pub read_only_rootfs: bool,
    pub init: bool,
    pub no_new_privileges: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opt: Vec<String>,
    pub network_mode: String,
    pub tmpfs: BTreeMap<String, String>,
    pub binds: Vec<String>,
}

/// Resource limits (0 or None = unlimited).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Limits {
    pub memory_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub pids_limit: Option<i64>,
}

/// Which output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StreamKind {
    Stdout,
    Stderr,
    /// TTY output (no separate stderr).
    Console,
    Stdin,
}

/// A piece of output from logs or an exec.
#[derive(Debug, Clone, PartialEq)]
pub struct LogChunk {
    pub stream: StreamKind,
    pub data: bytes::Bytes,
}

/// A container event from the engine's event stream.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineEvent {
    pub id: String,
    /// "start", "die", "destroy", "create", "pause", "unpause", "health_status: healthy", ...
    pub action: String,
    pub name: Option<String>,
    pub time: i64,
}

/// One stats sample, already reduced to what the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct StatsSample {
    pub cpu_percent: f64,
    pub mem_bytes: u64,
    pub mem_limit: u64,
    pub pids: u64,
}

/// Options for reading logs.
#[derive(Debug, Clone, Default)]
pub struct LogsQuery {
    pub follow: bool,
    /// Lines from the end; None = all.
    pub tail: Option<u64>,
    /// Unix seconds.
    pub since: Option<i64>,
    pub timestamps: bool,
}

/// What to create (already resolved from a profile).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateSpec {
    pub name: String,
    pub image: String,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub memory_bytes: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub pids_limit: Option<i64>,
    /// "bridge", "none", or a named network.
    pub network: Option<String>,
    pub read_only: bool,
    /// path -> mount options ("rw,size=64m").
    pub tmpfs: BTreeMap<String, String>,
    /// `src:dst[:ro]`.
    pub binds: Vec<String>,
    pub cap_drop: Vec<String>,
    pub cap_add: Vec<String>,
    pub init: bool,
    pub no_new_privileges: bool,
}

/// An exec's state as the engine records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecStatus {
    pub id: String,
    pub running: bool,
    pub exit_code: Option<i64>,
    pub pid: Option<i64>,
    pub cmd: Vec<String>,
    pub tty: bool,
    pub container_id: String,
}

/// What to run in an exec.
#[derive(Debug, Clone, Default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub tty: bool,
    pub stdin: bool,
    pub user: Option<String>,
    pub working_dir: Option<String>,
}

impl ExecSpec {
    /// A plain command (no TTY, no stdin) with its environment, user and working directory.
    pub fn command(cmd: Vec<String>, env: &[String], user: Option<&str>, workdir: Option<&str>) -> Self {
        Self {
            cmd,
            env: env.to_vec(),
            user: user.map(str::to_string),
            working_dir: workdir.map(str::to_string),
            ..Default::default()
        }
    }

    pub fn cmd<S: Into<String>>(cmd: impl IntoIterator<Item = S>) -> Self {
        Self {
            cmd: cmd.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// The result of an exec run to completion.
#[derive(Debug, Clone, Default)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Pull progress, one line per layer update.
#[derive(Debug, Clone, PartialEq)]
pub struct PullProgress {
    pub id: Option<String>,
    pub status: String,
    pub current: Option<i64>,
    pub total: Option<i64>,
}

/// Engine facts for doctor.
#[derive(Debug, Clone, Serialize)]
pub struct EngineFacts {
    pub kind: String,
    pub version: String,
    pub api_version: String,
    pub os: Option<String>,
    pub containers: Option<i64>,
    pub images_bytes: Option<i64>,
    pub containers_bytes: Option<i64>,
}
