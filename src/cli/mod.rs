//! The headless CLI (SPEC 8). `boxdeck` with no subcommand opens the dashboard.
//!
//! Exit codes: 0 ok, 1 the operation failed, 2 bad usage; `run` passes the command's code
//! through.

pub mod create;
pub mod doctor;
pub mod lifecycle;
pub mod logs;
pub mod ls;
pub mod misc;
pub mod output;
pub mod procs;
pub mod prune;
pub mod run;
pub mod shell;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::Result;
use crate::config::{Config, Project};
use crate::sandbox::Fleet;

#[derive(Debug, Parser)]
#[command(
    name = "boxdeck",
    version,
    about = "A terminal dashboard and CLI for sandbox containers on Docker and Podman",
    long_about = "A terminal dashboard and CLI for sandbox containers on Docker and Podman.\n\nWith no subcommand, boxdeck opens the dashboard. Sandboxes are containers labelled pocketdock.managed=true, so sandboxes made by pocketdock show up here and the other way round."
)]
pub struct Cli {
    /// Engine address (unix:///path, tcp://host:port); repeat for several engines.
    #[arg(long = "host", short = 'H', global = true, value_name = "URL")]
    pub hosts: Vec<String>,

    /// Config file (default: $XDG_CONFIG_HOME/boxdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH", env = "BOXDECK_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List sandboxes (or every container with --all).
    Ls(ls::LsArgs),
    /// Create and start a sandbox from a profile.
    Create(create::CreateArgs),
    /// Run a command in one or more sandboxes (by name, --label or --project), or detached with -d.
    Run(run::RunArgs),
    /// Open an interactive shell in a sandbox (like docker exec -it).
    Shell(shell::ShellArgs),
    /// List the processes in a sandbox: boxdeck's detached ones and every exec the engine records.
    Ps(procs::PsArgs),
    /// Print the output of a detached process so far (-f: follow it until it ends).
    Peek(procs::PeekArgs),
    /// End a process and its whole process group inside the sandbox.
    Kill(procs::KillArgs),
    /// Show a sandbox's logs.
    Logs(logs::LogsArgs),
    /// Stop sandboxes.
    Stop(lifecycle::NamesArgs),
    /// Start stopped sandboxes.
    Start(lifecycle::NamesArgs),
    /// Restart sandboxes.
    Restart(lifecycle::NamesArgs),
    /// Remove sandboxes.
    Rm(lifecycle::RmArgs),
    /// Remove stopped sandboxes, never persistent, live or foreign ones.
    Prune(prune::PruneArgs),
    /// Check the engines, profiles, project and terminal, with a fix for each problem.
    Doctor(doctor::DoctorArgs),
    /// Make this folder a pocketdock project (.pocketdock/pocketdock.yaml).
    Init(misc::InitArgs),
    /// List the profiles.
    Profiles(misc::ProfilesArgs),
    /// Print a shell completion script.
    Completions(misc::CompletionsArgs),
}

/// What every command gets: the parsed global options and the config.
pub struct Ctx {
    pub hosts: Vec<String>,
    pub config: Config,
}

impl Ctx {
    pub fn new(cli: &Cli) -> Result<Ctx> {
        let config = Config::load(cli.config.as_deref())?;
        Ok(Ctx {
            hosts: cli.hosts.clone(),
            config,
        })
    }

    /// Connect to the engines; warns on stderr about engines that are down.
    pub async fn fleet(&self) -> Result<Fleet> {
        let f = Fleet::connect(&self.hosts, &self.config).await?;
        for (t, e) in &f.down {
            eprintln!("warning: engine {} is unreachable: {}", t.url, e.message);
        }
        Ok(f)
    }

    /// The project around the working directory, if any.
    pub fn project(&self) -> Result<Option<Project>> {
        let cwd = std::env::current_dir()?;
        crate::config::project::discover(&cwd)
    }
}

/// Run a parsed command; returns the process exit code.
pub async fn dispatch(cli: Cli) -> Result<i32> {
    let Some(cmd) = &cli.command else {
        unreachable!("the dashboard handles no subcommand")
    };
    if let Command::Completions(a) = cmd {
        return misc::completions(a);
    }
    if let Command::Doctor(a) = cmd {
        // Doctor reports a broken config as a check instead of stopping on it.
        return doctor::run(&cli.hosts, Config::load(cli.config.as_deref()), a).await;
    }
    let ctx = Ctx::new(&cli)?;
    match cmd {
        Command::Ls(a) => ls::run(&ctx, a).await,
        Command::Create(a) => create::run(&ctx, a).await,
        Command::Run(a) => run::run(&ctx, a).await,
        Command::Ps(a) => procs::ps(&ctx, a).await,
        Command::Peek(a) => procs::peek(&ctx, a).await,
        Command::Kill(a) => procs::kill(&ctx, a).await,
        Command::Logs(a) => logs::run(&ctx, a).await,
        Command::Shell(a) => shell::run(&ctx, a).await,
        Command::Stop(a) => lifecycle::run(&ctx, lifecycle::Verb::Stop, a).await,
        Command::Start(a) => lifecycle::run(&ctx, lifecycle::Verb::Start, a).await,
        Command::Restart(a) => lifecycle::run(&ctx, lifecycle::Verb::Restart, a).await,
        Command::Rm(a) => lifecycle::rm(&ctx, a).await,
        Command::Prune(a) => prune::run(&ctx, a).await,
        Command::Init(a) => misc::init(&ctx, a),
        Command::Profiles(a) => misc::profiles(&ctx, a).await,
        Command::Completions(_) | Command::Doctor(_) => unreachable!(),
    }
}
