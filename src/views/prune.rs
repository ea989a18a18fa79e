//! The prune dialog (SPEC 4.5, 7.2): a preview of exactly what will be removed, the question,
//! per-item progress, and a summary of removed count, space reclaimed, skips and failures.
//!
//! [`PruneView`] is the dialog's whole state, driven by the handlers:
//! - `P` (or `:prune [--older-than D] [--project P] [--include-persistent] [--volumes]`) opens it
//!   with [`PruneView::new`] and sends `Action::PrunePlan` to every engine worker;
//! - each worker answers with `Msg::PrunePlanned` ([`PruneView::planned`]) or
//!   `Msg::PruneFailed` ([`PruneView::plan_failed`]);
//! - `y`/`Enter` ([`PruneView::key`] returns [`PruneKey::Confirm`]) sends `Action::PruneRun`
//!   with each engine's part of the very plan that was shown;
//! - workers report each item (`Msg::PruneItem` -> [`PruneView::outcome`]) and their end
//!   (`Msg::PruneDone` -> [`PruneView::engine_done`]).
//!
//! The plan shown is the plan executed: the items (with their fingerprints) travel back to the
//! workers, which re-check each one and skip any that changed since the preview.

use std::collections::{BTreeMap, BTreeSet};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::sandbox::prune::{KeepReason, PruneItem, PruneOptions, PruneOutcome, PrunePlan};
use crate::util::human_bytes;

use super::theme::Theme;

/// Where the dialog is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the engines' plans.
    Planning,
    /// Showing what will be removed; asking.
    Preview,
    /// Removing; items fill in as they finish.
    Running,
    /// Finished: the summary.
    Done,
}

/// What happened to one planned item so far.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemStatus {
    Pending,
    Removed,
    Skipped(String),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub item: PruneItem,
    pub status: ItemStatus,
}

/// What a key did.
#[derive(Debug, Clone, PartialEq)]
pub enum PruneKey {
    /// Nothing for the caller to do (the view changed or ignored the key).
    None,
    /// Close the dialog.
    Close,
    /// The user confirmed: run each engine's part of the shown plan.
    Confirm(Vec<(String, PrunePlan)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct PruneView {
    pub opts: PruneOptions,
    pub phase: Phase,
    /// Engines whose plan (or, while running, whose end) has not arrived yet.
    pub waiting: BTreeSet<String>,
    pub rows: Vec<Row>,
    pub kept: BTreeMap<KeepReason, usize>,
    /// Engines whose plan failed, with the reason.
    pub errors: Vec<(String, String)>,
    pub scroll: usize,
    pub reclaimed: u64,
}

impl PruneView {
    /// A dialog waiting for the plans of these engines.
    pub fn new(opts: PruneOptions, engines: impl IntoIterator<Item = String>) -> PruneView {
        let waiting: BTreeSet<String> = engines.into_iter().collect();
        PruneView {
            opts,
            phase: if waiting.is_empty() {
                Phase::Preview
            } else {
                Phase::Planning
            },
            waiting,
            rows: Vec::new(),
            kept: BTreeMap::new(),
            errors: Vec::new(),
            scroll: 0,
            reclaimed: 0,
        }
    }

    /// One engine's plan arrived.
    pub fn planned(&mut self, engine: &str, plan: PrunePlan) {
        if self.phase != Phase::Planning || !self.waiting.remove(engine) {
            return;
        }
        for (r, n) in plan.kept_counts() {
            *self.kept.entry(r).or_insert(0) += n;
        }
        self.rows.extend(plan.remove.into_iter().map(|item| Row {
            item,
            status: ItemStatus::Pending,
        }));
        self.rows.sort_by(|a, b| {
            (&a.item.sandbox.engine, &a.item.sandbox.name).cmp(&(&b.item.sandbox.engine, &b.item.sandbox.name))
        });
        if self.waiting.is_empty() {
            self.phase = Phase::Preview;
        }
    }

    /// One engine could not make its plan: nothing of it is shown, so nothing of it is removed.
    pub fn plan_failed(&mut self, engine: &str, error: String) {
        if self.phase == Phase::Planning && self.waiting.remove(engine) {
            self.errors.push((engine.to_string(), error));
            if self.waiting.is_empty() {
                self.phase = Phase::Preview;
            }
        }
    }

    pub fn total_bytes(&self) -> u64 {
        self.rows.iter().map(|r| r.item.size_bytes).sum()
    }

    /// One item finished.
    pub fn outcome(&mut self, engine: &str, id: &str, o: PruneOutcome) {
        if let Some(r) = self
            .rows
            .iter_mut()
            .find(|r| r.item.sandbox.engine == engine && r.item.sandbox.id == id)
        {
            r.status = match o {
                PruneOutcome::Removed { bytes } => {
                    self.reclaimed += bytes;
                    ItemStatus::Removed
                }
                PruneOutcome::Skipped { reason } => ItemStatus::Skipped(reason),
                PruneOutcome::Failed { error } => ItemStatus::Failed(error),
            };
        }
    }

    /// One engine finished its part.
    pub fn engine_done(&mut self, engine: &str) {
        if self.phase == Phase::Running {
            self.waiting.remove(engine);
            if self.waiting.is_empty() {
                // Anything still pending was never reported: say so rather than hide it.
                for r in &mut self.rows {
                    if r.status == ItemStatus::Pending {
                        r.status = ItemStatus::Failed("no answer from the engine".into());
                    }
                }
                self.phase = Phase::Done;
            }
        }
    }

    pub fn count(&self, f: impl Fn(&ItemStatus) -> bool) -> usize {
        self.rows.iter().filter(|r| f(&r.status)).count()
    }

    /// "removed 3 sandboxes, reclaimed 12 KiB, 1 skipped, 1 failed".
    pub fn summary(&self) -> String {
        let removed = self.count(|s| *s == ItemStatus::Removed);
        let skipped = self.count(|s| matches!(s, ItemStatus::Skipped(_)));
        let failed = self.count(|s| matches!(s, ItemStatus::Failed(_)));
        let mut s = format!(
            "prune: removed {removed} sandbox{}, reclaimed {}",
            if removed == 1 { "" } else { "es" },
            human_bytes(self.reclaimed)
        );
        if skipped > 0 {
            s.push_str(&format!(", {skipped} skipped"));
        }
        if failed > 0 {
            s.push_str(&format!(", {failed} failed"));
        }
        s
    }

    /// The plan as shown, split per engine.
    fn parts(&self) -> Vec<(String, PrunePlan)> {
        let mut m: BTreeMap<String, PrunePlan> = BTreeMap::new();
        for r in &self.rows {
            m.entry(r.item.sandbox.engine.clone())
                .or_default()
                .remove
                .push(r.item.clone());
        }
        m.into_iter().collect()
    }

    /// Handle a key. In the preview `y`/`Enter` confirms and `n`/`Esc` cancels; while running
    /// keys only scroll; on the summary `Esc`/`Enter`/`q` close.
    pub fn key(&mut self, k: KeyEvent) -> PruneKey {
        let rows = self.rows.len();
        match k.code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.scroll = (self.scroll + 1).min(rows.saturating_sub(1));
                return PruneKey::None;
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.scroll = self.scroll.saturating_sub(1);
                return PruneKey::None;
            }
            KeyCode::PageDown => {
                self.scroll = (self.scroll + 10).min(rows.saturating_sub(1));
                return PruneKey::None;
            }
            KeyCode::PageUp => {
                self.scroll = self.scroll.saturating_sub(10);
                return PruneKey::None;
            }
            _ => {}
        }
        let ctrl_c = k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
        match self.phase {
            Phase::Planning => match k.code {
                KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => PruneKey::Close,
                _ if ctrl_c => PruneKey::Close,
                _ => PruneKey::None,
            },
            Phase::Preview => match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter if !self.rows.is_empty() => {
                    self.phase = Phase::Running;
                    let parts = self.parts();
                    self.waiting = parts.iter().map(|(e, _)| e.clone()).collect();
                    self.scroll = 0;
                    PruneKey::Confirm(parts)
                }
                KeyCode::Enter | KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Char('q') => {
                    PruneKey::Close
                }
                _ if ctrl_c => PruneKey::Close,
                _ => PruneKey::None,
            },
            // Removal cannot be called back halfway; the dialog stays until it is done.
            Phase::Running => PruneKey::None,
            Phase::Done => match k.code {
                KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') | KeyCode::Char('n') => PruneKey::Close,
                _ => PruneKey::None,
            },
        }
    }

    /// The options as words, for the title ("older than 2h, project p").
    pub fn describe_opts(&self) -> String {
        let o = &self.opts;
        let mut v = Vec::new();
        if let Some(d) = o.older_than {
            v.push(format!("older than {}", crate::util::human_duration(d)));
        }
        if let Some(p) = &o.project {
            v.push(format!("project {p}"));
        }
        for l in &o.labels {
            v.push(format!("label {l}"));
        }
        if o.include_persistent {
            v.push("persistent too".into());
        }
        if o.volumes {
            v.push("with volumes".into());
        }
        v.join(", ")
    }
}

pub fn draw(f: &mut Frame, area: Rect, v: &PruneView, t: &Theme) {
    let dim = Style::default().fg(t.dim);
    let key = Style::default().fg(t.accent).add_modifier(Modifier::BOLD);
    // The height follows the content, up to most of the screen.
    let max_h = area.height.saturating_sub(4).clamp(8, 30);
    let inner_w = 90.min(area.width).saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let opts = v.describe_opts();
    let head = match v.phase {
        Phase::Planning => format!(" Looking for stopped sandboxes on {} …", join(&v.waiting)),
        Phase::Preview if v.rows.is_empty() => " Nothing to prune.".to_string(),
        Phase::Preview => format!(
            " Will remove {} stopped sandbox{} ({}):",
            v.rows.len(),
            if v.rows.len() == 1 { "" } else { "es" },
            human_bytes(v.total_bytes())
        ),
        Phase::Running => {
            let done = v.count(|s| *s != ItemStatus::Pending);
            format!(" Removing … {done}/{}", v.rows.len())
        }
        Phase::Done => format!(" {}", v.summary().trim_start_matches("prune: ")),
    };
    lines.push(Line::styled(head, Style::default().add_modifier(Modifier::BOLD)));
    if !v.kept.is_empty() && matches!(v.phase, Phase::Preview | Phase::Planning) {
        let kept: Vec<String> = v.kept.iter().map(|(r, n)| format!("{n} {}", r.describe())).collect();
        lines.push(Line::styled(format!(" kept: {}", kept.join(", ")), dim));
    }
    for (e, err) in &v.errors {
        lines.push(Line::styled(
            super::ellipsize(&format!(" {e}: {err} (nothing removed there)"), inner_w),
            Style::default().fg(t.error),
        ));
    }
    if !v.rows.is_empty() {
        lines.push(Line::styled(
            format!(
                " {:<4} {:<24} {:<12} {:<8} {:<8} {:<12} {:>9}",
                "", "NAME", "ID", "ENGINE", "STATE", "PROJECT", "SIZE"
            ),
            Style::default().fg(t.header).add_modifier(Modifier::BOLD),
        ));
    }
    // Each row is one line, plus one for the reason of a skip or a failure.
    let footer_h = 2;
    let room = (max_h as usize).saturating_sub(2 + lines.len() + footer_h + 1);
    let start = v.scroll.min(v.rows.len().saturating_sub(1));
    let mut used = 0;
    let mut shown = 0;
    for row in v.rows.iter().skip(start) {
        let s = &row.item.sandbox;
        let (mark, style, why) = match &row.status {
            ItemStatus::Pending if v.phase == Phase::Running => ("…", dim, None),
            ItemStatus::Pending => ("", Style::default(), None),
            ItemStatus::Removed => ("✓", Style::default().fg(t.info), None),
            ItemStatus::Skipped(w) => ("skip", Style::default().fg(t.paused), Some(w)),
            ItemStatus::Failed(w) => ("FAIL", Style::default().fg(t.error), Some(w)),
        };
        let need = 1 + usize::from(why.is_some());
        if used + need > room {
            break;
        }
        lines.push(Line::styled(
            format!(
                " {:<4} {:<24} {:<12} {:<8} {:<8} {:<12} {:>9}",
                mark,
                super::ellipsize(&s.name, 24),
                s.short_id(),
                super::ellipsize(&s.engine, 8),
                s.state.as_str(),
                super::ellipsize(s.project.as_deref().unwrap_or("-"), 12),
                human_bytes(row.item.size_bytes)
            ),
            style,
        ));
        if let Some(w) = why {
            lines.push(Line::styled(super::ellipsize(&format!("      └ {w}"), inner_w), style));
        }
        used += need;
        shown += 1;
    }
    let below = v.rows.len().saturating_sub(start + shown);
    if below > 0 {
        lines.push(Line::styled(format!(" … {below} more (j/k scroll)"), dim));
    }
    lines.push(Line::raw(""));
    lines.push(match v.phase {
        Phase::Preview if !v.rows.is_empty() => Line::from(vec![
            Span::styled(" y", key),
            Span::raw("/Enter remove them   "),
            Span::styled("n", key),
            Span::raw("/Esc cancel"),
        ]),
        Phase::Running => Line::styled(" removing; changed sandboxes are skipped, never removed", dim),
        Phase::Planning => Line::from(vec![Span::styled(" Esc", key), Span::raw(" cancel")]),
        _ => Line::from(vec![Span::styled(" Esc", key), Span::raw("/Enter close")]),
    });
    let title = if opts.is_empty() {
        " Prune ".to_string()
    } else {
        format!(" Prune ({opts}) ")
    };
    let border = match v.phase {
        Phase::Preview if !v.rows.is_empty() => t.error,
        _ => t.accent,
    };
    let r = super::centered(area, 90, (lines.len() as u16).saturating_add(2).min(max_h));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(border))
        .title(Span::styled(title, t.title()));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}

fn join(s: &BTreeSet<String>) -> String {
    s.iter().cloned().collect::<Vec<_>>().join(", ")
}
