//! Where to find the engine (SPEC 2.1) and how to connect to it.
//!
//! Order: `--host` flags (or `[[engines]]` in the config), `DOCKER_HOST`, the current docker
//! context, the rootless Podman socket, `/run/podman/podman.sock`, `/var/run/docker.sock`.
//! Explicit choices (flag, config, env, context) are used as given, so a bad `DOCKER_HOST` is
//! reported instead of silently falling back; the well-known sockets are probed in order.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// How a target was chosen; shown by `doctor` and in error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostSource {
    Flag,
    Config(String),
    DockerHostEnv,
    DockerContext(String),
    PodmanRootless,
    PodmanSystem,
    DockerSocket,
}

impl std::fmt::Display for HostSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostSource::Flag => write!(f, "--host"),
            HostSource::Config(n) => write!(f, "config engine '{n}'"),
            HostSource::DockerHostEnv => write!(f, "DOCKER_HOST"),
            HostSource::DockerContext(c) => write!(f, "docker context '{c}'"),
            HostSource::PodmanRootless => write!(f, "rootless Podman socket"),
            HostSource::PodmanSystem => write!(f, "system Podman socket"),
            HostSource::DockerSocket => write!(f, "Docker socket"),
        }
    }
}

/// TLS material for `tcp://` with `DOCKER_TLS_VERIFY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// One engine to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineTarget {
    /// Display name (config name, or derived after connecting from the engine kind).
    pub name: Option<String>,
    pub url: String,
    pub source: HostSource,
    pub tls: Option<TlsFiles>,
}

impl EngineTarget {
    pub fn new(url: impl Into<String>, source: HostSource) -> Self {
        Self {
            name: None,
            url: url.into(),
            source,
            tls: None,
        }
    }
}

/// The parsed form of a host URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

/// Parse and validate a host URL: `unix:///path`, `tcp://host:port`, or an absolute socket path.
pub fn parse_url(url: &str) -> Result<Endpoint> {
    let bad = |why: &str| {
        Error::usage(format!("bad engine address '{url}': {why}")).hint("use unix:///path/to/socket or tcp://host:port")
    };
    if let Some(path) = url.strip_prefix("unix://") {
        if path.is_empty() || !path.starts_with('/') {
            return Err(bad("a unix:// address needs an absolute socket path"));
        }
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    if url.starts_with('/') {
        return Ok(Endpoint::Unix(PathBuf::from(url)));
    }
    for scheme in ["tcp://", "http://", "https://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let hostport = rest.trim_end_matches('/');
            let (host, port) = match hostport.rsplit_once(':') {
                Some((h, p)) => (h, p),
                None => return Err(bad("missing port")),
            };
            if host.is_empty() {
                return Err(bad("missing host"));
            }
            if port.parse::<u16>().is_err() {
                return Err(bad("port is not a number"));
            }
            return Ok(Endpoint::Tcp(hostport.to_string()));
        }
    }
    if url.starts_with("ssh://") {
        return Err(bad("ssh:// is not supported").hint("forward the socket with `ssh -L` and use unix:// or tcp://"));
    }
    Err(bad("unknown scheme"))
}

/// What the environment says, gathered once so discovery is testable.
#[derive(Debug, Clone, Default)]
pub struct Env {
    pub docker_host: Option<String>,
    pub docker_context: Option<String>,
    pub docker_config: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
    pub tls_verify: bool,
    pub cert_path: Option<PathBuf>,
}

impl Env {
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Env {
            docker_host: var("DOCKER_HOST"),
            docker_context: var("DOCKER_CONTEXT"),
            docker_config: var("DOCKER_CONFIG").map(PathBuf::from),
            home: var("HOME").map(PathBuf::from),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR").map(PathBuf::from),
            tls_verify: var("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0"),
            cert_path: var("DOCKER_CERT_PATH").map(PathBuf::from),
        }
    }

    fn docker_dir(&self) -> Option<PathBuf> {
        self.docker_config
            .clone()
            .or_else(|| self.home.as_ref().map(|h| h.join(".docker")))
    }

    fn tls_files(&self) -> Option<TlsFiles> {
        if !self.tls_verify {
            return None;
        }
        let dir = self.cert_path.clone().or_else(|| self.docker_dir())?;
        Some(TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        })
    }
}

/// The candidate sockets probed when nothing explicit is set, in order.
pub fn well_known_sockets(env: &Env) -> Vec<EngineTarget> {
    let mut v = Vec::new();
    if let Some(x) = &env.xdg_runtime_dir {
        v.push(EngineTarget::new(
            format!("unix://{}", x.join("podman/podman.sock").display()),
            HostSource::PodmanRootless,
        ));
    }
    v.push(EngineTarget::new(
        "unix:///run/podman/podman.sock",
        HostSource::PodmanSystem,
    ));
    v.push(EngineTarget::new(
        "unix:///var/run/docker.sock",
        HostSource::DockerSocket,
    ));
    v
}

/// The current docker context's endpoint, if a non-default context is selected.
pub fn docker_context_target(env: &Env) -> Result<Option<EngineTarget>> {
    let Some(dir) = env.docker_dir() else { return Ok(None) };
    let name = match &env.docker_context {
        Some(n) => n.clone(),
        None => {
            let cfg = dir.join("config.json");
            let Ok(text) = std::fs::read_to_string(&cfg) else {
                return Ok(None);
            };
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                Error::usage(format!("malformed {}: {e}", cfg.display())).hint("fix the JSON or remove the file")
            })?;
            match v.get("currentContext").and_then(|c| c.as_str()) {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => return Ok(None),
            }
        }
    };
    if name == "default" {
        return Ok(None);
    }
    let hash = sha256_hex(name.as_bytes());
    let meta = dir.join("contexts/meta").join(&hash).join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        Error::usage(format!(
            "docker context '{name}' is selected but {} cannot be read: {e}",
            meta.display()
        ))
        .hint("run `docker context use default` or unset DOCKER_CONTEXT")
    })?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::usage(format!("malformed {}: {e}", meta.display())))?;
    let host = v
        .pointer("/Endpoints/docker/Host")
        .and_then(|h| h.as_str())
        .ok_or_else(|| Error::usage(format!("docker context '{name}' has no docker endpoint")))?;
    let mut t = EngineTarget::new(host, HostSource::DockerContext(name));
    let tls_dir = dir.join("contexts/tls").join(&hash).join("docker");
    if tls_dir.join("ca.pem").exists() {
        t.tls = Some(TlsFiles {
            ca: tls_dir.join("ca.pem"),
            cert: tls_dir.join("cert.pem"),
            key: tls_dir.join("key.pem"),
        });
    }
    Ok(Some(t))
}

/// Resolve the engines to use. `flags` are `--host` values; `configured` the config's engines.
/// Returns the explicit targets, or the first well-known socket that exists (or, when none
/// exists, all of them so the caller can report each one tried).
pub fn discover(flags: &[String], configured: &[EngineTarget], env: &Env) -> Result<Discovery> {
    if !flags.is_empty() {
        let mut v = Vec::new();
        for f in flags {
            parse_url(f)?;
            let mut t = EngineTarget::new(f.clone(), HostSource::Flag);
            t.tls = env.tls_files().filter(|_| f.starts_with("tcp://"));
            v.push(t);
        }
        return Ok(Discovery::Explicit(v));
    }
    if !configured.is_empty() {
        for t in configured {
            parse_url(&t.url)?;
        }
        return Ok(Discovery::Explicit(configured.to_vec()));
    }
    if let Some(h) = &env.docker_host {
        parse_url(h).map_err(|e| e.context("DOCKER_HOST"))?;
        let mut t = EngineTarget::new(h.clone(), HostSource::DockerHostEnv);
        t.tls = env.tls_files().filter(|_| h.starts_with("tcp://"));
        return Ok(Discovery::Explicit(vec![t]));
    }
    if let Some(t) = docker_context_target(env)? {
        parse_url(&t.url)?;
        return Ok(Discovery::Explicit(vec![t]));
    }
    let sockets = well_known_sockets(env);
    for s in &sockets {
        if let Ok(Endpoint::Unix(p)) = parse_url(&s.url)
            && socket_exists(&p)
        {
            return Ok(Discovery::Probed {
                chosen: s.clone(),
                tried: sockets,
            });
        }
    }
    Ok(Discovery::Nothing { tried: sockets })
}

/// Result of [`discover`].
#[derive(Debug, Clone)]
pub enum Discovery {
    Explicit(Vec<EngineTarget>),
    Probed {
        chosen: EngineTarget,
        tried: Vec<EngineTarget>,
    },
    Nothing {
        tried: Vec<EngineTarget>,
    },
}

impl Discovery {
    pub fn targets(&self) -> Vec<EngineTarget> {
        match self {
            Discovery::Explicit(v) => v.clone(),
            Discovery::Probed { chosen, .. } => vec![chosen.clone()],
            Discovery::Nothing { .. } => Vec::new(),
        }
    }
}

fn socket_exists(p: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(p).map(|m| m.file_type().is_socket()).unwrap_or(false)
}

/// A small SHA-256, enough for docker context directory names (hex of the context name).
fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bitlen = (data.len() as u64) * 8;
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bitlen.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([chunk[4 * i], chunk[4 * i + 1], chunk[4 * i + 2], chunk[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("unix:///var/run/docker.sock").unwrap(),
            Endpoint::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(
            parse_url("tcp://10.0.0.1:2376").unwrap(),
            Endpoint::Tcp("10.0.0.1:2376".into())
        );
        assert!(parse_url("tcp://nohost").is_err());
        assert!(parse_url("bogus").is_err());
        assert!(parse_url("unix://relative").is_err());
        assert_eq!(parse_url("bogus").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn order_flag_then_env_then_context_then_sockets() {
        let env = Env {
            docker_host: Some("tcp://h:1".into()),
            ..Default::default()
        };
        let d = discover(&["unix:///a.sock".into()], &[], &env).unwrap();
        assert_eq!(d.targets()[0].source, HostSource::Flag);
        let d = discover(&[], &[], &env).unwrap();
        assert_eq!(d.targets()[0].source, HostSource::DockerHostEnv);

        let dir = tempfile::tempdir().unwrap();
        let hash = sha256_hex(b"remote");
        let meta = dir.path().join("contexts/meta").join(&hash);
        std::fs::create_dir_all(&meta).unwrap();
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"tcp://ctx:2375"}}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("config.json"), r#"{"currentContext":"remote"}"#).unwrap();
        let env = Env {
            docker_config: Some(dir.path().into()),
            ..Default::default()
        };
        let d = discover(&[], &[], &env).unwrap();
        assert_eq!(d.targets()[0].url, "tcp://ctx:2375");

        let env = Env {
            xdg_runtime_dir: Some("/nonexistent-xdg".into()),
            ..Default::default()
        };
        let socks = well_known_sockets(&env);
        assert_eq!(socks[0].url, "unix:///nonexistent-xdg/podman/podman.sock");
        assert_eq!(socks[1].url, "unix:///run/podman/podman.sock");
        assert_eq!(socks[2].url, "unix:///var/run/docker.sock");
    }

    #[test]
    fn bad_docker_host_is_usage_error() {
        let env = Env {
            docker_host: Some("nonsense".into()),
            ..Default::default()
        };
        let e = discover(&[], &[], &env).unwrap_err();
        assert!(e.message.contains("DOCKER_HOST"), "{}", e.message);
        assert_eq!(e.exit_code(), 2);
    }
}
