//! Detached processes against the real engines (SPEC 6.1, 6.2): `run -d`, `ps`, `peek`, `kill`.
//! Every boxdeck invocation is a separate process, so what one shows another started.

use crate::common;

use std::time::{Duration, Instant};

use common::{RunId, TestEngine, assert_ok, engines, stderr, stdout};
use serde_json::Value;

fn ps(run: &RunId, url: &str, name: &str) -> Vec<Value> {
    let out = run.boxdeck(url).args(["ps", name, "--json"]).output().unwrap();
    assert_ok(&out, "ps --json");
    serde_json::from_slice::<Value>(&out.stdout)
        .expect("ps --json is JSON")
        .as_array()
        .expect("array")
        .clone()
}

fn proc_of(list: &[Value], id: &str) -> Option<Value> {
    list.iter().find(|p| p["id"] == id).cloned()
}

/// Poll `ps` until the process satisfies `pred` (or fail after `secs`).
fn wait_for(run: &RunId, url: &str, name: &str, id: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let list = ps(run, url, name);
        if let Some(p) = proc_of(&list, id)
            && pred(&p)
        {
            return p;
        }
        assert!(
            Instant::now() < deadline,
            "process {id} never reached the wanted state: {list:#?}"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn run_d(run: &RunId, url: &str, name: &str, cmd: &[&str]) -> String {
    let out = run
        .boxdeck(url)
        .args(["run", "-d", name, "--"])
        .args(cmd)
        .output()
        .unwrap();
    assert_ok(&out, "run -d");
    let id = stdout(&out).trim().to_string();
    assert!(
        id.len() == 8 && id.chars().all(|c| c.is_ascii_hexdigit()),
        "run -d prints the process id, got {id:?}"
    );
    id
}

fn each_engine(f: impl Fn(&TestEngine, &RunId)) {
    let es = engines();
    let run = RunId::new(&es);
    for e in &es {
        eprintln!("engine {}", e.kind);
        f(e, &run);
    }
}

#[test]
fn output_and_exit_code_survive_boxdeck_and_a_sandbox_restart() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pd-{}", e.kind)), &[]);
        // Output without a final newline, on both streams, and a non-zero exit code.
        let id = run_d(
            run,
            &e.url,
            &name,
            &["sh", "-c", "echo one; echo two >&2; printf partial; sleep 1; exit 5"],
        );
        let p = wait_for(run, &e.url, &name, &id, 20, |p| p["state"] == "exited");
        assert_eq!(p["exit_code"], 5, "{p:#?}");
        assert_eq!(p["source"], "boxdeck");
        assert_eq!(p["cmd"][0], "sh");
        assert!(p["started_at"].as_str().is_some_and(|s| s.ends_with('Z')), "{p:#?}");
        let d = p["duration_secs"].as_f64().expect("duration");
        assert!((0.9..10.0).contains(&d), "ran about 1s, got {d}");
        assert_eq!(p["output_tail"], "one\ntwo\npartial", "{p:#?}");
        assert_eq!(p["output_bytes"], 15);

        let out = run.boxdeck(&e.url).args(["peek", &name, &id]).output().unwrap();
        assert_ok(&out, "peek");
        assert_eq!(stdout(&out), "one\ntwo\npartial");
        // A unique prefix is enough.
        let out = run.boxdeck(&e.url).args(["peek", &name, &id[..5]]).output().unwrap();
        assert_ok(&out, "peek by prefix");
        assert_eq!(stdout(&out), "one\ntwo\npartial");

        // The plain table shows it too.
        let out = run.boxdeck(&e.url).args(["ps", &name]).output().unwrap();
        assert_ok(&out, "ps");
        let line = stdout(&out)
            .lines()
            .find(|l| l.starts_with(&id))
            .map(String::from)
            .expect("row");
        assert!(line.contains("exit 5") && line.contains("partial"), "{line}");

        // The records live in the sandbox: they outlast a restart of the sandbox.
        let out = run.boxdeck(&e.url).args(["restart", &name]).output().unwrap();
        assert_ok(&out, "restart");
        let p = proc_of(&ps(run, &e.url, &name), &id).expect("still listed after a restart");
        assert_eq!(p["exit_code"], 5);
        assert_eq!(p["output_tail"], "one\ntwo\npartial");
    });
}

#[test]
fn running_process_output_grows_and_follow_ends_with_it() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pf-{}", e.kind)), &[]);
        // Long enough to be seen running even when the machine is busy.
        let cmd = "echo tick1; sleep 6; echo tick2; sleep 1; echo tick3";
        let id = run_d(run, &e.url, &name, &["sh", "-c", cmd]);
        let p = wait_for(run, &e.url, &name, &id, 20, |p| {
            p["state"] == "running" && p["output_tail"].as_str().is_some_and(|t| t.contains("tick1"))
        });
        assert!(p["exit_code"].is_null());
        let t0 = Instant::now();
        let out = run.boxdeck(&e.url).args(["peek", "-f", &name, &id]).output().unwrap();
        assert_ok(&out, "peek -f");
        assert_eq!(
            stdout(&out),
            "tick1\ntick2\ntick3\n",
            "follow prints everything once, in order"
        );
        assert!(t0.elapsed() < Duration::from_secs(20));
        let p = proc_of(&ps(run, &e.url, &name), &id).unwrap();
        assert_eq!(p["state"], "exited");
        assert_eq!(p["exit_code"], 0);
    });
}

/// Commands of every process in the sandbox, by `ps -o args` inside it.
fn sandbox_procs(run: &RunId, url: &str, name: &str) -> String {
    let out = run
        .boxdeck(url)
        .args(["run", name, "--", "ps", "-o", "pid,pgid,args"])
        .output()
        .unwrap();
    assert_ok(&out, "ps inside");
    stdout(&out)
}

#[test]
fn kill_ends_the_whole_process_group() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pk-{}", e.kind)), &[]);
        // `run -d` returns once the process runs, not when it ends (that would take 300 s).
        let t0 = Instant::now();
        let id = run_d(
            run,
            &e.url,
            &name,
            &["sh", "-c", "sleep 301 & sleep 302 & echo started; wait"],
        );
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "run -d waited {:?}",
            t0.elapsed()
        );
        wait_for(run, &e.url, &name, &id, 10, |p| {
            p["output_tail"].as_str().is_some_and(|t| t.contains("started"))
        });
        let before = sandbox_procs(run, &e.url, &name);
        assert!(before.contains("sleep 301") && before.contains("sleep 302"), "{before}");
        let out = run.boxdeck(&e.url).args(["kill", &name, &id]).output().unwrap();
        assert_ok(&out, "kill");
        assert!(stdout(&out).contains(&format!("killed {id}")), "{}", stdout(&out));
        let after = sandbox_procs(run, &e.url, &name);
        assert!(
            !after.contains("sleep 301") && !after.contains("sleep 302"),
            "children survived:\n{after}"
        );
        let p = proc_of(&ps(run, &e.url, &name), &id).unwrap();
        assert_eq!(p["state"], "killed", "{p:#?}");
        assert_eq!(p["killed_by"], "TERM");
        assert_eq!(p["exit_code"], 143);
        // Killing it again is a clear failure, not a kill of some other process.
        let out = run.boxdeck(&e.url).args(["kill", &name, &id]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(stderr(&out).contains("not running"), "{}", stderr(&out));
    });
}

#[test]
fn foreign_docker_exec_d_is_listed_and_killable() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("px-{}", e.kind)), &[]);
        let st = std::process::Command::new("docker")
            .env("DOCKER_HOST", &e.url)
            .args(["exec", "-d", &name, "sleep", "123"])
            .status()
            .expect("docker CLI");
        assert!(st.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let p = loop {
            let list = ps(run, &e.url, &name);
            if let Some(p) = list.iter().find(|p| p["cmd"] == serde_json::json!(["sleep", "123"])) {
                break p.clone();
            }
            assert!(Instant::now() < deadline, "foreign exec not listed: {list:#?}");
            std::thread::sleep(Duration::from_millis(200));
        };
        assert_eq!(p["source"], "engine");
        assert_eq!(p["state"], "running", "{p:#?}");
        assert!(
            p["exec_id"]
                .as_str()
                .is_some_and(|x| x.starts_with(p["id"].as_str().unwrap()))
        );
        assert!(
            p["started_at"].is_string() && p["pid"].is_i64(),
            "start time from the sandbox: {p:#?}"
        );
        assert!(p["output_tail"].is_null(), "no output for foreign execs");
        // Its output is not kept: peek says so.
        let pid = p["id"].as_str().unwrap();
        let out = run.boxdeck(&e.url).args(["peek", &name, pid]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("not started by boxdeck"), "{}", stderr(&out));
        // But it can be killed.
        let out = run.boxdeck(&e.url).args(["kill", &name, pid]).output().unwrap();
        assert_ok(&out, "kill foreign");
        assert!(!sandbox_procs(run, &e.url, &name).contains("sleep 123"));
    });
}

#[test]
fn locked_read_only_sandbox_keeps_process_output() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pl-{}", e.kind)), &["--profile", "locked"]);
        let out = run
            .boxdeck(&e.url)
            .args(["run", &name, "--", "touch", "/x"])
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0), "root must be read-only");
        let id = run_d(run, &e.url, &name, &["sh", "-c", "echo kept; exit 4"]);
        let p = wait_for(run, &e.url, &name, &id, 10, |p| p["state"] == "exited");
        assert_eq!(p["exit_code"], 4);
        assert_eq!(p["output_tail"], "kept\n");
        assert!(p["dir"].as_str().unwrap().starts_with("/tmp/.boxdeck/"), "{p:#?}");
    });
}

#[test]
fn read_only_root_without_tmpfs_falls_back_to_dev_shm() {
    let es = engines();
    let Some(e) = es.iter().find(|e| e.kind == "docker") else {
        return;
    };
    let run = RunId::new(&es);
    let name = run.name("pshm");
    let st = std::process::Command::new("docker")
        .env("DOCKER_HOST", &e.url)
        .args(["run", "-d", "--read-only", "--name", &name, "--label", &run.label()])
        .args([
            "--label",
            "pocketdock.managed=true",
            common::TEST_IMAGE,
            "sleep",
            "infinity",
        ])
        .output()
        .expect("docker CLI");
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let id = run_d(&run, &e.url, &name, &["sh", "-c", "echo shm"]);
    let p = wait_for(&run, &e.url, &name, &id, 10, |p| p["state"] == "exited");
    assert_eq!(p["output_tail"], "shm\n");
    assert!(p["dir"].as_str().unwrap().starts_with("/dev/shm/.boxdeck/"), "{p:#?}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let es = engines();
    let Some(e) = es.first() else { return };
    let run = RunId::new(&es);
    let name = run.create(&e.url, &run.name("pbad"), &[]);
    let out = run.boxdeck(&e.url).args(["peek", &name, "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no process 'nope'"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    let out = run
        .boxdeck(&e.url)
        .args(["run", "-d", "--timeout", "3", &name, "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = run
        .boxdeck(&e.url)
        .args(["ps", "no-such-sandbox-xyz"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // A stopped sandbox: run -d explains it.
    assert_ok(&run.boxdeck(&e.url).args(["stop", &name]).output().unwrap(), "stop");
    let out = run
        .boxdeck(&e.url)
        .args(["run", "-d", &name, "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not running"), "{}", stderr(&out));
    // ps on a stopped sandbox still answers (engine records only).
    let out = run.boxdeck(&e.url).args(["ps", &name, "--json"]).output().unwrap();
    assert_ok(&out, "ps stopped");
}

/// A repeated listing with the cache of settled exec records gives the same result as a fresh
/// one, and keeps finished and helper execs so they are not inspected again (Podman keeps every
/// exec session of a running container).
#[test]
fn cached_listing_matches_a_fresh_one() {
    use boxdeck::sandbox::procs::{self, ExecCache};
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pc-{}", e.kind)), &[]);
        run_d(run, &e.url, &name, &["sh", "-c", "echo cached; exit 2"]);
        for _ in 0..3 {
            let st = std::process::Command::new("docker")
                .env("DOCKER_HOST", &e.url)
                .args(["exec", &name, "true"])
                .status()
                .unwrap();
            assert!(st.success());
        }
        common::rt().block_on(async {
            let engine = e.connect().await;
            let id = engine.inspect(&name).await.unwrap().id;
            let mut cache = ExecCache::default();
            let key = |v: &Vec<procs::ProcInfo>| {
                let mut k: Vec<(String, String)> = v.iter().map(|p| (p.id.clone(), p.state_text())).collect();
                k.sort();
                k
            };
            let first = procs::list_cached(&engine, &id, &mut cache).await.unwrap();
            let again = procs::list_cached(&engine, &id, &mut cache).await.unwrap();
            let fresh = procs::list(&engine, &id).await.unwrap();
            assert_eq!(key(&again), key(&fresh));
            assert_eq!(key(&first), key(&fresh));
            if e.kind == "podman" {
                // Three finished `true` execs, the start and the first listing's helper.
                assert!(cache.len() >= 5, "settled records cached: {}", cache.len());
                assert_eq!(fresh.iter().filter(|p| p.cmd == ["true"]).count(), 3, "{fresh:#?}");
            }
        });
    });
}

/// A process that ends but leaves children in its group: `ps` says so, and `kill` ends them
/// while the process keeps its own exit code.
#[test]
fn children_left_behind_are_shown_and_killable() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("po-{}", e.kind)), &[]);
        let id = run_d(run, &e.url, &name, &["sh", "-c", "sleep 313 & echo bye"]);
        let p = wait_for(run, &e.url, &name, &id, 10, |p| p["state"] == "exited");
        assert_eq!(p["exit_code"], 0);
        assert_eq!(p["group_running"], true, "{p:#?}");
        let out = run.boxdeck(&e.url).args(["ps", &name]).output().unwrap();
        assert!(stdout(&out).contains("exit 0 + children"), "{}", stdout(&out));
        assert!(sandbox_procs(run, &e.url, &name).contains("sleep 313"));
        let out = run.boxdeck(&e.url).args(["kill", &name, &id]).output().unwrap();
        assert_ok(&out, "kill the children");
        assert!(!sandbox_procs(run, &e.url, &name).contains("sleep 313"));
        let p = proc_of(&ps(run, &e.url, &name), &id).unwrap();
        assert_eq!(
            (p["state"].as_str(), p["exit_code"].as_i64()),
            (Some("exited"), Some(0)),
            "{p:#?}"
        );
        assert_eq!(p["group_running"], false);
    });
}

/// A sandbox without /bin/sh: `ps` still lists the engine's execs, and `run -d` says why it
/// cannot start a process there.
#[test]
fn sandbox_without_a_shell() {
    each_engine(|e, run| {
        let name = run.create(&e.url, &run.name(&format!("pn-{}", e.kind)), &[]);
        let docker = |args: &[&str]| {
            let o = std::process::Command::new("docker")
                .env("DOCKER_HOST", &e.url)
                .args(args)
                .output()
                .unwrap();
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
        };
        docker(&["exec", &name, "rm", "/bin/sh"]);
        docker(&["exec", "-d", &name, "sleep", "97"]);
        let list = ps(run, &e.url, &name);
        assert!(
            list.iter().any(|p| p["cmd"] == serde_json::json!(["sleep", "97"])),
            "{list:#?}"
        );
        let out = run
            .boxdeck(&e.url)
            .args(["run", "-d", &name, "--", "true"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
        assert!(stderr(&out).contains("/bin/sh"), "{}", stderr(&out));
    });
}

/// The size of a process's output file inside the sandbox.
fn out_file_bytes(run: &RunId, url: &str, name: &str, dir: &str) -> u64 {
    let out = run
        .boxdeck(url)
        .args(["run", name, "--", "sh", "-c", &format!("wc -c < {dir}/out")])
        .output()
        .unwrap();
    assert_ok(&out, "wc of the output file");
    stdout(&out).trim().parse().expect("a byte count")
}

#[test]
fn output_is_capped_to_its_newest_part() {
    each_engine(|e, run| {
        let mut cfg = std::fs::read_to_string(&run.config).unwrap();
        if !cfg.contains("[processes]") {
            cfg.push_str("[processes]\noutput_cap = \"64k\"\n");
            std::fs::write(&run.config, cfg).unwrap();
        }
        let name = run.create(&e.url, &run.name(&format!("pcap-{}", e.kind)), &[]);
        // About 160 KB of numbered lines, then time for the wrapper to trim before it ends; a
        // follow that starts at once reads from the beginning as the file is trimmed under it.
        let cmd = "i=0; while [ $i -lt 3000 ]; do echo \"line $i of the output, padded to make it longer....\"; \
                   i=$((i+1)); [ $((i % 500)) = 0 ] && sleep 0.5; done; sleep 2.5; echo END-OF-OUTPUT";
        let id = run_d(run, &e.url, &name, &["sh", "-c", cmd]);
        let follow = run.boxdeck(&e.url).args(["peek", "-f", &name, &id]).output().unwrap();
        assert_ok(&follow, "peek -f");
        let p = wait_for(run, &e.url, &name, &id, 30, |p| p["state"] == "exited");
        assert_eq!(p["exit_code"], 0, "the process never saw a write error: {p:#?}");
        let total = p["output_bytes"].as_u64().unwrap();
        // 3000 lines of 50 bytes plus their numbers' digits, and the end line.
        assert_eq!(total, 160_904, "ps counts every byte printed: {p:#?}");
        let kept = out_file_bytes(run, &e.url, &name, p["dir"].as_str().unwrap());
        assert!(kept <= 64 * 1024, "the file inside the sandbox is capped: {kept} bytes");

        // peek: a notice for what was dropped, then the newest part, whole lines to the end.
        let out = run.boxdeck(&e.url).args(["peek", &name, &id]).output().unwrap();
        assert_ok(&out, "peek");
        let text = stdout(&out);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("[boxdeck: ")
                && first.ends_with("bytes of older output were dropped to keep the record small]"),
            "{first}"
        );
        assert!(text.ends_with("line 2999 of the output, padded to make it longer....\nEND-OF-OUTPUT\n"));
        assert!(!text.contains("line 0 of"), "the oldest part is gone");

        // The follow saw the whole story in order: maybe a notice where it fell behind the
        // trim, never a line twice, and the end.
        let seen = stdout(&follow);
        assert!(
            seen.ends_with("END-OF-OUTPUT\n"),
            "{}",
            &seen[seen.len().saturating_sub(200)..]
        );
        let mut last = -1i64;
        for l in seen.lines().filter(|l| l.starts_with("line ")) {
            let n: i64 = l.split_whitespace().nth(1).unwrap().parse().unwrap();
            assert!(n > last, "line {n} after line {last}: out of order or repeated");
            last = n;
        }
        assert_eq!(last, 2999);
    });
}

#[test]
fn locked_sandbox_survives_more_output_than_its_tmpfs() {
    each_engine(|e, run| {
        // The locked profile's /tmp is a 64 MB tmpfs; print 80 MB, 10 MB a second.
        let name = run.create(&e.url, &run.name(&format!("pbig-{}", e.kind)), &["--profile", "locked"]);
        let cmd = "i=0; while [ $i -lt 80 ]; do head -c 1048576 /dev/zero | tr '\\0' x || exit 9; i=$((i+1)); \
                   [ $((i % 10)) = 0 ] && sleep 1; done; echo; echo END-OF-OUTPUT";
        let id = run_d(run, &e.url, &name, &["sh", "-c", cmd]);
        let p = wait_for(run, &e.url, &name, &id, 90, |p| p["state"] == "exited");
        assert_eq!(p["exit_code"], 0, "every write succeeded: {p:#?}");
        assert!(p["output_bytes"].as_u64().unwrap() >= 80 << 20, "{p:#?}");
        assert!(
            p["output_tail"].as_str().unwrap().ends_with("END-OF-OUTPUT\n"),
            "{p:#?}"
        );
        let kept = out_file_bytes(run, &e.url, &name, p["dir"].as_str().unwrap());
        assert!(kept <= 24 << 20, "kept {kept} bytes on the tmpfs");
    });
}
