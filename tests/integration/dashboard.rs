//! Dashboard UI tests on ratatui's TestBackend: a snapshot of every pane and dialog, and
//! event-injection tests of the key flows through the real run loop (`app::run`).
//! The rows are plain data fed in through the same `Msg`s the engine workers send.

use crate::common;

use std::collections::BTreeMap;

use boxdeck::app::handlers::on_msg;
use boxdeck::app::keymap::KeyMap;
use boxdeck::app::msg::{Action, Msg, RowKey, Verb};
use boxdeck::engine::{
    ContainerDetails, ContainerState, Health, HealthInfo, Limits, LogChunk, MountInfo, PortMapping, SecurityInfo,
    StatsSample, StreamKind,
};
use boxdeck::sandbox::Sandbox;
use boxdeck::state::{Dialog, Mode, Pane, SortKey, State, Tab};
use boxdeck::views::theme::Theme;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::ui::{code, key, render};

const NOW: i64 = 1_800_000_000;
const W: u16 = 120;
const H: u16 = 32;

fn sb(name: &str, engine: &str, state: ContainerState, managed: bool) -> Sandbox {
    Sandbox {
        name: name.into(),
        id: format!("{:0<64}", hex(name)),
        engine: engine.into(),
        state,
        health: None,
        status: if state == ContainerState::Running {
            "Up 5 minutes".into()
        } else {
            "Exited (0) 1 hour ago".into()
        },
        image: "boxdeck-test:latest".into(),
        profile: managed.then(|| "default".to_string()),
        project: None,
        persist: false,
        created_at: "2027-01-15T08:00:00Z".into(),
        managed,
        container_name: name.into(),
    }
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn key_of(s: &Sandbox) -> RowKey {
    RowKey::of(s)
}

/// A state with three sandboxes on docker, one on podman, and a foreign container.
fn fixture() -> (State, Vec<Sandbox>) {
    let mut s = State::new(KeyMap::default(), Theme::default(), 1000);
    s.now = NOW;
    s.area = ratatui::layout::Rect::new(0, 0, W, H);
    s.profiles = vec!["default".into(), "locked".into(), "minimal".into()];
    let mut alpha = sb("alpha", "docker", ContainerState::Running, true);
    alpha.health = Some(Health::Healthy);
    alpha.project = Some("webapp".into());
    let beta = sb("beta", "docker", ContainerState::Exited, true);
    let mut gamma = sb("gamma-beta", "docker", ContainerState::Running, true);
    gamma.profile = Some("locked".into());
    gamma.persist = true;
    let delta = sb("delta", "podman", ContainerState::Paused, true);
    let foreign = sb("postgres", "docker", ContainerState::Running, false);
    on_msg(
        &mut s,
        Msg::EngineUp {
            engine: "docker".into(),
            detail: "docker 20.10".into(),
        },
    );
    on_msg(
        &mut s,
        Msg::EngineUp {
            engine: "podman".into(),
            detail: "podman 4.3".into(),
        },
    );
    on_msg(
        &mut s,
        Msg::Snapshot {
            engine: "docker".into(),
            rows: vec![alpha.clone(), beta.clone(), gamma.clone()],
        },
    );
    on_msg(
        &mut s,
        Msg::Snapshot {
            engine: "podman".into(),
            rows: vec![delta.clone()],
        },
    );
    on_msg(
        &mut s,
        Msg::Stats {
            key: key_of(&alpha),
            sample: StatsSample {
                cpu_percent: 12.5,
                mem_bytes: 48 * 1024 * 1024,
                mem_limit: 1 << 30,
                pids: 7,
            },
        },
    );
    s.sync();
    (s, vec![alpha, beta, gamma, delta, foreign])
}

fn text(t: &str) -> Vec<Event> {
    t.chars().map(key).collect()
}

/// Drive the real run loop with these events (then the input ends); returns the actions sent.
fn drive(s: &mut State, events: Vec<Event>) -> Vec<Action> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut term = Terminal::new(TestBackend::new(s.area.width, s.area.height)).unwrap();
        let (atx, mut arx) = tokio::sync::mpsc::unbounded_channel();
        let (_mtx, mut mrx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
        let mut effects = Vec::new();
        let stream = futures::stream::iter(events.into_iter().map(Ok));
        boxdeck::app::run(&mut term, s, stream, &mut mrx, &atx, &mut |e| effects.push(e))
            .await
            .unwrap();
        let mut out = Vec::new();
        while let Ok(a) = arx.try_recv() {
            out.push(a);
        }
        out
    })
}

fn names(s: &State) -> Vec<String> {
    s.view.iter().map(|k| s.rows[k].sb.name.clone()).collect()
}

fn details(k: &Sandbox) -> ContainerDetails {
    let mut labels = BTreeMap::new();
    labels.insert("pocketdock.managed".to_string(), "true".to_string());
    labels.insert("pocketdock.instance".to_string(), k.name.clone());
    let mut tmpfs = BTreeMap::new();
    tmpfs.insert("/tmp".to_string(), "rw,size=64m".to_string());
    ContainerDetails {
        id: k.id.clone(),
        name: k.name.clone(),
        image: k.image.clone(),
        state: k.state,
        running: true,
        paused: false,
        exit_code: None,
        pid: Some(4242),
        started_at: None,
        finished_at: None,
        created: None,
        labels,
        cmd: vec!["sleep".into(), "infinity".into()],
        env: vec![],
        working_dir: None,
        user: Some("1000".into()),
        ports: vec![PortMapping {
            container_port: "8080/tcp".into(),
            host_ip: Some("127.0.0.1".into()),
            host_port: Some("18080".into()),
        }],
        mounts: vec![MountInfo {
            kind: "volume".into(),
            source: "/var/lib/docker/volumes/data/_data".into(),
            destination: "/data".into(),
            read_only: false,
            name: Some("data".into()),
        }],
        health: Some(HealthInfo {
            status: "healthy".into(),
            failing_streak: 0,
            last_output: Some("ok\n".into()),
            last_exit_code: Some(0),
        }),
        exec_ids: vec![],
        security: SecurityInfo {
            privileged: false,
            read_only_rootfs: true,
            init: true,
            no_new_privileges: true,
            cap_add: vec![],
            cap_drop: vec!["ALL".into()],
            security_opt: vec!["no-new-privileges".into()],
            network_mode: "none".into(),
            tmpfs,
            binds: vec![],
        },
        limits: Limits {
            memory_bytes: Some(1 << 30),
            nano_cpus: Some(2_000_000_000),
            pids_limit: Some(1024),
        },
        raw: serde_json::Value::Null,
    }
}

// ---------- snapshots: every pane and dialog ----------

#[test]
fn snapshot_table_and_logs() {
    let (mut s, rows) = fixture();
    s.marks.insert(key_of(&rows[2]));
    on_msg(&mut s, Msg::LogReset(key_of(&rows[0])));
    on_msg(
        &mut s,
        Msg::Log {
            key: key_of(&rows[0]),
            chunk: LogChunk {
                stream: StreamKind::Stdout,
                data: "2027-01-15T08:00:01.000000000Z hello from alpha\n".into(),
            },
        },
    );
    on_msg(
        &mut s,
        Msg::Log {
            key: key_of(&rows[0]),
            chunk: LogChunk {
                stream: StreamKind::Stderr,
                data: "2027-01-15T08:00:02.000000000Z \x1b[2Jwarning: disk\x07 low\n".into(),
            },
        },
    );
    insta::assert_snapshot!("table_and_logs", render(&mut s, W, H));
}

#[test]
fn snapshot_sessions_processes_tabs() {
    let (mut s, _) = fixture();
    s.tab = Tab::Sessions;
    insta::assert_snapshot!("sessions_tab", render(&mut s, W, 20));
    s.tab = Tab::Processes;
    s.sync();
    insta::assert_snapshot!("processes_tab", render(&mut s, W, 20));
}

#[test]
fn snapshot_inspect_tab() {
    let (mut s, rows) = fixture();
    s.tab = Tab::Inspect;
    s.split = 20;
    on_msg(
        &mut s,
        Msg::Details {
            key: key_of(&rows[0]),
            details: Box::new(details(&rows[0])),
        },
    );
    insta::assert_snapshot!("inspect_tab", render(&mut s, W, 44));
}

#[test]
fn snapshot_engine_down_banner() {
    let (mut s, _) = fixture();
    on_msg(
        &mut s,
        Msg::EngineDown {
            engine: "podman".into(),
            error: "cannot reach the engine".into(),
            retry_secs: 4,
        },
    );
    insta::assert_snapshot!("engine_down", render(&mut s, W, 16));
}

#[test]
fn no_engine_at_all_says_what_to_do() {
    let mut s = State::new(KeyMap::default(), Theme::default(), 1000);
    s.area = ratatui::layout::Rect::new(0, 0, W, 16);
    assert!(
        render(&mut s, W, 16).contains("connecting…"),
        "before any engine answered"
    );
    on_msg(
        &mut s,
        Msg::EngineDown {
            engine: "docker".into(),
            error: "cannot reach the engine at unix:///var/run/docker.sock: no socket".into(),
            retry_secs: 2,
        },
    );
    let screen = render(&mut s, W, 16);
    assert!(
        screen.contains("docker disconnected: cannot reach the engine"),
        "{screen}"
    );
    assert!(
        screen.contains("no engine answers; retrying. Start Docker or Podman, or add one with :host URL"),
        "{screen}"
    );
}

#[test]
fn snapshot_help_overlay() {
    let (mut s, _) = fixture();
    s.help = true;
    insta::assert_snapshot!("help", render(&mut s, W, 44));
}

#[test]
fn snapshot_dialogs() {
    let (mut s, _) = fixture();
    drive(&mut s, vec![key('d')]);
    insta::assert_snapshot!("confirm_destroy", render(&mut s, W, 24));
    s.dialog = None;
    let mut ev = vec![key('c'), code(KeyCode::Right), code(KeyCode::Tab)];
    ev.extend(text("my-box"));
    drive(&mut s, ev);
    insta::assert_snapshot!("create_dialog", render(&mut s, W, 24));
    s.dialog = None;
    let mut ev = vec![key('x')];
    ev.extend(text("uname -a"));
    drive(&mut s, ev);
    insta::assert_snapshot!("run_dialog", render(&mut s, W, 24));
}

#[test]
fn snapshot_filter_and_palette_lines() {
    let (mut s, _) = fixture();
    let mut ev = vec![key('/')];
    ev.extend(text("bet"));
    drive(&mut s, ev);
    insta::assert_snapshot!("filter_typing", render(&mut s, W, 14));
    drive(&mut s, vec![code(KeyCode::Esc), key(':')]);
    drive(&mut s, text("so"));
    insta::assert_snapshot!("palette_typing", render(&mut s, W, 14));
}

#[test]
fn snapshot_zoomed_detail_and_empty_table() {
    let (mut s, _) = fixture();
    drive(&mut s, vec![code(KeyCode::Tab), key('z')]);
    insta::assert_snapshot!("zoomed_detail", render(&mut s, W, 12));
    let mut e = State::new(KeyMap::default(), Theme::default(), 10);
    e.now = NOW;
    on_msg(
        &mut e,
        Msg::EngineUp {
            engine: "docker".into(),
            detail: String::new(),
        },
    );
    insta::assert_snapshot!("empty_table", render(&mut e, W, 12));
}

// ---------- key flows through the run loop ----------

#[test]
fn filter_keeps_selects_first_match_and_esc_clears() {
    let (mut s, _) = fixture();
    drive(&mut s, vec![code(KeyCode::Down), code(KeyCode::Down)]);
    let mut ev = vec![key('/')];
    ev.extend(text("BETA"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert_eq!(names(&s), ["beta", "gamma-beta"], "case-insensitive match on the name");
    assert_eq!(s.filter, "BETA");
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.selected, 0, "Enter selects the first match");
    assert_eq!(s.focus, Pane::Table);
    drive(&mut s, vec![key('/'), code(KeyCode::Esc)]);
    assert_eq!(s.filter, "");
    assert_eq!(names(&s).len(), 4);
    // The filter also matches the engine column.
    let mut ev = vec![key('/')];
    ev.extend(text("podman"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert_eq!(names(&s), ["delta"]);
}

#[test]
fn marks_mark_all_shown_and_clear() {
    let (mut s, rows) = fixture();
    drive(&mut s, vec![key(' ')]);
    assert!(s.marks.contains(&key_of(&rows[0])));
    assert_eq!(s.selected, 1, "space moves down after marking");
    drive(&mut s, vec![key(' ')]);
    assert_eq!(s.marks.len(), 2);
    drive(&mut s, vec![key('u')]);
    assert!(s.marks.is_empty());
    let mut ev = vec![key('/')];
    ev.extend(text("beta"));
    ev.extend([code(KeyCode::Enter), key('A')]);
    drive(&mut s, ev);
    let mut marked: Vec<&str> = s.marks.iter().map(|k| s.rows[k].sb.name.as_str()).collect();
    marked.sort();
    assert_eq!(marked, ["beta", "gamma-beta"], "A marks only the rows shown");
}

#[test]
fn confirm_destroy_sends_the_destroy_action() {
    let (mut s, rows) = fixture();
    // Select beta (second row by name).
    let acts = drive(&mut s, vec![key('j'), key('d')]);
    assert!(matches!(s.dialog, Some(Dialog::Confirm(_))), "d asks first");
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Lifecycle { .. })),
        "nothing sent before yes"
    );
    let acts = drive(&mut s, vec![key('y')]);
    assert!(s.dialog.is_none());
    let destroy: Vec<&Action> = acts
        .iter()
        .filter(|a| {
            matches!(
                a,
                Action::Lifecycle {
                    verb: Verb::Destroy,
                    ..
                }
            )
        })
        .collect();
    assert_eq!(destroy.len(), 1, "{acts:?}");
    let Action::Lifecycle { targets, .. } = destroy[0] else {
        unreachable!()
    };
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].key, key_of(&rows[1]));
    // n and Esc cancel without sending.
    let acts = drive(&mut s, vec![key('d'), key('n'), key('d'), code(KeyCode::Esc)]);
    assert!(s.dialog.is_none());
    assert!(!acts.iter().any(|a| matches!(a, Action::Lifecycle { .. })), "{acts:?}");
}

#[test]
fn bulk_actions_never_touch_foreign_containers() {
    let (mut s, rows) = fixture();
    let acts = drive(&mut s, vec![key('a')]);
    assert!(acts.contains(&Action::SetAll(true)), "{acts:?}");
    on_msg(&mut s, Msg::Upsert(rows[4].clone()));
    assert_eq!(names(&s).len(), 5, "the foreign container shows with all containers on");
    let acts = drive(&mut s, vec![key('A'), key('r')]);
    let Some(Action::Lifecycle {
        verb: Verb::Restart,
        targets,
    }) = acts.iter().find(|a| matches!(a, Action::Lifecycle { .. }))
    else {
        panic!("no restart sent: {acts:?}")
    };
    assert_eq!(targets.len(), 4, "every marked sandbox");
    assert!(
        targets.iter().all(|t| t.name != "postgres"),
        "never the foreign one: {targets:?}"
    );
    // One by one, the foreign container is allowed.
    let pos = names(&s).iter().position(|n| n == "postgres").unwrap();
    let mut ev = vec![key('u'), key('g')];
    ev.extend(std::iter::repeat_n(key('j'), pos));
    ev.push(key('r'));
    let acts = drive(&mut s, ev);
    let Some(Action::Lifecycle { targets, .. }) = acts.iter().find(|a| matches!(a, Action::Lifecycle { .. })) else {
        panic!("no restart sent: {acts:?}")
    };
    assert_eq!(targets.len(), 1);
    assert_eq!(targets[0].name, "postgres");
    // Switching back drops the foreign row.
    drive(&mut s, vec![key('a')]);
    on_msg(&mut s, Msg::Upsert(rows[4].clone()));
    assert!(!names(&s).contains(&"postgres".to_string()));
}

#[test]
fn stop_start_follows_the_state() {
    let (mut s, rows) = fixture();
    let acts = drive(&mut s, vec![key('s')]);
    assert!(
        acts.iter().any(
            |a| matches!(a, Action::Lifecycle { verb: Verb::Stop, targets } if targets[0].key == key_of(&rows[0]))
        ),
        "{acts:?}"
    );
    let acts = drive(&mut s, vec![key('j'), key('s')]);
    assert!(
        acts.iter().any(
            |a| matches!(a, Action::Lifecycle { verb: Verb::Start, targets } if targets[0].key == key_of(&rows[1]))
        ),
        "{acts:?}"
    );
}

#[test]
fn zoom_gives_the_focused_pane_the_screen() {
    let (mut s, _) = fixture();
    let before = boxdeck::views::layout(s.area, &s);
    drive(&mut s, vec![key('z')]);
    let a = boxdeck::views::layout(s.area, &s);
    assert!(s.zoom);
    assert_eq!(a.detail.height, 0);
    assert_eq!(a.table.height, before.table.height + before.detail.height);
    drive(&mut s, vec![key('z'), code(KeyCode::Tab), key('z')]);
    let a = boxdeck::views::layout(s.area, &s);
    assert_eq!(a.table.height, 0);
    assert!(a.detail.height > before.detail.height);
    drive(&mut s, vec![code(KeyCode::Esc)]);
    assert!(!s.zoom, "Esc leaves zoom");
    // The split is resizable.
    drive(&mut s, vec![key('+'), key('+')]);
    let a = boxdeck::views::layout(s.area, &s);
    assert!(a.table.height > before.table.height);
}

#[test]
fn help_lists_the_live_bindings() {
    let mut keys = BTreeMap::new();
    keys.insert("quit".to_string(), "ctrl-q".to_string());
    keys.insert("help".to_string(), "f1".to_string());
    let mut s = State::new(KeyMap::from_config(&keys).unwrap(), Theme::default(), 10);
    s.area = ratatui::layout::Rect::new(0, 0, W, 50);
    drive(&mut s, vec![key('?')]);
    assert!(!s.help, "? is no longer help");
    drive(&mut s, vec![code(KeyCode::F(1))]);
    assert!(s.help);
    let screen = render(&mut s, W, 50);
    assert!(screen.contains("ctrl-q") && screen.contains("quit"), "{screen}");
    assert!(screen.contains("f1"), "{screen}");
    drive(&mut s, vec![code(KeyCode::Esc)]);
    assert!(!s.help);
    // q is unbound now; ctrl-q quits.
    drive(&mut s, vec![key('q')]);
    assert!(!s.quit);
    drive(
        &mut s,
        vec![Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL))],
    );
    assert!(s.quit);
}

#[test]
fn palette_commands() {
    let (mut s, _) = fixture();
    let mut ev = vec![key(':')];
    ev.extend(text("sort cpu"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert_eq!(s.sort, SortKey::Cpu);
    assert_eq!(names(&s)[0], "alpha", "the only row with CPU use comes first");
    let mut ev = vec![key(':')];
    ev.extend(text("host tcp://10.0.0.9:2375"));
    ev.push(code(KeyCode::Enter));
    let acts = drive(&mut s, ev);
    assert!(
        acts.contains(&Action::AddHost("tcp://10.0.0.9:2375".into())),
        "{acts:?}"
    );
    let mut ev = vec![key(':')];
    ev.extend(text("bogus"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert!(
        s.message.as_ref().is_some_and(|m| m.text.contains("unknown command")),
        "{:?}",
        s.message
    );
    // A unique prefix works, Tab completes.
    let mut ev = vec![key(':')];
    ev.extend(text("cre"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert!(matches!(s.dialog, Some(Dialog::Create(_))));
}

#[test]
fn create_and_run_dialogs_send_actions() {
    let (mut s, rows) = fixture();
    let mut ev = vec![key('c'), code(KeyCode::Right), code(KeyCode::Tab)];
    ev.extend(text("my-box"));
    ev.extend([code(KeyCode::Tab), key(' '), code(KeyCode::Enter)]);
    let acts = drive(&mut s, ev);
    let Some(Action::Create { engine, opts }) = acts.iter().find(|a| matches!(a, Action::Create { .. })) else {
        panic!("no create: {acts:?}")
    };
    assert_eq!(engine.as_deref(), Some("docker"));
    assert_eq!(opts.profile.as_deref(), Some("locked"));
    assert_eq!(opts.name.as_deref(), Some("my-box"));
    assert_eq!(opts.persist, Some(true));
    assert!(s.progress.is_some(), "create shows progress");
    // A bad name is refused inside the dialog.
    let mut ev = vec![key('c'), code(KeyCode::Tab)];
    ev.extend(text("-bad"));
    ev.push(code(KeyCode::Enter));
    let acts = drive(&mut s, ev);
    assert!(!acts.iter().any(|a| matches!(a, Action::Create { .. })));
    let Some(Dialog::Create(c)) = &s.dialog else {
        panic!("dialog closed")
    };
    assert!(c.error.as_ref().is_some_and(|e| e.contains("bad sandbox name")));
    drive(&mut s, vec![code(KeyCode::Esc)]);

    let mut ev = vec![key('x')];
    ev.extend(text("echo hi"));
    ev.push(code(KeyCode::Enter));
    let acts = drive(&mut s, ev);
    // Without marks, `x` starts a detached process in the selected sandbox (SPEC 6.1).
    assert!(
        acts.iter().any(|a| matches!(a, Action::Procs(boxdeck::workers::procs::ProcAction::Start { target, command }) if command == "echo hi" && target.key == key_of(&rows[0]))),
        "{acts:?}"
    );
}

#[test]
fn mouse_selects_focuses_switches_tabs_and_scrolls() {
    let (mut s, _) = fixture();
    let a = boxdeck::views::layout(s.area, &s);
    let click = |col, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: col,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    // Third data row: border + header + 2.
    drive(&mut s, vec![click(5, a.table.y + 4)]);
    assert_eq!(s.selected, 2);
    assert_eq!(s.focus, Pane::Table);
    drive(&mut s, vec![click(5, a.detail.y + 3)]);
    assert_eq!(s.focus, Pane::Detail);
    // The "Inspect" title in the detail border.
    let screen = render(&mut s, W, H);
    let line = screen.lines().nth(a.detail.y as usize).unwrap();
    let col = line
        .chars()
        .take_while(|_| true)
        .collect::<String>()
        .find("Inspect")
        .map(|b| line[..b].chars().count())
        .unwrap();
    let acts = drive(&mut s, vec![click(col as u16 + 1, a.detail.y)]);
    assert_eq!(s.tab, Tab::Inspect);
    assert!(acts.iter().any(|a| matches!(a, Action::Inspect(_))), "{acts:?}");
    let wheel = Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: 5,
        row: a.table.y + 3,
        modifiers: KeyModifiers::NONE,
    });
    drive(&mut s, vec![wheel]);
    assert_eq!(s.selected, 3);
    // M turns capture off (an effect for the real terminal).
    drive(&mut s, vec![key('M')]);
    assert!(!s.mouse_capture);
}

#[test]
fn only_visible_rows_are_watched_and_selection_follows_logs() {
    let mut s = State::new(KeyMap::default(), Theme::default(), 10);
    s.now = NOW;
    s.area = ratatui::layout::Rect::new(0, 0, W, 30);
    let rows: Vec<Sandbox> = (0..1000)
        .map(|i| sb(&format!("box-{i:04}"), "docker", ContainerState::Running, true))
        .collect();
    on_msg(
        &mut s,
        Msg::Snapshot {
            engine: "docker".into(),
            rows: rows.clone(),
        },
    );
    let acts = drive(&mut s, vec![]);
    let Some(Action::Watch(w)) = acts.iter().find(|a| matches!(a, Action::Watch(_))) else {
        panic!("no watch: {acts:?}")
    };
    assert_eq!(w.len(), s.table_rows());
    assert!(w.len() < 30);
    assert!(acts.contains(&Action::FollowLogs(Some(key_of(&rows[0])))));
    let acts = drive(&mut s, vec![code(KeyCode::End)]);
    let Some(Action::Watch(w)) = acts.iter().find(|a| matches!(a, Action::Watch(_))) else {
        panic!("no watch after scrolling: {acts:?}")
    };
    assert_eq!(w.last(), Some(&key_of(&rows[999])));
    assert!(acts.contains(&Action::FollowLogs(Some(key_of(&rows[999])))));
    // Nothing changes: nothing is sent, nothing is redrawn.
    let acts = drive(&mut s, vec![]);
    assert!(acts.is_empty(), "{acts:?}");
    assert!(!s.dirty);
}

#[test]
fn worker_messages_update_rows_and_quit() {
    let (mut s, rows) = fixture();
    let mut stopped = rows[0].clone();
    stopped.state = ContainerState::Exited;
    stopped.status = "Exited (137) 1 second ago".into();
    on_msg(&mut s, Msg::Upsert(stopped));
    assert_eq!(s.rows[&key_of(&rows[0])].sb.state, ContainerState::Exited);
    assert_eq!(s.rows[&key_of(&rows[0])].stats, None, "a stopped row shows no stats");
    s.marks.insert(key_of(&rows[1]));
    on_msg(&mut s, Msg::Removed(key_of(&rows[1])));
    assert!(!names(&s).contains(&"beta".to_string()));
    assert!(s.marks.is_empty(), "a removed row loses its mark");
    on_msg(&mut s, Msg::Error("engine docker: boom".into()));
    let screen = render(&mut s, W, H);
    assert!(screen.contains("engine docker: boom"), "{screen}");
    on_msg(&mut s, Msg::Quit);
    assert!(s.quit);
}

#[test]
fn logs_tab_keys_search_filter_save_and_resume() {
    let (mut s, rows) = fixture();
    let k = key_of(&rows[0]);
    on_msg(&mut s, Msg::LogReset(k.clone()));
    for (i, line) in ["boot ok", "error: disk full", "retrying", "error: disk still full"]
        .iter()
        .enumerate()
    {
        on_msg(
            &mut s,
            Msg::Log {
                key: k.clone(),
                chunk: LogChunk {
                    stream: StreamKind::Stdout,
                    data: format!("2027-01-15T08:00:0{i}.000000000Z {line}\n").into(),
                },
            },
        );
    }
    // Tab focuses the detail pane; / there searches the log, not the table.
    let mut ev = vec![code(KeyCode::Tab), key('/')];
    ev.extend(text("error"));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    assert_eq!(s.filter, "", "the table filter is untouched");
    assert_eq!(s.logs.search_query(), Some("error"));
    assert_eq!(s.logs.match_count(), 2);
    drive(&mut s, vec![key('f')]);
    assert!(s.logs.filter_active());
    assert_eq!(s.logs.view_len(), 2, "filter mode shows only matching lines");
    let screen = render(&mut s, W, H);
    assert!(
        screen.contains("error: disk full") && !screen.contains("retrying"),
        "{screen}"
    );
    drive(&mut s, vec![key('t')]);
    assert!(s.logs.show_timestamps());
    // Save (the dialog proposes a name; the path is typed over it).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.log");
    let mut ev = vec![
        key('S'),
        Event::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    ];
    ev.extend(text(path.to_str().unwrap()));
    ev.push(code(KeyCode::Enter));
    drive(&mut s, ev);
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(saved.lines().count(), 2, "{saved}");
    assert!(
        saved.contains("2027-01-15T08:00:01"),
        "timestamps shown are saved: {saved}"
    );
    // Esc clears the search first, then leaves the pane.
    drive(&mut s, vec![code(KeyCode::Esc)]);
    assert_eq!(s.logs.search_query(), None);
    assert_eq!(s.focus, Pane::Detail);
    // A cut follow resumes from the newest line's second.
    let acts = {
        on_msg(&mut s, Msg::LogResume(k.clone()));
        drive(&mut s, vec![])
    };
    let Some(Action::ResumeLogs { key: rk, since }) = acts.iter().find(|a| matches!(a, Action::ResumeLogs { .. }))
    else {
        panic!("no resume: {acts:?}")
    };
    assert_eq!(rk, &k);
    let newest = chrono::DateTime::parse_from_rfc3339("2027-01-15T08:00:03Z")
        .unwrap()
        .timestamp();
    assert_eq!(*since, Some(newest));
    // The lines sent again after a resume are not shown twice.
    on_msg(
        &mut s,
        Msg::Log {
            key: k.clone(),
            chunk: LogChunk {
                stream: StreamKind::Stdout,
                data:
                    "2027-01-15T08:00:03.000000000Z error: disk still full\n2027-01-15T08:00:04.000000000Z recovered\n"
                        .into(),
            },
        },
    );
    assert_eq!(s.logs.len(), 5);
}

#[test]
fn tiny_terminals_draw_every_pane_and_dialog_without_panic() {
    for (w, h) in [(1, 1), (2, 3), (10, 4), (20, 6), (40, 8)] {
        let (mut s, rows) = fixture();
        s.area = ratatui::layout::Rect::new(0, 0, w, h);
        on_msg(
            &mut s,
            Msg::Details {
                key: key_of(&rows[0]),
                details: Box::new(details(&rows[0])),
            },
        );
        on_msg(
            &mut s,
            Msg::EngineDown {
                engine: "podman".into(),
                error: "gone".into(),
                retry_secs: 2,
            },
        );
        for tab in Tab::ALL {
            s.tab = tab;
            render(&mut s, w, h);
        }
        for ev in [
            vec![key('d')],
            vec![key('c'), code(KeyCode::Tab)],
            vec![key('x')],
            vec![key('?')],
        ] {
            s.dialog = None;
            s.help = false;
            drive(&mut s, ev);
            render(&mut s, w, h);
        }
        s.dialog = None;
        s.help = false;
        drive(&mut s, vec![key(':')]);
        render(&mut s, w, h);
        drive(&mut s, vec![code(KeyCode::Esc), code(KeyCode::Tab), key('S')]);
        render(&mut s, w, h);
        drive(&mut s, vec![code(KeyCode::Esc), key('z')]);
        render(&mut s, w, h);
    }
}

#[test]
fn identical_stats_do_not_redraw() {
    let (mut s, rows) = fixture();
    let k = key_of(&rows[0]);
    let sample = s.rows[&k].stats.unwrap();
    drive(&mut s, vec![]);
    assert!(!s.dirty);
    on_msg(&mut s, Msg::Stats { key: k.clone(), sample });
    assert!(!s.dirty, "the same numbers: nothing to redraw");
    let mut busier = sample;
    busier.cpu_percent += 1.0;
    on_msg(&mut s, Msg::Stats { key: k, sample: busier });
    assert!(s.dirty);
}

#[test]
fn log_lines_redraw_only_when_the_logs_tab_shows() {
    let (mut s, rows) = fixture();
    let k = key_of(&rows[0]);
    let line = |n: u32| Msg::Log {
        key: k.clone(),
        chunk: LogChunk {
            stream: StreamKind::Stdout,
            data: format!("line {n}\n").into(),
        },
    };
    drive(&mut s, vec![]);
    on_msg(&mut s, line(1));
    assert!(s.dirty, "the Logs tab is showing");
    drive(&mut s, vec![key(']'), key(']'), key(']')]);
    assert_eq!(s.tab, Tab::Inspect);
    assert!(!s.dirty);
    on_msg(&mut s, line(2));
    assert!(!s.dirty, "a hidden log costs no frame");
    assert_eq!(s.logs.len(), 2, "but the line is kept");
}

#[test]
fn keys_typed_while_a_session_opens_wait_for_it() {
    use boxdeck::emulator::tabs::Typed;
    use boxdeck::emulator::{Session, Status};
    use std::sync::Arc;
    let (mut s, rows) = fixture();
    // alpha (running) is selected: Enter asks the worker for a session.
    let mut events = vec![code(KeyCode::Enter)];
    events.extend(text("cd /q"));
    events.push(Event::Paste("pasted".into()));
    let acts = drive(&mut s, events);
    assert!(
        acts.iter()
            .any(|a| matches!(a, Action::OpenSession { target, .. } if target.key == key_of(&rows[0]))),
        "{acts:?}"
    );
    // None of it reached the dashboard: no create dialog (c), no quit (q), no filter (/).
    assert!(
        s.dialog.is_none() && !s.quit && matches!(s.mode, Mode::Normal),
        "{:?}",
        s.mode
    );
    let typed: Vec<Typed> = "cd /q"
        .chars()
        .map(|c| Typed::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
        .chain([Typed::Paste("pasted".into())])
        .collect();
    assert_eq!(s.sessions.typeahead, typed, "kept, in order, for the shell");
    assert_eq!(s.sessions.awaiting, Some(key_of(&rows[0])));

    // A failed open drops it; the dashboard's keys work again.
    on_msg(&mut s, Msg::SessionFailed(key_of(&rows[0])));
    assert!(s.sessions.awaiting.is_none() && s.sessions.typeahead.is_empty());
    drive(&mut s, vec![key('c')]);
    assert!(matches!(s.dialog, Some(Dialog::Create(_))), "c creates again");
    drive(&mut s, vec![code(KeyCode::Esc)]);

    // Ctrl-] while it opens: no type-ahead, the dashboard has the keys.
    drive(&mut s, vec![code(KeyCode::Enter)]);
    assert!(s.sessions.awaiting.is_some());
    drive(
        &mut s,
        vec![
            Event::Key(KeyEvent::new(KeyCode::Char(']'), KeyModifiers::CONTROL)),
            key('j'),
        ],
    );
    assert!(s.sessions.awaiting.is_none() && s.sessions.typeahead.is_empty());
    // It still opens, as a tab that does not take the keys.
    let replay = |bytes: &[u8]| Arc::new(Session::replay(80, 6, bytes, Status::Running));
    on_msg(
        &mut s,
        Msg::SessionOpened {
            key: key_of(&rows[0]),
            name: "alpha".into(),
            session: replay(b"$ "),
        },
    );
    assert_eq!(s.sessions.tabs.len(), 1);
    assert!(!s.sessions.focused, "the cancelled session does not take the keys");

    // Waited for: it takes focus and gets what was typed meanwhile.
    s.focus = Pane::Table;
    s.select(3);
    let gamma = s.selected_key().cloned().unwrap();
    assert_eq!(s.rows[&gamma].sb.name, "gamma-beta");
    drive(&mut s, vec![code(KeyCode::Enter), key('l'), key('s')]);
    assert_eq!(s.sessions.awaiting, Some(gamma.clone()));
    assert_eq!(s.sessions.typeahead.len(), 2);
    on_msg(
        &mut s,
        Msg::SessionOpened {
            key: gamma,
            name: "gamma-beta".into(),
            session: replay(b"# "),
        },
    );
    assert!(s.sessions.focused && s.sessions.active == 1 && s.sessions.typeahead.is_empty());
    assert!(s.sessions.awaiting.is_none());
}

#[test]
fn snapshot_session_panes_live_and_ended() {
    use boxdeck::emulator::{Session, Status};
    use std::sync::Arc;
    let (mut s, rows) = fixture();
    let live = b"bash-5.2# ls --color=always /\r\n\x1b[1;34mbin\x1b[0m  \x1b[1;34metc\x1b[0m  \x1b[1;34mtmp\x1b[0m  notes.txt\r\n\
bash-5.2# echo $((6*7))\r\n42\r\nbash-5.2# ";
    let ended = b"bash-5.2# make test\r\nrunning 12 tests\r\n";
    for (sb, bytes, status) in [
        (&rows[0], &live[..], Status::Running),
        (
            &rows[2],
            &ended[..],
            Status::Failed("connection lost: engine docker: the engine's socket is gone".into()),
        ),
    ] {
        // As after Enter on the row: the session is awaited.
        s.sessions.awaiting = Some(key_of(sb));
        on_msg(
            &mut s,
            Msg::SessionOpened {
                key: key_of(sb),
                name: sb.name.clone(),
                session: Arc::new(Session::replay(100, 8, bytes, status)),
            },
        );
    }
    // The first tab focused (the newest opened is active: go back to the first).
    s.sessions.active = 0;
    s.sessions.focused = true;
    insta::assert_snapshot!("session_focused", render(&mut s, W, 24));
    // Unfocused, on the ended tab: why it ended, and that Enter opens a new shell.
    s.sessions.focused = false;
    s.sessions.active = 1;
    insta::assert_snapshot!("session_ended_unfocused", render(&mut s, W, 24));
}

#[test]
fn a_terminal_resize_resizes_hidden_sessions_too() {
    use boxdeck::emulator::{Session, Status};
    use std::sync::Arc;
    let (mut s, rows) = fixture();
    for sb in [&rows[0], &rows[2]] {
        s.sessions.awaiting = Some(key_of(sb));
        on_msg(
            &mut s,
            Msg::SessionOpened {
                key: key_of(sb),
                name: sb.name.clone(),
                session: Arc::new(Session::replay(40, 5, b"$ ", Status::Running)),
            },
        );
    }
    // Shown: the second tab. Draw once, then make the terminal wider and taller.
    render(&mut s, W, H);
    boxdeck::app::handlers::on_event(&mut s, Event::Resize(W + 20, H + 10));
    render(&mut s, W + 20, H + 10);
    let shown = s.sessions.tabs[1].session.size();
    let hidden = s.sessions.tabs[0].session.size();
    assert_eq!(hidden, shown, "the hidden session has the pane's size too");
    assert_eq!(shown.0, W + 20 - 2, "the pane spans the new width inside its border");
    // Zoomed on the table there is no pane to size to: sessions keep their size.
    s.focus = Pane::Table;
    s.zoom = true;
    boxdeck::app::handlers::on_event(&mut s, Event::Resize(W, H));
    assert_eq!(s.sessions.tabs[0].session.size(), hidden);
}
