//! The engine layer: the only module that talks to Docker or Podman (through bollard).
//!
//! Everything above this layer sees boxdeck's own types ([`ContainerSummary`],
//! [`ContainerDetails`], [`LogChunk`], ...) so the dashboard and CLI never depend on bollard.
//!
//! - [`connect`]: finding the engine (SPEC 2.1)
//! - [`containers`]: list, inspect, create, lifecycle
//! - [`exec`]: running commands, interactive TTY execs
//! - [`streams`]: logs, events and stats streams
//! - [`images`]: presence check and pull with progress
//! - [`system`]: version, disk usage
//! - [`raw`]: a lenient fallback for answers bollard's typed models reject (Podman's states)
//! - [`volumes`]: volume presence and removal

pub mod connect;
pub mod containers;
pub mod exec;
pub mod images;
pub mod raw;
pub mod streams;
pub mod system;
pub mod types;
pub mod volumes;

use std::time::Duration;

use bollard::Docker;

pub use connect::{Discovery, EngineTarget, HostSource};
pub use types::*;

use crate::{Error, Result};

/// Docker or Podman (both through the Docker-compatible API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    Docker,
    Podman,
}

impl std::fmt::Display for EngineKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EngineKind::Docker => "docker",
            EngineKind::Podman => "podman",
        })
    }
}

/// A connected engine. Cheap to clone (the client is reference counted).
#[derive(Clone)]
pub struct Engine {
    /// Short display name, unique among the connected engines ("docker", "podman", config name).
    pub name: String,
    pub url: String,
    pub source: HostSource,
    pub kind: EngineKind,
    /// Engine version ("20.10.24", "4.3.1").
    pub version: String,
    /// Negotiated API version.
    pub api_version: String,
    pub(crate) docker: Docker,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("kind", &self.kind)
            .finish()
    }
}

/// How long to wait for an engine to answer its first ping.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Request timeout for the client (streams are long-lived; bollard applies this per request).
const CLIENT_TIMEOUT_SECS: u64 = 3600;

impl Engine {
    /// Connect to one target: build the client, negotiate the API version, read the version.
    pub async fn connect(target: &EngineTarget) -> Result<Engine> {
        let endpoint = connect::parse_url(&target.url)?;
        let unreachable = |why: String| {
            Error::failed(format!(
                "cannot reach the engine at {} ({}): {why}",
                target.url, target.source
            ))
            .hint("start Docker or Podman, or choose another engine with --host URL or DOCKER_HOST")
        };
        let v = bollard::API_DEFAULT_VERSION;
        let docker = match (&endpoint, &target.tls) {
            (connect::Endpoint::Unix(p), _) => Docker::connect_with_unix(&p.to_string_lossy(), CLIENT_TIMEOUT_SECS, v)
                .map_err(|e| unreachable(short_bollard(&e)))?,
            (connect::Endpoint::Tcp(addr), Some(tls)) => {
                for f in [&tls.ca, &tls.cert, &tls.key] {
                    if !f.exists() {
                        return Err(Error::usage(format!("TLS file {} is missing", f.display()))
                            .hint("set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem"));
                    }
                }
                Docker::connect_with_ssl(addr, &tls.key, &tls.cert, &tls.ca, CLIENT_TIMEOUT_SECS, v)
                    .map_err(|e| unreachable(short_bollard(&e)))?
            }
            (connect::Endpoint::Tcp(addr), None) => {
                Docker::connect_with_http(addr, CLIENT_TIMEOUT_SECS, v).map_err(|e| unreachable(short_bollard(&e)))?
            }
        };
        let docker = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
            .await
            .map_err(|_| unreachable(format!("no answer within {}s", CONNECT_TIMEOUT.as_secs())))?
            .map_err(|e| unreachable(short_bollard(&e)))?;
        let ver = tokio::time::timeout(CONNECT_TIMEOUT, docker.version())
            .await
            .map_err(|_| unreachable("no answer to /version".into()))?
            .map_err(|e| unreachable(short_bollard(&e)))?;
        let is_podman = ver
            .components
            .as_ref()
            .is_some_and(|cs| cs.iter().any(|c| c.name.to_ascii_lowercase().contains("podman")));
        let kind = if is_podman {
            EngineKind::Podman
        } else {
            EngineKind::Docker
        };
        let api = docker.client_version();
        Ok(Engine {
            name: target.name.clone().unwrap_or_else(|| kind.to_string()),
            url: target.url.clone(),
            source: target.source.clone(),
            kind,
            version: ver.version.unwrap_or_default(),
            api_version: format!("{}.{}", api.major_version, api.minor_version),
            docker,
        })
    }

    /// Connect to all targets; engine names are made unique ("docker", "docker-2").
    /// Returns each target's outcome in order.
    pub async fn connect_all(targets: &[EngineTarget]) -> Vec<(EngineTarget, Result<Engine>)> {
        let futs = targets
            .iter()
            .map(|t| async move { (t.clone(), Engine::connect(t).await) });
        let mut out = futures::future::join_all(futs).await;
        let mut seen: Vec<String> = Vec::new();
        for (_, r) in out.iter_mut() {
            if let Ok(e) = r {
                let mut name = e.name.clone();
                let mut i = 2;
                while seen.contains(&name) {
                    name = format!("{}-{i}", e.name);
                    i += 1;
                }
                seen.push(name.clone());
                e.name = name;
            }
        }
        out
    }

    /// Ping the engine (for reconnect loops and doctor).
    pub async fn ping(&self) -> Result<()> {
        tokio::time::timeout(CONNECT_TIMEOUT, self.docker.ping())
            .await
            .map_err(|_| Error::failed(format!("engine {} did not answer", self.name)))?
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Map a bollard error into a boxdeck error that names this engine.
    pub(crate) fn err(&self, e: bollard::errors::Error) -> Error {
        map_bollard(e).context(format!("engine {}", self.name))
    }
}

/// A short, single-line form of a bollard error.
pub(crate) fn short_bollard(e: &bollard::errors::Error) -> String {
    use bollard::errors::Error as B;
    match e {
        B::DockerResponseServerError { status_code, message } => format!("{message} (HTTP {status_code})"),
        B::SocketNotFoundError(p) => format!("no socket at {p}"),
        B::HyperLegacyError { err } => {
            let mut s = err.to_string();
            let mut io = None;
            let mut src = std::error::Error::source(err);
            while let Some(inner) = src {
                s = inner.to_string();
                io = inner.downcast_ref::<std::io::Error>().map(|e| e.kind()).or(io);
                src = inner.source();
            }
            match io {
                Some(std::io::ErrorKind::NotFound) => format!("the engine's socket is gone ({s})"),
                Some(std::io::ErrorKind::ConnectionRefused) => format!("the engine refused the connection ({s})"),
                _ => s,
            }
        }
        other => other.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

/// Map bollard errors to boxdeck errors; a 404 becomes "no such ...", a 409 a conflict.
pub(crate) fn map_bollard(e: bollard::errors::Error) -> Error {
    use bollard::errors::Error as B;
    match &e {
        B::DockerResponseServerError {
            status_code: 404,
            message,
        } => Error::not_found(format!("not found: {message}")),
        B::DockerResponseServerError {
            status_code: 409,
            message,
        } => Error::failed(format!("conflict: {message}")),
        _ => Error::failed(short_bollard(&e)),
    }
}

/// True when the engine answered that the object does not exist (HTTP 404). A transport error
/// (no socket, connection refused or cut) is never "not found".
pub fn is_not_found(e: &Error) -> bool {
    e.kind == crate::ErrorKind::NotFound
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_engine_404_is_not_found() {
        let gone = map_bollard(bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message: "No such container: x".into(),
        });
        assert!(is_not_found(&gone));
        assert!(
            is_not_found(&gone.clone().context("engine docker")),
            "context keeps the kind"
        );
        assert_eq!(gone.exit_code(), 1);
        // A missing socket reads "No such file or directory" but says nothing about the object.
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let transport = map_bollard(bollard::errors::Error::IOError { err: io });
        assert!(!is_not_found(&transport), "{}", transport.message);
        let socket = map_bollard(bollard::errors::Error::SocketNotFoundError("/x.sock".into()));
        assert!(!is_not_found(&socket));
        let conflict = map_bollard(bollard::errors::Error::DockerResponseServerError {
            status_code: 409,
            message: "not found in the other sense".into(),
        });
        assert!(!is_not_found(&conflict));
    }
}
