//! Plain-substring search over sanitised line text, smart-case: a query with no upper-case
//! letter matches case-insensitively, one with an upper-case letter matches exactly.

use std::ops::Range;

/// A compiled search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    text: String,
    case_sensitive: bool,
}

impl Query {
    /// None for an empty query.
    pub fn new(text: &str) -> Option<Query> {
        if text.is_empty() {
            return None;
        }
        let case_sensitive = text.chars().any(|c| c.is_uppercase());
        Some(Query {
            text: text.to_string(),
            case_sensitive,
        })
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn case_sensitive(&self) -> bool {
        self.case_sensitive
    }

    /// True when `hay` contains the query.
    pub fn is_match(&self, hay: &str) -> bool {
        self.find_from(hay, 0).is_some()
    }

    /// Every non-overlapping match in `hay`, as byte ranges (always on char boundaries).
    pub fn find_all(&self, hay: &str) -> Vec<Range<usize>> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(r) = self.find_from(hay, at) {
            at = r.end.max(r.start + 1);
            out.push(r);
            if at > hay.len() {
                break;
            }
        }
        out
    }

    /// The first match starting at or after byte `from` (a char boundary).
    fn find_from(&self, hay: &str, from: usize) -> Option<Range<usize>> {
        let rest = hay.get(from..)?;
        if self.case_sensitive {
            return rest.find(&self.text).map(|s| from + s..from + s + self.text.len());
        }
        if self.text.is_ascii() {
            return find_ascii_nocase(rest.as_bytes(), self.text.as_bytes())
                .map(|s| from + s..from + s + self.text.len());
        }
        // Non-ASCII, case-insensitive: compare char by char with simple lower-casing.
        for (s, _) in rest.char_indices() {
            if let Some(len) = match_fold_at(&rest[s..], &self.text) {
                return Some(from + s..from + s + len);
            }
        }
        None
    }
}

/// ASCII case-insensitive search of an ASCII needle. Non-ASCII bytes of the haystack never
/// match an ASCII byte, so offsets are always char boundaries.
fn find_ascii_nocase(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let m = needle.len();
    if m == 0 || hay.len() < m {
        return None;
    }
    let first_lo = needle[0].to_ascii_lowercase();
    let first_up = needle[0].to_ascii_uppercase();
    let last = hay.len() - m;
    let mut i = 0;
    while i <= last {
        let b = hay[i];
        if (b == first_lo || b == first_up) && hay[i + 1..i + m].eq_ignore_ascii_case(&needle[1..]) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// If `hay` starts with `needle` ignoring case, the byte length of the matched prefix of `hay`.
fn match_fold_at(hay: &str, needle: &str) -> Option<usize> {
    let mut h = hay.char_indices();
    for nc in needle.chars() {
        let (_, hc) = h.next()?;
        if hc != nc && !hc.to_lowercase().eq(nc.to_lowercase()) {
            return None;
        }
    }
    Some(h.next().map(|(i, _)| i).unwrap_or(hay.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smart_case() {
        let q = Query::new("error").unwrap();
        assert!(!q.case_sensitive());
        assert!(q.is_match("an ERROR here"));
        let q = Query::new("Error").unwrap();
        assert!(q.case_sensitive());
        assert!(!q.is_match("an ERROR here"));
        assert!(q.is_match("an Error here"));
        assert!(Query::new("").is_none());
    }

    #[test]
    fn find_all_ranges() {
        let q = Query::new("ab").unwrap();
        assert_eq!(q.find_all("abxABab"), vec![0..2, 3..5, 5..7]);
        assert_eq!(q.find_all("nothing"), Vec::<Range<usize>>::new());
        // Non-ASCII haystack with an ASCII needle: offsets stay on char boundaries.
        assert_eq!(q.find_all("ééab"), vec![4..6]);
    }

    #[test]
    fn non_ascii_case_insensitive() {
        let q = Query::new("ärger").unwrap();
        assert_eq!(q.find_all("x ÄRGER y ärger"), vec![2..8, 11..17]);
    }
}
