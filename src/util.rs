//! Small helpers shared across layers: durations, sizes, time formatting.

use std::time::Duration;

/// Parse a human duration: `90s`, `15m`, `2h`, `3d`, `1h30m`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> crate::Result<Duration> {
    let t = s.trim();
    if t.is_empty() {
        return Err(crate::Error::usage("empty duration").hint("use e.g. 30s, 15m, 2h, 7d"));
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t)
        .map_err(|e| crate::Error::usage(format!("bad duration '{s}': {e}")).hint("use e.g. 30s, 15m, 2h, 7d"))
}

/// Parse a memory size: `512m`, `1g`, `1.5g`, `256MiB`, or bytes.
pub fn parse_size(s: &str) -> crate::Result<i64> {
    let t = s.trim().to_ascii_lowercase();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| crate::Error::usage(format!("bad size '{s}'")).hint("use e.g. 512m or 1g"))?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(crate::Error::usage(format!("bad size unit in '{s}'")).hint("use k, m or g")),
    };
    Ok((n * mult) as i64)
}

/// Format bytes as a short human size (`1.2 GiB`).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

/// Format a duration compactly: `45s`, `12m`, `3h`, `5d`.
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// Current UTC time as RFC 3339 with second precision (`2026-11-21T05:48:00Z`).
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        let e = parse_duration("soon").unwrap_err();
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512m").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_size("1g").unwrap(), 1024 * 1024 * 1024);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("12q").is_err());
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
