//! `boxdeck ls [--all] [--json]`.

use clap::Args;

use super::{Ctx, output};
use crate::Result;

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Every container, not only sandboxes.
    #[arg(long, short)]
    pub all: bool,
    /// One JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(ctx: &Ctx, a: &LsArgs) -> Result<i32> {
    let fleet = ctx.fleet().await?;
    let list = fleet.list(a.all).await?;
    if a.json {
        output::json(&list)?;
        return Ok(0);
    }
    if list.is_empty() {
        eprintln!(
            "{}",
            if a.all {
                "no containers"
            } else {
                "no sandboxes (create one with `boxdeck create`)"
            }
        );
        return Ok(0);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|s| {
            let mut state = s.state.to_string();
            if let Some(h) = s.health {
                state = format!("{state} ({})", h.as_str());
            }
            let mut name = s.name.clone();
            if a.all && !s.managed {
                name.push('*');
            }
            vec![
                name,
                s.short_id().to_string(),
                s.engine.clone(),
                state,
                s.image.clone(),
                s.profile.clone().unwrap_or_else(|| "-".into()),
                s.project.clone().unwrap_or_else(|| "-".into()),
                if s.persist { "yes".into() } else { "no".into() },
                output::age(&s.created_at),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "NAME", "ID", "ENGINE", "STATE", "IMAGE", "PROFILE", "PROJECT", "PERSIST", "AGE"
            ],
            &rows
        )
    );
    if a.all && list.iter().any(|s| !s.managed) {
        eprintln!("* not a sandbox (no pocketdock.managed=true label)");
    }
    Ok(0)
}
