//! Progress of a bulk action on marked sandboxes (SPEC 7.1): one line per target that fills in
//! as each finishes (waiting, working, done, failed with the reason), and a summary that names
//! each failure. The workers run the action with [`crate::sandbox::bulk`] and report each
//! target (`Msg::BulkItem` -> [`BulkView::update`]) and the end (`Msg::BulkDone` ->
//! [`BulkView::engine_done`]).
//!
//! The panel opens for actions on more than one target, in the bottom right corner of the
//! table, and is not modal: the dashboard keeps working under it. When every target succeeded
//! it closes by itself and the message line says so; when something failed it stays, listing
//! each failure, until `Esc`.

use std::collections::BTreeSet;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::Theme;

/// Where one target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkStatus {
    Waiting,
    Working,
    /// Done; the note says when nothing needed doing ("already exited").
    Done(Option<String>),
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRow {
    pub engine: String,
    pub id: String,
    pub name: String,
    pub status: BulkStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkView {
    /// The verb as a word: "stop", "start", "restart", "destroy".
    pub verb: String,
    pub rows: Vec<BulkRow>,
    /// Engines still working.
    pub waiting: BTreeSet<String>,
}

impl BulkView {
    /// A panel for `verb` over these targets: (engine, id, name).
    pub fn new(verb: &str, targets: impl IntoIterator<Item = (String, String, String)>) -> BulkView {
        let rows: Vec<BulkRow> = targets
            .into_iter()
            .map(|(engine, id, name)| BulkRow {
                engine,
                id,
                name,
                status: BulkStatus::Waiting,
            })
            .collect();
        BulkView {
            verb: verb.to_string(),
            waiting: rows.iter().map(|r| r.engine.clone()).collect(),
            rows,
        }
    }

    pub fn update(&mut self, engine: &str, id: &str, status: BulkStatus) {
        if let Some(r) = self.rows.iter_mut().find(|r| r.engine == engine && r.id == id) {
            r.status = status;
        }
    }

    /// One engine finished its share; targets it never reported are failures, not successes.
    pub fn engine_done(&mut self, engine: &str) {
        self.waiting.remove(engine);
        for r in self.rows.iter_mut().filter(|r| r.engine == engine) {
            if matches!(r.status, BulkStatus::Waiting | BulkStatus::Working) {
                r.status = BulkStatus::Failed("no answer from the engine".into());
            }
        }
    }

    pub fn finished(&self) -> bool {
        self.waiting.is_empty()
    }

    pub fn failures(&self) -> Vec<(&str, &str)> {
        self.rows
            .iter()
            .filter_map(|r| match &r.status {
                BulkStatus::Failed(e) => Some((r.name.as_str(), e.as_str())),
                _ => None,
            })
            .collect()
    }

    pub fn done_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| matches!(r.status, BulkStatus::Done(_) | BulkStatus::Failed(_)))
            .count()
    }

    /// "stop: 4 of 5 done; 1 failed: box-3: box-3 is running".
    pub fn summary(&self) -> String {
        let f = self.failures();
        let ok = self.rows.len() - f.len();
        let mut s = format!("{}: {ok} of {} done", self.verb, self.rows.len());
        if !f.is_empty() {
            let names: Vec<String> = f.iter().map(|(n, e)| format!("{n}: {e}")).collect();
            s.push_str(&format!("; {} failed: {}", f.len(), names.join("; ")));
        }
        s
    }
}

pub fn draw(f: &mut Frame, area: Rect, v: &BulkView, t: &Theme) {
    let dim = Style::default().fg(t.dim);
    let key = Style::default().fg(t.accent).add_modifier(Modifier::BOLD);
    // Bottom right of the table, inside its border; failures are listed first when space is short.
    // A failed target gets a second line with the engine's reason, and the panel gets wider.
    let failed = v.failures().len();
    let want = (v.rows.len() + failed) as u16 + 5;
    let w = if failed > 0 { 100 } else { 64 }.min(area.width.saturating_sub(2));
    let h = want.min(area.height.saturating_sub(2));
    if w < 20 || h < 5 {
        return;
    }
    let r = Rect::new(area.x + area.width - 1 - w, area.y + area.height - 1 - h, w, h);
    let inner_w = r.width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    let head = if v.finished() {
        v.summary().split(';').next().unwrap_or_default().to_string()
    } else {
        format!("{}: {}/{} …", v.verb, v.done_count(), v.rows.len())
    };
    lines.push(Line::styled(
        format!(" {head}"),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    let room = (r.height as usize).saturating_sub(2 + 1 + 2);
    let mut order: Vec<&BulkRow> = v
        .rows
        .iter()
        .filter(|r| matches!(r.status, BulkStatus::Failed(_)))
        .collect();
    order.extend(v.rows.iter().filter(|r| !matches!(r.status, BulkStatus::Failed(_))));
    let mut used = 0;
    let mut shown = 0;
    for row in &order {
        let (mark, style, note, why) = match &row.status {
            BulkStatus::Waiting => ("·", dim, String::new(), None),
            BulkStatus::Working => ("…", Style::default().fg(t.accent), String::new(), None),
            BulkStatus::Done(n) => (
                "✓",
                Style::default().fg(t.info),
                n.as_ref().map(|n| format!(" ({n})")).unwrap_or_default(),
                None,
            ),
            BulkStatus::Failed(e) => ("✗", Style::default().fg(t.error), String::new(), Some(e)),
        };
        let need = 1 + usize::from(why.is_some());
        // Keep one line for "… n more" when not everything fits.
        let last = shown + 1 == order.len();
        if used + need > room || (!last && used + need == room) {
            break;
        }
        let text = format!(
            " {mark} {:<24} {:<8}{note}",
            super::ellipsize(&row.name, 24),
            row.engine
        );
        lines.push(Line::styled(super::ellipsize(&text, inner_w), style));
        if let Some(e) = why {
            lines.push(Line::styled(super::ellipsize(&format!("   └ {e}"), inner_w), style));
        }
        used += need;
        shown += 1;
    }
    let below = order.len().saturating_sub(shown);
    if below > 0 {
        lines.push(Line::styled(format!(" … {below} more"), dim));
    }
    lines.push(Line::raw(""));
    lines.push(if v.finished() {
        Line::from(vec![Span::styled(" Esc", key), Span::raw(" close")])
    } else {
        Line::styled(" working; the dashboard stays usable", dim)
    });
    let border = if failed > 0 { t.error } else { t.accent };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::default().fg(border))
        .title(Span::styled(
            format!(" {} {} sandboxes ", capital(&v.verb), v.rows.len()),
            t.title(),
        ));
    f.render_widget(Clear, r);
    f.render_widget(Paragraph::new(lines).block(block), r);
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
