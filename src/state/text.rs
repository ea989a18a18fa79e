//! Making untrusted text (container output, health check output) safe to draw: escape
//! sequences and control characters never reach the real terminal.

/// Drop escape sequences and control characters (tabs become spaces).
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // CSI: ESC [ params final. OSC, DCS, APC, PM: up to BEL or ST. Other: ESC + one char.
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('_') | Some('^') => {
                    chars.next();
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' || d == '\u{9c}' {
                            break;
                        }
                        if d == '\u{1b}' {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_controls_are_dropped() {
        assert_eq!(sanitize("\x1b[31mred\x1b[0m \x1b]0;title\x07bell\x07"), "red bell");
        assert_eq!(sanitize("a\tb\r\x08"), "a    b");
        assert_eq!(
            sanitize("x\x1bPq#0;1\x1b\\y\x1b_apc\u{9c}z"),
            "xyz",
            "DCS and APC strings dropped"
        );
    }
}
