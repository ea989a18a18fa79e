//! `boxdeck prune` asks on a terminal (SPEC 8, issue 6): run in a pseudo-terminal against the
//! real Docker engine, it shows the list and asks; `n` removes nothing (exit 1), `y` removes
//! exactly the listed sandboxes. Restricted to this test's containers with `--label`.

use crate::common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use boxdeck::engine::{CreateSpec, Engine};
use boxdeck::sandbox::labels;
use common::{RUN_LABEL, RunId, TEST_IMAGE, TestEngine};
use portable_pty::{CommandBuilder, PtySize, native_pty_system};

async fn exited(e: &Engine, run: &RunId, base: &str) -> String {
    let name = run.name(base);
    let mut l = labels::for_new_sandbox(&name, false, None, "default", &boxdeck::util::now_rfc3339());
    l.insert(RUN_LABEL.into(), run.id.clone());
    let id = e
        .create(&CreateSpec {
            name: name.clone(),
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels: l,
            network: Some("none".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    e.start(&id).await.unwrap();
    e.stop(&id, 0).await.unwrap();
    name
}

/// Run `boxdeck prune --label ...` in a pty, wait for the question, answer, return (screen, code).
fn prune_answering(te: &TestEngine, run: &RunId, answer: &str) -> (String, u32) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_boxdeck"));
    cmd.env("BOXDECK_CONFIG", &run.config);
    cmd.env_remove("DOCKER_HOST");
    cmd.args(["--host", &te.url, "prune", "--label", &run.label()]);
    let mut child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().unwrap();
    let mut writer = pair.master.take_writer().unwrap();
    let parser = Arc::new(Mutex::new(vt100::Parser::new(30, 140, 0)));
    let p2 = parser.clone();
    let t = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p2.lock().unwrap().process(&buf[..n]);
        }
    });
    let screen = || parser.lock().unwrap().screen().contents();
    let end = Instant::now() + Duration::from_secs(30);
    while !screen().contains("[y/N]") {
        assert!(Instant::now() < end, "no question:\n{}", screen());
        std::thread::sleep(Duration::from_millis(50));
    }
    writer.write_all(answer.as_bytes()).unwrap();
    writer.flush().unwrap();
    let status = child.wait().unwrap();
    drop(pair.master);
    let _ = t.join();
    (screen(), status.exit_code())
}

#[test]
fn prune_asks_on_a_terminal() {
    let Some(te) = common::docker() else { return };
    let run = RunId::new(std::slice::from_ref(&te));
    let rt = common::rt();
    let e = rt.block_on(te.connect());
    let names = [
        rt.block_on(exited(&e, &run, "ask1")),
        rt.block_on(exited(&e, &run, "ask2")),
    ];

    let (screen, code) = prune_answering(&te, &run, "n\r");
    assert_eq!(code, 1, "{screen}");
    assert!(screen.contains("remove these 2 sandboxes"), "{screen}");
    assert!(screen.contains("nothing removed"), "{screen}");
    for n in &names {
        assert!(screen.contains(n.as_str()), "the list names {n}:\n{screen}");
        assert!(rt.block_on(e.inspect(n)).is_ok(), "{n} removed after 'n'");
    }

    let (screen, code) = prune_answering(&te, &run, "y\r");
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("removed 2 sandboxes"), "{screen}");
    for n in &names {
        assert!(rt.block_on(e.inspect(n)).is_err(), "{n} still exists after 'y'");
    }
}
