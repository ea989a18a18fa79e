//! `boxdeck logs NAME [-f] [--tail N] [--since D] [--timestamps]`.

use std::io::Write;

use clap::Args;
use futures::StreamExt;

use super::Ctx;
use crate::Result;
use crate::engine::{LogsQuery, StreamKind};

#[derive(Debug, Args)]
pub struct LogsArgs {
    pub name: String,
    /// Keep following new output.
    #[arg(long, short)]
    pub follow: bool,
    /// Only the last N lines.
    #[arg(long, short = 'n', value_name = "N")]
    pub tail: Option<u64>,
    /// Only lines newer than this (e.g. 10m, 2h).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Prefix each line with its timestamp.
    #[arg(long, short)]
    pub timestamps: bool,
}

pub async fn run(ctx: &Ctx, a: &LogsArgs) -> Result<i32> {
    let since = match &a.since {
        Some(s) => Some(chrono::Utc::now().timestamp() - crate::util::parse_duration(s)?.as_secs() as i64),
        None => None,
    };
    let fleet = ctx.fleet().await?;
    let t = fleet.resolve(&a.name).await?;
    let q = LogsQuery {
        follow: a.follow,
        tail: a.tail,
        since,
        timestamps: a.timestamps,
    };
    let mut s = t.engine.logs(&t.sandbox.id, &q);
    while let Some(chunk) = s.next().await {
        let c = chunk?;
        if c.stream == StreamKind::Stderr {
            std::io::stderr().write_all(&c.data)?;
        } else {
            let mut o = std::io::stdout().lock();
            if let Err(e) = o.write_all(&c.data).and_then(|_| o.flush()) {
                // A closed pipe (`| head`) ends the command quietly.
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(0);
                }
                return Err(e.into());
            }
        }
    }
    Ok(0)
}
