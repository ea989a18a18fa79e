//! boxdeck: a terminal dashboard and headless CLI for sandbox containers on Docker and Podman.
//!
//! Layout, by layer:
//! - [`engine`]: the only module that talks to the container engines (bollard lives here).
//! - [`sandbox`]: the sandbox model: pocketdock labels, name resolution, create, prune, run.
//! - [`config`]: the config file, profiles and pocketdock projects.
//! - [`cli`]: the headless subcommands.

pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod procview;
pub mod sandbox;
pub mod util;

pub use error::{Error, ErrorKind, Result};
