//! Plain-text tables and JSON output for the CLI.

use std::io::Write;

/// Print rows as left-aligned columns; the header is upper case.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        let n = cells.len();
        for (i, c) in cells.into_iter().enumerate() {
            out.push_str(&c);
            if i + 1 < n {
                let pad = widths[i] - c.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(headers.iter().map(|h| h.to_string()).collect(), &mut out);
    for r in rows {
        line(r.clone(), &mut out);
    }
    out
}

/// Print one JSON document on stdout.
pub fn json<T: serde::Serialize>(v: &T) -> crate::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

/// Age of an RFC 3339 time, compact ("5m").
pub fn age(rfc3339: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => {
            let secs = (chrono::Utc::now().timestamp() - t.timestamp()).max(0) as u64;
            crate::util::human_duration(std::time::Duration::from_secs(secs))
        }
        Err(_) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_aligns() {
        let t = super::table(
            &["NAME", "STATE"],
            &[vec!["a".into(), "running".into()], vec!["longer".into(), "x".into()]],
        );
        assert_eq!(t, "NAME    STATE\na       running\nlonger  x\n");
    }
}
