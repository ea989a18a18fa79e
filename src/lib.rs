//! boxdeck: a terminal dashboard and headless CLI for sandbox containers on Docker and Podman.
//!
//! Layout, by layer:
//! - [`engine`]: the only module that talks to the container engines (bollard lives here).
//! - [`sandbox`]: the sandbox model: pocketdock labels, name resolution, create, prune, run.
//! - [`config`]: the config file, profiles and pocketdock projects.
//! - [`cli`]: the headless subcommands.
//! - [`app`], [`state`], [`views`], [`workers`], [`tui`]: the dashboard.
//! - [`logview`]: the log pane model (bounded ring, ANSI sanitising, search) and its widget.
//! - [`procview`]: the Processes tab model and the fan-out results view, with their drawing.

pub mod app;
pub mod cli;
pub mod config;
pub mod emulator;
pub mod engine;
pub mod error;
pub mod logview;
pub mod procview;
pub mod sandbox;
pub mod state;
pub mod tui;
pub mod util;
pub mod views;
pub mod workers;

pub use error::{Error, ErrorKind, Result};
