//! End to end: the real `boxdeck` binary in a pseudo-terminal against the real engines.
//!
//! - A sandbox made by the test prints a marker line in a loop. The dashboard, filtered to the
//!   test's own rows, must show it in the table and its marker in the Logs tab; `s` must stop
//!   it on the engine (checked with `Engine::inspect`); the create dialog must create a sandbox
//!   and `d` + `y` destroy it; `q` quits with the terminal restored.
//! - An engine that goes away (a socket proxy in front of Docker is cut) shows a banner; when
//!   it comes back the table and the log follow resume by themselves.
//! - Docker and Podman at once (the second added with `:host URL`): both engines' rows, the
//!   engine column; SIGTERM restores the terminal.

use crate::common;

use std::time::{Duration, Instant};

use boxdeck::engine::ContainerState;
use common::proxy::CuttableEngine;
use common::pty::Dashboard;
use common::{RunId, TEST_IMAGE};

const ROWS: u16 = 40;
const COLS: u16 = 160;

/// The dashboard in a [`ROWS`] x [`COLS`] pty.
fn spawn(rid: &RunId, urls: &[&str]) -> Dashboard {
    Dashboard::spawn(&rid.config, urls, ROWS, COLS)
}

/// Type a table filter and keep it.
fn filter(d: &mut Dashboard, text: &str) {
    d.send(b"/");
    std::thread::sleep(Duration::from_millis(150));
    d.send(text.as_bytes());
    d.send(b"\r");
}

fn assert_restored(d: &Dashboard) {
    let p = d.parser();
    assert!(!p.screen().alternate_screen(), "the terminal left the alternate screen");
    assert!(!p.screen().hide_cursor(), "the cursor is shown again");
}

/// Removes a sandbox the dashboard created (it carries no test-run label) if it is left over.
struct RemoveByName(String, String);

impl Drop for RemoveByName {
    fn drop(&mut self) {
        let (url, name) = (self.0.clone(), self.1.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let t = boxdeck::engine::EngineTarget::new(url, boxdeck::engine::HostSource::Flag);
                if let Ok(e) = boxdeck::engine::Engine::connect(&t).await {
                    let _ = e.remove(&name, true, true).await;
                }
            })
        })
        .join();
    }
}

fn marker_profile(rid: &RunId, profile: &str, script: &str) {
    let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
    cfg.push_str(&format!(
        "[profiles.{profile}]\nimage = \"{TEST_IMAGE}\"\ncommand = [\"sh\", \"-c\", \"{script}\"]\n"
    ));
    std::fs::write(&rid.config, cfg).unwrap();
}

#[test]
fn table_logs_stop_create_destroy_against_docker() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let marker = format!("MARK-{}", rid.id);
    marker_profile(
        &rid,
        "marker",
        &format!("while true; do echo {marker}; sleep 0.3; done"),
    );
    let name = rid.create(&docker.url, &rid.name("dash"), &["--profile", "marker"]);
    let made = rid.name("made");
    let _cleanup = RemoveByName(docker.url.clone(), made.clone());
    let rt = common::rt();
    let engine = rt.block_on(docker.connect());

    let mut d = spawn(&rid, &[&docker.url]);
    d.wait_for("the table", Duration::from_secs(20), |c| {
        c.contains("NAME") && c.contains("● docker")
    });
    // Other helpers' sandboxes share the engine: filter to this test's rows.
    filter(&mut d, &rid.id);
    let c = d.wait_for("our sandbox alone in the table", Duration::from_secs(20), |c| {
        c.contains(&name) && c.contains("Sandboxes 1/")
    });
    assert!(c.contains("running"), "the row shows its state:\n{c}");
    d.wait_for("the marker line in the Logs tab", Duration::from_secs(20), |c| {
        c.contains(&marker)
    });

    d.send(b"s");
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        let st = rt.block_on(engine.inspect(&name)).unwrap().state;
        if st == ContainerState::Exited {
            break;
        }
        assert!(Instant::now() < end, "the sandbox was not stopped: {st:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    d.wait_for("the stopped state in the table", Duration::from_secs(20), |c| {
        c.contains("exited")
    });

    // Create from the dialog: c, Tab to the name, type it, Enter.
    d.send(b"c");
    d.wait_for("the create dialog", Duration::from_secs(5), |c| {
        c.contains("Create a sandbox")
    });
    d.send(b"\t");
    d.send(made.as_bytes());
    d.send(b"\r");
    d.wait_for("the created sandbox in the table", Duration::from_secs(30), |c| {
        c.contains(&made) && c.contains("Sandboxes 2/")
    });
    let st = rt.block_on(engine.inspect(&made)).unwrap();
    assert_eq!(st.state, ContainerState::Running);
    assert_eq!(st.labels.get("pocketdock.managed").map(String::as_str), Some("true"));

    // Destroy it: select it (second by name), d asks, y confirms.
    d.send(b"j");
    d.send(b"d");
    d.wait_for("the confirm dialog", Duration::from_secs(5), |c| {
        c.contains("Destroy") && c.contains(&made)
    });
    d.send(b"y");
    let end = Instant::now() + Duration::from_secs(30);
    while rt.block_on(engine.inspect(&made)).is_ok() {
        assert!(Instant::now() < end, "the sandbox was not destroyed");
        std::thread::sleep(Duration::from_millis(200));
    }
    d.wait_for("the row gone", Duration::from_secs(20), |c| {
        !c.contains(&made) && c.contains("Sandboxes 1/")
    });
    assert!(
        rt.block_on(engine.inspect(&name)).is_ok(),
        "the other sandbox is untouched"
    );

    d.send(b"q");
    assert!(d.wait_exit(Duration::from_secs(10)).success(), "q exits 0");
    assert_restored(&d);
}

#[test]
fn both_engines_at_once_and_sigterm_restores_the_terminal() {
    let engines = common::engines();
    if engines.len() < 2 {
        return;
    }
    let rid = RunId::new(&engines);
    let mut names = Vec::new();
    for e in &engines {
        names.push(rid.create(&e.url, &rid.name(e.kind), &[]));
    }
    // Start on the first engine; add the second from the palette (`:host URL`).
    let mut d = spawn(&rid, &[&engines[0].url]);
    d.wait_for("the first engine up", Duration::from_secs(20), |c| {
        c.contains("● docker")
    });
    d.send(b":");
    std::thread::sleep(Duration::from_millis(150));
    d.send(format!("host {}\r", engines[1].url).as_bytes());
    d.wait_for("both engines up", Duration::from_secs(20), |c| {
        c.contains("● docker") && c.contains("● podman")
    });
    filter(&mut d, &rid.id);
    let c = d.wait_for("both sandboxes", Duration::from_secs(20), |c| {
        names.iter().all(|n| c.contains(n.as_str())) && c.contains("Sandboxes 2/")
    });
    for (n, e) in names.iter().zip(&engines) {
        let line = c.lines().find(|l| l.contains(n.as_str())).unwrap();
        assert!(line.contains(e.kind), "the engine column names {}: {line}", e.kind);
    }
    unsafe {
        libc::kill(d.child().process_id().unwrap() as i32, libc::SIGTERM);
    }
    assert!(
        d.wait_exit(Duration::from_secs(10)).success(),
        "SIGTERM ends the dashboard cleanly"
    );
    assert_restored(&d);
}

/// The largest `MARK-<id>-<n>` counter on screen.
fn max_mark(screen: &str, marker: &str) -> u64 {
    screen
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter_map(|w| w.strip_prefix(marker)?.strip_prefix('-')?.parse().ok())
        .max()
        .unwrap_or(0)
}

#[test]
fn engine_that_goes_away_shows_a_banner_and_resumes() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let marker = format!("MARK-{}", rid.id);
    let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
    cfg.push_str(&format!(
        "[profiles.counter]\nimage = \"{TEST_IMAGE}\"\ncommand = [\"sh\", \"-c\", \"i=0; while true; do i=$((i+1)); echo {marker}-$i; sleep 0.2; done\"]\n"
    ));
    std::fs::write(&rid.config, cfg).unwrap();
    let name = rid.create(&docker.url, &rid.name("recon"), &["--profile", "counter"]);
    let mut engine = CuttableEngine::new(&docker.url);

    let mut d = spawn(&rid, &[&engine.url]);
    d.wait_for("the table", Duration::from_secs(20), |c| c.contains("● docker"));
    filter(&mut d, &name);
    let before = d.wait_for("the counter in the logs", Duration::from_secs(20), |c| {
        c.contains("Sandboxes 1/") && max_mark(c, &marker) >= 3
    });
    let seen = max_mark(&before, &marker);

    engine.cut();
    let c = d.wait_for("the disconnected banner", Duration::from_secs(20), |c| {
        c.contains("disconnected")
    });
    assert!(c.contains("✗ docker"), "the status line shows the engine down:\n{c}");
    assert!(c.contains(&name), "rows stay on screen while the engine is away:\n{c}");

    engine.restore();
    let c = d.wait_for("the engine back and the follow resumed", Duration::from_secs(40), |c| {
        !c.contains("disconnected") && c.contains("● docker") && max_mark(c, &marker) > seen + 5
    });
    assert!(c.contains(&name), "{c}");

    d.send(b"q");
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    assert_restored(&d);
}

#[test]
fn create_with_a_missing_image_reports_it_on_the_message_line() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let image = format!("boxdeck-missing-{}:none", rid.id.to_lowercase());
    let mut cfg = std::fs::read_to_string(&rid.config).unwrap();
    cfg.push_str(&format!("[profiles.ghost]\nimage = \"{image}\"\n"));
    std::fs::write(&rid.config, cfg).unwrap();
    let name = rid.name("ghost");
    let _cleanup = RemoveByName(docker.url.clone(), name.clone());

    let mut d = spawn(&rid, &[&docker.url]);
    d.wait_for("the table", Duration::from_secs(20), |c| c.contains("● docker"));
    d.send(b"c");
    d.wait_for("the create dialog", Duration::from_secs(5), |c| {
        c.contains("Create a sandbox")
    });
    let mut tries = 0;
    while !d.contents().contains("◂ ghost ▸") {
        tries += 1;
        assert!(tries < 20, "no ghost profile in the dialog:\n{}", d.contents());
        d.send(b"\x1b[C");
        std::thread::sleep(Duration::from_millis(150));
    }
    d.send(b"\t");
    d.send(name.as_bytes());
    d.send(b"\r");
    // No registry is reachable: the pull fails and the message line says which image.
    let c = d.wait_for("the pull failure on the message line", Duration::from_secs(60), |c| {
        c.contains("create failed") && c.contains(&image)
    });
    assert!(c.contains("● docker"), "the dashboard keeps working:\n{c}");
    d.send(b"q");
    assert!(d.wait_exit(Duration::from_secs(10)).success());
    assert_restored(&d);
}

#[test]
fn bad_keys_colours_and_no_terminal_are_clear_errors_before_the_screen_changes() {
    let Some(docker) = common::docker() else { return };
    let rid = RunId::new(std::slice::from_ref(&docker));
    let base = std::fs::read_to_string(&rid.config).unwrap();
    for (extra, want) in [
        ("[keys]\nfrobnicate = \"x\"\n", "unknown command 'frobnicate' in [keys]"),
        ("[keys]\nquit = \"s\"\n", "bound to both"),
        ("[colors]\naccent = \"sparkly\"\n", "bad colour 'sparkly'"),
    ] {
        std::fs::write(&rid.config, format!("{base}{extra}")).unwrap();
        let out = rid.boxdeck(&docker.url).output().unwrap();
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(want), "{extra}: {err}");
        assert!(err.contains("hint:"), "{extra}: {err}");
        assert!(
            !common::stdout(&out).contains("\x1b[?1049h"),
            "the screen was never switched"
        );
    }
    // A pipe is not a terminal.
    std::fs::write(&rid.config, base).unwrap();
    let out = rid.boxdeck(&docker.url).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("needs a terminal"),
        "{}",
        common::stderr(&out)
    );
}
