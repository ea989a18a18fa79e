//! Wiring of the Processes tab and of `x` into the dashboard (UI side of issue 5).
//!
//! The dashboard calls these from a few named places: [`sync`] from `State::sync`, [`tick`]
//! from `handlers::on_tick`, [`key`] from `handlers::detail_key` (Processes tab),
//! [`run_command`] when the run dialog is confirmed, [`fanout_key`] from `handlers::dialog_key`
//! and [`on_msg`] from `handlers::on_msg`. The worker half is [`crate::workers::procs`].
//!
//! - Processes tab: lists the selected sandbox's processes when the tab opens or the selection
//!   changes, then every [`REFRESH_SECS`] while it stays open, and at once after a start, a kill
//!   or the end of a followed process. The selected boxdeck process's output is followed live.
//!   `K` kills the selected process (after a confirm).
//! - `x`: without marks, the command starts as a detached process in the selected sandbox and
//!   the Processes tab opens on it; with marks, it runs in all marked sandboxes at once and a
//!   results table fills in as each finishes.

use crossterm::event::{KeyCode, KeyEvent};

use super::{FanoutView, ProcPane, ProcTarget, Styles};
use crate::app::keymap::{Command, Scope};
use crate::app::msg::{RowKey, Target};
use crate::state::dialog::{Confirm, Dialog};
use crate::state::{State, Tab};
use crate::views::theme::Theme;
use crate::workers::procs::{ProcAction, ProcMsg, action};

/// How often an open Processes tab lists again (new foreign execs, finished processes).
pub const REFRESH_SECS: i64 = 3;

/// The dashboard's process state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcsUi {
    pub pane: ProcPane,
    /// When the last listing was asked for (unix seconds).
    pub listed_at: i64,
    /// Id of the next fan-out.
    pub next_run: u64,
}

fn key_of(t: &ProcTarget) -> RowKey {
    RowKey {
        engine: t.engine.clone(),
        id: t.id.clone(),
    }
}

fn list(s: &mut State) {
    if let Some(t) = &s.procs.pane.target {
        let k = key_of(t);
        s.procs.listed_at = s.now;
        s.outbox.push(action(ProcAction::List(k)));
    }
}

/// After every change: point the pane at the selected sandbox while the tab is open, and follow
/// the selected boxdeck process's output.
pub fn sync(s: &mut State) {
    let want = if s.tab == Tab::Processes {
        s.selected_row().map(|r| ProcTarget {
            engine: r.sb.engine.clone(),
            id: r.sb.id.clone(),
            name: r.sb.name.clone(),
        })
    } else {
        None
    };
    if s.procs.pane.set_target(want) {
        s.outbox.push(action(ProcAction::Follow(None)));
        list(s);
        s.dirty = true;
    }
    let Some(t) = s.procs.pane.target.clone() else { return };
    if let Some(p) = s.procs.pane.wants_follow().cloned() {
        s.procs.pane.reset_output(&p.id);
        s.outbox
            .push(action(ProcAction::Follow(Some((key_of(&t), Box::new(p))))));
        s.dirty = true;
    }
}

/// The clock: list again while the tab is open.
pub fn tick(s: &mut State) {
    if s.procs.pane.target.is_some() && s.now - s.procs.listed_at >= REFRESH_SECS {
        list(s);
    }
}

/// Keys of the focused Processes tab; true when used.
pub fn key(s: &mut State, k: &KeyEvent) -> bool {
    let Some(c) = s.keymap.lookup_in(Scope::Processes, k) else {
        return false;
    };
    match c {
        Command::Down => s.procs.pane.select_next(),
        Command::Up => s.procs.pane.select_prev(),
        Command::Top => s.procs.pane.selected = 0,
        Command::Bottom => s.procs.pane.selected = s.procs.pane.procs.len().saturating_sub(1),
        Command::Kill => {
            let (Some(t), Some(p)) = (s.procs.pane.target.clone(), s.procs.pane.selected().cloned()) else {
                return true;
            };
            if !p.is_killable() {
                s.info(format!("{} is not running ({})", p.id, p.state_text()));
                return true;
            }
            s.dialog = Some(Dialog::Confirm(Confirm {
                title: "Kill process".into(),
                lines: vec![
                    format!("Kill {} in {} and its whole process group?", p.id, t.name),
                    format!("  {}", super::clean_line(&p.cmd_line())),
                    "TERM first, KILL after 3 s.".into(),
                ],
                on_yes: action(ProcAction::Kill {
                    key: key_of(&t),
                    name: t.name.clone(),
                    proc: Box::new(p),
                }),
            }));
        }
        _ => return false,
    }
    s.dirty = true;
    true
}

/// The run dialog was confirmed: a detached process in one sandbox, or a fan-out over marks.
pub fn run_command(s: &mut State, targets: Vec<Target>, command: String) {
    if targets.is_empty() {
        return;
    }
    if s.marks.is_empty() && targets.len() == 1 {
        let target = targets.into_iter().next().expect("one target");
        s.progress = Some(format!("starting `{command}` in {}…", target.name));
        s.tab = Tab::Processes;
        s.outbox.push(action(ProcAction::Start { target, command }));
        return;
    }
    let run = s.procs.next_run;
    s.procs.next_run += 1;
    let rows = targets
        .iter()
        .map(|t| FanoutView::row(&t.name, &t.key.engine))
        .collect();
    s.dialog = Some(Dialog::Fanout(FanoutView::new(run, &command, rows)));
    s.outbox.push(action(ProcAction::Fanout {
        run,
        targets: targets.into_iter().enumerate().collect(),
        command,
    }));
}

/// Keys while the fan-out results are open.
pub fn fanout_key(s: &mut State, k: KeyEvent) {
    let Some(Dialog::Fanout(v)) = s.dialog.as_mut() else {
        return;
    };
    match k.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {
            let (done, total, failed) = (v.table.done(), v.table.rows.len(), v.table.failed());
            s.dialog = None;
            if done < total {
                s.info(format!("fan-out goes on in the background: {done}/{total} done"));
            } else if failed > 0 {
                s.info(format!("fan-out: {failed} of {total} failed"));
            }
        }
        KeyCode::Char('j') | KeyCode::Down => v.select_next(),
        KeyCode::Char('k') | KeyCode::Up => v.select_prev(),
        _ => {}
    }
    s.dirty = true;
}

/// A worker's answer.
pub fn on_msg(s: &mut State, m: ProcMsg) {
    match m {
        ProcMsg::Listed { key, result } => {
            if s.procs.pane.is_for(&key.engine, &key.id) {
                s.procs.pane.set_procs(result);
                s.dirty = true;
            }
        }
        ProcMsg::Output { key, proc_id, data } => {
            if s.procs.pane.is_for(&key.engine, &key.id) {
                s.procs.pane.push_output(&proc_id, &data);
                s.dirty = true;
            }
        }
        ProcMsg::OutputEnded { key, proc_id, error } => {
            if s.procs.pane.is_for(&key.engine, &key.id) {
                s.procs.pane.output_ended(&proc_id);
                if let Some(e) = error {
                    s.error(e);
                }
                // The process ended: show its exit code.
                list(s);
                s.dirty = true;
            }
        }
        ProcMsg::Started { key, name, proc_id } => {
            s.progress = None;
            s.info(format!("started {proc_id} in {name}"));
            if s.procs.pane.is_for(&key.engine, &key.id) {
                s.procs.pane.pending_select = Some(proc_id);
            }
        }
        ProcMsg::Fanout { run, event } => {
            if let Some(Dialog::Fanout(v)) = s.dialog.as_mut() {
                v.apply(run, event);
                s.dirty = true;
            }
        }
    }
}

/// The view styles from the dashboard theme.
pub fn styles(t: &Theme) -> Styles {
    use ratatui::style::{Modifier, Style};
    Styles {
        header: Style::default().fg(t.header).add_modifier(Modifier::BOLD),
        selected: Style::default().bg(t.selected_bg),
        running: Style::default().fg(t.running),
        failed: Style::default().fg(t.error),
        dim: Style::default().fg(t.dim),
        border: Style::default().fg(t.border),
        title: Style::default().fg(t.accent),
    }
}
