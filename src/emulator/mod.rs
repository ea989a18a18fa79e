//! Session panes: a real terminal emulated inside the dashboard (SPEC 5).
//!
//! - [`session`]: [`Session`], one shell exec with a TTY, its reader task, parser thread,
//!   writer task and resizer; status and close.
//! - [`term`]: the vt100 0.18 screen with scrollback and query answers, and its tui-term view.
//! - [`input`]: xterm encoding of keys, pastes and mouse events.
//! - [`tabs`]: the dashboard's Sessions tab (tabs, key/paste/mouse routing, drawing).
//! - [`draw`]: drawing a session into a pane (tui-term `PseudoTerminal`, cursor included).
//! - [`resolve_shell`]: which shell a session runs.
//!
//! The plain-terminal variant (`boxdeck shell NAME`) lives in `cli/shell.rs`; it passes bytes
//! straight through since the real terminal does the emulation there.

pub mod input;
pub mod session;
pub mod tabs;
pub mod term;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use tui_term::widget::{Cursor, PseudoTerminal};

pub use session::{SESSION_TERM, Session, Status};

use crate::config::Config;
use crate::engine::{Engine, ExecSpec};
use crate::sandbox::Sandbox;

/// The shell a session runs in `sandbox`: the profile's `shell` when it names one, else
/// `/bin/bash` when it runs in the sandbox, else `/bin/sh`.
pub async fn resolve_shell(engine: &Engine, sandbox: &Sandbox, config: &Config) -> Vec<String> {
    shell_for(engine, &sandbox.id, sandbox.profile.as_deref(), config).await
}

/// [`resolve_shell`] by container id and profile name.
pub async fn shell_for(engine: &Engine, container: &str, profile: Option<&str>, config: &Config) -> Vec<String> {
    let configured = profile
        .and_then(|p| config.profile(p).ok())
        .and_then(|p| p.shell)
        .filter(|s| !s.trim().is_empty());
    if let Some(s) = configured {
        return s.split_whitespace().map(str::to_string).collect();
    }
    default_shell(engine, container).await
}

/// `/bin/bash` when it runs in the container, else `/bin/sh`.
pub async fn default_shell(engine: &Engine, container: &str) -> Vec<String> {
    let probe = ExecSpec::cmd(["/bin/bash", "-c", "exit 0"]);
    match engine.exec_collect(container, &probe).await {
        Ok(o) if o.exit_code == 0 => vec!["/bin/bash".into()],
        _ => vec!["/bin/sh".into()],
    }
}

/// Draw a session into `area`. The cursor shows when the pane is focused and the view is
/// live; a scrolled-back view says how far back it is; an ended session says how it ended on
/// its last row.
pub fn draw(frame: &mut Frame, area: Rect, session: &Session, focused: bool) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let status = session.status();
    let term = session.terminal();
    let back = term.scrollback();
    let view = term.view();
    let cursor = Cursor::default().visibility(focused && back == 0 && status.is_running());
    frame.render_widget(PseudoTerminal::new(&view).cursor(cursor), area);
    drop(term);
    let badge = Style::default()
        .fg(Color::Black)
        .bg(Color::Yellow)
        .add_modifier(Modifier::BOLD);
    if back > 0 {
        let text = format!(" scrollback -{back} ");
        let w = (text.len() as u16).min(area.width);
        let r = Rect::new(area.x + area.width - w, area.y, w, 1);
        frame.render_widget(Paragraph::new(Span::styled(text, badge)), r);
    }
    if !status.is_running() {
        let style = match status {
            Status::Exited(0) => Style::default().fg(Color::Black).bg(Color::Green),
            _ => Style::default().fg(Color::White).bg(Color::Red),
        };
        let text = format!(" session ended: {status} ");
        let r = Rect::new(area.x, area.y + area.height - 1, area.width, 1);
        frame.render_widget(
            Paragraph::new(Span::styled(text, style.add_modifier(Modifier::BOLD))),
            r,
        );
    }
}
