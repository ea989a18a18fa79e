//! Configuration: the user's config file, profiles and pocketdock projects.
//!
//! The config file is `$XDG_CONFIG_HOME/boxdeck/config.toml` (or `~/.config/...`), or the
//! path in `--config` / `BOXDECK_CONFIG`. Every section is optional:
//!
//! ```toml
//! [[engines]]             # several engines at once (SPEC 2.3)
//! name = "local"
//! host = "unix:///var/run/docker.sock"
//!
//! [profiles.mine]          # add or override profiles (SPEC 3.1)
//! image = "alpine:3.20"
//!
//! [keys]                   # rebind dashboard keys: action = "key"
//! quit = "q"
//!
//! [colors]                 # dashboard colours: element = "colour"
//! accent = "cyan"
//!
//! [logs]
//! ring_lines = 10000       # lines kept per container
//! tail = 1000              # lines read when a log opens
//! ```

pub mod profile;
pub mod project;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use profile::{CreateRequest, Profile};
pub use project::Project;

use crate::engine::{EngineTarget, HostSource};
use crate::{Error, Result};

/// One `[[engines]]` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EngineEntry {
    pub name: Option<String>,
    pub host: String,
}

/// `[logs]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogsConfig {
    pub ring_lines: usize,
    pub tail: u64,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            ring_lines: 10_000,
            tail: 1000,
        }
    }
}

/// `[processes]`: detached processes.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProcessesConfig {
    /// Keep about this much of each detached process's output, the newest part ("8m"; "0"
    /// keeps everything). Default [`crate::sandbox::procs::OUTPUT_CAP`].
    pub output_cap: Option<String>,
}

/// The config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub engines: Vec<EngineEntry>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub colors: BTreeMap<String, String>,
    #[serde(default)]
    pub logs: LogsConfig,
    #[serde(default)]
    pub processes: ProcessesConfig,
    /// Where this config came from (None: defaults, no file).
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// The default config path.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("boxdeck").join("config.toml"))
}

impl Config {
    /// Load from an explicit path (must exist) or the default path (may be absent).
    pub fn load(explicit: Option<&Path>) -> Result<Config> {
        let (path, must_exist) = match explicit {
            Some(p) => (Some(p.to_path_buf()), true),
            None => (default_path(), false),
        };
        let Some(path) = path else { return Ok(Config::default()) };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(Config::default()),
            Err(e) => return Err(Error::usage(format!("cannot read config file {}: {e}", path.display()))),
        };
        let mut c = Config::parse(&text).map_err(|e| e.context(format!("config file {}", path.display())))?;
        c.path = Some(path);
        Ok(c)
    }

    /// Parse config text and validate the profiles in it.
    pub fn parse(text: &str) -> Result<Config> {
        let c: Config = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            Error::usage(format!("malformed TOML{at}: {msg}"))
                .hint("fix the file or move it away; `boxdeck doctor` checks it")
        })?;
        for (name, p) in &c.profiles {
            p.validate(name)?;
        }
        if c.logs.ring_lines == 0 {
            return Err(Error::usage("[logs] ring_lines must be at least 1"));
        }
        c.output_cap()?;
        Ok(c)
    }

    /// `[processes] output_cap` in bytes (0: no cap).
    pub fn output_cap(&self) -> Result<u64> {
        match &self.processes.output_cap {
            None => Ok(crate::sandbox::procs::OUTPUT_CAP),
            Some(v) => {
                let n = crate::util::parse_size(v).map_err(|e| e.context("[processes] output_cap"))?;
                match u64::try_from(n) {
                    Ok(n) if n == 0 || n >= 4096 => Ok(n),
                    _ => Err(Error::usage(format!("[processes] output_cap '{v}' is too small"))
                        .hint("use at least 4k, e.g. \"8m\", or \"0\" to keep everything")),
                }
            }
        }
    }

    /// All profiles: built-ins overlaid with the user's.
    pub fn profiles(&self) -> BTreeMap<String, Profile> {
        let mut all = profile::builtin_profiles();
        for (name, p) in &self.profiles {
            let merged = match all.get(name) {
                Some(b) => b.merged(p),
                None => p.clone(),
            };
            all.insert(name.clone(), merged);
        }
        all
    }

    /// Look up a profile by name; unknown names list the known ones.
    pub fn profile(&self, name: &str) -> Result<Profile> {
        let all = self.profiles();
        all.get(name).cloned().ok_or_else(|| {
            let names: Vec<&str> = all.keys().map(String::as_str).collect();
            Error::usage(format!("unknown profile '{name}'")).hint(format!("known profiles: {}", names.join(", ")))
        })
    }

    /// Engine targets from `[[engines]]`.
    pub fn engine_targets(&self) -> Vec<EngineTarget> {
        self.engines
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let name = e.name.clone().unwrap_or_else(|| format!("engine{}", i + 1));
                let mut t = EngineTarget::new(e.host.clone(), HostSource::Config(name.clone()));
                t.name = Some(name);
                t
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_output_cap() {
        assert_eq!(
            Config::parse("").unwrap().output_cap().unwrap(),
            crate::sandbox::procs::OUTPUT_CAP
        );
        let c = Config::parse("[processes]\noutput_cap = \"64k\"\n").unwrap();
        assert_eq!(c.output_cap().unwrap(), 65536);
        assert_eq!(
            Config::parse("[processes]\noutput_cap = \"0\"\n")
                .unwrap()
                .output_cap()
                .unwrap(),
            0
        );
        for bad in ["\"12\"", "\"lots\"", "\"5x\""] {
            let e = Config::parse(&format!("[processes]\noutput_cap = {bad}\n")).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {}", e.message);
            assert!(e.message.contains("output_cap"), "{}", e.message);
        }
    }

    #[test]
    fn user_profile_overrides_builtin() {
        let c = Config::parse("[profiles.default]\nimage = \"mine:1\"\n[profiles.extra]\nimage = \"x\"\n").unwrap();
        let p = c.profile("default").unwrap();
        assert_eq!(p.image.as_deref(), Some("mine:1"));
        assert_eq!(p.pids_limit, Some(1024), "unset fields keep the built-in value");
        assert!(c.profile("extra").is_ok());
        let e = c.profile("nope").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint.unwrap().contains("locked"));
    }

    #[test]
    fn malformed_config_names_line() {
        let e = Config::parse("[profiles.x\nimage=1").unwrap_err();
        assert!(e.message.contains("malformed TOML (line 1)"), "{}", e.message);
        let e = Config::parse("[bogus]\n").unwrap_err();
        assert!(e.message.contains("unknown field"), "{}", e.message);
        let e = Config::parse("[profiles.x]\nmemory = \"lots\"\n").unwrap_err();
        assert!(e.message.contains("profile 'x'"), "{}", e.message);
    }

    #[test]
    fn engines_from_config() {
        let c = Config::parse(
            "[[engines]]\nname = \"a\"\nhost = \"unix:///a.sock\"\n[[engines]]\nhost = \"tcp://b:2375\"\n",
        )
        .unwrap();
        let t = c.engine_targets();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name.as_deref(), Some("a"));
        assert_eq!(t[1].name.as_deref(), Some("engine2"));
    }
}
