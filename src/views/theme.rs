//! Colours, overridable from the config's `[colors]` map (`element = "colour"`).
//!
//! Colours are names (`red`, `lightblue`, `darkgray`, `reset`), `#rrggbb`, or an index `0`..`255`.

use std::collections::BTreeMap;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::{Error, Result};

/// The dashboard's colours.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub accent: Color,
    pub border: Color,
    pub header: Color,
    pub selected_bg: Color,
    pub marked: Color,
    pub running: Color,
    pub stopped: Color,
    pub paused: Color,
    pub error: Color,
    pub dim: Color,
    pub stderr: Color,
    pub info: Color,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            accent: Color::Cyan,
            border: Color::DarkGray,
            header: Color::Yellow,
            selected_bg: Color::Blue,
            marked: Color::Magenta,
            running: Color::Green,
            stopped: Color::Gray,
            paused: Color::Yellow,
            error: Color::Red,
            dim: Color::DarkGray,
            stderr: Color::LightRed,
            info: Color::Green,
        }
    }
}

/// The names accepted in `[colors]`.
pub const ELEMENTS: [&str; 12] = [
    "accent", "border", "header", "selected", "marked", "running", "stopped", "paused", "error", "dim", "stderr",
    "info",
];

impl Theme {
    pub fn from_config(colors: &BTreeMap<String, String>) -> Result<Theme> {
        let mut t = Theme::default();
        for (name, value) in colors {
            let c = Color::from_str(value.trim()).map_err(|_| {
                Error::usage(format!("bad colour '{value}' for '{name}' in [colors]"))
                    .hint("use a name like \"cyan\", \"#88c0d0\" or an index 0-255")
            })?;
            let slot = match name.as_str() {
                "accent" => &mut t.accent,
                "border" => &mut t.border,
                "header" => &mut t.header,
                "selected" => &mut t.selected_bg,
                "marked" => &mut t.marked,
                "running" => &mut t.running,
                "stopped" => &mut t.stopped,
                "paused" => &mut t.paused,
                "error" => &mut t.error,
                "dim" => &mut t.dim,
                "stderr" => &mut t.stderr,
                "info" => &mut t.info,
                _ => {
                    return Err(Error::usage(format!("unknown element '{name}' in [colors]"))
                        .hint(format!("known elements: {}", ELEMENTS.join(", "))));
                }
            };
            *slot = c;
        }
        Ok(t)
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            Style::default().fg(self.accent)
        } else {
            Style::default().fg(self.border)
        }
    }

    /// The log pane's styles from these colours.
    pub fn log_theme(&self) -> crate::logview::LogTheme {
        crate::logview::LogTheme {
            stderr: Style::default().fg(self.stderr),
            stderr_marker: Style::default().fg(self.error),
            timestamp: Style::default().fg(self.dim),
            dim: Style::default().fg(self.dim),
            ..Default::default()
        }
    }

    pub fn title(&self) -> Style {
        Style::default().fg(self.accent).add_modifier(Modifier::BOLD)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_from_config() {
        let mut m = BTreeMap::new();
        m.insert("accent".to_string(), "#ff0000".to_string());
        m.insert("marked".to_string(), "42".to_string());
        let t = Theme::from_config(&m).unwrap();
        assert_eq!(t.accent, Color::Rgb(255, 0, 0));
        assert_eq!(t.marked, Color::Indexed(42));
        m.insert("bogus".to_string(), "red".to_string());
        assert_eq!(Theme::from_config(&m).unwrap_err().exit_code(), 2);
        let mut m = BTreeMap::new();
        m.insert("accent".to_string(), "not-a-colour".to_string());
        assert!(Theme::from_config(&m).unwrap_err().message.contains("not-a-colour"));
    }
}
