//! `boxdeck create [--profile P] [--name N] [--image I] [--persist] [--project P]`.

use std::io::Write;

use clap::Args;

use super::{Ctx, output};
use crate::Result;
use crate::sandbox::create::{self, CreateOptions, CreateProgress};

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Profile to use (default: the project's default_profile, else "default").
    #[arg(long, short)]
    pub profile: Option<String>,
    /// Sandbox name (default: a generated bx-xxxxxx).
    #[arg(long, short)]
    pub name: Option<String>,
    /// Image, overriding the profile's.
    #[arg(long, short)]
    pub image: Option<String>,
    /// Keep this sandbox out of prune.
    #[arg(long)]
    pub persist: bool,
    /// Project label (default: the project around the working directory).
    #[arg(long)]
    pub project: Option<String>,
    /// Extra label KEY=VALUE (repeatable).
    #[arg(long = "label", short = 'l', value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Engine to create on, by name (default: the first).
    #[arg(long)]
    pub engine: Option<String>,
    /// Print the new sandbox as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(ctx: &Ctx, a: &CreateArgs) -> Result<i32> {
    let project = ctx.project()?;
    let opts = CreateOptions {
        profile: a.profile.clone(),
        name: a.name.clone(),
        image: a.image.clone(),
        persist: a.persist.then_some(true),
        project: a.project.clone(),
        labels: a.labels.clone(),
    };
    let req = create::plan(&ctx.config, project.as_ref(), &opts)?;
    let fleet = ctx.fleet().await?;
    let engine = fleet.engine_for_create(a.engine.as_deref())?;
    let mut last_line = String::new();
    let mut progress = |p: CreateProgress| {
        let mut err = std::io::stderr().lock();
        match p {
            CreateProgress::PullStarted(img) => {
                let _ = writeln!(err, "pulling {img} ...");
            }
            CreateProgress::Pull(pp) => {
                let line = match (pp.id, pp.current, pp.total) {
                    (Some(id), Some(c), Some(t)) if t > 0 => format!("  {id}: {} {}%", pp.status, c * 100 / t),
                    (Some(id), _, _) => format!("  {id}: {}", pp.status),
                    (None, _, _) => format!("  {}", pp.status),
                };
                if line != last_line {
                    let _ = writeln!(err, "{line}");
                    last_line = line;
                }
            }
            CreateProgress::Creating(_) | CreateProgress::Starting(_) => {}
        }
    };
    let s = create::create(engine, &req, &mut progress).await?;
    if a.json {
        output::json(&s)?;
    } else {
        println!("{}", s.name);
        eprintln!(
            "created {} ({} on {}, profile {}{}{})",
            s.name,
            s.short_id(),
            s.engine,
            req.profile_name,
            if req.persist { ", persistent" } else { "" },
            req.project
                .as_ref()
                .map(|p| format!(", project {p}"))
                .unwrap_or_default()
        );
    }
    Ok(0)
}
