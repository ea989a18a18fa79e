//! `init`, `profiles [--json]`, `completions SHELL`.

use clap::{Args, CommandFactory};
use serde::Serialize;

use super::{Cli, Ctx, output};
use crate::Result;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project name (default: the folder's name).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    /// One JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

pub fn init(_ctx: &Ctx, a: &InitArgs) -> Result<i32> {
    let cwd = std::env::current_dir()?;
    let (p, created) = crate::config::project::init(&cwd, a.name.as_deref())?;
    let file = p.root.join(".pocketdock/pocketdock.yaml");
    if created {
        println!("created project '{}' in {}", p.name, file.display());
    } else {
        println!(
            "project '{}' already exists in {} (left as it is)",
            p.name,
            file.display()
        );
    }
    Ok(0)
}

#[derive(Serialize)]
struct ProfileRow {
    name: String,
    image: Option<String>,
    description: Option<String>,
    memory: Option<String>,
    cpus: Option<f64>,
    pids_limit: Option<i64>,
    network: Option<String>,
    read_only: bool,
    persist: bool,
    shell: Option<String>,
    builtin: bool,
}

pub async fn profiles(ctx: &Ctx, a: &ProfilesArgs) -> Result<i32> {
    let builtin = crate::config::profile::builtin_profiles();
    let rows: Vec<ProfileRow> = ctx
        .config
        .profiles()
        .into_iter()
        .map(|(name, p)| ProfileRow {
            builtin: builtin.contains_key(&name) && !ctx.config.profiles.contains_key(&name),
            name,
            image: p.image,
            description: p.description,
            memory: p.memory,
            cpus: p.cpus,
            pids_limit: p.pids_limit,
            network: p.network,
            read_only: p.read_only.unwrap_or(false),
            persist: p.persist.unwrap_or(false),
            shell: p.shell,
        })
        .collect();
    if a.json {
        output::json(&rows)?;
        return Ok(0);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.image.clone().unwrap_or_else(|| "-".into()),
                r.memory.clone().unwrap_or_else(|| "1g".into()),
                r.network.clone().unwrap_or_else(|| "bridge".into()),
                if r.builtin { "built-in".into() } else { "config".into() },
                r.description.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(&["NAME", "IMAGE", "MEMORY", "NETWORK", "FROM", "DESCRIPTION"], &table)
    );
    Ok(0)
}

pub fn completions(a: &CompletionsArgs) -> Result<i32> {
    let mut cmd = Cli::command();
    clap_complete::generate(a.shell, &mut cmd, "boxdeck", &mut std::io::stdout());
    Ok(0)
}
