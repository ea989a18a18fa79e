//! SPEC 3.4, the success path: a missing image is pulled with visible progress, on both
//! engines, from the local registry `scripts/engines.sh` starts on `localhost:5000` (no outside
//! registry answers here). The image there has a 16 MB layer that the test image lacks, so the
//! pull really downloads it.
//!
//! Every test pulls its own tag (a copy of the manifest made in the registry for this run), so
//! concurrent runs never share an image, and it removes only that tag from the engines.

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use boxdeck::app::msg::{Action, Msg};
use boxdeck::config::Config;
use boxdeck::engine::{EngineTarget, HostSource};
use boxdeck::sandbox::create::CreateOptions;
use common::{RunId, TestEngine, assert_ok, stderr, stdout};

const REGISTRY: &str = "localhost:5000";
const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// Whether the local registry answers; under CI it must.
fn registry_up() -> bool {
    let up = Command::new("curl")
        .args(["-fsS", "--max-time", "3", &format!("http://{REGISTRY}/v2/")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !up {
        assert!(
            std::env::var("CI").map_or(true, |c| c != "true"),
            "the local registry on {REGISTRY} does not answer (CI=true: run scripts/engines.sh)"
        );
        eprintln!("SKIP: no registry on {REGISTRY} (run scripts/engines.sh)");
    }
    up
}

/// A new tag for the pull image, made in the registry by copying the manifest of `latest`.
/// Removed from the engines (never from the registry, which shares the layer) on drop.
struct PullTag {
    image: String,
    urls: Vec<String>,
}

impl PullTag {
    fn new(engines: &[TestEngine]) -> PullTag {
        let tag = format!("run-{}-{:08x}", std::process::id(), rand::random::<u32>());
        let get = Command::new("curl")
            .args(["-fsS", "-H", &format!("Accept: {MANIFEST}")])
            .arg(format!("http://{REGISTRY}/v2/boxdeck-pull/manifests/latest"))
            .output()
            .expect("curl");
        assert_ok(&get, "fetch the pull image's manifest (run scripts/engines.sh)");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("manifest.json");
        std::fs::write(&file, &get.stdout).unwrap();
        let put = Command::new("curl")
            .args(["-fsS", "-X", "PUT", "-H", &format!("Content-Type: {MANIFEST}")])
            .arg("--data-binary")
            .arg(format!("@{}", file.display()))
            .arg(format!("http://{REGISTRY}/v2/boxdeck-pull/manifests/{tag}"))
            .output()
            .expect("curl");
        assert_ok(&put, "tag the pull image for this run");
        PullTag {
            image: format!("{REGISTRY}/boxdeck-pull:{tag}"),
            urls: engines.iter().map(|e| e.url.clone()).collect(),
        }
    }
}

impl Drop for PullTag {
    fn drop(&mut self) {
        for url in &self.urls {
            let _ = Command::new("docker")
                .env("DOCKER_HOST", url)
                .args(["rmi", &self.image])
                .output();
        }
    }
}

/// The engines to pull on: none when the registry is down (a failure under CI).
fn pull_engines() -> Vec<TestEngine> {
    let engines = common::engines();
    if engines.is_empty() || !registry_up() {
        return Vec::new();
    }
    engines
}

/// `boxdeck create --image IMAGE --name NAME` with the run's label.
fn create_from(rid: &RunId, e: &TestEngine, image: &str, name: &str) -> std::process::Output {
    rid.boxdeck(&e.url)
        .args(["create", "--image", image, "--name", name, "--label", &rid.label()])
        .output()
        .unwrap()
}

#[test]
fn cli_create_pulls_a_missing_image_with_progress() {
    let engines = pull_engines();
    for e in &engines {
        // Declared before the RunId so its containers are gone before the image is removed.
        let pull = PullTag::new(std::slice::from_ref(e));
        let rid = RunId::new(std::slice::from_ref(e));
        let name = rid.name("pulled");
        let out = create_from(&rid, e, &pull.image, &name);
        assert_ok(&out, &format!("create with a pull on {}", e.kind));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("pulling {} ...", pull.image)),
            "the pull is announced on {}:\n{err}",
            e.kind
        );
        // Per-layer progress lines ("  <layer>: <status> [n%]"), ending with the layer done.
        let layers: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains(": "))
            .collect();
        assert!(
            layers.iter().any(|l| l.contains("complete")),
            "layer progress shown on {}:\n{err}",
            e.kind
        );
        assert_eq!(stdout(&out).trim(), name);

        // The sandbox runs the pulled image: its 16 MB payload is there.
        let out = rid
            .boxdeck(&e.url)
            .args(["run", &name, "--", "sh", "-c", "wc -c < /payload"])
            .output()
            .unwrap();
        assert_ok(&out, "read the payload");
        assert_eq!(stdout(&out).trim(), "16777216", "on {}", e.kind);
        let ls = rid.boxdeck(&e.url).args(["ls", "--json"]).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&ls.stdout).unwrap();
        let row = v
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name.as_str())
            .expect("listed");
        assert_eq!(row["image"], pull.image.as_str(), "on {}", e.kind);

        // Present now: a second sandbox from it does not pull again.
        let again = rid.name("again");
        let out = create_from(&rid, e, &pull.image, &again);
        assert_ok(&out, "create from the pulled image");
        assert!(!stderr(&out).contains("pulling"), "no second pull:\n{}", stderr(&out));
    }
}

#[test]
fn dashboard_create_reports_pull_progress_then_creates() {
    let engines = pull_engines();
    for e in &engines {
        let pull = PullTag::new(std::slice::from_ref(e));
        let rid = RunId::new(std::slice::from_ref(e));
        let name = rid.name("dpull");
        let config = Config::parse(&std::fs::read_to_string(&rid.config).unwrap()).unwrap();
        let rt = common::rt();
        let (progress, last) = rt.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let mut t = EngineTarget::new(e.url.clone(), HostSource::Flag);
            t.name = Some("eng".into());
            let actions = boxdeck::workers::spawn(vec![t], Arc::new(config), tx);
            // The create dialog sends exactly this.
            actions
                .send(Action::Create {
                    engine: Some("eng".into()),
                    opts: CreateOptions {
                        name: Some(name.clone()),
                        image: Some(pull.image.clone()),
                        labels: vec![rid.label()],
                        ..Default::default()
                    },
                })
                .unwrap();
            let mut progress = Vec::new();
            let end = tokio::time::Instant::now() + Duration::from_secs(120);
            loop {
                match tokio::time::timeout_at(end, rx.recv()).await {
                    Ok(Some(Msg::Progress(Some(p)))) => progress.push(p),
                    Ok(Some(m @ (Msg::Info(_) | Msg::Error(_)))) => break (progress, format!("{m:?}")),
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("workers gone"),
                    Err(_) => panic!("no result of the create on {}; progress so far: {progress:#?}", e.kind),
                }
            }
        });
        assert!(
            last.contains(&format!("created {name}")),
            "{last} on {}; progress: {progress:#?}",
            e.kind
        );
        let i = progress
            .iter()
            .position(|p| p == &format!("pulling {}…", pull.image))
            .unwrap_or_else(|| panic!("the pull is announced on {}: {progress:#?}", e.kind));
        let layer = format!("pulling {}: ", pull.image);
        assert!(
            progress[i..]
                .iter()
                .any(|p| p.starts_with(&layer) && p.contains("complete")),
            "layer progress on the status line on {}: {progress:#?}",
            e.kind
        );
        let creating = progress
            .iter()
            .position(|p| p.starts_with("creating"))
            .expect("creating step");
        assert!(creating > i, "the pull comes before the create: {progress:#?}");
    }
}
