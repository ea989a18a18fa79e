//! Issue 2 end to end: the real `boxdeck` binary against real Docker and Podman engines.
//! Every test labels its containers with its own run id and removes only those.

use crate::common;

use std::collections::BTreeMap;

use common::{RunId, TEST_IMAGE, assert_ok, engines, rt, stderr, stdout};
use serde_json::Value;

fn ls_json(run: &RunId, url: &str, all: bool) -> Vec<Value> {
    let mut c = run.boxdeck(url);
    c.args(["ls", "--json"]);
    if all {
        c.arg("--all");
    }
    let out = c.output().unwrap();
    assert_ok(&out, "ls --json");
    let v: Value = serde_json::from_str(&stdout(&out)).expect("ls --json prints one JSON document");
    v.as_array().expect("an array").clone()
}

fn find<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|s| s["name"] == name)
}

#[test]
fn create_ls_run_stop_start_rm() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let name = run.create(&e.url, &run.name("life"), &[]);

        let list = ls_json(&run, &e.url, false);
        let s = find(&list, &name).unwrap_or_else(|| panic!("{}: {name} not in ls", e.kind));
        for key in [
            "name",
            "id",
            "engine",
            "state",
            "image",
            "profile",
            "project",
            "persist",
            "created_at",
        ] {
            assert!(s.get(key).is_some(), "ls --json lacks {key}: {s}");
        }
        assert_eq!(s["state"], "running", "{}", e.kind);
        assert_eq!(s["profile"], "default");
        assert_eq!(s["persist"], false);
        assert_eq!(s["engine"], e.kind);

        // run passes the exit code through and keeps stdout/stderr apart
        let out = run
            .boxdeck(&e.url)
            .args(["run", &name, "--", "sh", "-c", "echo out; echo err >&2; exit 7"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(7), "{}: {}", e.kind, stderr(&out));
        assert_eq!(stdout(&out), "out\n");
        assert!(stderr(&out).contains("err"));

        // --stream prints output as it arrives (check content; timing is covered by the library)
        let out = run
            .boxdeck(&e.url)
            .args([
                "run",
                "--stream",
                &name,
                "--",
                "sh",
                "-c",
                "for i in 1 2 3; do echo $i; done",
            ])
            .output()
            .unwrap();
        assert_ok(&out, "run --stream");
        assert_eq!(stdout(&out), "1\n2\n3\n");

        let out = run.boxdeck(&e.url).args(["stop", &name]).output().unwrap();
        assert_ok(&out, "stop");
        let list = ls_json(&run, &e.url, false);
        assert_eq!(find(&list, &name).unwrap()["state"], "exited", "{}", e.kind);

        // run in a stopped sandbox: clear error, exit 1
        let out = run.boxdeck(&e.url).args(["run", &name, "--", "true"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("not running"), "{}", stderr(&out));

        let out = run.boxdeck(&e.url).args(["start", &name]).output().unwrap();
        assert_ok(&out, "start");
        let out = run.boxdeck(&e.url).args(["restart", &name]).output().unwrap();
        assert_ok(&out, "restart");
        assert_eq!(find(&ls_json(&run, &e.url, false), &name).unwrap()["state"], "running");

        // rm refuses a running sandbox without --force
        let out = run.boxdeck(&e.url).args(["rm", &name]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
        let out = run.boxdeck(&e.url).args(["rm", "--force", &name]).output().unwrap();
        assert_ok(&out, "rm --force");
        assert!(
            find(&ls_json(&run, &e.url, true), &name).is_none(),
            "{}: still listed after rm",
            e.kind
        );
    }
}

#[test]
fn exact_labels_and_secure_defaults() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let name = run.create(&e.url, &run.name("sec"), &["--persist", "--project", "projx"]);
        let rt = rt();
        let d = rt.block_on(async {
            let eng = e.connect().await;
            eng.inspect(&name).await.unwrap()
        });
        let l: &BTreeMap<String, String> = &d.labels;
        assert_eq!(l["pocketdock.managed"], "true");
        assert_eq!(l["pocketdock.instance"], name);
        assert_eq!(l["pocketdock.persist"], "true");
        assert_eq!(l["pocketdock.project"], "projx");
        assert_eq!(l["boxdeck.profile"], "default");
        let t = chrono::DateTime::parse_from_rfc3339(&l["pocketdock.created-at"]).expect("RFC 3339");
        assert_eq!(t.offset().local_minus_utc(), 0, "UTC");
        assert!(l["pocketdock.created-at"].ends_with('Z'));
        assert_eq!(d.name, name, "engine name is the instance name");
        assert_eq!(d.cmd, vec!["sleep", "infinity"], "main process");

        let s = &d.security;
        assert!(
            s.no_new_privileges,
            "{}: no-new-privileges missing: {:?}",
            e.kind, s.security_opt
        );
        assert!(s.init, "{}: init", e.kind);
        assert!(!s.privileged);
        assert!(d.limits.pids_limit.unwrap_or(0) > 0, "{}: pids limit", e.kind);
        assert!(d.limits.memory_bytes.unwrap_or(0) > 0, "{}: memory limit", e.kind);
        assert!(
            !s.binds.iter().any(|b| b.contains(".sock")),
            "engine socket never mounted"
        );
        // init really is PID 1 inside
        let out = run
            .boxdeck(&e.url)
            .args(["run", &name, "--", "cat", "/proc/1/cmdline"])
            .output()
            .unwrap();
        assert_ok(&out, "read pid 1");
        let pid1 = stdout(&out).replace('\0', " ");
        assert!(
            pid1.contains("init") || pid1.contains("catatonit"),
            "{}: pid 1 is {pid1}",
            e.kind
        );
    }
}

#[test]
fn locked_profile_is_locked() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let name = run.create(&e.url, &run.name("lock"), &["--profile", "locked"]);
        let d = rt().block_on(async { e.connect().await.inspect(&name).await.unwrap() });
        assert_eq!(d.security.network_mode, "none", "{}", e.kind);
        assert!(d.security.read_only_rootfs, "{}", e.kind);
        // Docker records "ALL"; Podman records the expanded list. What counts is inside:
        assert!(!d.security.cap_drop.is_empty(), "{}: no caps dropped", e.kind);
        let out = run
            .boxdeck(&e.url)
            .args(["run", &name, "--", "grep", "CapEff", "/proc/self/status"])
            .output()
            .unwrap();
        assert!(
            stdout(&out).contains("0000000000000000"),
            "{}: effective caps: {}",
            e.kind,
            stdout(&out)
        );
        assert!(
            d.security.tmpfs.contains_key("/tmp"),
            "{}: {:?}",
            e.kind,
            d.security.tmpfs
        );
        // the root is read-only, /tmp is writable
        let out = run
            .boxdeck(&e.url)
            .args([
                "run",
                &name,
                "--",
                "sh",
                "-c",
                "touch /x 2>/dev/null && echo rw || echo ro; touch /tmp/y && echo tmp-ok",
            ])
            .output()
            .unwrap();
        assert_eq!(stdout(&out), "ro\ntmp-ok\n", "{}: {}", e.kind, stderr(&out));
    }
}

#[test]
fn run_timeout_kills_the_process_group() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let name = run.create(&e.url, &run.name("tmo"), &[]);
        let t0 = std::time::Instant::now();
        let out = run
            .boxdeck(&e.url)
            .args([
                "run",
                "--timeout",
                "1",
                &name,
                "--",
                "sh",
                "-c",
                "sleep 300 & sleep 301; echo never",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(124), "{}: {}", e.kind, stderr(&out));
        assert!(t0.elapsed().as_secs() < 20, "timeout enforced");
        assert!(stderr(&out).contains("timed out"));
        assert!(!stdout(&out).contains("never"));
        // no sleep of that command survives, the child included
        let out = run
            .boxdeck(&e.url)
            .args(["run", &name, "--", "ps", "-o", "args"])
            .output()
            .unwrap();
        assert_ok(&out, "ps");
        assert!(
            !stdout(&out).contains("sleep 30"),
            "{}: survivors:\n{}",
            e.kind,
            stdout(&out)
        );
        // a command that ends in time keeps its code, and stderr is intact
        let out = run
            .boxdeck(&e.url)
            .args(["run", "--timeout", "30", &name, "--", "sh", "-c", "echo e1 >&2; exit 4"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(stderr(&out).trim(), "e1");
    }
}

#[test]
fn run_in_several_sandboxes_prefixes_and_exits_with_first_failure() {
    let es = engines();
    if es.is_empty() {
        return;
    }
    let run = RunId::new(&es);
    // One sandbox per engine (both engines at once, SPEC 2.3), plus a second on the first.
    let mut names = Vec::new();
    for (i, e) in es.iter().enumerate() {
        names.push(run.create(&e.url, &run.name(&format!("fan{i}")), &[]));
    }
    names.push(run.create(&es[0].url, &run.name("fanx"), &[]));
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_boxdeck"));
    c.env("BOXDECK_CONFIG", &run.config);
    for e in &es {
        c.args(["--host", &e.url]);
    }
    c.arg("run");
    c.args(&names);
    c.args([
        "--",
        "sh",
        "-c",
        "echo hi; case $(hostname) in *) [ -f /fail ] && exit 9; exit 0;; esac",
    ]);
    // make the last one fail
    let out = run
        .boxdeck(&es[0].url)
        .args(["run", names.last().unwrap(), "--", "touch", "/fail"])
        .output()
        .unwrap();
    assert_ok(&out, "touch");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(9), "{}", stderr(&out));
    let text = stdout(&out);
    for n in &names {
        assert!(
            text.lines().any(|l| l.starts_with(n.as_str()) && l.ends_with("| hi")),
            "no prefixed line for {n}:\n{text}"
        );
    }
}

#[test]
fn name_resolution_and_ambiguity() {
    let es = engines();
    if es.is_empty() {
        return;
    }
    let e = &es[0];
    let run = RunId::new(&es);
    let name = run.create(&e.url, &run.name("res"), &[]);
    let list = ls_json(&run, &e.url, false);
    let id = find(&list, &name).unwrap()["id"].as_str().unwrap().to_string();
    // by id prefix
    let out = run
        .boxdeck(&e.url)
        .args(["run", &id[..10], "--", "echo", "by-id"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "by-id\n", "{}", stderr(&out));
    // by instance label even when the container name differs: a pocketdock-labelled
    // container whose engine name is different
    let other = run.name("engname");
    let inst = run.name("inst");
    let rt = rt();
    rt.block_on(async {
        let eng = e.connect().await;
        let mut labels = boxdeck::sandbox::labels::for_new_sandbox(&inst, false, None, "x", "2026-01-01T00:00:00Z");
        labels.insert(common::RUN_LABEL.into(), run.id.clone());
        let spec = boxdeck::engine::CreateSpec {
            name: other.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels,
            ..Default::default()
        };
        let id = eng.create(&spec).await.unwrap();
        eng.start(&id).await.unwrap();
    });
    let out = run
        .boxdeck(&e.url)
        .args(["run", &inst, "--", "echo", "by-label"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "by-label\n", "{}", stderr(&out));
    let out = run
        .boxdeck(&e.url)
        .args(["run", &other, "--", "echo", "by-name"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), "by-name\n", "{}", stderr(&out));

    // unknown: exit 1, lists candidates
    let out = run
        .boxdeck(&e.url)
        .args(["run", &run.name("nope"), "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no sandbox or container named"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("candidates"), "{}", stderr(&out));

    // ambiguous across two engines: same instance name on both
    if es.len() == 2 {
        let dup = run.name("dup");
        run.create(&es[0].url, &dup, &[]);
        run.create(&es[1].url, &dup, &[]);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_boxdeck"))
            .env("BOXDECK_CONFIG", &run.config)
            .args(["--host", &es[0].url, "--host", &es[1].url, "run", &dup, "--", "true"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("ambiguous") && err.contains("docker") && err.contains("podman"),
            "{err}"
        );
    }
}

#[test]
fn project_init_and_create_inside_it() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let dir = tempfile::tempdir().unwrap();
        let proj = format!("proj-{}", run.id);
        let out = run
            .boxdeck(&e.url)
            .current_dir(dir.path())
            .args(["init", "--name", &proj])
            .output()
            .unwrap();
        assert_ok(&out, "init");
        let text = std::fs::read_to_string(dir.path().join(".pocketdock/pocketdock.yaml")).unwrap();
        assert!(text.contains(&format!("project_name: {proj}")), "{text}");
        let sub = dir.path().join("deep/er");
        std::fs::create_dir_all(&sub).unwrap();
        let name = run.name("inproj");
        let out = run
            .boxdeck(&e.url)
            .current_dir(&sub)
            .args([
                "create",
                "--image",
                TEST_IMAGE,
                "--name",
                &name,
                "--label",
                &run.label(),
            ])
            .output()
            .unwrap();
        assert_ok(&out, "create in project");
        let s = find(&ls_json(&run, &e.url, false), &name).unwrap().clone();
        assert_eq!(s["project"], proj.as_str(), "{}", e.kind);
        assert_eq!(s["profile"], "minimal-python", "project's default_profile");
    }
}

#[test]
fn pocketdock_interop_both_ways() {
    let Some(pd) = which("pocketdock") else {
        if std::env::var("CI").is_ok_and(|c| c == "true") {
            panic!("pocketdock CLI missing under CI (scripts/test.sh installs it)");
        }
        eprintln!("SKIP: pocketdock CLI not installed");
        return;
    };
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let sock = e.url.trim_start_matches("unix://").to_string();
        // boxdeck -> pocketdock
        let ours = run.create(&e.url, &run.name("ours"), &[]);
        let out = std::process::Command::new(&pd)
            .args(["--socket", &sock, "list", "--json"])
            .output()
            .unwrap();
        assert_ok(&out, "pocketdock list");
        let v: Value = serde_json::from_str(&stdout(&out)).expect("pocketdock list --json");
        let entry = v.as_array().unwrap().iter().find(|c| c["name"] == ours.as_str());
        let entry = entry.unwrap_or_else(|| panic!("{}: pocketdock does not list {ours}: {v}", e.kind));
        assert_eq!(entry["persist"], false);
        // pocketdock -> boxdeck. pocketdock's CLI removes non-persistent containers when it
        // exits, so make a persistent one, labelled for cleanup afterwards.
        let theirs = run.name("theirs");
        let out = std::process::Command::new(&pd)
            .args([
                "--socket",
                &sock,
                "create",
                "--image",
                TEST_IMAGE,
                "--name",
                &theirs,
                "--persist",
            ])
            .output()
            .unwrap();
        assert_ok(&out, "pocketdock create");
        let list = ls_json(&run, &e.url, false);
        let cleanup_id = find(&list, &theirs).map(|s| s["id"].as_str().unwrap().to_string());
        let s = find(&list, &theirs)
            .unwrap_or_else(|| panic!("{}: boxdeck ls lacks pocketdock's {theirs}", e.kind))
            .clone();
        assert_eq!(s["persist"], true);
        assert!(s["profile"].is_null(), "pocketdock writes no boxdeck.profile");
        let out = run
            .boxdeck(&e.url)
            .args(["run", &theirs, "--", "echo", "hello-pd"])
            .output()
            .unwrap();
        assert_eq!(stdout(&out), "hello-pd\n", "{}", stderr(&out));
        if let Some(id) = cleanup_id {
            let _ = run.boxdeck(&e.url).args(["rm", "--force", &id]).output();
        }
    }
}

fn which(bin: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(bin))
        .find(|p| p.is_file())
}

#[test]
fn ls_all_shows_foreign_containers_marked() {
    let es = engines();
    if es.is_empty() {
        return;
    }
    let e = &es[0];
    let run = RunId::new(&es);
    let foreign = run.name("foreign");
    rt().block_on(async {
        let eng = e.connect().await;
        let mut labels = BTreeMap::new();
        labels.insert(common::RUN_LABEL.to_string(), run.id.clone());
        let spec = boxdeck::engine::CreateSpec {
            name: foreign.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels,
            ..Default::default()
        };
        eng.create(&spec).await.unwrap();
    });
    assert!(
        find(&ls_json(&run, &e.url, false), &foreign).is_none(),
        "not a sandbox: hidden by default"
    );
    let all = ls_json(&run, &e.url, true);
    let f = find(&all, &foreign).expect("--all lists it");
    assert_eq!(f["managed"], false);
    assert_eq!(f["state"], "created");
}

#[test]
fn doctor_reports_engine_and_fails_when_unreachable() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let out = run.boxdeck(&e.url).args(["doctor", "--json"]).output().unwrap();
        assert_ok(&out, "doctor");
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let checks = v["checks"].as_array().unwrap();
        let eng = checks.iter().find(|c| c["check"] == "engine").unwrap();
        assert_eq!(eng["status"], "ok");
        assert!(eng["message"].as_str().unwrap().contains(e.kind), "{}", eng["message"]);
        assert!(eng["message"].as_str().unwrap().contains("API"));
        for name in ["config", "project", "disk", "image", "labels", "terminal", "colours"] {
            assert!(
                checks.iter().any(|c| c["check"] == name),
                "doctor lacks the {name} check: {v}"
            );
        }
        // the test config points every profile at the test image: present
        let img = checks
            .iter()
            .find(|c| c["check"] == "image" && c["message"].as_str().unwrap().contains("profile default"))
            .unwrap();
        assert_eq!(img["status"], "ok", "{img}");
    }
    let run = RunId::new(&[]);
    let out = run
        .boxdeck("unix:///nonexistent/boxdeck.sock")
        .args(["doctor"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("FAIL") && stdout(&out).contains("fix:"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn doctor_flags_broken_labels() {
    let es = engines();
    if es.is_empty() {
        return;
    }
    let e = &es[0];
    let run = RunId::new(&es);
    let broken = run.name("broken");
    rt().block_on(async {
        let eng = e.connect().await;
        let mut labels = BTreeMap::new();
        labels.insert("pocketdock.managed".to_string(), "true".to_string());
        labels.insert("pocketdock.persist".to_string(), "maybe".to_string());
        labels.insert(common::RUN_LABEL.to_string(), run.id.clone());
        let spec = boxdeck::engine::CreateSpec {
            name: broken.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["true".into()]),
            labels,
            ..Default::default()
        };
        eng.create(&spec).await.unwrap();
    });
    let out = run.boxdeck(&e.url).args(["doctor", "--json"]).output().unwrap();
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let labels = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "labels")
        .unwrap()
        .clone();
    assert_eq!(labels["status"], "warn");
    let msg = labels["message"].as_str().unwrap();
    assert!(
        msg.contains(&broken) && msg.contains("pocketdock.persist=maybe"),
        "{msg}"
    );
}

/// The lenient list path (used when Podman answers with states outside Docker's enum, such as
/// `stopped` right after a stop) must give exactly what the typed path gives.
#[test]
fn lenient_list_matches_typed_list() {
    for e in engines() {
        let run = RunId::new(std::slice::from_ref(&e));
        let a = run.create(&e.url, &run.name("raw-a"), &[]);
        let b = run.create(&e.url, &run.name("raw-b"), &[]);
        let out = run.boxdeck(&e.url).args(["stop", &b]).output().unwrap();
        assert_ok(&out, "stop");
        rt().block_on(async {
            let eng = e.connect().await;
            let q = boxdeck::engine::containers::ListQuery {
                all: true,
                labels: vec![run.label()],
                ..Default::default()
            };
            let mut typed = eng.list(&q).await.unwrap();
            let mut raw = eng.list_raw(&q).await.unwrap();
            typed.sort_by(|x, y| x.name.cmp(&y.name));
            raw.sort_by(|x, y| x.name.cmp(&y.name));
            assert_eq!(typed.len(), 2, "{}", e.kind);
            assert_eq!(typed, raw, "{}", e.kind);
            assert_eq!(raw[0].name, a);
            assert_eq!(raw[1].state, boxdeck::engine::ContainerState::Exited);
            // Stop/inspect cycles on a fresh sandbox: inspect must never fail on a state word.
            let c = run.name("raw-c");
            run.create(&e.url, &c, &[]);
            for _ in 0..3 {
                let stop = eng.stop(&c, 0);
                let (r, d) = tokio::join!(stop, eng.inspect(&c));
                r.unwrap();
                d.unwrap_or_else(|err| panic!("{}: inspect during stop: {err}", e.kind));
                let d = eng.inspect(&c).await.unwrap();
                assert!(!d.running);
                eng.start(&c).await.unwrap();
            }
        });
    }
}
