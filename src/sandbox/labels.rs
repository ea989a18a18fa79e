//! pocketdock's label scheme (SPEC 1.1), shared with the Python SDK.

use std::collections::BTreeMap;

pub const MANAGED: &str = "pocketdock.managed";
pub const INSTANCE: &str = "pocketdock.instance";
pub const PERSIST: &str = "pocketdock.persist";
pub const CREATED_AT: &str = "pocketdock.created-at";
pub const PROJECT: &str = "pocketdock.project";
pub const PROFILE: &str = "boxdeck.profile";

/// The engine label filter that selects sandboxes.
pub const MANAGED_FILTER: &str = "pocketdock.managed=true";

/// `pocketdock.managed=true` exactly (pocketdock writes lowercase "true").
pub fn is_managed(labels: &BTreeMap<String, String>) -> bool {
    labels.get(MANAGED).is_some_and(|v| v == "true")
}

pub fn is_persistent(labels: &BTreeMap<String, String>) -> bool {
    labels.get(PERSIST).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The labels boxdeck writes on create.
pub fn for_new_sandbox(
    name: &str,
    persist: bool,
    project: Option<&str>,
    profile: &str,
    created_at: &str,
) -> BTreeMap<String, String> {
    let mut l = BTreeMap::new();
    l.insert(MANAGED.into(), "true".into());
    l.insert(INSTANCE.into(), name.into());
    l.insert(PERSIST.into(), if persist { "true" } else { "false" }.into());
    l.insert(CREATED_AT.into(), created_at.into());
    if let Some(p) = project {
        l.insert(PROJECT.into(), p.into());
    }
    l.insert(PROFILE.into(), profile.into());
    l
}

/// Problems with a sandbox's labels, for doctor ("broken labels").
pub fn problems(labels: &BTreeMap<String, String>) -> Vec<String> {
    let mut v = Vec::new();
    if !is_managed(labels) {
        return v;
    }
    match labels.get(INSTANCE) {
        None => v.push(format!("missing {INSTANCE}")),
        Some(n) if n.is_empty() => v.push(format!("empty {INSTANCE}")),
        _ => {}
    }
    match labels.get(PERSIST).map(String::as_str) {
        Some("true" | "false" | "True" | "False") => {}
        Some(x) => v.push(format!("{PERSIST}={x} is neither true nor false")),
        None => v.push(format!("missing {PERSIST}")),
    }
    match labels.get(CREATED_AT) {
        Some(t) if chrono::DateTime::parse_from_rfc3339(t).is_ok() => {}
        Some(t) => v.push(format!("{CREATED_AT}={t} is not an RFC 3339 time")),
        None => v.push(format!("missing {CREATED_AT}")),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_exact_scheme() {
        let l = for_new_sandbox("box1", true, Some("proj"), "default", "2026-11-21T05:48:00Z");
        assert_eq!(l[MANAGED], "true");
        assert_eq!(l[INSTANCE], "box1");
        assert_eq!(l[PERSIST], "true");
        assert_eq!(l[PROJECT], "proj");
        assert_eq!(l[PROFILE], "default");
        assert!(problems(&l).is_empty());
        let l2 = for_new_sandbox("b", false, None, "p", "x");
        assert!(!l2.contains_key(PROJECT));
        assert_eq!(problems(&l2), vec![format!("{CREATED_AT}=x is not an RFC 3339 time")]);
    }

    #[test]
    fn pocketdock_isoformat_parses() {
        let mut l = for_new_sandbox("b", false, None, "p", "2026-11-21T05:48:00.123456+00:00");
        assert!(problems(&l).is_empty());
        l.insert(MANAGED.into(), "yes".into());
        assert!(!is_managed(&l));
    }
}
