//! The dashboard application: run loop, event dispatch, key map, actions.
//!
//! # Architecture
//! One UI task owns the [`State`] and the terminal. [`run`] merges three sources with
//! `tokio::select!`: terminal events (crossterm's `EventStream`, or injected events in tests),
//! [`Msg`]s from the engine workers (`crate::workers`), and a one-second clock tick that only
//! marks the state dirty when something on screen depends on the time (uptimes, message expiry).
//! Handlers ([`handlers`]) turn events into state changes and queue [`Action`]s in
//! `State::outbox`; the loop sends them to the workers, which answer with `Msg`s and never touch
//! UI state. Drawing ([`crate::views::draw`]) is a pure function of the state and happens only
//! when `State::dirty` is set; message-driven redraws are coalesced to at most one per
//! [`FRAME_MIN`], or per [`FRAME_FAST`] for what the user is waiting for (within [`INTERACTIVE`]
//! of a key, and a focused session's output). The loop is generic over the ratatui backend, so tests drive it with injected
//! events on a `TestBackend`.
//!
//! # How to add a detail tab
//! 1. Add a variant to [`crate::state::Tab`] (and to `Tab::ALL`, which fixes the `[`/`]` order).
//! 2. Add `src/views/<tab>.rs` with `pub fn draw(f, area, &State)`, declare it in
//!    `views/mod.rs`, and call it from the `match` in `views/detail.rs`.
//! 3. Keys for the tab: add a branch in `handlers::detail_key` (it sees keys first while the
//!    detail pane has focus; return `true` when the key was used).
//!
//! # How to add a dialog
//! 1. Add its state to `crate::state::dialog` and a variant to `Dialog`.
//! 2. Add `src/views/<dialog>.rs` and call it from `views::draw`'s dialog `match`.
//! 3. Handle its keys in `handlers::dialog_key` (a dialog takes every key while open).
//!
//! # How to add an action
//! 1. Add a variant to [`Action`] (UI -> workers) and, if the answer is new, to [`Msg`].
//! 2. Queue it from a handler with `state.outbox.push(..)`.
//! 3. Route it in `workers::route` (to one engine's worker, or to every one) and carry it out in
//!    `workers::engine::EngineWorker::on_action`; report back with `Msg`s.
//! 4. Apply the answer in `handlers::on_msg`.
//!
//! The keys `Enter` (session), `x` (run) and `P` (prune) go to one handler each:
//! `handlers::on_session_key`, `handlers::on_run_key`, `handlers::on_prune_key`.

pub mod dashboard;
pub mod handlers;
pub mod keymap;
pub mod logwire;
pub mod msg;

use std::time::{Duration, Instant};

use crossterm::event::Event;
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

pub use dashboard::dashboard;
pub use msg::{Action, Msg, RowKey};

use crate::state::{Effect, State};
use crate::{Error, Result};

/// The shortest time between two redraws caused by worker messages (user input redraws at
/// once). Five frames a second keeps a followed log lively while a busy log or many stats
/// streams cost at most five frames a second (SPEC 11 idle budget).
pub const FRAME_MIN: Duration = Duration::from_millis(200);
/// The shortest time between two redraws the user is waiting for: engine answers shortly after a
/// key (a newly opened log's tail, an action's result) and a focused session's output (echo).
pub const FRAME_FAST: Duration = Duration::from_millis(16);
/// How long after a key the engine's answers count as ones the user is waiting for.
pub const INTERACTIVE: Duration = Duration::from_secs(1);

/// Unix time now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Draw the state now (and update its idea of the screen size).
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, state: &mut State) -> Result<()>
where
    B::Error: std::fmt::Display,
{
    let size = terminal
        .size()
        .map_err(|e| Error::failed(format!("terminal size: {e}")))?;
    let area = Rect::new(0, 0, size.width, size.height);
    if area != state.area {
        state.area = area;
        state.clamp_offset();
    }
    terminal
        .draw(|f| crate::views::draw(f, state))
        .map_err(|e| Error::failed(format!("drawing failed: {e}")))?;
    state.dirty = false;
    Ok(())
}

/// The UI loop. Returns when the user quits, a `Msg::Quit` arrives, or the event stream ends.
pub async fn run<B, E>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    mut events: E,
    msgs: &mut UnboundedReceiver<Msg>,
    actions: &UnboundedSender<Action>,
    effects: &mut dyn FnMut(Effect),
) -> Result<()>
where
    B: Backend,
    B::Error: std::fmt::Display,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
{
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_draw = Instant::now() - FRAME_MIN;
    let mut last_input = Instant::now();
    let mut urgent = true;
    let mut msgs_open = true;
    if let Ok(size) = terminal.size() {
        state.area = Rect::new(0, 0, size.width, size.height);
    }
    if state.now == 0 {
        state.now = unix_now();
    }
    state.sync();
    // Sessions wake the loop when their screen changed; a focused one redraws within FRAME_FAST.
    let session_waker = state.sessions.waker.clone();
    loop {
        for a in state.outbox.drain(..) {
            // A closed channel means the workers are gone; the UI keeps working without them.
            let _ = actions.send(a);
        }
        for e in state.effects.drain(..) {
            effects(e);
        }
        if state.quit {
            return Ok(());
        }
        let mut deadline = None;
        if state.dirty {
            let since = last_draw.elapsed();
            let window = if last_input.elapsed() < INTERACTIVE || state.sessions.focused {
                FRAME_FAST
            } else {
                FRAME_MIN
            };
            if urgent || since >= window {
                draw(terminal, state)?;
                last_draw = Instant::now();
                urgent = false;
            } else {
                deadline = Some(tokio::time::Instant::now() + (window - since));
            }
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => {
                    handlers::on_event(state, ev);
                    urgent = true;
                    last_input = Instant::now();
                }
                Some(Err(e)) => state.error(format!("terminal input failed: {e}")),
                None => return Ok(()),
            },
            m = msgs.recv(), if msgs_open => match m {
                Some(m) => {
                    handlers::on_msg(state, m);
                    // Apply everything already queued before drawing once.
                    let mut n = 0;
                    while let Ok(m) = msgs.try_recv() {
                        handlers::on_msg(state, m);
                        n += 1;
                        if n >= 10_000 {
                            break;
                        }
                    }
                }
                None => msgs_open = false,
            },
            _ = tick.tick() => handlers::on_tick(state, unix_now()),
            _ = session_waker.notified() => state.dirty = true,
            _ = sleep => {}
        }
        state.sync();
    }
}
