//! `boxdeck doctor [--json]` (SPEC 9): each check prints ok / warn / fail with a fix.
//! Any fail makes the exit code 1.

use std::io::IsTerminal;

use clap::Args;
use serde::Serialize;

use super::output;
use crate::config::Config;
use crate::engine::connect::{self, Discovery, Endpoint, Env};
use crate::engine::{Engine, EngineTarget};
use crate::sandbox::labels;
use crate::util::human_bytes;
use crate::{Error, Result};

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// One JSON document on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Status,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn check(name: &str, status: Status, message: impl Into<String>, fix: Option<String>) -> Check {
    Check {
        check: name.into(),
        status,
        message: message.into(),
        fix,
    }
}

/// Run every check. `config` is the result of loading the config file.
pub async fn checks(hosts: &[String], config: Result<Config>) -> Vec<Check> {
    let mut out = Vec::new();
    let config = match config {
        Ok(c) => {
            let where_ = c
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "none (defaults)".into());
            out.push(check("config", Status::Ok, format!("config file: {where_}"), None));
            c
        }
        Err(e) => {
            out.push(check(
                "config",
                Status::Fail,
                e.message.clone(),
                Some(e.hint.unwrap_or_else(|| "fix or remove the config file".into())),
            ));
            Config::default()
        }
    };

    // Project file.
    match std::env::current_dir()
        .map_err(Error::from)
        .and_then(|d| crate::config::project::discover(&d))
    {
        Ok(Some(p)) => out.push(check(
            "project",
            Status::Ok,
            format!(
                "project '{}' at {} (default profile {})",
                p.name,
                p.root.display(),
                p.default_profile.as_deref().unwrap_or("default")
            ),
            None,
        )),
        Ok(None) => out.push(check("project", Status::Ok, "not inside a project", None)),
        Err(e) => out.push(check("project", Status::Fail, e.message, e.hint)),
    }
    if let Some(p) = config.profiles.keys().find(|n| config.profile(n).is_err()) {
        out.push(check("profiles", Status::Fail, format!("profile {p} is broken"), None));
    }

    // Engines: every candidate, then the chosen ones.
    let env = Env::from_process();
    let discovery = match connect::discover(hosts, &config.engine_targets(), &env) {
        Ok(d) => d,
        Err(e) => {
            out.push(check("engine", Status::Fail, e.message, e.hint));
            return finish_terminal(out);
        }
    };
    let (targets, tried) = match &discovery {
        Discovery::Explicit(v) => (v.clone(), Vec::new()),
        Discovery::Probed { chosen, tried } => (vec![chosen.clone()], tried.clone()),
        Discovery::Nothing { tried } => (Vec::new(), tried.clone()),
    };
    for t in &tried {
        let exists = matches!(connect::parse_url(&t.url), Ok(Endpoint::Unix(p)) if p.exists());
        out.push(check(
            "socket",
            Status::Ok,
            format!("{} {} ({})", if exists { "found" } else { "absent" }, t.url, t.source),
            None,
        ));
    }
    if targets.is_empty() {
        out.push(check(
            "engine",
            Status::Fail,
            "no container engine found",
            Some("start Docker (dockerd) or Podman (podman system service), or pass --host URL".into()),
        ));
        return finish_terminal(out);
    }
    let mut engines: Vec<Engine> = Vec::new();
    for (t, r) in Engine::connect_all(&targets).await {
        match r {
            Ok(e) => {
                out.push(check(
                    "engine",
                    Status::Ok,
                    format!(
                        "{}: {} {} (API {}) at {} via {}",
                        e.name, e.kind, e.version, e.api_version, e.url, e.source
                    ),
                    None,
                ));
                engines.push(e);
            }
            Err(e) => out.push(engine_fail(&t, e)),
        }
    }

    for e in &engines {
        match e.facts().await {
            Ok(f) => out.push(check(
                "disk",
                Status::Ok,
                format!(
                    "{}: images {}, containers {} ({} containers)",
                    e.name,
                    f.images_bytes
                        .map(|b| human_bytes(b.max(0) as u64))
                        .unwrap_or_else(|| "?".into()),
                    f.containers_bytes
                        .map(|b| human_bytes(b.max(0) as u64))
                        .unwrap_or_else(|| "?".into()),
                    f.containers.unwrap_or_default()
                ),
                None,
            )),
            Err(err) => out.push(check(
                "disk",
                Status::Warn,
                format!("{}: {}", e.name, err.message),
                None,
            )),
        }
        // Images of each profile.
        for (name, p) in config.profiles() {
            let Some(img) = p.image else { continue };
            match e.image_exists(&img).await {
                Ok(true) => out.push(check(
                    "image",
                    Status::Ok,
                    format!("{}: profile {name}: {img} present", e.name),
                    None,
                )),
                Ok(false) => out.push(check(
                    "image",
                    Status::Warn,
                    format!("{}: profile {name}: {img} not present", e.name),
                    Some(format!(
                        "pull it (docker pull {img}) or set another image for [profiles.{name}] in the config"
                    )),
                )),
                Err(err) => out.push(check(
                    "image",
                    Status::Warn,
                    format!("{}: {img}: {}", e.name, err.message),
                    None,
                )),
            }
        }
        // Sandboxes with broken labels.
        match e
            .list(&crate::engine::containers::ListQuery {
                all: true,
                labels: vec![labels::MANAGED.into()],
                ..Default::default()
            })
            .await
        {
            Ok(list) => {
                let mut broken = Vec::new();
                for c in &list {
                    let mut p = labels::problems(&c.labels);
                    if c.labels.get(labels::MANAGED).is_some_and(|v| v != "true") {
                        p.push(format!(
                            "{}={} (not \"true\": boxdeck ignores it)",
                            labels::MANAGED,
                            c.labels[labels::MANAGED]
                        ));
                    }
                    if !p.is_empty() {
                        broken.push(format!("{} ({})", c.name, p.join("; ")));
                    }
                }
                let managed = list.iter().filter(|c| labels::is_managed(&c.labels)).count();
                if broken.is_empty() {
                    out.push(check(
                        "labels",
                        Status::Ok,
                        format!("{}: {managed} sandboxes, labels intact", e.name),
                        None,
                    ));
                } else {
                    out.push(check(
                        "labels",
                        Status::Warn,
                        format!(
                            "{}: {} sandboxes with broken labels: {}",
                            e.name,
                            broken.len(),
                            broken.join(", ")
                        ),
                        Some("recreate them with `boxdeck create`, or remove them".into()),
                    ));
                }
            }
            Err(err) => out.push(check("labels", Status::Warn, err.message, None)),
        }
    }
    finish_terminal(out)
}

fn engine_fail(t: &EngineTarget, e: Error) -> Check {
    check(
        "engine",
        Status::Fail,
        e.message,
        Some(
            e.hint
                .unwrap_or_else(|| format!("check that an engine listens on {}", t.url)),
        ),
    )
}

fn finish_terminal(mut out: Vec<Check>) -> Vec<Check> {
    if std::io::stdout().is_terminal() {
        match crossterm::terminal::size() {
            Ok((w, h)) if w >= 80 && h >= 24 => {
                out.push(check("terminal", Status::Ok, format!("terminal {w}x{h}"), None))
            }
            Ok((w, h)) => out.push(check(
                "terminal",
                Status::Warn,
                format!("terminal {w}x{h} is small"),
                Some("the dashboard wants at least 80x24".into()),
            )),
            Err(e) => out.push(check(
                "terminal",
                Status::Warn,
                format!("terminal size unknown: {e}"),
                None,
            )),
        }
    } else {
        out.push(check("terminal", Status::Ok, "not a terminal (fine for scripts)", None));
    }
    let term = std::env::var("TERM").unwrap_or_default();
    let colorterm = std::env::var("COLORTERM").unwrap_or_default();
    let colours = if colorterm.contains("truecolor") || colorterm.contains("24bit") {
        "24-bit colour"
    } else if term.contains("256color") {
        "256 colours"
    } else if term.is_empty() || term == "dumb" {
        ""
    } else {
        "16 colours"
    };
    if colours.is_empty() {
        out.push(check(
            "colours",
            Status::Warn,
            format!("TERM={term:?}: no colour support known"),
            Some("set TERM=xterm-256color".into()),
        ));
    } else {
        out.push(check("colours", Status::Ok, format!("TERM={term}: {colours}"), None));
    }
    out
}

pub async fn run(hosts: &[String], config: Result<Config>, a: &DoctorArgs) -> Result<i32> {
    let checks = checks(hosts, config).await;
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if a.json {
        output::json(&serde_json::json!({ "ok": !failed, "checks": checks }))?;
    } else {
        for c in &checks {
            let tag = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "warn",
                Status::Fail => "FAIL",
            };
            println!("{tag} {:9} {}", c.check, c.message);
            if let Some(f) = &c.fix
                && c.status != Status::Ok
            {
                println!("     {:9} fix: {f}", "");
            }
        }
    }
    Ok(if failed { 1 } else { 0 })
}
