//! The sandbox model (SPEC 1): pocketdock's label scheme, the multi-engine fleet, name
//! resolution, and the operations both the CLI and the dashboard use.
//!
//! - [`labels`]: label keys and how boxdeck writes them
//! - [`fleet`]: every connected engine, listing and name resolution across them
//! - [`bulk`]: stop/start/restart/destroy over many sandboxes with progress (SPEC 7.1)
//! - [`create`]: creating a sandbox from a profile, pulling its image when missing
//! - [`prune`]: the prune plan and its safe execution (SPEC 7.2)
//! - [`run`]: running commands in one or many sandboxes (SPEC 8 `run`)
//! - [`select`]: choosing several sandboxes by name, label or project
//! - [`procs`]: detached processes and the list of every exec in a sandbox (SPEC 6.1, 6.2)
//! - [`fanout`]: one command in many sandboxes at once, results as each finishes (SPEC 6.3)

pub mod bulk;
pub mod create;
pub mod fanout;
pub mod fleet;
pub mod labels;
pub mod procs;
pub mod prune;
pub mod run;
pub mod select;

use serde::Serialize;

pub use fleet::Fleet;

use crate::engine::{ContainerState, ContainerSummary, Health};

/// A container as boxdeck shows it: engine facts plus what the labels say.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sandbox {
    /// Instance name (label), or the container name when the label is missing.
    pub name: String,
    pub id: String,
    pub engine: String,
    pub state: ContainerState,
    pub health: Option<Health>,
    pub status: String,
    pub image: String,
    pub profile: Option<String>,
    pub project: Option<String>,
    pub persist: bool,
    /// RFC 3339 creation time: the `pocketdock.created-at` label, else the engine's.
    pub created_at: String,
    /// Has `pocketdock.managed=true`.
    pub managed: bool,
    /// Engine container name (equals `name` for sandboxes boxdeck or pocketdock made).
    pub container_name: String,
}

impl Sandbox {
    pub fn from_summary(c: &ContainerSummary) -> Self {
        let l = &c.labels;
        let managed = labels::is_managed(l);
        let name = l
            .get(labels::INSTANCE)
            .filter(|n| managed && !n.is_empty())
            .cloned()
            .unwrap_or_else(|| c.name.clone());
        let created_at = l
            .get(labels::CREATED_AT)
            .filter(|s| !s.is_empty())
            .cloned()
            .unwrap_or_else(|| {
                chrono::DateTime::from_timestamp(c.created, 0)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                    .unwrap_or_default()
            });
        Sandbox {
            name,
            id: c.id.clone(),
            engine: c.engine.clone(),
            state: c.state,
            health: c.health,
            status: c.status.clone(),
            image: c.image.clone(),
            profile: l.get(labels::PROFILE).cloned(),
            project: l.get(labels::PROJECT).filter(|p| !p.is_empty()).cloned(),
            persist: labels::is_persistent(l),
            created_at,
            managed,
            container_name: c.name.clone(),
        }
    }

    /// Short id (12 hex digits).
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }

    /// Creation time as unix seconds, if it parses.
    pub fn created_unix(&self) -> Option<i64> {
        chrono::DateTime::parse_from_rfc3339(&self.created_at)
            .ok()
            .map(|t| t.timestamp())
    }
}

/// A running, managed sandbox on "docker" with plain values, for unit tests.
#[cfg(test)]
pub(crate) fn test_sandbox(name: &str) -> Sandbox {
    Sandbox {
        name: name.into(),
        id: format!("{name}-id"),
        engine: "docker".into(),
        state: ContainerState::Running,
        health: None,
        status: String::new(),
        image: "i".into(),
        profile: None,
        project: None,
        persist: false,
        created_at: String::new(),
        managed: true,
        container_name: name.into(),
    }
}
