//! Profiles (SPEC 3.1, 3.2): named presets for creating sandboxes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::CreateSpec;
use crate::util::parse_size;
use crate::{Error, Result};

/// The built-in profiles, shipped in `assets/profiles.toml`.
pub const BUILTIN_PROFILES: &str = include_str!("../../assets/profiles.toml");

/// Memory limit when a profile sets none.
pub const DEFAULT_MEMORY: &str = "1g";
/// Pids limit when a profile sets none.
pub const DEFAULT_PIDS_LIMIT: i64 = 1024;

/// A profile as written in TOML; every field optional so user entries can override a part.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub description: Option<String>,
    pub image: Option<String>,
    /// The main process; default `sleep infinity` (SPEC 1.2).
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// "512m", "1g".
    pub memory: Option<String>,
    pub cpus: Option<f64>,
    pub pids_limit: Option<i64>,
    /// "bridge", "none", or a named network.
    pub network: Option<String>,
    pub read_only: Option<bool>,
    /// `/path[:options]`.
    #[serde(default)]
    pub tmpfs: Vec<String>,
    /// `host:container[:ro]` or `volume:container`.
    #[serde(default)]
    pub volumes: Vec<String>,
    #[serde(default)]
    pub cap_drop: Vec<String>,
    pub persist: Option<bool>,
    /// Shell for sessions; default `/bin/bash` when present, else `/bin/sh`.
    pub shell: Option<String>,
}

impl Profile {
    /// Overlay `over` on `self`: set fields of `over` win.
    pub fn merged(&self, over: &Profile) -> Profile {
        fn pick<T: Clone>(a: &Option<T>, b: &Option<T>) -> Option<T> {
            b.clone().or_else(|| a.clone())
        }
        fn pick_vec(a: &[String], b: &[String]) -> Vec<String> {
            if b.is_empty() { a.to_vec() } else { b.to_vec() }
        }
        Profile {
            description: pick(&self.description, &over.description),
            image: pick(&self.image, &over.image),
            command: pick(&self.command, &over.command),
            env: pick_vec(&self.env, &over.env),
            workdir: pick(&self.workdir, &over.workdir),
            user: pick(&self.user, &over.user),
            memory: pick(&self.memory, &over.memory),
            cpus: pick(&self.cpus, &over.cpus),
            pids_limit: pick(&self.pids_limit, &over.pids_limit),
            network: pick(&self.network, &over.network),
            read_only: pick(&self.read_only, &over.read_only),
            tmpfs: pick_vec(&self.tmpfs, &over.tmpfs),
            volumes: pick_vec(&self.volumes, &over.volumes),
            cap_drop: pick_vec(&self.cap_drop, &over.cap_drop),
            persist: pick(&self.persist, &over.persist),
            shell: pick(&self.shell, &over.shell),
        }
    }

    /// Check values that would otherwise fail late on the engine.
    pub fn validate(&self, name: &str) -> Result<()> {
        let bad = |what: String| {
            Error::usage(format!("profile '{name}': {what}")).hint("fix the profile in your config file")
        };
        if let Some(m) = &self.memory {
            parse_size(m).map_err(|e| bad(e.message))?;
        }
        if let Some(c) = self.cpus
            && !(c > 0.0 && c <= 1024.0)
        {
            return Err(bad(format!("cpus must be a positive number, not {c}")));
        }
        if let Some(p) = self.pids_limit
            && p <= 0
        {
            return Err(bad(format!("pids_limit must be positive, not {p}")));
        }
        for t in &self.tmpfs {
            if !t.starts_with('/') {
                return Err(bad(format!("tmpfs '{t}' must be an absolute path")));
            }
        }
        for v in &self.volumes {
            let parts: Vec<&str> = v.split(':').collect();
            if parts.len() < 2 || parts.len() > 3 || !parts[1].starts_with('/') {
                return Err(bad(format!("volume '{v}' must be SOURCE:/container/path[:ro]")));
            }
            if is_engine_socket(parts[0]) {
                return Err(bad(format!(
                    "volume '{v}' mounts the engine socket, which boxdeck never does"
                )));
            }
        }
        if let Some(cmd) = &self.command
            && cmd.is_empty()
        {
            return Err(bad("command must not be empty".into()));
        }
        Ok(())
    }
}

/// True for paths that look like a container engine's API socket.
pub fn is_engine_socket(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    p.ends_with("docker.sock")
        || p.ends_with("podman.sock")
        || p.ends_with("containerd.sock")
        || p == "/var/run"
        || p == "/run"
}

/// The profiles file shape (built-in or user config's `[profiles]`).
#[derive(Debug, Default, Deserialize)]
struct ProfilesFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// Parse the built-in profiles.
pub fn builtin_profiles() -> BTreeMap<String, Profile> {
    let f: ProfilesFile = toml::from_str(BUILTIN_PROFILES).expect("assets/profiles.toml is valid");
    f.profiles
}

/// Everything needed to create one sandbox, after profile resolution.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub name: String,
    pub profile_name: String,
    pub profile: Profile,
    pub image: String,
    pub persist: bool,
    pub project: Option<String>,
    /// Extra labels (tests use a run id).
    pub extra_labels: BTreeMap<String, String>,
}

/// Turn a resolved profile into an engine spec with boxdeck's secure defaults (SPEC 3.2).
pub fn to_create_spec(req: &CreateRequest, labels: BTreeMap<String, String>) -> Result<CreateSpec> {
    let p = &req.profile;
    p.validate(&req.profile_name)?;
    let memory = parse_size(p.memory.as_deref().unwrap_or(DEFAULT_MEMORY))?;
    let mut tmpfs = BTreeMap::new();
    for t in &p.tmpfs {
        let (path, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
        tmpfs.insert(path.to_string(), opts.to_string());
    }
    let read_only = p.read_only.unwrap_or(false);
    if read_only && !tmpfs.contains_key("/tmp") {
        // boxdeck keeps process output under /tmp/.boxdeck (SPEC 6.1); give it somewhere to live.
        tmpfs.insert("/tmp".into(), "rw,nosuid,size=64m".into());
    }
    Ok(CreateSpec {
        name: req.name.clone(),
        image: req.image.clone(),
        cmd: Some(
            p.command
                .clone()
                .unwrap_or_else(|| vec!["sleep".into(), "infinity".into()]),
        ),
        env: p.env.clone(),
        working_dir: p.workdir.clone(),
        user: p.user.clone(),
        labels,
        memory_bytes: Some(memory),
        nano_cpus: p.cpus.map(|c| (c * 1e9) as i64),
        pids_limit: Some(p.pids_limit.unwrap_or(DEFAULT_PIDS_LIMIT)),
        network: Some(p.network.clone().unwrap_or_else(|| "bridge".into())),
        read_only,
        tmpfs,
        binds: p.volumes.clone(),
        cap_drop: p.cap_drop.clone(),
        cap_add: Vec::new(),
        init: true,
        no_new_privileges: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_validate() {
        let b = builtin_profiles();
        for name in ["default", "minimal", "python", "locked", "minimal-python"] {
            let p = b.get(name).unwrap_or_else(|| panic!("missing builtin {name}"));
            p.validate(name).unwrap();
            assert!(p.image.is_some());
        }
        let locked = &b["locked"];
        assert_eq!(locked.network.as_deref(), Some("none"));
        assert_eq!(locked.read_only, Some(true));
        assert_eq!(locked.cap_drop, vec!["ALL"]);
        assert!(locked.tmpfs.iter().any(|t| t.starts_with("/tmp")));
    }

    #[test]
    fn secure_defaults_always_applied() {
        let req = CreateRequest {
            name: "x".into(),
            profile_name: "t".into(),
            profile: Profile {
                image: Some("img".into()),
                ..Default::default()
            },
            image: "img".into(),
            persist: false,
            project: None,
            extra_labels: BTreeMap::new(),
        };
        let s = to_create_spec(&req, BTreeMap::new()).unwrap();
        assert!(s.no_new_privileges && s.init);
        assert_eq!(s.pids_limit, Some(DEFAULT_PIDS_LIMIT));
        assert_eq!(s.memory_bytes, Some(1024 * 1024 * 1024));
        assert_eq!(s.cmd, Some(vec!["sleep".to_string(), "infinity".to_string()]));
    }

    #[test]
    fn engine_socket_mount_refused() {
        let p = Profile {
            volumes: vec!["/var/run/docker.sock:/var/run/docker.sock".into()],
            ..Default::default()
        };
        let e = p.validate("evil").unwrap_err();
        assert!(e.message.contains("engine socket"));
    }

    #[test]
    fn override_merges_fieldwise() {
        let base = Profile {
            image: Some("a".into()),
            memory: Some("1g".into()),
            ..Default::default()
        };
        let over = Profile {
            memory: Some("2g".into()),
            ..Default::default()
        };
        let m = base.merged(&over);
        assert_eq!(m.image.as_deref(), Some("a"));
        assert_eq!(m.memory.as_deref(), Some("2g"));
    }
}
