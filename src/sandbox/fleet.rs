//! Every connected engine at once (SPEC 2.3), and name resolution across them (SPEC 1.3).

use crate::config::Config;
use crate::engine::connect::{self, Discovery, Env};
use crate::engine::containers::ListQuery;
use crate::engine::{Engine, EngineTarget};
use crate::{Error, Result};

use super::{Sandbox, labels};

/// The connected engines, plus those that could not be reached.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub engines: Vec<Engine>,
    pub down: Vec<(EngineTarget, Error)>,
    /// How the targets were found (for doctor).
    pub discovery: Discovery,
}

/// A resolved name: the sandbox and the engine it lives on.
#[derive(Clone, Debug)]
pub struct Target {
    pub engine: Engine,
    pub sandbox: Sandbox,
}

impl Fleet {
    /// Work out the targets from flags, config and environment.
    pub fn discover(hosts: &[String], config: &Config) -> Result<Discovery> {
        connect::discover(hosts, &config.engine_targets(), &Env::from_process())
    }

    /// The targets to connect to, or an error naming every socket that was tried.
    pub fn targets_or_explain(discovery: &Discovery) -> Result<Vec<EngineTarget>> {
        let targets = discovery.targets();
        if targets.is_empty() {
            let tried: Vec<String> = match discovery {
                Discovery::Nothing { tried } => tried.iter().map(|t| t.url.clone()).collect(),
                _ => Vec::new(),
            };
            return Err(
                Error::failed(format!("no container engine found (tried {})", tried.join(", ")))
                    .hint("start Docker or Podman, or point boxdeck at one with --host URL or DOCKER_HOST"),
            );
        }
        Ok(targets)
    }

    /// Connect to every target. Fails only when no engine at all can be reached.
    pub async fn connect(hosts: &[String], config: &Config) -> Result<Fleet> {
        let discovery = Self::discover(hosts, config)?;
        let targets = Self::targets_or_explain(&discovery)?;
        let mut engines = Vec::new();
        let mut down = Vec::new();
        for (t, r) in Engine::connect_all(&targets).await {
            match r {
                Ok(e) => engines.push(e),
                Err(e) => down.push((t, e)),
            }
        }
        if engines.is_empty() {
            let (_, first) = down.swap_remove(0);
            return Err(first);
        }
        Ok(Fleet {
            engines,
            down,
            discovery,
        })
    }

    /// A fleet over already-connected engines (tests, dashboard workers).
    pub fn from_engines(engines: Vec<Engine>) -> Fleet {
        Fleet {
            engines,
            down: Vec::new(),
            discovery: Discovery::Explicit(Vec::new()),
        }
    }

    pub fn engine(&self, name: &str) -> Option<&Engine> {
        self.engines.iter().find(|e| e.name == name)
    }

    /// Pick the engine for a new sandbox: the named one, or the first.
    pub fn engine_for_create(&self, name: Option<&str>) -> Result<&Engine> {
        match name {
            Some(n) => self.engine(n).ok_or_else(|| {
                let names: Vec<&str> = self.engines.iter().map(|e| e.name.as_str()).collect();
                Error::usage(format!("unknown engine '{n}'")).hint(format!("connected engines: {}", names.join(", ")))
            }),
            None => Ok(&self.engines[0]),
        }
    }

    /// List sandboxes (or, with `all`, every container) across engines, sorted by engine then name.
    pub async fn list(&self, all: bool) -> Result<Vec<Sandbox>> {
        let q = ListQuery {
            all: true,
            labels: if all {
                Vec::new()
            } else {
                vec![labels::MANAGED_FILTER.to_string()]
            },
            ..Default::default()
        };
        let futs = self.engines.iter().map(|e| {
            let q = q.clone();
            async move { e.list(&q).await }
        });
        let mut out = Vec::new();
        for r in futures::future::join_all(futs).await {
            out.extend(r?.iter().map(Sandbox::from_summary));
        }
        out.sort_by(|a, b| (&a.engine, &a.name).cmp(&(&b.engine, &b.name)));
        Ok(out)
    }

    /// Resolve a name: instance label, then container name, then unique id prefix (SPEC 1.3).
    pub async fn resolve(&self, name: &str) -> Result<Target> {
        let all = self.list(true).await?;
        let s = resolve_in(&all, name)?;
        let engine = self.engine(&s.engine).expect("sandbox from a connected engine").clone();
        Ok(Target {
            engine,
            sandbox: s.clone(),
        })
    }

    /// Resolve several names against one listing; every name must resolve.
    pub async fn resolve_many(&self, names: &[String]) -> Result<Vec<Target>> {
        let all = self.list(true).await?;
        let mut out = Vec::new();
        for n in names {
            let s = resolve_in(&all, n)?;
            let engine = self.engine(&s.engine).expect("sandbox from a connected engine").clone();
            out.push(Target {
                engine,
                sandbox: s.clone(),
            });
        }
        Ok(out)
    }
}

/// Name resolution over a listing (pure, for tests).
pub fn resolve_in<'a>(all: &'a [Sandbox], name: &str) -> Result<&'a Sandbox> {
    if name.is_empty() {
        return Err(Error::usage("empty sandbox name"));
    }
    let describe = |s: &Sandbox| format!("{} ({} on {}, {})", s.name, s.short_id(), s.engine, s.state);
    let pick = |v: Vec<&'a Sandbox>, how: &str| -> Option<Result<&'a Sandbox>> {
        match v.len() {
            0 => None,
            1 => Some(Ok(v[0])),
            _ => Some(Err(Error::usage(format!("'{name}' is ambiguous: {} {how}", v.len()))
                .hint(format!(
                    "candidates: {}; use an id prefix",
                    v.iter().map(|s| describe(s)).collect::<Vec<_>>().join(", ")
                )))),
        }
    };
    let by_label: Vec<&Sandbox> = all.iter().filter(|s| s.managed && s.name == name).collect();
    if let Some(r) = pick(by_label, "sandboxes have this instance name") {
        return r;
    }
    let by_name: Vec<&Sandbox> = all.iter().filter(|s| s.container_name == name).collect();
    if let Some(r) = pick(by_name, "containers have this name") {
        return r;
    }
    let hexish = name.chars().all(|c| c.is_ascii_hexdigit());
    if hexish {
        let by_id: Vec<&Sandbox> = all.iter().filter(|s| s.id.starts_with(name)).collect();
        if let Some(r) = pick(by_id, "container ids start with it") {
            return r;
        }
    }
    let mut near: Vec<String> = all
        .iter()
        .filter(|s| s.managed && (s.name.contains(name) || name.contains(&s.name)))
        .map(|s| s.name.clone())
        .collect();
    if near.is_empty() {
        near = all
            .iter()
            .filter(|s| s.managed)
            .map(|s| s.name.clone())
            .take(10)
            .collect();
    }
    let hint = if near.is_empty() {
        "no sandboxes exist; create one with `boxdeck create`".to_string()
    } else {
        format!("candidates: {}", near.join(", "))
    };
    Err(Error::failed(format!("no sandbox or container named '{name}'")).hint(hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sb(name: &str, cname: &str, id: &str, managed: bool) -> Sandbox {
        Sandbox {
            id: id.into(),
            managed,
            container_name: cname.into(),
            ..crate::sandbox::test_sandbox(name)
        }
    }

    #[test]
    fn label_then_name_then_id() {
        let all = vec![
            sb("alpha", "c-alpha", "aaaa1111", true),
            sb("beta", "alpha", "bbbb2222", false),
            sb("gamma", "gamma", "abcd3333", true),
        ];
        assert_eq!(
            resolve_in(&all, "alpha").unwrap().id,
            "aaaa1111",
            "label wins over container name"
        );
        assert_eq!(resolve_in(&all, "c-alpha").unwrap().id, "aaaa1111");
        assert_eq!(resolve_in(&all, "bbbb").unwrap().id, "bbbb2222");
        let e = resolve_in(&all, "a").unwrap_err();
        assert!(e.message.contains("ambiguous"), "{}", e.message);
        assert!(e.hint.as_ref().unwrap().contains("alpha") && e.hint.as_ref().unwrap().contains("gamma"));
        let e = resolve_in(&all, "delta").unwrap_err();
        assert_eq!(e.exit_code(), 1);
        assert!(e.hint.unwrap().contains("alpha"));
    }
}
