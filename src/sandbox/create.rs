//! Creating a sandbox from a profile (SPEC 1.1, 1.2, 3).

use std::collections::BTreeMap;

use futures::StreamExt;

use crate::config::profile::{CreateRequest, to_create_spec};
use crate::config::{Config, Project};
use crate::engine::containers::ListQuery;
use crate::engine::{Engine, PullProgress};
use crate::{Error, Result};

use super::{Sandbox, labels};

/// What the user asked for; unset fields come from the project, then the profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreateOptions {
    pub profile: Option<String>,
    pub name: Option<String>,
    pub image: Option<String>,
    /// `Some(true)` for `--persist`.
    pub persist: Option<bool>,
    pub project: Option<String>,
    /// Extra `key=value` labels.
    pub labels: Vec<String>,
}

/// Progress while creating.
#[derive(Debug, Clone)]
pub enum CreateProgress {
    /// The image is missing and is being pulled.
    PullStarted(String),
    Pull(PullProgress),
    Creating(String),
    Starting(String),
}

/// Resolve options against config and project into a concrete request.
pub fn plan(config: &Config, project: Option<&Project>, opts: &CreateOptions) -> Result<CreateRequest> {
    let profile_name = opts
        .profile
        .clone()
        .or_else(|| project.and_then(|p| p.default_profile.clone()))
        .unwrap_or_else(|| "default".to_string());
    let profile = config.profile(&profile_name)?;
    let image = opts.image.clone().or_else(|| profile.image.clone()).ok_or_else(|| {
        Error::usage(format!("profile '{profile_name}' names no image"))
            .hint("pass --image or set image in the profile")
    })?;
    let persist = opts
        .persist
        .filter(|p| *p)
        .or_else(|| project.map(|p| p.default_persist).filter(|p| *p))
        .or(profile.persist)
        .unwrap_or(false);
    let name = match &opts.name {
        Some(n) => {
            validate_name(n)?;
            n.clone()
        }
        None => generate_name(),
    };
    let mut extra = BTreeMap::new();
    for l in &opts.labels {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        if k.is_empty() {
            return Err(Error::usage(format!("bad label '{l}'")).hint("use --label key=value"));
        }
        if k.starts_with("pocketdock.") || k.starts_with("boxdeck.profile") {
            return Err(Error::usage(format!("label '{k}' is managed by boxdeck")).hint("use another key"));
        }
        extra.insert(k.to_string(), v.to_string());
    }
    Ok(CreateRequest {
        name,
        profile_name,
        profile,
        image,
        persist,
        project: opts.project.clone().or_else(|| project.map(|p| p.name.clone())),
        extra_labels: extra,
    })
}

/// Docker's container-name rule.
pub fn validate_name(n: &str) -> Result<()> {
    let ok = !n.is_empty()
        && n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && n.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(Error::usage(format!("bad sandbox name '{n}'"))
            .hint("use letters, digits, '_', '.' or '-', starting with a letter or digit"))
    }
}

/// A fresh name like `bx-3f9a1c`.
pub fn generate_name() -> String {
    format!("bx-{:06x}", rand::random::<u32>() & 0xff_ffff)
}

/// Create and start a sandbox on `engine`. Pulls the image first when it is missing.
pub async fn create(
    engine: &Engine,
    req: &CreateRequest,
    progress: &mut (dyn FnMut(CreateProgress) + Send),
) -> Result<Sandbox> {
    let taken = engine
        .list(&ListQuery {
            all: true,
            labels: vec![format!("{}={}", labels::INSTANCE, req.name)],
            ..Default::default()
        })
        .await?;
    let name_taken = engine
        .list(&ListQuery {
            all: true,
            ..Default::default()
        })
        .await?
        .into_iter()
        .any(|c| c.name == req.name);
    if name_taken || taken.iter().any(|c| labels::is_managed(&c.labels)) {
        return Err(Error::usage(format!(
            "a sandbox or container named '{}' already exists on {}",
            req.name, engine.name
        ))
        .hint("choose another --name, or remove the old one with `boxdeck rm`"));
    }
    if !engine.image_exists(&req.image).await? {
        progress(CreateProgress::PullStarted(req.image.clone()));
        let mut s = engine.pull(&req.image);
        while let Some(p) = s.next().await {
            progress(CreateProgress::Pull(p?));
        }
        if !engine.image_exists(&req.image).await? {
            return Err(
                Error::failed(format!("image '{}' is still missing after the pull", req.image))
                    .hint("choose an image that exists locally with --image"),
            );
        }
    }
    let mut all_labels = labels::for_new_sandbox(
        &req.name,
        req.persist,
        req.project.as_deref(),
        &req.profile_name,
        &crate::util::now_rfc3339(),
    );
    for (k, v) in &req.extra_labels {
        all_labels.insert(k.clone(), v.clone());
    }
    let spec = to_create_spec(req, all_labels)?;
    progress(CreateProgress::Creating(req.name.clone()));
    let id = engine
        .create(&spec)
        .await
        .map_err(|e| e.context(format!("creating sandbox '{}'", req.name)))?;
    progress(CreateProgress::Starting(req.name.clone()));
    if let Err(e) = engine.start(&id).await {
        // Leave nothing half-made behind.
        let _ = engine.remove(&id, true, true).await;
        return Err(e.context(format!("starting sandbox '{}'", req.name)));
    }
    let list = engine
        .list(&ListQuery {
            all: true,
            ids: vec![id.clone()],
            ..Default::default()
        })
        .await?;
    list.first()
        .map(Sandbox::from_summary)
        .ok_or_else(|| Error::failed(format!("sandbox '{}' vanished right after it was created", req.name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn project_defaults_apply_and_flags_win() {
        let c = Config::default();
        let p = Project {
            root: "/x".into(),
            name: "proj".into(),
            default_profile: Some("locked".into()),
            default_persist: true,
        };
        let r = plan(
            &c,
            Some(&p),
            &CreateOptions {
                name: Some("a".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.profile_name, "locked");
        assert!(r.persist);
        assert_eq!(r.project.as_deref(), Some("proj"));
        let r = plan(
            &c,
            Some(&p),
            &CreateOptions {
                profile: Some("minimal".into()),
                image: Some("img:1".into()),
                project: Some("other".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(r.profile_name, "minimal");
        assert_eq!(r.image, "img:1");
        assert_eq!(r.project.as_deref(), Some("other"));
        assert!(r.name.starts_with("bx-"));
        let e = plan(
            &c,
            None,
            &CreateOptions {
                profile: Some("nope".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            plan(
                &c,
                None,
                &CreateOptions {
                    name: Some("-bad".into()),
                    ..Default::default()
                }
            )
            .is_err()
        );
    }
}
