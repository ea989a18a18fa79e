//! The Processes tab's model and drawing (SPEC 6.2), and the fan-out results view (SPEC 6.3).
//!
//! Self-contained: the dashboard owns keys and workers and calls these methods.
//! - [`ProcPane`]: the processes of the selected sandbox (from [`crate::sandbox::procs::list`])
//!   and the live output of the selected boxdeck process (bounded; control sequences stripped so
//!   nothing a process prints reaches the real terminal).
//! - [`FanoutView`]: the results table of one fan-out, filled in as each sandbox finishes.
//! - [`draw_procs`], [`draw_fanout`]: pure drawing of both.
//! - [`wire`]: how the dashboard drives them.

pub mod wire;

use std::collections::VecDeque;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table};

use crate::sandbox::fanout::{FanoutEvent, FanoutRow, FanoutTable};
use crate::sandbox::procs::{ProcInfo, ProcSource, ProcState};

/// Lines of process output kept per pane.
pub const OUTPUT_LINES: usize = 5000;

/// Which sandbox a pane shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcTarget {
    pub engine: String,
    pub id: String,
    pub name: String,
}

/// Output of one process, as display lines (bounded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputBuf {
    /// The process this output belongs to.
    pub proc_id: Option<String>,
    pub lines: VecDeque<String>,
    /// The unfinished last line.
    pub partial: String,
    /// Bytes received so far (the offset to resume at).
    pub bytes: u64,
    /// An incomplete UTF-8 sequence at the end of the last chunk.
    pending: Vec<u8>,
    /// The follow ended (the process ended, or reading failed).
    pub ended: bool,
}

impl OutputBuf {
    fn push(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        let mut buf = std::mem::take(&mut self.pending);
        buf.extend_from_slice(data);
        let valid = match std::str::from_utf8(&buf) {
            Ok(_) => buf.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => buf.len(),
        };
        self.pending = buf.split_off(valid);
        let text = String::from_utf8_lossy(&buf).into_owned();
        for (i, piece) in text.split('\n').enumerate() {
            if i > 0 {
                let done = std::mem::take(&mut self.partial);
                self.lines.push_back(clean_line(&done));
                if self.lines.len() > OUTPUT_LINES {
                    self.lines.pop_front();
                }
            }
            self.partial.push_str(piece);
        }
    }

    /// All display lines, the partial one last.
    pub fn display(&self) -> impl Iterator<Item = String> + '_ {
        let partial = (!self.partial.is_empty()).then(|| clean_line(&self.partial));
        self.lines.iter().cloned().chain(partial)
    }

    pub fn line_count(&self) -> usize {
        self.lines.len() + usize::from(!self.partial.is_empty())
    }
}

/// One display line: a carriage return starts the line over (progress bars), escape sequences
/// and other control characters are dropped, tabs become spaces.
pub fn clean_line(s: &str) -> String {
    let s = s.strip_suffix('\r').unwrap_or(s);
    let s = s.rsplit('\r').next().unwrap_or(s);
    crate::state::text::sanitize(s)
}

/// The Processes tab of one sandbox.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcPane {
    pub target: Option<ProcTarget>,
    pub procs: Vec<ProcInfo>,
    pub selected: usize,
    /// A listing has arrived for this target.
    pub loaded: bool,
    pub error: Option<String>,
    pub output: OutputBuf,
    /// Select this process when a listing brings it (just started).
    pub pending_select: Option<String>,
}

impl ProcPane {
    /// Show another sandbox (or none). Returns true when it changed (the caller lists again).
    pub fn set_target(&mut self, t: Option<ProcTarget>) -> bool {
        if self.target == t {
            return false;
        }
        *self = ProcPane {
            target: t,
            ..Default::default()
        };
        true
    }

    /// Is this listing/output for the pane's sandbox?
    pub fn is_for(&self, engine: &str, id: &str) -> bool {
        self.target.as_ref().is_some_and(|t| t.engine == engine && t.id == id)
    }

    /// A new listing; the selection stays on the same process when it is still there.
    pub fn set_procs(&mut self, r: Result<Vec<ProcInfo>, String>) {
        self.loaded = true;
        match r {
            Ok(v) => {
                let keep = self.selected().map(|p| p.id.clone());
                self.procs = v;
                self.error = None;
                self.selected = keep
                    .and_then(|id| self.procs.iter().position(|p| p.id == id))
                    .unwrap_or_else(|| self.procs.len().saturating_sub(1));
                if let Some(want) = &self.pending_select
                    && let Some(i) = self.procs.iter().position(|p| &p.id == want)
                {
                    self.selected = i;
                    self.pending_select = None;
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn selected(&self) -> Option<&ProcInfo> {
        self.procs.get(self.selected)
    }

    pub fn select_next(&mut self) {
        if self.selected + 1 < self.procs.len() {
            self.selected += 1;
        }
    }

    pub fn select_prev(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }

    /// Select a process by id (after starting it).
    pub fn select_id(&mut self, id: &str) {
        if let Some(i) = self.procs.iter().position(|p| p.id == id) {
            self.selected = i;
        }
    }

    /// The boxdeck process whose output should be followed now, when that is not the one being
    /// followed already (the caller starts a follow and calls [`ProcPane::reset_output`]).
    pub fn wants_follow(&self) -> Option<&ProcInfo> {
        let p = self.selected()?;
        (p.source == ProcSource::Boxdeck && self.output.proc_id.as_deref() != Some(p.id.as_str())).then_some(p)
    }

    /// Start showing the output of `proc_id` (empty).
    pub fn reset_output(&mut self, proc_id: &str) {
        self.output = OutputBuf {
            proc_id: Some(proc_id.to_string()),
            ..Default::default()
        };
    }

    /// A piece of the followed output; ignored when it belongs to another process.
    pub fn push_output(&mut self, proc_id: &str, data: &[u8]) {
        if self.output.proc_id.as_deref() == Some(proc_id) {
            self.output.push(data);
        }
    }

    /// The follow of `proc_id` ended.
    pub fn output_ended(&mut self, proc_id: &str) {
        if self.output.proc_id.as_deref() == Some(proc_id) {
            self.output.ended = true;
        }
    }

    pub fn running(&self) -> usize {
        self.procs.iter().filter(|p| p.is_running()).count()
    }
}

/// Styles the views use (the dashboard maps its theme onto these).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Styles {
    pub header: Style,
    pub selected: Style,
    pub running: Style,
    pub failed: Style,
    pub dim: Style,
    pub border: Style,
    pub title: Style,
}

impl Default for Styles {
    fn default() -> Self {
        use ratatui::style::Color;
        Styles {
            header: Style::default().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: Style::default().bg(Color::Blue),
            running: Style::default().fg(Color::Green),
            failed: Style::default().fg(Color::Red),
            dim: Style::default().fg(Color::DarkGray),
            border: Style::default().fg(Color::DarkGray),
            title: Style::default().fg(Color::Cyan),
        }
    }
}

fn state_style(p: &ProcInfo, st: &Styles) -> Style {
    match p.state {
        ProcState::Running => st.running,
        ProcState::Exited if p.exit_code == Some(0) => Style::default(),
        ProcState::Ended => st.dim,
        _ => st.failed,
    }
}

fn fmt_secs(d: Option<f64>) -> String {
    match d {
        Some(d) if d < 60.0 => format!("{d:.1}s"),
        Some(d) => crate::util::human_duration(std::time::Duration::from_secs_f64(d)),
        None => "-".into(),
    }
}

/// "HH:MM:SS" of an RFC 3339 time (UTC), or "-".
fn clock(t: Option<&str>) -> String {
    t.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.format("%H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

fn window<T: Clone>(items: &[T], selected: usize, height: usize) -> (usize, &[T]) {
    if height == 0 || items.is_empty() {
        return (0, &[]);
    }
    let start = if selected >= height { selected + 1 - height } else { 0 };
    let end = (start + height).min(items.len());
    (start, &items[start..end])
}

/// Draw the Processes tab: the process list on top, the selected process's output below.
pub fn draw_procs(f: &mut Frame, area: Rect, pane: &ProcPane, st: &Styles) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let Some(target) = &pane.target else {
        f.render_widget(Line::styled(" no sandbox selected", st.dim), area);
        return;
    };
    if !pane.loaded {
        f.render_widget(
            Line::styled(format!(" listing processes in {}…", target.name), st.dim),
            area,
        );
        return;
    }
    let hint = " Tab focus · j/k select · K kill · x run detached ";
    if pane.procs.is_empty() {
        let mut lines = vec![Line::styled(
            format!(" no processes in {} · x starts one", target.name),
            st.dim,
        )];
        if let Some(e) = &pane.error {
            lines.push(Line::styled(format!(" {e}"), st.failed));
        }
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    let list_h = (pane.procs.len() as u16 + 1)
        .min(area.height / 2)
        .max(2)
        .min(area.height);
    let [top, bottom] = Layout::vertical([Constraint::Length(list_h), Constraint::Min(0)]).areas(area);
    let (start, shown) = window(&pane.procs, pane.selected, top.height.saturating_sub(1) as usize);
    let rows: Vec<Row> = shown
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let sel = start + i == pane.selected;
            let cells = vec![
                Span::raw(p.id.clone()),
                Span::styled(
                    match p.source {
                        ProcSource::Boxdeck => "boxdeck",
                        ProcSource::Engine => "exec",
                    },
                    st.dim,
                ),
                Span::styled(p.state_text(), state_style(p, st)),
                Span::raw(clock(p.started_at.as_deref())),
                Span::raw(fmt_secs(p.duration_secs)),
                Span::raw(clean_line(&p.cmd_line())),
            ];
            let row = Row::new(cells);
            if sel { row.style(st.selected) } else { row }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(12),
            Constraint::Length(7),
            Constraint::Length(14),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["ID", "SOURCE", "STATE", "STARTED", "TIME", "COMMAND"]).style(st.header));
    f.render_widget(table, top);

    if bottom.height == 0 {
        return;
    }
    let Some(p) = pane.selected() else { return };
    let title = match p.source {
        ProcSource::Boxdeck => format!(" output of {} · {} ", p.id, p.state_text()),
        ProcSource::Engine => format!(" exec {} · {} ", p.id, p.state_text()),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(st.border)
        .title(Span::styled(title, st.title))
        .title_bottom(Span::styled(hint, st.dim));
    let inner = block.inner(bottom);
    f.render_widget(block, bottom);
    let lines: Vec<Line> = if p.source != ProcSource::Boxdeck {
        vec![Line::styled(
            " output is kept only for processes boxdeck started (x, boxdeck run -d)",
            st.dim,
        )]
    } else if pane.output.proc_id.as_deref() != Some(p.id.as_str()) {
        vec![Line::styled(" loading output…", st.dim)]
    } else if pane.output.line_count() == 0 {
        vec![Line::styled(
            if pane.output.ended {
                " (no output)"
            } else {
                " (no output yet)"
            },
            st.dim,
        )]
    } else {
        let n = pane.output.line_count();
        let h = inner.height as usize;
        pane.output.display().skip(n.saturating_sub(h)).map(Line::raw).collect()
    };
    f.render_widget(Paragraph::new(lines), inner);
}

/// The results of one fan-out (SPEC 6.3).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FanoutView {
    /// Which fan-out the events belong to.
    pub run: u64,
    pub command: String,
    pub table: FanoutTable,
    pub selected: usize,
}

impl FanoutView {
    pub fn new(run: u64, command: &str, rows: Vec<FanoutRow>) -> FanoutView {
        FanoutView {
            run,
            command: command.to_string(),
            table: FanoutTable { rows },
            selected: 0,
        }
    }

    /// A fresh row for a target, before it has run.
    pub fn row(sandbox: &str, engine: &str) -> FanoutRow {
        FanoutRow {
            sandbox: sandbox.to_string(),
            engine: engine.to_string(),
            exit_code: None,
            timed_out: false,
            error: None,
            duration: None,
            output: Vec::new(),
        }
    }

    /// Apply an event of fan-out `run`; events of another run are ignored.
    pub fn apply(&mut self, run: u64, ev: FanoutEvent) {
        if run == self.run {
            self.table.apply(ev);
        }
    }

    pub fn select_next(&mut self) {
        if self.selected + 1 < self.table.rows.len() {
            self.selected += 1;
        }
    }

    pub fn select_prev(&mut self) {
        self.selected = self.selected.saturating_sub(1);
    }
}

/// Draw the fan-out results as a dialog over `area`.
pub fn draw_fanout(f: &mut Frame, area: Rect, v: &FanoutView, st: &Styles) {
    let w = area.width.saturating_sub(4).clamp(1, 110);
    let rows_h = v.table.rows.len() as u16 + 1;
    let h = (rows_h + 9).min(area.height.saturating_sub(2)).max(3).min(area.height);
    let x = area.x + (area.width.saturating_sub(w)) / 2;
    let y = area.y + (area.height.saturating_sub(h)) / 2;
    let r = Rect::new(x, y, w.min(area.width), h);
    if r.width < 3 || r.height < 3 {
        return;
    }
    f.render_widget(Clear, r);
    let t = &v.table;
    let status = if t.is_finished() {
        format!("done · {} failed", t.failed())
    } else {
        format!("{}/{} done", t.done(), t.rows.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(st.border)
        .title(Span::styled(
            format!(
                " run `{}` in {} sandboxes · {status} ",
                clean_line(&v.command),
                t.rows.len()
            ),
            st.title,
        ))
        .title_bottom(Span::styled(" j/k select · Esc close ", st.dim));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let table_h = rows_h.min(inner.height.saturating_sub(2).max(1));
    let [top, bottom] = Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(inner);
    let (start, shown) = window(&t.rows, v.selected, top.height.saturating_sub(1) as usize);
    let rows: Vec<Row> = shown
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (exit, style) = match (&row.error, row.exit_code) {
                (Some(_), _) => ("error".to_string(), st.failed),
                (None, Some(c)) if row.timed_out => (format!("{c} (timeout)"), st.failed),
                (None, Some(0)) => ("0".to_string(), Style::default()),
                (None, Some(c)) => (c.to_string(), st.failed),
                (None, None) => ("running…".to_string(), st.running),
            };
            let out = match &row.error {
                Some(e) => clean_line(e),
                None => clean_line(&row.last_line()),
            };
            let dur = row
                .duration
                .map(|d| fmt_secs(Some(d.as_secs_f64())))
                .unwrap_or_else(|| "-".into());
            let r = Row::new(vec![
                Span::raw(row.sandbox.clone()),
                Span::styled(row.engine.clone(), st.dim),
                Span::styled(exit, style),
                Span::raw(dur),
                Span::raw(out),
            ]);
            if start + i == v.selected {
                r.style(st.selected)
            } else {
                r
            }
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(24),
            Constraint::Length(8),
            Constraint::Length(12),
            Constraint::Length(8),
            Constraint::Min(10),
        ],
    )
    .header(Row::new(["SANDBOX", "ENGINE", "EXIT", "TIME", "OUTPUT"]).style(st.header));
    f.render_widget(table, top);
    if bottom.height < 2 {
        return;
    }
    let Some(sel) = t.rows.get(v.selected) else { return };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(st.border)
        .title(Span::styled(format!(" output of {} ", sel.sandbox), st.title));
    let inner = block.inner(bottom);
    f.render_widget(block, bottom);
    let mut buf = OutputBuf::default();
    buf.push(&sel.output);
    let n = buf.line_count();
    let lines: Vec<Line> = buf
        .display()
        .skip(n.saturating_sub(inner.height as usize))
        .map(Line::raw)
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::run::RunResult;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use std::time::Duration;

    fn proc(id: &str, source: ProcSource, state: ProcState, code: Option<i64>, cmd: &[&str]) -> ProcInfo {
        ProcInfo {
            id: id.into(),
            source,
            exec_id: None,
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            state,
            exit_code: code,
            killed_by: (state == ProcState::Killed).then(|| "TERM".into()),
            started_at: Some("2026-11-21T06:00:00Z".into()),
            duration_secs: Some(2.5),
            pid: Some(7),
            output_bytes: None,
            output_tail: None,
            dir: None,
            group_running: false,
        }
    }

    fn render(w: u16, h: u16, draw: impl FnOnce(&mut Frame)) -> String {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(draw).unwrap();
        let buf = t.backend().buffer().clone();
        let mut s = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                s.push_str(buf[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }

    fn pane() -> ProcPane {
        let mut p = ProcPane::default();
        p.set_target(Some(ProcTarget {
            engine: "docker".into(),
            id: "c1".into(),
            name: "box".into(),
        }));
        p.set_procs(Ok(vec![
            proc(
                "aa11",
                ProcSource::Boxdeck,
                ProcState::Exited,
                Some(3),
                &["make", "test"],
            ),
            proc(
                "bb22",
                ProcSource::Boxdeck,
                ProcState::Running,
                None,
                &["sh", "-c", "tail -f x"],
            ),
            proc(
                "0123456789ab",
                ProcSource::Engine,
                ProcState::Running,
                None,
                &["sleep", "30"],
            ),
        ]));
        p
    }

    #[test]
    fn output_lines_are_clean_and_bounded() {
        let mut b = OutputBuf::default();
        b.push(b"a\x1b[31mred\x1b[0m\n10%\r50%\r100%\nbell\x07\x1b]0;title\x07x\n\xe2\x82");
        b.push(b"\xac no newline");
        let v: Vec<String> = b.display().collect();
        assert_eq!(v, ["ared", "100%", "bellx", "€ no newline"]);
        assert_eq!(b.bytes, 58);
        for _ in 0..OUTPUT_LINES + 10 {
            b.push(b"x\n");
        }
        assert_eq!(b.lines.len(), OUTPUT_LINES);
    }

    #[test]
    fn selection_follows_the_process_across_listings() {
        let mut p = pane();
        assert_eq!(p.selected().unwrap().id, "0123456789ab", "newest selected first");
        p.select_prev();
        assert_eq!(p.wants_follow().unwrap().id, "bb22");
        p.reset_output("bb22");
        assert!(p.wants_follow().is_none());
        p.push_output("bb22", b"hello\n");
        p.push_output("aa11", b"not mine\n");
        let mut list = p.procs.clone();
        list.insert(
            0,
            proc("zz00", ProcSource::Engine, ProcState::Exited, Some(0), &["true"]),
        );
        p.set_procs(Ok(list));
        assert_eq!(p.selected().unwrap().id, "bb22");
        assert_eq!(p.output.display().collect::<Vec<_>>(), ["hello"]);
        // A listing error keeps what is shown.
        p.set_procs(Err("engine gone".into()));
        assert_eq!(p.procs.len(), 4);
        assert_eq!(p.error.as_deref(), Some("engine gone"));
        // Another sandbox: a clean pane.
        assert!(!p.set_target(p.target.clone()));
        assert!(p.set_target(None));
        assert!(p.procs.is_empty());
    }

    #[test]
    fn draws_list_and_live_output() {
        let mut p = pane();
        p.select_prev();
        p.reset_output("bb22");
        p.push_output("bb22", b"line one\nline two\npartial");
        let s = render(80, 12, |f| draw_procs(f, f.area(), &p, &Styles::default()));
        assert!(s.contains("ID"), "{s}");
        assert!(s.contains("exit 3"), "{s}");
        assert!(s.contains("running"), "{s}");
        assert!(s.contains("sleep 30"), "{s}");
        assert!(s.contains("output of bb22"), "{s}");
        assert!(s.contains("line two") && s.contains("partial"), "{s}");
        // A foreign exec says its output is not kept.
        p.select_next();
        let s = render(80, 12, |f| draw_procs(f, f.area(), &p, &Styles::default()));
        assert!(s.contains("output is kept only for processes boxdeck started"), "{s}");
        // Tiny areas do not panic.
        for (w, h) in [(1, 1), (5, 2), (80, 1), (0, 0)] {
            render(w.max(1), h.max(1), |f| {
                draw_procs(f, Rect::new(0, 0, w, h), &p, &Styles::default())
            });
        }
    }

    #[test]
    fn fanout_view_fills_in() {
        let mut v = FanoutView::new(
            7,
            "make test",
            vec![FanoutView::row("alpha", "docker"), FanoutView::row("beta", "podman")],
        );
        let s = render(90, 16, |f| draw_fanout(f, f.area(), &v, &Styles::default()));
        assert!(s.contains("0/2 done") && s.contains("running…"), "{s}");
        v.apply(
            7,
            FanoutEvent::Output {
                index: 1,
                stream: crate::engine::StreamKind::Stdout,
                data: b"ok beta\n".to_vec(),
            },
        );
        v.apply(
            7,
            FanoutEvent::Done {
                index: 1,
                result: Ok(RunResult {
                    exit_code: 2,
                    timed_out: false,
                    duration: Duration::from_millis(1200),
                }),
            },
        );
        // Events of another run are ignored.
        v.apply(
            8,
            FanoutEvent::Done {
                index: 0,
                result: Ok(RunResult {
                    exit_code: 0,
                    timed_out: false,
                    duration: Duration::from_secs(1),
                }),
            },
        );
        v.select_next();
        let s = render(90, 16, |f| draw_fanout(f, f.area(), &v, &Styles::default()));
        assert!(s.contains("1/2 done"), "{s}");
        assert!(s.contains("1.2s") && s.contains("ok beta"), "{s}");
        assert!(s.contains("output of beta"), "{s}");
        v.apply(
            7,
            FanoutEvent::Done {
                index: 0,
                result: Err(crate::Error::failed("sandbox alpha is not running")),
            },
        );
        let s = render(90, 16, |f| draw_fanout(f, f.area(), &v, &Styles::default()));
        assert!(s.contains("done · 2 failed") && s.contains("error"), "{s}");
        for (w, h) in [(1, 1), (10, 3), (90, 4)] {
            render(w, h, |f| draw_fanout(f, f.area(), &v, &Styles::default()));
        }
    }
}
