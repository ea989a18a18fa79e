//! The unfiltered default prune rule and every option combination, over seeded random
//! listings (no engine needed): `prune::select` must pick exactly the set computed here
//! independently from SPEC 7.2. The real engines are exercised by tests/integration/prune_safety.rs, which
//! has to narrow every real run to its own containers; this test covers the rule unnarrowed,
//! including states and label values that are hard to produce on a real engine (dead,
//! removing, restarting, `managed=True`, `persist=yes`, malformed `created-at`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use boxdeck::engine::{ContainerState, ContainerSummary};
use boxdeck::sandbox::labels;
use boxdeck::sandbox::prune::{PruneOptions, select};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const NOW: i64 = 1_900_000_000;
const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
struct Facts {
    managed: bool,
    stopped: bool,
    /// Persist label is absent or "false" in any case.
    deletable_persist: bool,
    project: Option<&'static str>,
    team_x: bool,
    /// Age in seconds as the rule must see it.
    age: i64,
}

fn random_container(rng: &mut StdRng, i: usize) -> (ContainerSummary, Facts) {
    use ContainerState::*;
    let state = *[Running, Paused, Restarting, Created, Exited, Removing, Dead, Unknown]
        .choose(rng)
        .unwrap();
    let mut l = BTreeMap::new();
    let managed_v = *[
        Some("true"),
        Some("true"),
        Some("true"),
        Some("True"),
        Some("false"),
        None,
    ]
    .choose(rng)
    .unwrap();
    if let Some(v) = managed_v {
        l.insert(labels::MANAGED.to_string(), v.to_string());
    }
    let persist_v = *[Some("true"), Some("false"), Some("False"), Some("yes"), Some(""), None]
        .choose(rng)
        .unwrap();
    if let Some(v) = persist_v {
        l.insert(labels::PERSIST.to_string(), v.to_string());
    }
    let project = *[Some("a"), Some("b"), None].choose(rng).unwrap();
    if let Some(p) = project {
        l.insert(labels::PROJECT.to_string(), p.to_string());
    }
    let team_x = rng.random_bool(0.3);
    if team_x {
        l.insert("team".into(), "x".into());
    } else if rng.random_bool(0.3) {
        l.insert("team".into(), "y".into());
    }
    // Ages: the label when it parses, else the engine's creation time.
    let engine_age = rng.random_range(0..5 * DAY);
    let label_age = rng.random_range(0..5 * DAY);
    let age = match rng.random_range(0..4) {
        0 => {
            let t = chrono::DateTime::from_timestamp(NOW - label_age, 0).unwrap();
            l.insert(
                labels::CREATED_AT.into(),
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
            label_age
        }
        1 => {
            // pocketdock writes Python's isoformat with microseconds and +00:00.
            let t = chrono::DateTime::from_timestamp(NOW - label_age, 0).unwrap();
            l.insert(
                labels::CREATED_AT.into(),
                t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string(),
            );
            label_age
        }
        2 => {
            l.insert(labels::CREATED_AT.into(), "not a time".into());
            engine_age
        }
        _ => engine_age,
    };
    let c = ContainerSummary {
        id: format!("{i:064x}"),
        name: format!("c{i}"),
        image: "i".into(),
        state,
        status: String::new(),
        health: None,
        labels: l,
        created: NOW - engine_age,
        size_rw: Some(i as i64),
        engine: if i.is_multiple_of(2) { "docker" } else { "podman" }.into(),
    };
    let facts = Facts {
        managed: managed_v == Some("true"),
        stopped: matches!(state, Created | Exited | Dead),
        deletable_persist: persist_v.is_none_or(|v| v.eq_ignore_ascii_case("false")),
        project,
        team_x,
        age,
    };
    (c, facts)
}

fn expected(f: &Facts, o: &PruneOptions) -> bool {
    f.managed
        && f.stopped
        && (o.include_persistent || f.deletable_persist)
        && o.project.as_deref().is_none_or(|p| f.project == Some(p))
        && (o.labels.is_empty() || f.team_x)
        && o.older_than.is_none_or(|d| f.age >= d.as_secs() as i64)
}

#[test]
fn select_matches_the_spec_for_every_option() {
    for seed in [1_u64, 42, 2026] {
        let mut rng = StdRng::seed_from_u64(seed);
        let all: Vec<(ContainerSummary, Facts)> = (0..400).map(|i| random_container(&mut rng, i)).collect();
        let listing: Vec<ContainerSummary> = all.iter().map(|(c, _)| c.clone()).collect();
        let mut checked_nonempty = 0;
        for include_persistent in [false, true] {
            for older_than in [
                None,
                Some(Duration::from_secs(DAY as u64)),
                Some(Duration::from_secs(0)),
            ] {
                for project in [None, Some("a".to_string())] {
                    for labels in [vec![], vec!["team=x".to_string()]] {
                        for volumes in [false, true] {
                            let o = PruneOptions {
                                include_persistent,
                                older_than,
                                project: project.clone(),
                                labels: labels.clone(),
                                volumes,
                            };
                            let plan = select(&listing, &o, NOW);
                            let got: BTreeSet<&str> = plan.remove.iter().map(|i| i.sandbox.id.as_str()).collect();
                            let want: BTreeSet<&str> = all
                                .iter()
                                .filter(|(_, f)| expected(f, &o))
                                .map(|(c, _)| c.id.as_str())
                                .collect();
                            assert_eq!(got, want, "seed {seed}, options {o:?}");
                            // Everything is accounted for: removed or kept with a reason.
                            assert_eq!(plan.remove.len() + plan.kept.len(), listing.len());
                            // Nothing outside the rule's hard limits, whatever the options.
                            for i in &plan.remove {
                                let c = listing.iter().find(|c| c.id == i.sandbox.id).unwrap();
                                assert!(labels::is_managed(&c.labels));
                                assert!(!c.state.is_live());
                            }
                            checked_nonempty += usize::from(!want.is_empty());
                        }
                    }
                }
            }
        }
        assert!(
            checked_nonempty > 40,
            "the population exercises the options ({checked_nonempty})"
        );
    }
}
