//! A fallback for engine answers bollard's typed models reject.
//!
//! Podman 4 reports states outside Docker's enum (`stopped` between a stop and its cleanup,
//! `configured`, `initialized`), and one such value makes bollard's typed parse of a whole
//! container list or inspect fail. When that happens the engine layer fetches the same document
//! as raw JSON over a plain HTTP/1.1 request, rewrites those words to Docker's, and parses it
//! with the same typed model. Only unix sockets and plain TCP are supported here; over TLS the
//! original error stands.

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Engine;
use super::connect::{Endpoint, parse_url};
use crate::{Error, Result};

/// True when a bollard error is a failed parse of the engine's JSON.
pub fn is_parse_error(e: &bollard::errors::Error) -> bool {
    matches!(
        e,
        bollard::errors::Error::JsonSerdeError { .. } | bollard::errors::Error::JsonDataError { .. }
    )
}

/// Docker's word for a Podman state.
pub fn normalize_state(s: &str) -> &str {
    match s {
        "stopped" => "exited",
        "configured" | "initialized" => "created",
        "stopping" => "running",
        other => other,
    }
}

const DOCKER_STATES: [&str; 8] = [
    "",
    "created",
    "running",
    "paused",
    "restarting",
    "exited",
    "removing",
    "dead",
];

fn fix_state(v: &mut Value) {
    if let Some(s) = v.as_str()
        && !DOCKER_STATES.contains(&s)
    {
        let n = normalize_state(s);
        *v = Value::String(if DOCKER_STATES.contains(&n) { n } else { "dead" }.to_string());
    }
}

/// Rewrite Podman's state words in a container list.
pub fn normalize_list(v: &mut Value) {
    if let Some(arr) = v.as_array_mut() {
        for c in arr {
            if let Some(s) = c.get_mut("State") {
                fix_state(s);
            }
        }
    }
}

/// Rewrite Podman's state words in a container inspect.
pub fn normalize_inspect(v: &mut Value) {
    if let Some(s) = v.pointer_mut("/State/Status") {
        fix_state(s);
    }
}

impl Engine {
    /// GET `path` (e.g. `/containers/json?all=1`) and parse the JSON body.
    pub(crate) async fn raw_get(&self, path: &str) -> Result<Value> {
        let req = format!(
            "GET /v{}{path} HTTP/1.1\r\nHost: boxdeck\r\nConnection: close\r\n\r\n",
            self.api_version
        );
        let bytes = match parse_url(&self.url)? {
            Endpoint::Unix(p) => {
                let s = tokio::net::UnixStream::connect(&p).await?;
                exchange(s, req.as_bytes()).await?
            }
            Endpoint::Tcp(addr) => {
                if std::env::var("DOCKER_TLS_VERIFY").is_ok_and(|v| !v.is_empty() && v != "0") {
                    return Err(Error::failed("raw engine request over TLS is not supported"));
                }
                let s = tokio::net::TcpStream::connect(&addr).await?;
                exchange(s, req.as_bytes()).await?
            }
        };
        let (status, body) = parse_response(&bytes)?;
        if status != 200 {
            let msg = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            let e = if status == 404 {
                Error::not_found(format!("not found: {msg}"))
            } else {
                Error::failed(format!("{msg} (HTTP {status})"))
            };
            return Err(e.context(format!("engine {}", self.name)));
        }
        serde_json::from_slice(&body).map_err(|e| Error::failed(format!("engine {}: bad JSON: {e}", self.name)))
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, req: &[u8]) -> Result<Vec<u8>> {
    s.write_all(req).await?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await?;
    Ok(buf)
}

/// Split an HTTP/1.1 response into status and (de-chunked) body.
pub fn parse_response(bytes: &[u8]) -> Result<(u16, Vec<u8>)> {
    let bad = || Error::failed("malformed HTTP response from the engine");
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(bad)?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| bad())?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.to_ascii_lowercase().contains("chunked")
    });
    let mut body = &bytes[end + 4..];
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    loop {
        let nl = body.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = std::str::from_utf8(&body[..nl]).map_err(|_| bad())?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16).map_err(|_| bad())?;
        body = &body[nl + 2..];
        if size == 0 {
            break;
        }
        if body.len() < size {
            return Err(bad());
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or(&[]);
    }
    Ok((status, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_states_become_docker_states() {
        let mut v = serde_json::json!([{"State": "stopped"}, {"State": "configured"}, {"State": "running"}, {"State": "weird"}]);
        normalize_list(&mut v);
        let states: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["State"].as_str().unwrap())
            .collect();
        assert_eq!(states, vec!["exited", "created", "running", "dead"]);
        let mut i = serde_json::json!({"State": {"Status": "stopped"}});
        normalize_inspect(&mut i);
        assert_eq!(i["State"]["Status"], "exited");
    }

    #[test]
    fn chunked_and_plain_bodies() {
        let r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[1,2\r\n2\r\n,3\r\n1\r\n]\r\n0\r\n\r\n";
        let (s, b) = parse_response(r).unwrap();
        assert_eq!(s, 200);
        assert_eq!(b, b"[1,2,3]");
        let (s, b) = parse_response(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!((s, b.as_slice()), (404, &b"{}"[..]));
        assert!(parse_response(b"garbage").is_err());
    }
}
