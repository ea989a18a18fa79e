//! Shared helpers for integration tests against the real engines.
//!
//! - Engines come from `BOXDECK_TEST_DOCKER` / `BOXDECK_TEST_PODMAN` (URLs), defaulting to
//!   `unix:///var/run/docker.sock` and `unix:///run/boxdeck-test/podman.sock`
//!   (what `scripts/engines.sh` starts). With `CI=true` a missing engine fails the test; on a
//!   developer machine it is skipped with a message.
//! - Every test makes a [`RunId`]: its containers carry `boxdeck.test-run=<id>` and are removed
//!   when the `RunId` drops. Nothing else is ever removed.
//! - [`TEST_IMAGE`] is the offline busybox+bash image `scripts/engines.sh` imports.
#![allow(dead_code)]

pub mod proxy;
pub mod pty;
pub mod ui;

use std::path::PathBuf;
use std::process::{Command, Output};

use boxdeck::engine::containers::ListQuery;
use boxdeck::engine::{Engine, EngineTarget, HostSource};

pub const TEST_IMAGE: &str = "boxdeck-test:latest";
pub const RUN_LABEL: &str = "boxdeck.test-run";

/// One engine under test.
#[derive(Clone, Debug)]
pub struct TestEngine {
    pub kind: &'static str,
    pub url: String,
}

fn engine_url(kind: &str) -> String {
    match kind {
        "docker" => std::env::var("BOXDECK_TEST_DOCKER").unwrap_or_else(|_| "unix:///var/run/docker.sock".into()),
        _ => std::env::var("BOXDECK_TEST_PODMAN").unwrap_or_else(|_| "unix:///run/boxdeck-test/podman.sock".into()),
    }
}

fn socket_up(url: &str) -> bool {
    match url.strip_prefix("unix://") {
        Some(p) => std::os::unix::net::UnixStream::connect(p).is_ok(),
        None => true,
    }
}

/// The engines to test against. Under CI a missing engine is a failure, never a skip.
pub fn engines() -> Vec<TestEngine> {
    let mut v = Vec::new();
    for kind in ["docker", "podman"] {
        let url = engine_url(kind);
        if socket_up(&url) {
            v.push(TestEngine { kind, url });
        } else if std::env::var("CI").is_ok_and(|c| c == "true") {
            panic!("{kind} engine at {url} does not answer (CI=true: engines are required; run scripts/engines.sh)");
        } else {
            eprintln!("SKIP {kind}: no engine at {url} (run scripts/engines.sh)");
        }
    }
    v
}

/// Only the Docker engine (for tests that need one engine), if up.
pub fn docker() -> Option<TestEngine> {
    engines().into_iter().find(|e| e.kind == "docker")
}

impl TestEngine {
    pub async fn connect(&self) -> Engine {
        Engine::connect(&EngineTarget::new(self.url.clone(), HostSource::Flag))
            .await
            .expect("connect to test engine")
    }
}

/// A unique id for one test's containers; removes them on drop.
pub struct RunId {
    pub id: String,
    urls: Vec<String>,
    /// A config file that points profiles at the offline test image.
    pub config: PathBuf,
    _dir: tempfile::TempDir,
}

impl RunId {
    pub fn new(engines: &[TestEngine]) -> RunId {
        let id = format!("t{}-{:08x}", std::process::id(), rand::random::<u32>());
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, test_config()).expect("write test config");
        RunId {
            id,
            urls: engines.iter().map(|e| e.url.clone()).collect(),
            config,
            _dir: dir,
        }
    }

    /// The label to put on every container of this run.
    pub fn label(&self) -> String {
        format!("{RUN_LABEL}={}", self.id)
    }

    /// A unique sandbox name for this run.
    pub fn name(&self, base: &str) -> String {
        format!("{base}-{}", self.id)
    }

    /// `boxdeck` with `--host url`, the test config, and a clean environment.
    pub fn boxdeck(&self, url: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_boxdeck"));
        c.env("BOXDECK_CONFIG", &self.config)
            .env_remove("DOCKER_HOST")
            .env_remove("DOCKER_CONTEXT");
        c.arg("--host").arg(url);
        c
    }

    /// `boxdeck create` with the test image and this run's label; returns the name.
    pub fn create(&self, url: &str, name: &str, extra: &[&str]) -> String {
        let out = self
            .boxdeck(url)
            .args([
                "create",
                "--image",
                TEST_IMAGE,
                "--name",
                name,
                "--label",
                &self.label(),
            ])
            .args(extra)
            .output()
            .expect("run boxdeck create");
        assert_ok(&out, "create");
        name.to_string()
    }
}

/// Profiles pointing at the offline test image, so `create --profile X` works without a registry.
pub fn test_config() -> String {
    let mut s = String::new();
    for p in ["default", "minimal", "locked", "python", "minimal-python"] {
        s.push_str(&format!("[profiles.{p}]\nimage = \"{TEST_IMAGE}\"\n"));
    }
    s
}

impl Drop for RunId {
    fn drop(&mut self) {
        let label = self.label();
        let urls = self.urls.clone();
        // Clean up on a fresh runtime: Drop may run inside or outside a tokio context.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                for url in urls {
                    let Ok(e) = Engine::connect(&EngineTarget::new(url, HostSource::Flag)).await else {
                        continue;
                    };
                    let q = ListQuery {
                        all: true,
                        labels: vec![label.clone()],
                        ..Default::default()
                    };
                    if let Ok(list) = e.list(&q).await {
                        for c in list {
                            let _ = e.remove(&c.id, true, true).await;
                        }
                    }
                }
            });
        })
        .join();
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Assert exit 0, printing both streams when it is not.
pub fn assert_ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

/// A multi-thread runtime for tests that use the library directly.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}
