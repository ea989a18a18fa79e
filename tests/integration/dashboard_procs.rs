//! The dashboard's Processes tab and `x` (SPEC 6), UI side: keys and worker messages applied to
//! the state exactly as the run loop does (`handlers::on_event` / `on_msg`, then `State::sync`),
//! with snapshots on TestBackend. The worker side runs against the real engines in
//! tests/integration/dashboard_procs_engine.rs.

use crate::common;

use boxdeck::app::handlers::{on_event, on_msg, on_tick};
use boxdeck::app::keymap::KeyMap;
use boxdeck::app::msg::{Action, Msg, RowKey};
use boxdeck::engine::{ContainerState, StreamKind};
use boxdeck::sandbox::Sandbox;
use boxdeck::sandbox::fanout::FanoutEvent;
use boxdeck::sandbox::procs::{ProcInfo, ProcSource, ProcState};
use boxdeck::sandbox::run::RunResult;
use boxdeck::state::{Dialog, Pane, State, Tab};
use boxdeck::views::theme::Theme;
use boxdeck::workers::procs::{ProcAction, ProcMsg};
use crossterm::event::{Event, KeyCode};

use common::ui::{code, key};

fn render(s: &mut State) -> String {
    let (w, h) = (s.area.width, s.area.height);
    common::ui::render(s, w, h)
}

const NOW: i64 = 1_800_000_000;

fn sb(name: &str, engine: &str) -> Sandbox {
    Sandbox {
        name: name.into(),
        id: format!("{name:0<64}"),
        engine: engine.into(),
        state: ContainerState::Running,
        health: None,
        status: "Up 5 minutes".into(),
        image: "boxdeck-test:latest".into(),
        profile: Some("default".into()),
        project: None,
        persist: false,
        created_at: "2027-01-15T08:00:00Z".into(),
        managed: true,
        container_name: name.into(),
    }
}

fn fixture() -> (State, Vec<Sandbox>) {
    let mut s = State::new(KeyMap::default(), Theme::default(), 1000);
    s.now = NOW;
    s.area = ratatui::layout::Rect::new(0, 0, 110, 30);
    let rows = vec![sb("alpha", "docker"), sb("beta", "docker"), sb("gamma", "podman")];
    for e in ["docker", "podman"] {
        on_msg(
            &mut s,
            Msg::EngineUp {
                engine: e.into(),
                detail: String::new(),
            },
        );
        on_msg(
            &mut s,
            Msg::Snapshot {
                engine: e.into(),
                rows: rows.iter().filter(|r| r.engine == e).cloned().collect(),
            },
        );
    }
    s.sync();
    s.outbox.clear();
    (s, rows)
}

fn press(s: &mut State, ev: Event) -> Vec<Action> {
    on_event(s, ev);
    s.sync();
    s.outbox.drain(..).collect()
}

fn typed(s: &mut State, t: &str) -> Vec<Action> {
    t.chars().flat_map(|c| press(s, key(c))).collect()
}

fn msg(s: &mut State, m: ProcMsg) -> Vec<Action> {
    on_msg(s, Msg::Procs(m));
    s.sync();
    s.outbox.drain(..).collect()
}

fn proc(id: &str, source: ProcSource, state: ProcState, code: Option<i64>, cmd: &[&str]) -> ProcInfo {
    ProcInfo {
        id: id.into(),
        source,
        exec_id: None,
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        state,
        exit_code: code,
        killed_by: None,
        started_at: Some("2027-01-15T08:00:00Z".into()),
        duration_secs: Some(1.5),
        pid: Some(9),
        output_bytes: Some(0),
        output_tail: None,
        dir: Some(format!("/tmp/.boxdeck/{id}")),
        group_running: false,
    }
}

fn listing() -> Vec<ProcInfo> {
    vec![
        proc(
            "0a0a0a0a",
            ProcSource::Boxdeck,
            ProcState::Exited,
            Some(2),
            &["sh", "-c", "make test"],
        ),
        proc(
            "6b6b6b6b6b6b",
            ProcSource::Engine,
            ProcState::Running,
            None,
            &["sleep", "300"],
        ),
        proc(
            "1b1b1b1b",
            ProcSource::Boxdeck,
            ProcState::Running,
            None,
            &["sh", "-c", "./serve"],
        ),
    ]
}

fn key_of(s: &Sandbox) -> RowKey {
    RowKey::of(s)
}

#[test]
fn processes_tab_lists_follows_refreshes_and_kills() {
    let (mut s, rows) = fixture();
    let alpha = key_of(&rows[0]);
    // Logs -> Sessions -> Processes: the tab opens and asks for the list.
    press(&mut s, key(']'));
    let acts = press(&mut s, key(']'));
    assert_eq!(s.tab, Tab::Processes);
    assert!(
        acts.contains(&Action::Procs(ProcAction::List(alpha.clone()))),
        "{acts:?}"
    );
    assert!(render(&mut s).contains("listing processes in alpha"));

    // The list arrives: the newest (a running boxdeck process) is selected and followed.
    let acts = msg(
        &mut s,
        ProcMsg::Listed {
            key: alpha.clone(),
            result: Ok(listing()),
        },
    );
    let follow = acts.iter().find_map(|a| match a {
        Action::Procs(ProcAction::Follow(Some((k, p)))) => Some((k.clone(), p.id.clone())),
        _ => None,
    });
    assert_eq!(follow, Some((alpha.clone(), "1b1b1b1b".to_string())), "{acts:?}");
    msg(
        &mut s,
        ProcMsg::Output {
            key: alpha.clone(),
            proc_id: "1b1b1b1b".into(),
            data: b"listening on :8080\nGET / 200\n\x1b[2Jpartial".to_vec(),
        },
    );
    let screen = render(&mut s);
    insta::assert_snapshot!("processes_tab_live", screen);
    assert!(screen.contains("GET / 200") && screen.contains("partial"));

    // Output of another sandbox or process is not mixed in.
    msg(
        &mut s,
        ProcMsg::Output {
            key: key_of(&rows[1]),
            proc_id: "1b1b1b1b".into(),
            data: b"NOT-MINE\n".to_vec(),
        },
    );
    assert!(!render(&mut s).contains("NOT-MINE"));

    // The list is refreshed while the tab is open, not otherwise.
    on_tick(&mut s, NOW + 1);
    s.sync();
    assert!(s.outbox.is_empty(), "not yet: {:?}", s.outbox);
    on_tick(&mut s, NOW + 3);
    s.sync();
    assert_eq!(
        s.outbox.drain(..).collect::<Vec<_>>(),
        [Action::Procs(ProcAction::List(alpha.clone()))]
    );

    // Focus the tab; K asks, y kills the selected process.
    press(&mut s, code(KeyCode::Tab));
    assert_eq!(s.focus, Pane::Detail);
    press(&mut s, key('K'));
    assert!(
        matches!(&s.dialog, Some(Dialog::Confirm(c)) if c.title == "Kill process"),
        "{:?}",
        s.dialog
    );
    assert!(render(&mut s).contains("Kill 1b1b1b1b in alpha"));
    let acts = press(&mut s, key('y'));
    assert!(
        acts.iter().any(
            |a| matches!(a, Action::Procs(ProcAction::Kill { key, proc, .. }) if *key == alpha && proc.id == "1b1b1b1b")
        ),
        "{acts:?}"
    );
    // Up to the foreign exec: it has no output to follow.
    let acts = press(&mut s, key('k'));
    assert!(acts.is_empty(), "foreign exec: nothing to follow: {acts:?}");
    assert!(render(&mut s).contains("output is kept only for processes boxdeck started"));
    // Up to the finished boxdeck process: its output is read.
    let acts = press(&mut s, key('k'));
    assert_eq!(s.procs.pane.selected().unwrap().id, "0a0a0a0a");
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Procs(ProcAction::Follow(Some((_, p)))) if p.id == "0a0a0a0a")),
        "{acts:?}"
    );
    // A finished process is not killed again.
    press(&mut s, key('K'));
    assert!(s.dialog.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.text.contains("not running")));
    // When a followed process ends, the list is asked for again (its exit code).
    let acts = msg(
        &mut s,
        ProcMsg::OutputEnded {
            key: alpha.clone(),
            proc_id: "0a0a0a0a".into(),
            error: None,
        },
    );
    assert!(acts.contains(&Action::Procs(ProcAction::List(alpha.clone()))));

    // Leaving the tab stops the follow and the refresh.
    press(&mut s, code(KeyCode::Esc));
    let acts = press(&mut s, key('['));
    assert!(acts.contains(&Action::Procs(ProcAction::Follow(None))), "{acts:?}");
    on_tick(&mut s, NOW + 30);
    s.sync();
    assert!(s.outbox.is_empty());
}

#[test]
fn x_without_marks_starts_a_detached_process_and_shows_it() {
    let (mut s, rows) = fixture();
    press(&mut s, key('x'));
    typed(&mut s, "sleep 5; echo done");
    let acts = press(&mut s, code(KeyCode::Enter));
    let target = acts
        .iter()
        .find_map(|a| match a {
            Action::Procs(ProcAction::Start { target, command }) if command == "sleep 5; echo done" => {
                Some(target.clone())
            }
            _ => None,
        })
        .expect("start action");
    assert_eq!(target.key, key_of(&rows[0]));
    assert_eq!(s.tab, Tab::Processes, "the Processes tab opens");
    assert!(acts.contains(&Action::Procs(ProcAction::List(key_of(&rows[0])))));
    // The worker reports the start, then the list: the new process is selected.
    msg(
        &mut s,
        ProcMsg::Started {
            key: key_of(&rows[0]),
            name: "alpha".into(),
            proc_id: "0a0a0a0a".into(),
        },
    );
    let acts = msg(
        &mut s,
        ProcMsg::Listed {
            key: key_of(&rows[0]),
            result: Ok(listing()),
        },
    );
    assert_eq!(s.procs.pane.selected().unwrap().id, "0a0a0a0a");
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::Procs(ProcAction::Follow(Some((_, p)))) if p.id == "0a0a0a0a"))
    );
    assert!(
        s.message
            .as_ref()
            .is_some_and(|m| m.text.contains("started 0a0a0a0a in alpha"))
    );
}

#[test]
fn x_with_marks_fans_out_and_fills_in_the_results() {
    let (mut s, _) = fixture();
    // Mark all three (two engines).
    press(&mut s, key('A'));
    press(&mut s, key('x'));
    typed(&mut s, "make test");
    let acts = press(&mut s, code(KeyCode::Enter));
    let (run, targets) = acts
        .iter()
        .find_map(|a| match a {
            Action::Procs(ProcAction::Fanout { run, targets, command }) if command == "make test" => {
                Some((*run, targets.clone()))
            }
            _ => None,
        })
        .expect("fan-out action");
    let names: Vec<(usize, String)> = targets.iter().map(|(i, t)| (*i, t.name.clone())).collect();
    assert_eq!(names, [(0, "alpha".into()), (1, "beta".into()), (2, "gamma".into())]);
    // The router splits it per engine and keeps the row numbers.
    let split = ProcAction::Fanout {
        run,
        targets,
        command: "make test".into(),
    }
    .route(&["docker".into(), "podman".into()]);
    assert_eq!(split.len(), 2);
    assert!(matches!(&s.dialog, Some(Dialog::Fanout(_))));
    let screen = render(&mut s);
    assert!(screen.contains("0/3 done") && screen.contains("running…"), "{screen}");

    let done = |index, code, ms| ProcMsg::Fanout {
        run,
        event: FanoutEvent::Done {
            index,
            result: Ok(RunResult {
                exit_code: code,
                timed_out: false,
                duration: std::time::Duration::from_millis(ms),
            }),
        },
    };
    msg(
        &mut s,
        ProcMsg::Fanout {
            run,
            event: FanoutEvent::Output {
                index: 2,
                stream: StreamKind::Stdout,
                data: b"ok 12 tests\n".to_vec(),
            },
        },
    );
    msg(&mut s, done(2, 0, 800));
    let screen = render(&mut s);
    assert!(
        screen.contains("1/3 done") && screen.contains("ok 12 tests"),
        "{screen}"
    );
    msg(
        &mut s,
        ProcMsg::Fanout {
            run,
            event: FanoutEvent::Output {
                index: 0,
                stream: StreamKind::Stderr,
                data: b"FAIL: test_login\n".to_vec(),
            },
        },
    );
    msg(&mut s, done(0, 1, 2100));
    msg(
        &mut s,
        ProcMsg::Fanout {
            run,
            event: FanoutEvent::Done {
                index: 1,
                result: Err(boxdeck::Error::failed("sandbox beta is not running")),
            },
        },
    );
    // An event of an older fan-out changes nothing.
    msg(
        &mut s,
        ProcMsg::Fanout {
            run: run + 100,
            event: FanoutEvent::Output {
                index: 0,
                stream: StreamKind::Stdout,
                data: b"STALE\n".to_vec(),
            },
        },
    );
    let screen = render(&mut s);
    insta::assert_snapshot!("fanout_results", screen);
    assert!(
        screen.contains("done · 2 failed") && !screen.contains("STALE"),
        "{screen}"
    );
    press(&mut s, code(KeyCode::Esc));
    assert!(s.dialog.is_none());
    assert!(s.message.as_ref().is_some_and(|m| m.text.contains("2 of 3 failed")));
}

/// The tabs' own keys come from `[keys]` too: `kill`, `search`, `close_session`.
#[test]
fn tab_keys_follow_the_config() {
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("kill".to_string(), "ctrl-k".to_string());
    keys.insert("search".to_string(), "s".to_string());
    keys.insert("timestamps".to_string(), "T".to_string());
    let (mut s, rows) = fixture();
    s.keymap = KeyMap::from_config(&keys).unwrap();
    let alpha = key_of(&rows[0]);

    // Logs tab focused: s now searches (it would stop the sandbox elsewhere), T toggles
    // timestamps, t does nothing there any more.
    press(&mut s, code(KeyCode::Tab));
    let acts = press(&mut s, key('s'));
    assert!(matches!(s.mode, boxdeck::state::Mode::LogSearch(_)), "{:?}", s.mode);
    assert!(acts.is_empty(), "no stop: {acts:?}");
    press(&mut s, code(KeyCode::Esc));
    let before = s.logs.show_timestamps();
    press(&mut s, key('t'));
    assert_eq!(s.logs.show_timestamps(), before, "t is unbound in the Logs tab");
    press(&mut s, key('T'));
    assert_ne!(s.logs.show_timestamps(), before, "T toggles timestamps");

    // Processes tab: K no longer kills; ctrl-k does.
    press(&mut s, key(']'));
    press(&mut s, key(']'));
    assert_eq!(s.tab, Tab::Processes);
    msg(
        &mut s,
        ProcMsg::Listed {
            key: alpha.clone(),
            result: Ok(listing()),
        },
    );
    press(&mut s, key('K'));
    assert!(s.dialog.is_none(), "K is not kill any more: {:?}", s.dialog);
    press(
        &mut s,
        Event::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('k'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert!(
        matches!(&s.dialog, Some(Dialog::Confirm(c)) if c.title == "Kill process"),
        "{:?}",
        s.dialog
    );
    // The help overlay shows the live keys.
    press(&mut s, code(KeyCode::Esc));
    s.focus = Pane::Table;
    press(&mut s, key('?'));
    s.area = ratatui::layout::Rect::new(0, 0, 110, 90);
    let help = render(&mut s);
    assert!(
        help.contains("ctrl-k") && help.contains("kill the selected process"),
        "{help}"
    );
}
