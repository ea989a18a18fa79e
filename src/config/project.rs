//! pocketdock projects (SPEC 3.3): a folder with `.pocketdock/pocketdock.yaml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Error, Result};

pub const PROJECT_DIR: &str = ".pocketdock";
pub const PROJECT_FILE: &str = "pocketdock.yaml";

/// A parsed project file. Unknown keys (pocketdock's `logging:` and others) are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub root: PathBuf,
    pub name: String,
    pub default_profile: Option<String>,
    pub default_persist: bool,
}

#[derive(Debug, Deserialize, Default)]
struct ProjectFile {
    project_name: Option<String>,
    default_profile: Option<String>,
    default_persist: Option<bool>,
}

/// Walk up from `start` looking for `.pocketdock/pocketdock.yaml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let mut cur = Some(start);
    while let Some(dir) = cur {
        if dir.join(PROJECT_DIR).join(PROJECT_FILE).is_file() {
            return Some(dir.to_path_buf());
        }
        cur = dir.parent();
    }
    None
}

/// Find and parse the project around `start`; `Ok(None)` outside any project.
pub fn discover(start: &Path) -> Result<Option<Project>> {
    match find_root(start) {
        Some(root) => load(&root).map(Some),
        None => Ok(None),
    }
}

/// Parse the project file at `root`.
pub fn load(root: &Path) -> Result<Project> {
    let path = root.join(PROJECT_DIR).join(PROJECT_FILE);
    let text =
        std::fs::read_to_string(&path).map_err(|e| Error::failed(format!("cannot read {}: {e}", path.display())))?;
    let f: ProjectFile = if text.trim().is_empty() {
        ProjectFile::default()
    } else {
        serde_yaml::from_str(&text).map_err(|e| {
            Error::usage(format!("malformed project file {}: {e}", path.display()))
                .hint("fix the YAML, or recreate it with `boxdeck init` after moving it away")
        })?
    };
    let name = f.project_name.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| {
        root.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into())
    });
    Ok(Project {
        root: root.to_path_buf(),
        name,
        default_profile: f.default_profile,
        default_persist: f.default_persist.unwrap_or(false),
    })
}

/// Write a project file in `dir` (pocketdock's format). Returns the project; an existing file is
/// kept as it is.
pub fn init(dir: &Path, name: Option<&str>) -> Result<(Project, bool)> {
    let pd = dir.join(PROJECT_DIR);
    let path = pd.join(PROJECT_FILE);
    if path.exists() {
        return load(dir).map(|p| (p, false));
    }
    std::fs::create_dir_all(pd.join("instances"))
        .map_err(|e| Error::failed(format!("cannot create {}: {e}", pd.display())))?;
    let name = name.map(str::to_string).unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into())
    });
    let text = format!(
        "# Project configuration for pocketdock and boxdeck\nproject_name: {}\ndefault_profile: minimal-python\ndefault_persist: false\n\nlogging:\n  auto_log: true\n  max_log_size: \"10MB\"\n  max_logs_per_instance: 100\n  retention_days: 30\n",
        yaml_scalar(&name)
    );
    std::fs::write(&path, text).map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))?;
    load(dir).map(|p| (p, true))
}

fn yaml_scalar(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && !s.is_empty() {
        s.to_string()
    } else {
        format!("{s:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_then_discover_from_subdir() {
        let d = tempfile::tempdir().unwrap();
        let (p, created) = init(d.path(), Some("demo")).unwrap();
        assert!(created);
        assert_eq!(p.name, "demo");
        let sub = d.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let found = discover(&sub).unwrap().unwrap();
        assert_eq!(found.name, "demo");
        assert_eq!(found.default_profile.as_deref(), Some("minimal-python"));
        let (_, again) = init(d.path(), Some("other")).unwrap();
        assert!(!again, "existing file is kept");
    }

    #[test]
    fn malformed_is_usage_error() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(PROJECT_DIR)).unwrap();
        std::fs::write(
            d.path().join(PROJECT_DIR).join(PROJECT_FILE),
            "project_name: [unclosed\n",
        )
        .unwrap();
        let e = discover(d.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.contains("malformed project file"));
    }
}
