//! Event dispatch: terminal events, worker messages and the clock tick, applied to the state.
//!
//! Every function here changes only the [`State`]; requests for the workers go to
//! `State::outbox`. Order of key handling: help overlay, open dialog, filter/palette input,
//! the focused detail tab, then the key map ([`command`]).

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::keymap::Command;
use super::logwire;
use super::msg::{Action, Msg, RowKey, Target, Verb};
use crate::engine::StatsSample;
use crate::sandbox::create::CreateOptions;
use crate::sandbox::prune::PruneOptions;
use crate::state::dialog::{Confirm, CreateDialog, CreateField, Dialog, RunDialog, TextInput};
use crate::state::{Effect, EngineStatus, Mode, Pane, Row, SortKey, State, Tab};
use crate::views::bulk::BulkView;
use crate::views::prune::{PruneKey, PruneView};

/// Any terminal event.
pub fn on_event(s: &mut State, ev: Event) {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => on_key(s, k),
        Event::Mouse(m) if crate::emulator::tabs::on_mouse(s, &m) => {}
        Event::Mouse(m) => on_mouse(s, m),
        Event::Resize(w, h) => {
            s.area = Rect::new(0, 0, w, h);
            s.clamp_offset();
            crate::emulator::tabs::resize_all(s);
            s.dirty = true;
        }
        Event::Paste(text) => on_paste(s, &text),
        _ => {}
    }
}

fn on_paste(s: &mut State, text: &str) {
    if crate::emulator::tabs::on_paste(s, text) {
        return;
    }
    let input = match (&mut s.mode, &mut s.dialog) {
        (Mode::Filter(t) | Mode::Palette(t) | Mode::LogSearch(t), _) => t,
        (_, Some(Dialog::Run(r))) => &mut r.command,
        (_, Some(Dialog::SaveLog(p))) => p,
        (_, Some(Dialog::Create(c))) if c.focus == CreateField::Name => &mut c.name,
        (_, Some(Dialog::Create(c))) if c.focus == CreateField::Project => &mut c.project,
        _ => return,
    };
    for c in text.chars().filter(|c| !c.is_control()) {
        input.insert(c);
    }
    if matches!(s.mode, Mode::Filter(_)) {
        s.refresh_view();
    }
    s.dirty = true;
}

/// A key press.
pub fn on_key(s: &mut State, k: KeyEvent) {
    s.dirty = true;
    // A focused session takes every key but the detach key (Ctrl-C included).
    if crate::emulator::tabs::on_key(s, &k) {
        return;
    }
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) && s.dialog.is_none() {
        s.quit = true;
        return;
    }
    if s.help {
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => s.help_scroll = s.help_scroll.saturating_add(1),
            KeyCode::Char('k') | KeyCode::Up => s.help_scroll = s.help_scroll.saturating_sub(1),
            _ => {
                s.help = false;
                s.help_scroll = 0;
            }
        }
        return;
    }
    if s.dialog.is_some() {
        dialog_key(s, k);
        return;
    }
    match &s.mode {
        Mode::Filter(_) => return filter_key(s, k),
        Mode::Palette(_) => return palette_key(s, k),
        Mode::LogSearch(_) => return logwire::search_key(s, &k),
        Mode::Normal => {}
    }
    if k.code == KeyCode::Esc && s.focus == Pane::Detail && detail_key(s, &k) {
        return;
    }
    if k.code == KeyCode::Esc {
        if s.bulk.as_ref().is_some_and(|b| b.finished()) {
            // A finished bulk panel (it stays only when something failed) closes first.
            s.bulk = None;
        } else if s.message.is_some() {
            s.message = None;
        } else if !s.filter.is_empty() {
            s.filter.clear();
            s.refresh_view();
        } else if s.zoom {
            s.zoom = false;
            s.clamp_offset();
        } else if s.focus == Pane::Detail {
            s.focus = Pane::Table;
        }
        return;
    }
    if s.focus == Pane::Detail && detail_key(s, &k) {
        return;
    }
    if let Some(c) = s.keymap.lookup(&k) {
        command(s, c);
    }
}

/// Keys for the focused detail tab; true when used.
pub fn detail_key(s: &mut State, k: &KeyEvent) -> bool {
    match s.tab {
        Tab::Logs => logwire::key(s, k),
        Tab::Inspect => {
            match s.keymap.lookup(k) {
                Some(Command::Down) => s.inspect_scroll = s.inspect_scroll.saturating_add(1),
                Some(Command::Up) => s.inspect_scroll = s.inspect_scroll.saturating_sub(1),
                Some(Command::PageDown) => s.inspect_scroll = s.inspect_scroll.saturating_add(10),
                Some(Command::PageUp) => s.inspect_scroll = s.inspect_scroll.saturating_sub(10),
                Some(Command::Top) => s.inspect_scroll = 0,
                _ => return false,
            }
            true
        }
        Tab::Sessions => crate::emulator::tabs::detail_key(s, k),
        Tab::Processes => crate::procview::wire::key(s, k),
    }
}

/// Run a key-map command.
pub fn command(s: &mut State, c: Command) {
    s.dirty = true;
    let page = s.table_rows().max(1);
    match c {
        Command::Help => s.help = true,
        Command::Quit => crate::emulator::tabs::on_quit(s),
        Command::Filter => {
            s.mode = Mode::Filter(TextInput::new(&s.filter));
            s.focus = Pane::Table;
        }
        Command::Palette => s.mode = Mode::Palette(TextInput::default()),
        Command::Up => s.select(s.selected.saturating_sub(1)),
        Command::Down => s.select(s.selected + 1),
        Command::PageUp => s.select(s.selected.saturating_sub(page)),
        Command::PageDown => s.select(s.selected + page),
        Command::Top => s.select(0),
        Command::Bottom => s.select(s.view.len().saturating_sub(1)),
        Command::PrevTab => set_tab(s, s.tab.prev()),
        Command::NextTab => set_tab(s, s.tab.next()),
        Command::NextPane => {
            s.focus = match s.focus {
                Pane::Table => Pane::Detail,
                Pane::Detail => Pane::Table,
            };
            s.clamp_offset();
        }
        Command::Session => on_session_key(s),
        Command::Mark => {
            if let Some(k) = s.selected_key().cloned() {
                if !s.marks.remove(&k) {
                    s.marks.insert(k);
                }
                s.select(s.selected + 1);
            }
        }
        Command::MarkAll => {
            let keys: Vec<RowKey> = s.view.clone();
            s.marks.extend(keys);
        }
        Command::ClearMarks => s.marks.clear(),
        Command::Create => on_create_key(s),
        Command::StopStart => on_stop_start_key(s),
        Command::Restart => lifecycle(s, Verb::Restart),
        Command::Destroy => on_destroy_key(s),
        Command::Run => on_run_key(s),
        Command::Prune => on_prune_key(s),
        Command::Zoom => {
            s.zoom = !s.zoom;
            s.clamp_offset();
        }
        Command::Mouse => {
            s.mouse_capture = !s.mouse_capture;
            s.effects.push(Effect::SetMouseCapture(s.mouse_capture));
            s.info(if s.mouse_capture {
                "mouse capture on"
            } else {
                "mouse capture off: select text with the mouse; M turns it back on"
            });
        }
        Command::AllContainers => {
            s.all = !s.all;
            s.outbox.push(Action::SetAll(s.all));
            s.info(if s.all {
                "showing all containers"
            } else {
                "showing sandboxes"
            });
        }
        Command::Sort => {
            s.sort = s.sort.next();
            s.refresh_view();
        }
        Command::SortReverse => {
            s.sort_desc = !s.sort_desc;
            s.refresh_view();
        }
        Command::GrowSplit => {
            s.split = (s.split + 5).min(80);
            s.clamp_offset();
        }
        Command::ShrinkSplit => {
            s.split = s.split.saturating_sub(5).max(20);
            s.clamp_offset();
        }
        // Only meaningful inside a session (see emulator::tabs::on_key).
        Command::Detach => {}
        // A tab's own keys are handled by that tab while it has focus (detail_key).
        Command::LogSearch
        | Command::NextMatch
        | Command::PrevMatch
        | Command::LogFilter
        | Command::Timestamps
        | Command::Wrap
        | Command::ScrollLeft
        | Command::ScrollRight
        | Command::SaveLog
        | Command::ClearLog
        | Command::FocusSession
        | Command::PrevSession
        | Command::NextSession
        | Command::CloseSession
        | Command::Kill => {}
    }
}

fn set_tab(s: &mut State, t: Tab) {
    s.tab = t;
    s.inspect_scroll = 0;
    if t == Tab::Inspect {
        // Always fresh when the tab opens.
        s.sent_inspect = None;
    }
}

/// `Enter`: open a session in the selected sandbox, or focus its open one.
pub fn on_session_key(s: &mut State) {
    crate::emulator::tabs::open_or_focus(s);
}

/// `x`: run a command in the selected or marked sandboxes.
pub fn on_run_key(s: &mut State) {
    let targets = bulk_targets(s);
    if targets.is_empty() {
        return;
    }
    s.dialog = Some(Dialog::Run(RunDialog {
        targets,
        command: TextInput::default(),
    }));
}

/// `P`: prune with the default rule: preview, ask, progress, summary (issue 6).
pub fn on_prune_key(s: &mut State) {
    open_prune(s, PruneOptions::default());
}

/// Open the prune dialog and ask every connected engine for its plan.
pub fn open_prune(s: &mut State, opts: PruneOptions) {
    let engines: Vec<String> = s.engines.iter().filter(|e| e.up).map(|e| e.name.clone()).collect();
    if engines.is_empty() {
        s.error("no engine is connected; nothing to prune");
        return;
    }
    s.dialog = Some(Dialog::Prune(PruneView::new(opts.clone(), engines)));
    s.outbox.push(Action::PrunePlan(opts));
}

fn on_create_key(s: &mut State) {
    let profiles = if s.profiles.is_empty() {
        vec!["default".to_string()]
    } else {
        s.profiles.clone()
    };
    let profile = profiles.iter().position(|p| p == "default").unwrap_or(0);
    let engines: Vec<String> = s.engines.iter().filter(|e| e.up).map(|e| e.name.clone()).collect();
    if engines.is_empty() {
        s.error("no engine is connected; cannot create");
        return;
    }
    s.dialog = Some(Dialog::Create(CreateDialog {
        profiles,
        profile,
        name: TextInput::default(),
        persist: false,
        project: TextInput::new(s.project.as_deref().unwrap_or("")),
        engines,
        engine: 0,
        focus: CreateField::Profile,
        error: None,
    }));
}

/// The targets of an action. Marked rows form a bulk action, which never touches a container
/// without `pocketdock.managed=true` (SPEC 1.4); without marks, the selected row (any container).
pub fn bulk_targets(s: &mut State) -> Vec<Target> {
    let targets = s.targets();
    if s.marks.is_empty() {
        return targets;
    }
    let (ok, skipped): (Vec<Target>, Vec<Target>) = targets
        .into_iter()
        .partition(|t| s.rows.get(&t.key).is_some_and(|r| r.sb.managed));
    if !skipped.is_empty() {
        s.info(format!(
            "skipped {} marked container(s) that are not sandboxes (bulk actions touch sandboxes only)",
            skipped.len()
        ));
    }
    ok
}

fn on_stop_start_key(s: &mut State) {
    let Some(first) = s.selected_row() else { return };
    // With marks, stop if any marked row is live; else by the selected row's state.
    let live = if s.marks.is_empty() {
        first.sb.state.is_live()
    } else {
        s.marks
            .iter()
            .any(|k| s.rows.get(k).is_some_and(|r| r.sb.state.is_live()))
    };
    lifecycle(s, if live { Verb::Stop } else { Verb::Start });
}

fn lifecycle(s: &mut State, verb: Verb) {
    let targets = bulk_targets(s);
    if targets.is_empty() {
        return;
    }
    s.progress = Some(format!("{} {}…", verb.as_str(), names(&targets)));
    open_bulk(s, verb, &targets);
    s.outbox.push(Action::Lifecycle { verb, targets });
}

/// Per-target progress for an action on several targets (issue 6).
fn open_bulk(s: &mut State, verb: Verb, targets: &[Target]) {
    if targets.len() > 1 {
        s.bulk = Some(BulkView::new(
            verb.as_str(),
            targets
                .iter()
                .map(|t| (t.key.engine.clone(), t.key.id.clone(), t.name.clone())),
        ));
    }
}

fn names(t: &[Target]) -> String {
    if t.len() == 1 {
        t[0].name.clone()
    } else {
        format!("{} sandboxes", t.len())
    }
}

fn on_destroy_key(s: &mut State) {
    let targets = bulk_targets(s);
    if targets.is_empty() {
        return;
    }
    let mut lines = vec![
        format!("Destroy {}? This cannot be undone.", names(&targets)),
        "Running ones are killed first.".to_string(),
    ];
    lines.extend(targets.iter().map(|t| format!("  {} ({})", t.name, t.key.engine)));
    s.dialog = Some(Dialog::Confirm(Confirm {
        title: "Destroy".into(),
        lines,
        on_yes: Action::Lifecycle {
            verb: Verb::Destroy,
            targets,
        },
    }));
}

/// Keys while a dialog is open.
pub fn dialog_key(s: &mut State, k: KeyEvent) {
    let Some(d) = s.dialog.as_mut() else { return };
    match d {
        Dialog::Confirm(c) => match k.code {
            KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                let a = c.on_yes.clone();
                s.dialog = None;
                if a == Action::Quit {
                    s.quit = true;
                    return;
                }
                if let Action::Lifecycle { verb, targets } = &a {
                    s.progress = Some(format!("{} {}…", verb.as_str(), names(targets)));
                    for t in targets {
                        s.marks.remove(&t.key);
                    }
                    open_bulk(s, *verb, targets);
                }
                s.outbox.push(a);
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => s.dialog = None,
            _ => {}
        },
        Dialog::Prune(p) => match p.key(k) {
            PruneKey::None => {}
            PruneKey::Close => s.dialog = None,
            PruneKey::Confirm(parts) => {
                let opts = p.opts.clone();
                s.progress = Some(format!("pruning {} sandboxes…", p.rows.len()));
                for (_, plan) in parts {
                    s.outbox.push(Action::PruneRun {
                        plan,
                        opts: opts.clone(),
                    });
                }
            }
        },
        Dialog::SaveLog(p) => match k.code {
            KeyCode::Esc => s.dialog = None,
            KeyCode::Enter => {
                let path = p.text.trim().to_string();
                s.dialog = None;
                if !path.is_empty() {
                    logwire::save(s, &path);
                }
            }
            _ => text_key(p, &k),
        },
        Dialog::Run(r) => match k.code {
            KeyCode::Esc => s.dialog = None,
            KeyCode::Enter => {
                let command = r.command.text.trim().to_string();
                if command.is_empty() {
                    return;
                }
                let targets = r.targets.clone();
                s.dialog = None;
                crate::procview::wire::run_command(s, targets, command);
            }
            _ => text_key(&mut r.command, &k),
        },
        Dialog::Fanout(_) => crate::procview::wire::fanout_key(s, k),
        Dialog::Create(c) => {
            let idx = CreateField::ORDER.iter().position(|f| *f == c.focus).unwrap_or(0);
            let n = CreateField::ORDER.len();
            match k.code {
                KeyCode::Esc => s.dialog = None,
                KeyCode::Tab | KeyCode::Down => c.focus = CreateField::ORDER[(idx + 1) % n],
                KeyCode::BackTab | KeyCode::Up => c.focus = CreateField::ORDER[(idx + n - 1) % n],
                KeyCode::Enter => {
                    let name = c.name.text.trim().to_string();
                    if !name.is_empty()
                        && let Err(e) = crate::sandbox::create::validate_name(&name)
                    {
                        c.error = Some(e.message);
                        return;
                    }
                    let project = c.project.text.trim().to_string();
                    let opts = CreateOptions {
                        profile: c.profiles.get(c.profile).cloned(),
                        name: (!name.is_empty()).then_some(name),
                        image: None,
                        persist: Some(c.persist),
                        project: (!project.is_empty()).then_some(project),
                        labels: Vec::new(),
                    };
                    let engine = c.engines.get(c.engine).cloned();
                    s.dialog = None;
                    s.progress = Some("creating a sandbox…".into());
                    s.outbox.push(Action::Create { engine, opts });
                }
                _ => match c.focus {
                    CreateField::Profile => cycle(&mut c.profile, c.profiles.len(), &k),
                    CreateField::Engine => cycle(&mut c.engine, c.engines.len(), &k),
                    CreateField::Persist => {
                        if matches!(k.code, KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right) {
                            c.persist = !c.persist;
                        }
                    }
                    CreateField::Name => {
                        c.error = None;
                        text_key(&mut c.name, &k)
                    }
                    CreateField::Project => text_key(&mut c.project, &k),
                },
            }
        }
    }
}

fn cycle(i: &mut usize, n: usize, k: &KeyEvent) {
    if n == 0 {
        return;
    }
    match k.code {
        KeyCode::Right | KeyCode::Char(' ') | KeyCode::Char('l') => *i = (*i + 1) % n,
        KeyCode::Left | KeyCode::Char('h') => *i = (*i + n - 1) % n,
        _ => {}
    }
}

/// Editing keys for a text field.
pub fn text_key(t: &mut TextInput, k: &KeyEvent) {
    match k.code {
        KeyCode::Char(c) if !k.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => t.insert(c),
        KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => *t = TextInput::default(),
        KeyCode::Backspace => t.backspace(),
        KeyCode::Left => t.left(),
        KeyCode::Right => t.right(),
        KeyCode::Home => t.cursor = 0,
        KeyCode::End => t.cursor = t.text.len(),
        _ => {}
    }
}

fn filter_key(s: &mut State, k: KeyEvent) {
    let Mode::Filter(t) = &mut s.mode else { return };
    match k.code {
        KeyCode::Enter => {
            s.filter = t.text.clone();
            s.mode = Mode::Normal;
            s.focus = Pane::Table;
            s.refresh_view();
            s.select(0);
        }
        KeyCode::Esc => {
            s.filter.clear();
            s.mode = Mode::Normal;
            s.refresh_view();
        }
        _ => {
            text_key(t, &k);
            s.refresh_view();
        }
    }
}

fn palette_key(s: &mut State, k: KeyEvent) {
    let Mode::Palette(t) = &mut s.mode else { return };
    match k.code {
        KeyCode::Esc => s.mode = Mode::Normal,
        KeyCode::Tab => {
            if let Some(c) = super::super::views::palette::completions(&t.text).first()
                && !t.text.contains(' ')
            {
                *t = TextInput::new(&format!("{c} "));
            }
        }
        KeyCode::Enter => {
            let line = t.text.trim().to_string();
            s.mode = Mode::Normal;
            palette_exec(s, &line);
        }
        _ => text_key(t, &k),
    }
}

/// Run a palette command line (`create`, `sort cpu`, `host tcp://...`, ...).
pub fn palette_exec(s: &mut State, line: &str) {
    let (word, arg) = match line.split_once(char::is_whitespace) {
        Some((w, a)) => (w, a.trim()),
        None => (line, ""),
    };
    if word.is_empty() {
        return;
    }
    let matches = crate::views::palette::completions(word);
    let exact = crate::views::palette::COMMANDS.iter().any(|(c, _)| *c == word);
    let cmd = if exact {
        word.to_string()
    } else if matches.len() == 1 {
        matches[0].to_string()
    } else if matches.is_empty() {
        s.error(format!("unknown command ':{word}' (? lists the commands)"));
        return;
    } else {
        s.error(format!("':{word}' is ambiguous: {}", matches.join(", ")));
        return;
    };
    match cmd.as_str() {
        "create" => command(s, Command::Create),
        "prune" => match PruneOptions::from_words(&arg.split_whitespace().collect::<Vec<_>>()) {
            Ok(opts) => open_prune(s, opts),
            Err(e) => s.error(format!(
                "{}{}",
                e.message,
                e.hint.map(|h| format!(" ({h})")).unwrap_or_default()
            )),
        },
        "run" => command(s, Command::Run),
        "all" => command(s, Command::AllContainers),
        "zoom" => command(s, Command::Zoom),
        "mouse" => command(s, Command::Mouse),
        "help" => command(s, Command::Help),
        "quit" => command(s, Command::Quit),
        "restart" => lifecycle(s, Verb::Restart),
        "stop" => lifecycle(s, Verb::Stop),
        "start" => lifecycle(s, Verb::Start),
        "destroy" => command(s, Command::Destroy),
        "filter" => {
            s.filter = arg.to_string();
            s.refresh_view();
            s.select(0);
        }
        "sort" => match SortKey::parse(arg) {
            Some(k) => {
                s.sort = k;
                s.refresh_view();
            }
            None => s.error(format!(
                "unknown sort column '{arg}' (name, engine, state, image, uptime, cpu, mem)"
            )),
        },
        "host" => {
            if arg.is_empty() {
                s.error(":host needs a URL, e.g. :host unix:///run/podman/podman.sock");
            } else if let Err(e) = crate::engine::connect::parse_url(arg) {
                s.error(e.message);
            } else {
                s.outbox.push(Action::AddHost(arg.to_string()));
                s.info(format!("connecting to {arg}…"));
            }
        }
        _ => {}
    }
}

/// A mouse event (only arrives while mouse capture is on).
pub fn on_mouse(s: &mut State, m: MouseEvent) {
    if s.help || s.dialog.is_some() {
        if matches!(m.kind, MouseEventKind::Down(_)) && s.help {
            s.help = false;
            s.dirty = true;
        }
        return;
    }
    let a = crate::views::layout(s.area, s);
    let p = Position::new(m.column, m.row);
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            if a.table.contains(p) {
                s.focus = Pane::Table;
                // Rows start under the top border and the header.
                let first = a.table.y + 2;
                if m.row >= first && m.row < a.table.y + a.table.height.saturating_sub(1) {
                    let i = s.offset + (m.row - first) as usize;
                    if i < s.view.len() {
                        s.select(i);
                    }
                }
            } else if a.detail.contains(p) {
                s.focus = Pane::Detail;
                if m.row == a.detail.y
                    && let Some(t) = crate::views::detail::tab_at(a.detail, m.column)
                {
                    set_tab(s, t);
                }
            }
            s.dirty = true;
        }
        MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
            let up = m.kind == MouseEventKind::ScrollUp;
            if a.table.contains(p) {
                if up {
                    s.select(s.selected.saturating_sub(1));
                } else {
                    s.select(s.selected + 1);
                }
            } else if a.detail.contains(p) {
                match s.tab {
                    Tab::Logs => logwire::wheel(s, up),
                    Tab::Inspect => {
                        s.inspect_scroll = if up {
                            s.inspect_scroll.saturating_sub(3)
                        } else {
                            s.inspect_scroll.saturating_add(3)
                        };
                        s.dirty = true;
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The clock: redraw only when something shown depends on it.
pub fn on_tick(s: &mut State, now: i64) {
    let before = s.now;
    s.now = now;
    if let Some(m) = &s.message
        && m.until.is_some_and(|u| now >= u)
    {
        s.message = None;
        s.dirty = true;
    }
    crate::procview::wire::tick(s);
    let shown = |t: i64, st: i64| crate::util::human_duration(std::time::Duration::from_secs((t - st).max(0) as u64));
    for k in s.visible_keys() {
        if let Some(st) = s.rows.get(&k).and_then(|r| r.started)
            && shown(before, st) != shown(now, st)
        {
            s.dirty = true;
            break;
        }
    }
}

/// A worker message.
pub fn on_msg(s: &mut State, m: Msg) {
    match m {
        Msg::EngineUp { engine, detail } => {
            // A "disconnected, try again" message about this engine is stale now.
            let stale = format!("engine {engine} is disconnected");
            if s.message.as_ref().is_some_and(|m| m.text.starts_with(&stale)) {
                s.message = None;
            }
            set_engine(s, &engine, true, detail);
        }
        Msg::EngineDown {
            engine,
            error,
            retry_secs,
        } => {
            set_engine(s, &engine, false, format!("{error} (retrying in {retry_secs}s)"));
        }
        Msg::Snapshot { engine, rows } => {
            let mut old: std::collections::BTreeMap<RowKey, Row> = std::collections::BTreeMap::new();
            s.rows.retain(|k, r| {
                if k.engine == engine {
                    old.insert(k.clone(), r.clone());
                    false
                } else {
                    true
                }
            });
            for sb in rows {
                let key = RowKey::of(&sb);
                let mut row = Row::new(sb, s.now);
                if let Some(o) = old.get(&key) {
                    row.stats = o.stats.filter(|_| row.sb.state.is_live());
                }
                s.rows.insert(key, row);
            }
            after_rows_changed(s);
        }
        Msg::Upsert(sb) => {
            let key = RowKey::of(&sb);
            if !s.all && !sb.managed {
                s.rows.remove(&key);
            } else {
                let mut row = Row::new(sb, s.now);
                // A row that stays live keeps its stats and its (more precise) start time.
                if let Some(o) = s.rows.get(&key)
                    && row.sb.state.is_live()
                    && o.sb.state.is_live()
                {
                    row.stats = o.stats;
                    row.started = o.started.or(row.started);
                }
                s.rows.insert(key.clone(), row);
            }
            if s.selected_key() == Some(&key) && s.tab == Tab::Inspect {
                s.sent_inspect = None;
            }
            after_rows_changed(s);
        }
        Msg::Removed(key) => {
            s.rows.remove(&key);
            after_rows_changed(s);
        }
        Msg::Stats { key, sample } => {
            if let Some(r) = s.rows.get_mut(&key) {
                // Redraw only when what the table shows changes (idle rows send the same
                // numbers every second).
                let shown = |x: &StatsSample| (format!("{:.1}", x.cpu_percent), x.mem_bytes >> 10, x.pids);
                let changed = r.stats.as_ref().map(shown) != Some(shown(&sample));
                r.stats = Some(sample);
                if changed && matches!(s.sort, SortKey::Cpu | SortKey::Memory) {
                    // Re-sorted once after the whole batch (State::sync).
                    s.view_stale = true;
                    s.dirty = true;
                } else if changed && s.sent_watch.contains(&key) {
                    s.dirty = true;
                }
            }
        }
        Msg::Details { key, details } => {
            s.details = Some((key, details));
            s.dirty = true;
        }
        Msg::LogReset(key) => {
            if s.logs_key.as_ref() == Some(&key) {
                logwire::reset(s);
                s.dirty = true;
            }
        }
        Msg::LogResume(key) => {
            if s.logs_key.as_ref() == Some(&key) {
                logwire::resume(s, key);
                s.dirty = true;
            }
        }
        Msg::Log { key, chunk } => {
            if s.logs_key.as_ref() == Some(&key) {
                logwire::push(s, &chunk);
                // Only the Logs tab shows it (and only when the detail area is on screen).
                let a = crate::views::layout(s.area, s);
                if s.tab == Tab::Logs && a.detail.height > 0 {
                    s.dirty = true;
                }
            }
        }
        Msg::LogEnded { key, error } => {
            if s.logs_key.as_ref() == Some(&key) {
                logwire::ended(s, error.unwrap_or_else(|| "the container stopped".into()));
                s.dirty = true;
            }
        }
        Msg::Progress(p) => {
            s.progress = p;
            s.dirty = true;
        }
        Msg::Info(t) => s.info(t),
        Msg::Error(t) => {
            s.progress = None;
            s.error(t)
        }
        Msg::Quit => s.quit = true,
        Msg::SessionOpened { key, name, session } => crate::emulator::tabs::on_opened(s, key, name, session),
        Msg::SessionFailed(key) => crate::emulator::tabs::on_open_failed(s, &key),
        Msg::Procs(m) => crate::procview::wire::on_msg(s, m),
        Msg::PrunePlanned { engine, plan } => {
            if let Some(Dialog::Prune(p)) = &mut s.dialog {
                p.planned(&engine, plan);
                s.dirty = true;
            }
        }
        Msg::PrunePlanFailed { engine, error } => {
            if let Some(Dialog::Prune(p)) = &mut s.dialog {
                p.plan_failed(&engine, error);
                s.dirty = true;
            }
        }
        Msg::PruneItem { engine, id, outcome } => {
            if let Some(Dialog::Prune(p)) = &mut s.dialog {
                p.outcome(&engine, &id, outcome);
                s.dirty = true;
            }
        }
        Msg::PruneDone { engine } => {
            if let Some(Dialog::Prune(p)) = &mut s.dialog {
                p.engine_done(&engine);
                if p.phase == crate::views::prune::Phase::Done {
                    let summary = p.summary();
                    s.progress = None;
                    s.info(summary);
                }
                s.dirty = true;
            }
        }
        Msg::BulkItem { engine, id, status } => {
            if let Some(b) = &mut s.bulk {
                b.update(&engine, &id, status);
                s.dirty = true;
            }
        }
        Msg::BulkDone { engine } => {
            if let Some(b) = &mut s.bulk {
                b.engine_done(&engine);
                // All fine: the message line says so; failures keep the panel open until Esc.
                if b.finished() && b.failures().is_empty() {
                    s.bulk = None;
                }
                s.dirty = true;
            }
        }
    }
}

fn set_engine(s: &mut State, engine: &str, up: bool, detail: String) {
    match s.engines.iter_mut().find(|e| e.name == engine) {
        Some(e) => {
            e.up = up;
            e.detail = detail;
        }
        None => s.engines.push(EngineStatus {
            name: engine.to_string(),
            up,
            detail,
        }),
    }
    // The banner takes a line: the table may show one row fewer.
    s.clamp_offset();
    s.dirty = true;
}

fn after_rows_changed(s: &mut State) {
    let rows = &s.rows;
    s.marks.retain(|k| rows.contains_key(k));
    s.refresh_view();
}
