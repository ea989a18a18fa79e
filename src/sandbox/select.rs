//! Choosing several sandboxes at once (SPEC 1.4, 7.1): by names, by label, by project.
//!
//! A single name may be any container (actions one by one are allowed on non-sandboxes). A
//! selection of more than one target, or any selection by label or project, only ever contains
//! sandboxes (`pocketdock.managed=true`): bulk actions never touch anything else.

use super::fleet::{Target, resolve_in};
use super::{Fleet, Sandbox};
use crate::{Error, Result};

/// What the user selected. Names, labels and project combine: names are added to whatever the
/// label/project filters match.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub names: Vec<String>,
    /// `key=value` or `key`; all must match.
    pub labels: Vec<String>,
    pub project: Option<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.labels.is_empty() && self.project.is_none()
    }

    fn has_filter(&self) -> bool {
        !self.labels.is_empty() || self.project.is_some()
    }

    /// Whether a sandbox matches the label/project filters.
    pub fn matches(&self, s: &Sandbox, labels: &std::collections::BTreeMap<String, String>) -> bool {
        if !s.managed {
            return false;
        }
        if let Some(p) = &self.project
            && s.project.as_ref() != Some(p)
        {
            return false;
        }
        self.labels.iter().all(|l| match l.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
            None => labels.contains_key(l.as_str()),
        })
    }
}

impl Fleet {
    /// Resolve a selection into targets, without duplicates, in a stable order.
    pub async fn select(&self, sel: &Selection) -> Result<Vec<Target>> {
        if sel.is_empty() {
            return Err(Error::usage("nothing selected")
                .hint("name sandboxes, or select with --label KEY=VALUE or --project P"));
        }
        // One listing for names (all containers) and one for the filters (labels needed).
        let all = self.list(true).await?;
        let mut picked: Vec<Sandbox> = Vec::new();
        for n in &sel.names {
            let s = resolve_in(&all, n)?;
            if !picked.iter().any(|p| p.id == s.id) {
                picked.push(s.clone());
            }
        }
        if sel.has_filter() {
            let mut filters: Vec<String> = vec![super::labels::MANAGED_FILTER.into()];
            filters.extend(sel.labels.iter().cloned());
            if let Some(p) = &sel.project {
                filters.push(format!("{}={p}", super::labels::PROJECT));
            }
            let q = crate::engine::containers::ListQuery {
                all: true,
                labels: filters,
                ..Default::default()
            };
            let mut matched = Vec::new();
            for e in &self.engines {
                for c in e.list(&q).await? {
                    let s = Sandbox::from_summary(&c);
                    if sel.matches(&s, &c.labels) {
                        matched.push(s);
                    }
                }
            }
            matched.sort_by(|a, b| (&a.engine, &a.name).cmp(&(&b.engine, &b.name)));
            if matched.is_empty() && sel.names.is_empty() {
                return Err(Error::failed("no sandboxes match the selection")
                    .hint("check the --label/--project values with `boxdeck ls`"));
            }
            for s in matched {
                if !picked.iter().any(|p| p.id == s.id) {
                    picked.push(s);
                }
            }
        }
        if picked.len() > 1 || sel.has_filter() {
            let foreign: Vec<&str> = picked.iter().filter(|s| !s.managed).map(|s| s.name.as_str()).collect();
            if !foreign.is_empty() {
                return Err(Error::usage(format!(
                    "{} not a sandbox (no pocketdock.managed=true); bulk actions only take sandboxes",
                    foreign.join(", ")
                ))
                .hint("act on a non-sandbox container one at a time"));
            }
        }
        Ok(picked
            .into_iter()
            .map(|s| Target {
                engine: self.engine(&s.engine).expect("connected engine").clone(),
                sandbox: s,
            })
            .collect())
    }
}
