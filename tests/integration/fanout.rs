//! Fan-out (SPEC 6.3, 8 `run`) against the real engines: one command in many sandboxes runs
//! concurrently, selected by names, label or project.

use crate::common;

use std::time::{Duration, Instant};

use common::{RunId, assert_ok, engines, rt, stderr, stdout};

#[test]
fn ten_sandboxes_take_about_as_long_as_the_slowest() {
    let es = engines();
    let Some(e) = es.iter().find(|e| e.kind == "docker").or(es.first()) else {
        return;
    };
    let run = RunId::new(&es);
    let names: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..10)
            .map(|i| {
                let run = &run;
                let url = &e.url;
                s.spawn(move || run.create(url, &run.name(&format!("fo{i}")), &[]))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let cmd = ["sh", "-c", "sleep 2; echo done-$(hostname)"];

    // The slowest single run, through the same binary (start-up and exec overhead included).
    let t0 = Instant::now();
    let out = run
        .boxdeck(&e.url)
        .args(["run", &names[0], "--"])
        .args(cmd)
        .output()
        .unwrap();
    assert_ok(&out, "single run");
    let single = t0.elapsed();

    let t0 = Instant::now();
    let out = run
        .boxdeck(&e.url)
        .args(["run", "--label", &run.label(), "--"])
        .args(cmd)
        .output()
        .unwrap();
    let fan = t0.elapsed();
    assert_ok(&out, "fan-out by label");
    let text = stdout(&out);
    for n in &names {
        let line = text
            .lines()
            .find(|l| l.starts_with(n.as_str()))
            .unwrap_or_else(|| panic!("no line from {n}:\n{text}"));
        assert!(line.contains(" | done-"), "prefixed output: {line}");
    }
    assert_eq!(text.lines().count(), 10, "{text}");
    eprintln!("single run {single:?}, fan-out over 10 {fan:?}");
    assert!(
        fan < single * 2,
        "10 concurrent runs of 2s took {fan:?}; one took {single:?} (sequential would be ~20s)"
    );
}

/// A sandbox's 12-digit id, from `ls --json`.
fn short_id(run: &RunId, url: &str, name: &str) -> String {
    let out = run.boxdeck(url).args(["ls", "--json"]).output().unwrap();
    assert_ok(&out, "ls --json");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = v
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .expect("listed");
    s["id"].as_str().unwrap()[..12].to_string()
}

#[test]
fn project_selection_passes_the_first_failure_through() {
    let es = engines();
    let run = RunId::new(&es);
    for e in &es {
        let project = format!("proj-{}", run.id);
        let a = run.create(&e.url, &run.name(&format!("fpa-{}", e.kind)), &["--project", &project]);
        let b = run.create(&e.url, &run.name(&format!("fpb-{}", e.kind)), &["--project", &project]);
        let other = run.create(&e.url, &run.name(&format!("fpo-{}", e.kind)), &[]);
        // Only b fails (a container's hostname is its short id on both engines).
        let script = format!(
            "hostname; [ \"$(hostname)\" != \"{}\" ] || exit 3",
            short_id(&run, &e.url, &b)
        );
        let out = run
            .boxdeck(&e.url)
            .args(["run", "--project", &project, "--", "sh", "-c", &script])
            .output()
            .unwrap();
        let text = stdout(&out);
        assert!(
            text.contains(&format!("{a} | ")) && text.contains(&format!("{b} | ")),
            "{text}"
        );
        assert!(!text.contains(&other), "only the project's sandboxes: {text}");
        assert_eq!(out.status.code(), Some(3), "{text}\n{}", stderr(&out));
        // A selection that matches nothing is a clear failure.
        let out = run
            .boxdeck(&e.url)
            .args(["run", "--project", "no-such-project-xyz", "--", "true"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).contains("no sandboxes match"), "{}", stderr(&out));
    }
}

#[test]
fn detached_fan_out_prints_one_id_per_sandbox() {
    let es = engines();
    let Some(e) = es.first() else { return };
    let run = RunId::new(&es);
    let a = run.create(&e.url, &run.name("fda"), &[]);
    let b = run.create(&e.url, &run.name("fdb"), &[]);
    let out = run
        .boxdeck(&e.url)
        .args(["run", "-d", &a, &b, "--", "sh", "-c", "echo hi"])
        .output()
        .unwrap();
    assert_ok(&out, "run -d in two");
    let text = stdout(&out);
    for n in [&a, &b] {
        let line = text
            .lines()
            .find(|l| l.starts_with(n.as_str()))
            .expect("line per sandbox");
        let id = line.split_whitespace().nth(1).expect("id");
        let p = run.boxdeck(&e.url).args(["peek", n, id]).output().unwrap();
        // The process may still be starting: peek until the output is there.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got = stdout(&p);
        while got != "hi\n" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            got = stdout(&run.boxdeck(&e.url).args(["peek", n, id]).output().unwrap());
        }
        assert_eq!(got, "hi\n");
    }
}

#[test]
fn help_documents_selection_forms() {
    let es = engines();
    let run = RunId::new(&es);
    let out = run
        .boxdeck("unix:///nonexistent.sock")
        .args(["run", "--help"])
        .output()
        .unwrap();
    assert_ok(&out, "run --help");
    let h = stdout(&out);
    for want in [
        "--label",
        "--project",
        "-d, --detach",
        "run --label team=ml -- CMD",
        "run --project P -- CMD",
    ] {
        assert!(h.contains(want), "help lacks {want:?}:\n{h}");
    }
    // No names and no filter: usage error.
    let out = run
        .boxdeck("unix:///nonexistent.sock")
        .args(["run", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The library's fan-out stream reports each sandbox as it finishes: the fast one first.
#[test]
fn library_fanout_reports_in_completion_order() {
    use boxdeck::sandbox::fanout::{FanoutEvent, FanoutTable, fanout};
    use boxdeck::sandbox::{Fleet, select::Selection};
    use futures::StreamExt;

    let es = engines();
    let Some(e) = es.first() else { return };
    let run = RunId::new(&es);
    let slow = run.create(&e.url, &run.name("fls"), &[]);
    let fast = run.create(&e.url, &run.name("flf"), &[]);
    rt().block_on(async {
        let fleet = Fleet::from_engines(vec![e.connect().await]);
        let sel = Selection {
            names: vec![slow.clone(), fast.clone()],
            ..Default::default()
        };
        let targets = fleet.select(&sel).await.unwrap();
        let mut table = FanoutTable::new(&targets);
        let slow_id = &targets[0].sandbox.id[..12];
        let script = format!("case $(hostname) in {slow_id}*) sleep 2;; esac; echo out-$(hostname)");
        let cmd: Vec<String> = vec!["sh".into(), "-c".into(), script];
        let mut s = fanout(targets, cmd, Default::default(), 8);
        let mut order = Vec::new();
        while let Some(ev) = s.next().await {
            if let FanoutEvent::Done { index, .. } = &ev {
                order.push(*index);
            }
            table.apply(ev);
            if order.len() == 1 {
                assert!(!table.is_finished(), "the slow one is still running");
            }
        }
        assert_eq!(order, vec![1, 0], "fast first");
        assert!(table.is_finished());
        assert_eq!(table.rows[0].exit_code, Some(0));
        assert!(table.rows[0].duration.unwrap() >= Duration::from_secs(2));
        assert!(table.rows[1].duration.unwrap() < Duration::from_secs(2));
        assert!(table.rows[0].last_line().starts_with("out-"), "{:?}", table.rows[0]);
    });
}
