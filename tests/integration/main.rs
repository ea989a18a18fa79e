//! boxdeck's integration tests, built as one test binary (one link instead of one per file,
//! which keeps a clean build small and quick). Each module is one area; most talk to the real
//! Docker and Podman engines that `scripts/engines.sh` starts, and the pseudo-terminal ones run
//! the real `boxdeck` binary and read its screen. Run one area with
//! `cargo test --test integration <module>::`.

mod common;

mod bulk;
mod bulk_e2e;
mod cli;
mod cli_errors;
mod dashboard;
mod dashboard_e2e;
mod dashboard_procs;
mod dashboard_procs_e2e;
mod dashboard_procs_engine;
mod dashboard_workers;
mod fanout;
mod logview_engine;
mod procs;
mod prune_cli;
mod prune_e2e;
mod prune_race;
mod prune_rule;
mod prune_safety;
mod prune_view;
mod pull;
mod session;
mod session_dashboard;
mod session_fidelity;
mod session_shell;
