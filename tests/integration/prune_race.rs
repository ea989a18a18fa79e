//! A sandbox that changes between the prune preview and the removal is skipped, never
//! removed (SPEC 7.2 / issue 6), against the real engines.

use crate::common;

use boxdeck::engine::{CreateSpec, Engine};
use boxdeck::sandbox::Fleet;
use boxdeck::sandbox::labels;
use boxdeck::sandbox::prune::{self, PruneOptions, PruneOutcome};
use common::{RUN_LABEL, RunId, TEST_IMAGE};

async fn exited_sandbox(engine: &Engine, run: &RunId, base: &str) -> String {
    let name = run.name(base);
    let mut l = labels::for_new_sandbox(&name, false, None, "default", &boxdeck::util::now_rfc3339());
    l.insert(RUN_LABEL.into(), run.id.clone());
    let id = engine
        .create(&CreateSpec {
            name,
            image: TEST_IMAGE.into(),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels: l,
            network: Some("none".into()),
            ..Default::default()
        })
        .await
        .expect("create");
    engine.start(&id).await.expect("start");
    engine.stop(&id, 0).await.expect("stop");
    id
}

#[test]
fn changed_since_preview_is_skipped_and_kept() {
    for te in common::engines() {
        let run = RunId::new(std::slice::from_ref(&te));
        common::rt().block_on(async {
            let engine = te.connect().await;
            let fleet = Fleet::from_engines(vec![engine.clone()]);
            let started = exited_sandbox(&engine, &run, "started").await;
            let restarted = exited_sandbox(&engine, &run, "restarted").await;
            let paused = exited_sandbox(&engine, &run, "paused").await;
            let gone = exited_sandbox(&engine, &run, "gone").await;
            let untouched = exited_sandbox(&engine, &run, "untouched").await;
            let opts = PruneOptions {
                labels: vec![run.label()],
                ..Default::default()
            };
            let plan = prune::plan(&fleet, &opts).await.expect("plan");
            assert_eq!(plan.remove.len(), 5, "{:?}", plan.remove);
            assert!(plan.remove.iter().all(|i| i.fingerprint.is_some()));

            // Between preview and removal: one is started, one restarted and stopped again
            // (same state, different run), one started and paused, one removed by someone else.
            engine.start(&started).await.unwrap();
            engine.start(&restarted).await.unwrap();
            engine.stop(&restarted, 0).await.unwrap();
            engine.start(&paused).await.unwrap();
            engine.pause(&paused).await.unwrap();
            engine.remove(&gone, true, true).await.unwrap();

            let mut seen = Vec::new();
            let report = prune::execute(&fleet, &plan, &opts, &mut |item, o| {
                seen.push((item.sandbox.id.clone(), o.clone()));
            })
            .await;
            assert_eq!(seen.len(), 5, "progress is told every item");
            let removed: Vec<&str> = report.removed.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(removed, vec![untouched.as_str()], "{} report: {report:?}", te.kind);
            assert!(report.failed.is_empty(), "{:?}", report.failed);
            let reason = |id: &str| {
                report
                    .skipped
                    .iter()
                    .find(|(s, _)| s.id == id)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| panic!("{id} not skipped: {report:?}"))
            };
            assert!(reason(&started).contains("running"), "{}", reason(&started));
            assert!(
                reason(&restarted).contains("since the preview"),
                "{}",
                reason(&restarted)
            );
            assert!(reason(&paused).contains("paused"), "{}", reason(&paused));
            assert!(reason(&gone).contains("gone"), "{}", reason(&gone));
            for id in [&started, &restarted, &paused] {
                engine.inspect(id).await.expect("a changed sandbox must still exist");
            }
            assert!(engine.inspect(&untouched).await.is_err());
            assert!(matches!(
                seen.iter().find(|(id, _)| *id == untouched).unwrap().1,
                PruneOutcome::Removed { .. }
            ));
        });
    }
}

/// The plan carried out at once (`prune --yes`): no fingerprints and no pre-removal inspect,
/// but a sandbox started or paused after the listing is still never removed: the engine
/// refuses a non-forced removal, and the refusal is reported as a skip.
#[test]
fn started_after_the_listing_is_kept_without_a_preview() {
    for te in common::engines() {
        let run = RunId::new(std::slice::from_ref(&te));
        common::rt().block_on(async {
            let engine = te.connect().await;
            let fleet = Fleet::from_engines(vec![engine.clone()]);
            let started = exited_sandbox(&engine, &run, "q-started").await;
            let paused = exited_sandbox(&engine, &run, "q-paused").await;
            let gone = exited_sandbox(&engine, &run, "q-gone").await;
            let untouched = exited_sandbox(&engine, &run, "q-untouched").await;
            let opts = PruneOptions {
                labels: vec![run.label()],
                ..Default::default()
            };
            let plan = prune::plan_at_once(&fleet, &opts).await.expect("plan");
            assert_eq!(plan.remove.len(), 4);
            assert!(plan.remove.iter().all(|i| i.fingerprint.is_none()));
            engine.start(&started).await.unwrap();
            engine.start(&paused).await.unwrap();
            engine.pause(&paused).await.unwrap();
            engine.remove(&gone, true, true).await.unwrap();
            let report = prune::execute(&fleet, &plan, &opts, &mut |_, _| {}).await;
            let removed: Vec<&str> = report.removed.iter().map(|s| s.id.as_str()).collect();
            assert_eq!(removed, vec![untouched.as_str()], "{} report: {report:?}", te.kind);
            assert!(report.failed.is_empty(), "{:?}", report.failed);
            let reason = |id: &str| {
                report
                    .skipped
                    .iter()
                    .find(|(s, _)| s.id == id)
                    .map(|(_, r)| r.clone())
                    .unwrap_or_else(|| panic!("{id} not skipped: {report:?}"))
            };
            assert!(reason(&started).contains("now running"), "{}", reason(&started));
            assert!(reason(&paused).contains("now paused"), "{}", reason(&paused));
            assert!(reason(&gone).contains("gone"), "{}", reason(&gone));
            engine.inspect(&started).await.expect("started sandbox kept");
            engine.inspect(&paused).await.expect("paused sandbox kept");
        });
    }
}
