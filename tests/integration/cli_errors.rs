//! SPEC 10 bad input through the real binary: a one-line cause, a hint, exit 1 or 2, never a
//! panic or a backtrace.

use crate::common;

use std::process::{Command, Output};

use common::{RunId, engines, stderr, stdout};

fn boxdeck() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_boxdeck"));
    c.env_remove("DOCKER_HOST")
        .env_remove("DOCKER_CONTEXT")
        .env("BOXDECK_CONFIG", "/dev/null");
    c
}

fn assert_clean_failure(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "want exit {code} for '{needle}', got {:?}\n{err}",
        o.status.code()
    );
    assert!(err.contains(needle), "stderr lacks '{needle}':\n{err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE") && !err.contains("stack backtrace"),
        "{err}"
    );
    // Progress lines may come first; the cause is one line starting with "boxdeck: " or "error: ".
    assert!(
        err.lines()
            .any(|l| (l.starts_with("boxdeck: ") || l.starts_with("error: ")) && l.contains(needle)),
        "one-line cause with '{needle}':\n{err}"
    );
}

#[test]
fn unreachable_engine() {
    let o = boxdeck()
        .args(["--host", "unix:///nonexistent/engine.sock", "ls"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 1, "cannot reach the engine");
    assert!(stderr(&o).contains("hint:"));
    let o = boxdeck().args(["ls", "--host", "tcp://127.0.0.1:9"]).output().unwrap();
    assert_clean_failure(&o, 1, "cannot reach the engine at tcp://127.0.0.1:9");
}

#[test]
fn bad_docker_host() {
    for bad in ["nonsense", "tcp://nohost", "unix://relative/path", "ftp://x:1"] {
        let o = boxdeck().env("DOCKER_HOST", bad).args(["ls"]).output().unwrap();
        assert_clean_failure(&o, 2, "DOCKER_HOST");
    }
}

#[test]
fn malformed_config_file() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.toml");
    std::fs::write(&p, "[profiles.x\nimage = 1\n").unwrap();
    let o = boxdeck().env("BOXDECK_CONFIG", &p).args(["ls"]).output().unwrap();
    assert_clean_failure(&o, 2, "malformed TOML (line 1)");
    std::fs::write(&p, "[profiles.x]\nmemory = \"lots\"\n").unwrap();
    let o = boxdeck().env("BOXDECK_CONFIG", &p).args(["profiles"]).output().unwrap();
    assert_clean_failure(&o, 2, "profile 'x'");
    let o = boxdeck()
        .args(["--config", "/nonexistent/boxdeck.toml", "ls"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 2, "cannot read config file");
    // doctor reports it as a failed check instead of stopping
    std::fs::write(&p, "bogus = [\n").unwrap();
    let o = boxdeck()
        .env("BOXDECK_CONFIG", &p)
        .args(["--host", "unix:///nonexistent/e.sock", "doctor"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL config"), "{}", stdout(&o));
}

#[test]
fn malformed_project_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join(".pocketdock")).unwrap();
    std::fs::write(
        d.path().join(".pocketdock/pocketdock.yaml"),
        "project_name: [unclosed\n",
    )
    .unwrap();
    let o = boxdeck()
        .current_dir(d.path())
        .args(["create", "--image", "x"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 2, "malformed project file");
}

#[test]
fn unknown_profile() {
    let o = boxdeck()
        .args(["create", "--profile", "does-not-exist"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 2, "unknown profile 'does-not-exist'");
    assert!(stderr(&o).contains("locked"), "lists known profiles");
}

#[test]
fn bad_usage() {
    let o = boxdeck().args(["run", "x"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = boxdeck().args(["frobnicate"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = boxdeck().args(["prune", "--older-than", "soon"]).output().unwrap();
    assert_clean_failure(&o, 2, "bad duration");
    let o = boxdeck()
        .args(["create", "--name", "-bad name", "--image", "x"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = boxdeck()
        .args(["run", "--timeout=0", "x", "--", "true"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 2, "--timeout");
}

#[test]
fn unknown_name_and_missing_image() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let o = run.boxdeck(&e.url).args(["stop", &run.name("ghost")]).output().unwrap();
        assert_clean_failure(&o, 1, "no sandbox or container named");
        // pull of an image no registry has: clear error that names it and suggests --image
        let o = run
            .boxdeck(&e.url)
            .args([
                "create",
                "--image",
                "boxdeck-missing/none:1",
                "--name",
                &run.name("noimg"),
                "--label",
                &run.label(),
            ])
            .output()
            .unwrap();
        assert_clean_failure(&o, 1, "cannot pull image 'boxdeck-missing/none:1'");
        assert!(stderr(&o).contains("--image"), "{}", stderr(&o));
    }
}

#[test]
fn engine_socket_mount_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.toml");
    std::fs::write(
        &p,
        "[profiles.evil]\nimage = \"x\"\nvolumes = [\"/var/run/docker.sock:/var/run/docker.sock\"]\n",
    )
    .unwrap();
    let o = boxdeck()
        .env("BOXDECK_CONFIG", &p)
        .args(["create", "--profile", "evil"])
        .output()
        .unwrap();
    assert_clean_failure(&o, 2, "engine socket");
}
