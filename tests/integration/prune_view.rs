//! The dashboard's prune dialog and bulk progress panel (issue 6) on ratatui's TestBackend:
//! snapshots of the preview, the progress and the summary, and the key flows through the real
//! run loop (`app::run`). Rows and plans are plain data fed through the same `Msg`s the engine
//! workers send; the real-engine flow is in tests/prune_e2e.rs.

use crate::common;

use boxdeck::app::handlers::on_msg;
use boxdeck::app::keymap::KeyMap;
use boxdeck::app::msg::{Action, Msg, Verb};
use boxdeck::engine::ContainerState;
use boxdeck::sandbox::Sandbox;
use boxdeck::sandbox::prune::{KeepReason, PruneItem, PruneOptions, PruneOutcome, PrunePlan};
use boxdeck::state::{Dialog, State};
use boxdeck::views::bulk::BulkStatus;
use boxdeck::views::prune::{ItemStatus, Phase};
use boxdeck::views::theme::Theme;
use crossterm::event::{Event, KeyCode};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::ui::{code, key};

fn render(s: &mut State) -> String {
    common::ui::render(s, W, H)
}

const W: u16 = 110;
const H: u16 = 30;

fn sb(name: &str, engine: &str, state: ContainerState) -> Sandbox {
    Sandbox {
        name: name.into(),
        id: format!("{:0<64}", name.bytes().map(|b| format!("{b:02x}")).collect::<String>()),
        engine: engine.into(),
        state,
        health: None,
        status: String::new(),
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
    s.now = 1_800_000_000;
    s.area = ratatui::layout::Rect::new(0, 0, W, H);
    let mut old = sb("old-job", "docker", ContainerState::Exited);
    old.project = Some("webapp".into());
    let rows = vec![
        sb("alpha", "docker", ContainerState::Running),
        sb("beta", "docker", ContainerState::Exited),
        old,
        sb("delta", "podman", ContainerState::Created),
        sb("echo", "podman", ContainerState::Running),
    ];
    for e in ["docker", "podman"] {
        on_msg(
            &mut s,
            Msg::EngineUp {
                engine: e.into(),
                detail: e.into(),
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
    (s, rows)
}

fn item(s: &Sandbox, size: u64) -> PruneItem {
    PruneItem {
        sandbox: s.clone(),
        size_bytes: size,
        engine_created: 0,
        fingerprint: None,
    }
}

fn plan(remove: Vec<PruneItem>, kept: Vec<(Sandbox, KeepReason)>) -> PrunePlan {
    PrunePlan { remove, kept }
}

fn drive(s: &mut State, events: Vec<Event>) -> Vec<Action> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut term = Terminal::new(TestBackend::new(s.area.width, s.area.height)).unwrap();
        let (atx, mut arx) = tokio::sync::mpsc::unbounded_channel();
        let (_mtx, mut mrx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
        let stream = futures::stream::iter(events.into_iter().map(Ok));
        boxdeck::app::run(&mut term, s, stream, &mut mrx, &atx, &mut |_| {})
            .await
            .unwrap();
        let mut out = Vec::new();
        // Only what this feature sends: not the on-screen bookkeeping (watch, logs, inspect).
        while let Ok(a) = arx.try_recv() {
            if !matches!(a, Action::Watch(_) | Action::FollowLogs(_) | Action::Inspect(_)) {
                out.push(a);
            }
        }
        out
    })
}

fn prune_view(s: &State) -> &boxdeck::views::prune::PruneView {
    match &s.dialog {
        Some(Dialog::Prune(p)) => p,
        other => panic!("no prune dialog: {other:?}"),
    }
}

#[test]
fn preview_confirm_progress_and_summary() {
    let (mut s, rows) = fixture();
    let acts = drive(&mut s, vec![key('P')]);
    assert_eq!(acts, vec![Action::PrunePlan(PruneOptions::default())]);
    assert_eq!(prune_view(&s).phase, Phase::Planning);
    insta::assert_snapshot!("prune_planning", render(&mut s));

    let docker_plan = plan(
        vec![item(&rows[1], 4096), item(&rows[2], 3 * 1024 * 1024)],
        vec![(rows[0].clone(), KeepReason::Live)],
    );
    on_msg(
        &mut s,
        Msg::PrunePlanned {
            engine: "docker".into(),
            plan: docker_plan.clone(),
        },
    );
    assert_eq!(prune_view(&s).phase, Phase::Planning, "still waiting for podman");
    let podman_plan = plan(vec![item(&rows[3], 0)], vec![(rows[4].clone(), KeepReason::Live)]);
    on_msg(
        &mut s,
        Msg::PrunePlanned {
            engine: "podman".into(),
            plan: podman_plan.clone(),
        },
    );
    assert_eq!(prune_view(&s).phase, Phase::Preview);
    let screen = render(&mut s);
    assert!(screen.contains("Will remove 3 stopped sandboxes (3.0 MiB)"), "{screen}");
    assert!(screen.contains("kept: 2 running or paused"), "{screen}");
    insta::assert_snapshot!("prune_preview", screen);

    // Confirm: each engine gets exactly its part of the plan that was shown.
    let acts = drive(&mut s, vec![key('y')]);
    assert_eq!(
        acts,
        vec![
            Action::PruneRun {
                plan: PrunePlan {
                    remove: docker_plan.remove.clone(),
                    kept: Vec::new()
                },
                opts: PruneOptions::default()
            },
            Action::PruneRun {
                plan: PrunePlan {
                    remove: podman_plan.remove.clone(),
                    kept: Vec::new()
                },
                opts: PruneOptions::default()
            },
        ]
    );
    assert_eq!(prune_view(&s).phase, Phase::Running);
    on_msg(
        &mut s,
        Msg::PruneItem {
            engine: "docker".into(),
            id: rows[2].id.clone(),
            outcome: PruneOutcome::Removed { bytes: 3 * 1024 * 1024 },
        },
    );
    // Keys other than scrolling do nothing while removing: it cannot be called back halfway.
    drive(&mut s, vec![code(KeyCode::Esc), key('n')]);
    assert_eq!(prune_view(&s).phase, Phase::Running);
    insta::assert_snapshot!("prune_running", render(&mut s));

    on_msg(
        &mut s,
        Msg::PruneItem {
            engine: "docker".into(),
            id: rows[1].id.clone(),
            outcome: PruneOutcome::Skipped {
                reason: "now running (changed since the preview)".into(),
            },
        },
    );
    on_msg(
        &mut s,
        Msg::PruneDone {
            engine: "docker".into(),
        },
    );
    assert_eq!(prune_view(&s).phase, Phase::Running, "podman is not done yet");
    on_msg(
        &mut s,
        Msg::PruneItem {
            engine: "podman".into(),
            id: rows[3].id.clone(),
            outcome: PruneOutcome::Failed {
                error: "engine podman: device or resource busy".into(),
            },
        },
    );
    on_msg(
        &mut s,
        Msg::PruneDone {
            engine: "podman".into(),
        },
    );
    let p = prune_view(&s);
    assert_eq!(p.phase, Phase::Done);
    assert_eq!(p.rows.iter().filter(|r| r.status == ItemStatus::Removed).count(), 1);
    let summary = "prune: removed 1 sandbox, reclaimed 3.0 MiB, 1 skipped, 1 failed";
    assert_eq!(p.summary(), summary);
    assert!(s.message.as_ref().is_some_and(|m| m.text == summary), "{:?}", s.message);
    let screen = render(&mut s);
    assert!(screen.contains("device or resource busy"), "{screen}");
    assert!(screen.contains("changed since the preview"), "{screen}");
    insta::assert_snapshot!("prune_summary", screen);
    drive(&mut s, vec![code(KeyCode::Esc)]);
    assert!(s.dialog.is_none());
}

#[test]
fn cancel_nothing_to_prune_and_palette_options() {
    let (mut s, rows) = fixture();
    drive(&mut s, vec![key('P')]);
    for e in ["docker", "podman"] {
        on_msg(
            &mut s,
            Msg::PrunePlanned {
                engine: e.into(),
                plan: plan(vec![item(&rows[1], 1)], Vec::new()),
            },
        );
    }
    // `n` cancels and sends nothing.
    let acts = drive(&mut s, vec![key('n')]);
    assert!(acts.is_empty(), "{acts:?}");
    assert!(s.dialog.is_none());

    // Nothing to prune: Enter closes without sending a run.
    drive(&mut s, vec![key('P')]);
    on_msg(
        &mut s,
        Msg::PrunePlanned {
            engine: "docker".into(),
            plan: plan(Vec::new(), vec![(rows[0].clone(), KeepReason::Live)]),
        },
    );
    on_msg(
        &mut s,
        Msg::PrunePlanFailed {
            engine: "podman".into(),
            error: "engine podman did not answer".into(),
        },
    );
    let screen = render(&mut s);
    assert!(screen.contains("Nothing to prune."), "{screen}");
    assert!(
        screen.contains("podman: engine podman did not answer (nothing removed there)"),
        "{screen}"
    );
    let acts = drive(&mut s, vec![key('y'), code(KeyCode::Enter)]);
    assert!(acts.is_empty(), "{acts:?}");
    assert!(s.dialog.is_none());

    // `:prune` with options.
    let mut ev = vec![key(':')];
    ev.extend("prune --older-than 2h --project webapp --volumes".chars().map(key));
    ev.push(code(KeyCode::Enter));
    let acts = drive(&mut s, ev);
    assert_eq!(
        acts,
        vec![Action::PrunePlan(PruneOptions {
            older_than: Some(std::time::Duration::from_secs(7200)),
            project: Some("webapp".into()),
            volumes: true,
            ..Default::default()
        })]
    );
    insta::assert_snapshot!("prune_planning_with_options", render(&mut s));
    drive(&mut s, vec![code(KeyCode::Esc)]);
    let mut ev = vec![key(':')];
    ev.extend("prune --force".chars().map(key));
    ev.push(code(KeyCode::Enter));
    let acts = drive(&mut s, ev);
    assert!(acts.is_empty());
    assert!(s.dialog.is_none());
    let m = s.message.as_ref().expect("an error message");
    assert!(m.text.contains("prune does not take '--force'"), "{}", m.text);
}

#[test]
fn bulk_panel_progress_and_failures() {
    let (mut s, rows) = fixture();
    let acts = drive(&mut s, vec![key('A'), key('r')]);
    let Some(Action::Lifecycle {
        verb: Verb::Restart,
        targets,
    }) = acts.first()
    else {
        panic!("{acts:?}")
    };
    assert_eq!(targets.len(), 5);
    let b = s.bulk.as_ref().expect("a bulk panel for several targets");
    assert_eq!(b.rows.len(), 5);
    assert!(s.dialog.is_none(), "the panel is not modal");
    let item = |s: &mut State, r: &Sandbox, status: BulkStatus| {
        on_msg(
            s,
            Msg::BulkItem {
                engine: r.engine.clone(),
                id: r.id.clone(),
                status,
            },
        )
    };
    item(&mut s, &rows[0], BulkStatus::Working);
    item(&mut s, &rows[1], BulkStatus::Done(None));
    item(
        &mut s,
        &rows[3],
        BulkStatus::Failed("engine podman: container state improper".into()),
    );
    insta::assert_snapshot!("bulk_running", render(&mut s));
    // The dashboard keeps working under the panel.
    let before = s.selected;
    drive(&mut s, vec![key('j')]);
    assert_eq!(s.selected, before + 1);
    for r in [&rows[0], &rows[2]] {
        item(&mut s, r, BulkStatus::Done(None));
    }
    on_msg(
        &mut s,
        Msg::BulkDone {
            engine: "docker".into(),
        },
    );
    assert!(!s.bulk.as_ref().unwrap().finished());
    on_msg(
        &mut s,
        Msg::BulkDone {
            engine: "podman".into(),
        },
    );
    let b = s.bulk.as_ref().expect("failures keep the panel open");
    assert_eq!(
        b.failures(),
        vec![
            ("delta", "engine podman: container state improper"),
            ("echo", "no answer from the engine")
        ]
    );
    assert_eq!(
        b.summary(),
        "restart: 3 of 5 done; 2 failed: delta: engine podman: container state improper; echo: no answer from the engine"
    );
    insta::assert_snapshot!("bulk_failures", render(&mut s));
    drive(&mut s, vec![code(KeyCode::Esc)]);
    assert!(s.bulk.is_none());

    // All fine: the panel closes by itself.
    drive(&mut s, vec![key('A'), key('r')]);
    for r in &rows {
        item(&mut s, r, BulkStatus::Done(None));
    }
    for e in ["docker", "podman"] {
        on_msg(&mut s, Msg::BulkDone { engine: e.into() });
    }
    assert!(s.bulk.is_none());
}
