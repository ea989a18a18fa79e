//! `boxdeck` with no subcommand: set up config, key map, colours, engines and the terminal,
//! then run the UI loop until the user quits.

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::EventStream;
use tokio::sync::mpsc;

use super::keymap::KeyMap;
use super::msg::Msg;
use crate::config::Config;
use crate::sandbox::Fleet;
use crate::state::{Effect, State};
use crate::views::theme::Theme;
use crate::{Error, Result, tui, workers};

/// Run the dashboard. Config, key and colour errors are reported before the screen changes.
pub async fn dashboard(hosts: Vec<String>, config_path: Option<PathBuf>) -> Result<i32> {
    let config = Config::load(config_path.as_deref())?;
    let keymap = KeyMap::from_config(&config.keys).map_err(|e| e.context("config"))?;
    let theme = Theme::from_config(&config.colors).map_err(|e| e.context("config"))?;
    let discovery = Fleet::discover(&hosts, &config)?;
    let targets = Fleet::targets_or_explain(&discovery)?;
    if !crossterm::tty::IsTty::is_tty(&std::io::stdout()) {
        return Err(
            Error::usage("the dashboard needs a terminal").hint("use a subcommand like `boxdeck ls` in scripts")
        );
    }
    let project = std::env::current_dir()
        .ok()
        .and_then(|d| crate::config::project::discover(&d).ok().flatten())
        .map(|p| p.name);

    let mut state = State::new(keymap, theme, config.logs.ring_lines);
    state.profiles = config.profiles().keys().cloned().collect();
    state.project = project;

    let (msg_tx, mut msg_rx) = mpsc::unbounded_channel();
    // SIGTERM and SIGHUP end the dashboard like `q` does, so the terminal is restored.
    {
        use tokio::signal::unix::{SignalKind, signal};
        let tx = msg_tx.clone();
        let mut term = signal(SignalKind::terminate()).map_err(Error::from)?;
        let mut hup = signal(SignalKind::hangup()).map_err(Error::from)?;
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            let _ = tx.send(Msg::Quit);
        });
    }
    let actions = workers::spawn(targets, Arc::new(config), msg_tx);

    tui::install_hooks();
    let mut terminal = tui::init().map_err(|e| Error::failed(format!("cannot set up the terminal: {e}")))?;
    let _guard = tui::Guard;
    let mut effects = |e: Effect| match e {
        Effect::SetMouseCapture(on) => tui::set_mouse_capture(on),
    };
    let r = super::run(
        &mut terminal,
        &mut state,
        EventStream::new(),
        &mut msg_rx,
        &actions,
        &mut effects,
    )
    .await;
    tui::restore();
    // Shells do not end when their connection drops: end them before leaving.
    crate::emulator::tabs::close_all(&mut state.sessions, std::time::Duration::from_secs(3)).await;
    r.map(|_| 0)
}
