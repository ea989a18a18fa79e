//! One engine's worker: connection with backoff, listing, the event stream, stats of watched
//! rows, the log follow, and the actions aimed at this engine.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use crate::app::msg::{Action, Msg, RowKey, Target, Verb};
use crate::config::Config;
use crate::engine::containers::ListQuery;
use crate::engine::{Engine, EngineTarget, ExecSpec, LogsQuery, StatsSample};
use crate::sandbox::create::{self, CreateProgress};
use crate::sandbox::fleet::Target as SbTarget;
use crate::sandbox::{Fleet, Sandbox, bulk, labels, prune};
use crate::views::bulk::BulkStatus;

/// Lifecycle actions run at once per engine.
pub const CONCURRENCY: usize = 8;
/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub struct EngineWorker {
    name: String,
    target: EngineTarget,
    config: Arc<Config>,
    msgs: UnboundedSender<Msg>,
    rx: UnboundedReceiver<Action>,
    all: bool,
    /// Watched container ids (rows on screen).
    watch: HashSet<String>,
    /// Live (running/paused) containers, from the listing and events.
    live: HashSet<String>,
    follow: Option<String>,
    /// The follow was cut (engine lost, container stopped): resume it instead of re-reading the
    /// tail, once the UI says from when (`Msg::LogResume` -> `Action::ResumeLogs`).
    follow_broken: bool,
    stats_tasks: HashMap<String, JoinHandle<()>>,
    log_task: Option<JoinHandle<()>>,
    stats_tx: UnboundedSender<(String, StatsSample)>,
    stats_rx: UnboundedReceiver<(String, StatsSample)>,
    /// Processes tab and fan-out (issue 5).
    procs: super::procs::ProcWorker,
}

/// Why the connected loop ended.
enum End {
    /// The UI is gone.
    Closed,
    /// The engine stopped answering.
    Lost(String),
}

impl EngineWorker {
    pub fn new(
        target: EngineTarget,
        config: Arc<Config>,
        msgs: UnboundedSender<Msg>,
        rx: UnboundedReceiver<Action>,
    ) -> EngineWorker {
        let (stats_tx, stats_rx) = mpsc::unbounded_channel();
        let output_cap = config.output_cap().unwrap_or(crate::sandbox::procs::OUTPUT_CAP);
        EngineWorker {
            name: target.name.clone().unwrap_or_default(),
            target,
            config,
            msgs,
            rx,
            all: false,
            watch: HashSet::new(),
            live: HashSet::new(),
            follow: None,
            follow_broken: false,
            stats_tasks: HashMap::new(),
            log_task: None,
            stats_tx,
            stats_rx,
            procs: super::procs::ProcWorker::with_output_cap(output_cap),
        }
    }

    fn send(&self, m: Msg) {
        let _ = self.msgs.send(m);
    }

    fn key(&self, id: &str) -> RowKey {
        RowKey {
            engine: self.name.clone(),
            id: id.to_string(),
        }
    }

    /// Connect, serve, and reconnect with backoff until the UI goes away.
    pub async fn run(mut self) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let err = match Engine::connect(&self.target).await {
                Ok(engine) => {
                    backoff = Duration::from_secs(1);
                    self.send(Msg::EngineUp {
                        engine: self.name.clone(),
                        detail: format!("{} {}", engine.kind, engine.version),
                    });
                    match self.connected(engine).await {
                        End::Closed => return,
                        End::Lost(e) => e,
                    }
                }
                Err(e) => e.message,
            };
            self.stop_streams();
            self.send(Msg::EngineDown {
                engine: self.name.clone(),
                error: err,
                retry_secs: backoff.as_secs(),
            });
            // Wait out the backoff, still taking actions (remembering what to resume).
            let sleep = tokio::time::sleep(backoff);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    _ = &mut sleep => break,
                    a = self.rx.recv() => match a {
                        None => return,
                        Some(a) => self.while_down(a),
                    },
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    fn while_down(&mut self, a: Action) {
        match a {
            Action::SetAll(b) => self.all = b,
            Action::Watch(keys) => self.watch = keys.into_iter().map(|k| k.id).collect(),
            Action::FollowLogs(k) => {
                let id = k.map(|k| k.id);
                if id != self.follow {
                    self.follow = id;
                    self.follow_broken = false;
                }
            }
            // Asked again once the engine is back.
            Action::ResumeLogs { .. } => {}
            // Prune and bulk dialogs wait for every engine: answer them, do not leave them hanging.
            Action::PrunePlan(_) => self.send(Msg::PrunePlanFailed {
                engine: self.name.clone(),
                error: "disconnected".into(),
            }),
            Action::PruneRun { plan, .. } => {
                for item in plan.remove {
                    self.send(Msg::PruneItem {
                        engine: self.name.clone(),
                        id: item.sandbox.id,
                        outcome: prune::PruneOutcome::Failed {
                            error: format!("engine {} is disconnected", self.name),
                        },
                    });
                }
                self.send(Msg::PruneDone {
                    engine: self.name.clone(),
                });
            }
            Action::Lifecycle { targets, .. } => {
                for t in targets {
                    self.send(Msg::BulkItem {
                        engine: self.name.clone(),
                        id: t.key.id,
                        status: BulkStatus::Failed(format!("engine {} is disconnected", self.name)),
                    });
                }
                self.send(Msg::BulkDone {
                    engine: self.name.clone(),
                });
                self.send(Msg::Error(format!(
                    "engine {} is disconnected; try again when it is back",
                    self.name
                )));
            }
            _ => self.send(Msg::Error(format!(
                "engine {} is disconnected; try again when it is back",
                self.name
            ))),
        }
    }

    fn stop_streams(&mut self) {
        for (_, t) in self.stats_tasks.drain() {
            t.abort();
        }
        if let Some(t) = self.log_task.take() {
            t.abort();
            self.follow_broken |= self.follow.is_some();
        }
    }

    /// Ask the UI from when to resume the cut follow.
    fn ask_resume(&mut self) {
        if let Some(id) = &self.follow {
            self.send(Msg::LogResume(self.key(id)));
        }
    }

    fn list_query(&self) -> ListQuery {
        ListQuery {
            all: true,
            labels: if self.all {
                Vec::new()
            } else {
                vec![labels::MANAGED_FILTER.to_string()]
            },
            ..Default::default()
        }
    }

    async fn snapshot(&mut self, engine: &Engine) -> crate::Result<()> {
        let list = engine.list(&self.list_query()).await?;
        let rows: Vec<Sandbox> = list.iter().map(Sandbox::from_summary).collect();
        self.live = rows
            .iter()
            .filter(|s| s.state.is_live())
            .map(|s| s.id.clone())
            .collect();
        self.send(Msg::Snapshot {
            engine: self.name.clone(),
            rows,
        });
        Ok(())
    }

    async fn connected(&mut self, engine: Engine) -> End {
        // Events first, so nothing between the listing and the stream is missed.
        let mut events = engine.events(&[]);
        if let Err(e) = self.snapshot(&engine).await {
            return End::Lost(e.message);
        }
        self.sync_stats(&engine);
        if self.follow_broken {
            self.ask_resume();
        } else {
            self.start_follow(&engine, None);
        }
        let mut flush = tokio::time::interval(Duration::from_secs(1));
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut pending: HashMap<String, StatsSample> = HashMap::new();
        loop {
            tokio::select! {
                ev = events.next() => match ev {
                    Some(Ok(ev)) => self.on_event(&engine, &ev.id, &ev.action).await,
                    Some(Err(e)) => return End::Lost(e.message),
                    None => return End::Lost("the event stream closed".into()),
                },
                a = self.rx.recv() => match a {
                    None => {
                        self.stop_streams();
                        return End::Closed;
                    }
                    Some(a) => {
                        if let Err(e) = self.on_action(&engine, a).await {
                            self.send(Msg::Error(e.to_string().replace('\n', " ")));
                        }
                    }
                },
                Some((id, s)) = self.stats_rx.recv() => {
                    pending.insert(id, s);
                }
                _ = flush.tick(), if !pending.is_empty() => {
                    // Batched: one burst per second however many rows are watched.
                    for (id, sample) in pending.drain() {
                        if self.watch.contains(&id) {
                            self.send(Msg::Stats { key: self.key(&id), sample });
                        }
                    }
                }
            }
        }
    }

    /// A container event: re-read that one container.
    async fn on_event(&mut self, engine: &Engine, id: &str, action: &str) {
        if id.is_empty() || action.starts_with("exec_") || action == "top" || action.starts_with("archive") {
            return;
        }
        if action == "destroy" || action == "remove" {
            self.live.remove(id);
            self.send(Msg::Removed(self.key(id)));
            return;
        }
        let q = ListQuery {
            all: true,
            ids: vec![id.to_string()],
            ..Default::default()
        };
        match engine.list(&q).await {
            Ok(list) => match list.first() {
                Some(c) => {
                    let sb = Sandbox::from_summary(c);
                    let was_live = self.live.contains(id);
                    if sb.state.is_live() {
                        self.live.insert(id.to_string());
                    } else {
                        self.live.remove(id);
                    }
                    if self.all || sb.managed {
                        let live = sb.state.is_live();
                        self.send(Msg::Upsert(sb));
                        if live && !was_live {
                            self.sync_stats(engine);
                            if self.follow.as_deref() == Some(id)
                                && self.log_task.as_ref().is_none_or(|t| t.is_finished())
                            {
                                // Restarted: continue after the lines already shown.
                                self.ask_resume();
                            }
                        }
                    }
                }
                None => self.send(Msg::Removed(self.key(id))),
            },
            Err(e) => self.send(Msg::Error(e.message)),
        }
    }

    /// Keep exactly one stats stream per watched live row.
    fn sync_stats(&mut self, engine: &Engine) {
        let want: HashSet<&String> = self.watch.intersection(&self.live).collect();
        self.stats_tasks.retain(|id, t| {
            let keep = want.contains(id) && !t.is_finished();
            if !keep {
                t.abort();
            }
            keep
        });
        for id in want {
            if self.stats_tasks.contains_key(id) {
                continue;
            }
            let mut stream = engine.stats(id);
            let tx = self.stats_tx.clone();
            let idc = id.clone();
            let t = tokio::spawn(async move {
                while let Some(Ok(s)) = stream.next().await {
                    if tx.send((idc.clone(), s)).is_err() {
                        break;
                    }
                }
            });
            self.stats_tasks.insert(id.clone(), t);
        }
    }

    /// (Re)start the log follow, always with timestamps. `resume: None` starts afresh (the pane
    /// is reset, the tail from the config is read, then followed); `Some(since)` continues a cut
    /// follow from `since` (the pane skips lines it already has), or from the tail when None.
    fn start_follow(&mut self, engine: &Engine, resume: Option<Option<i64>>) {
        if let Some(t) = self.log_task.take() {
            t.abort();
        }
        self.follow_broken = false;
        let Some(id) = self.follow.clone() else { return };
        let key = self.key(&id);
        let since = resume.flatten();
        let q = LogsQuery {
            follow: true,
            tail: if since.is_some() {
                None
            } else {
                Some(self.config.logs.tail)
            },
            since,
            timestamps: true,
        };
        let mut stream = engine.logs(&id, &q);
        let msgs = self.msgs.clone();
        let fresh = resume.is_none();
        self.log_task = Some(tokio::spawn(async move {
            if fresh {
                let _ = msgs.send(Msg::LogReset(key.clone()));
            }
            while let Some(r) = stream.next().await {
                match r {
                    Ok(chunk) => {
                        if msgs
                            .send(Msg::Log {
                                key: key.clone(),
                                chunk,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = msgs.send(Msg::LogEnded {
                            key,
                            error: Some(e.message),
                        });
                        return;
                    }
                }
            }
            let _ = msgs.send(Msg::LogEnded { key, error: None });
        }));
    }

    /// An action for this engine.
    pub async fn on_action(&mut self, engine: &Engine, a: Action) -> crate::Result<()> {
        match a {
            Action::SetAll(b) => {
                if b != self.all {
                    self.all = b;
                    self.snapshot(engine).await?;
                    self.sync_stats(engine);
                }
            }
            Action::Watch(keys) => {
                self.watch = keys.into_iter().map(|k| k.id).collect();
                self.sync_stats(engine);
            }
            Action::FollowLogs(k) => {
                let id = k.map(|k| k.id);
                if id != self.follow || self.log_task.as_ref().is_none_or(|t| t.is_finished()) {
                    self.follow = id;
                    self.start_follow(engine, None);
                }
            }
            Action::ResumeLogs { key, since } => {
                if self.follow.as_deref() == Some(key.id.as_str()) {
                    self.start_follow(engine, Some(since));
                }
            }
            Action::Inspect(k) => {
                let engine = engine.clone();
                let msgs = self.msgs.clone();
                tokio::spawn(async move {
                    match engine.inspect(&k.id).await {
                        Ok(d) => {
                            let _ = msgs.send(Msg::Details {
                                key: k,
                                details: Box::new(d),
                            });
                        }
                        Err(e) => {
                            let _ = msgs.send(Msg::Error(format!("inspect failed: {}", e.message)));
                        }
                    }
                });
            }
            Action::Lifecycle { verb, targets } => {
                tokio::spawn(lifecycle(engine.clone(), verb, targets, self.msgs.clone()));
            }
            Action::PrunePlan(opts) => {
                let engine = engine.clone();
                let msgs = self.msgs.clone();
                tokio::spawn(async move {
                    let name = engine.name.clone();
                    let fleet = Fleet::from_engines(vec![engine]);
                    let _ = msgs.send(match prune::plan(&fleet, &opts).await {
                        Ok(plan) => Msg::PrunePlanned { engine: name, plan },
                        Err(e) => Msg::PrunePlanFailed {
                            engine: name,
                            error: e.message,
                        },
                    });
                });
            }
            Action::PruneRun { plan, opts } => {
                let engine = engine.clone();
                let msgs = self.msgs.clone();
                tokio::spawn(async move {
                    let name = engine.name.clone();
                    let fleet = Fleet::from_engines(vec![engine]);
                    let m = msgs.clone();
                    let n = name.clone();
                    prune::execute(&fleet, &plan, &opts, &mut move |item, outcome| {
                        let _ = m.send(Msg::PruneItem {
                            engine: n.clone(),
                            id: item.sandbox.id.clone(),
                            outcome: outcome.clone(),
                        });
                    })
                    .await;
                    let _ = msgs.send(Msg::PruneDone { engine: name });
                });
            }
            Action::Run { targets, command } => {
                tokio::spawn(run_command(engine.clone(), targets, command, self.msgs.clone()));
            }
            Action::Create { opts, .. } => {
                let engine = engine.clone();
                let config = self.config.clone();
                let msgs = self.msgs.clone();
                tokio::spawn(async move {
                    let r = async {
                        let req = create::plan(&config, None, &opts)?;
                        let image = req.image.clone();
                        let m = msgs.clone();
                        let mut progress = move |p: CreateProgress| {
                            let text = match p {
                                CreateProgress::PullStarted(i) => format!("pulling {i}…"),
                                CreateProgress::Pull(p) => {
                                    let mut t = format!("pulling {image}: {}", p.status);
                                    if let Some(id) = p.id {
                                        t.push_str(&format!(" {id}"));
                                    }
                                    if let (Some(c), Some(tot)) = (p.current, p.total)
                                        && tot > 0
                                    {
                                        t.push_str(&format!(" {}%", c * 100 / tot));
                                    }
                                    t
                                }
                                CreateProgress::Creating(n) => format!("creating {n}…"),
                                CreateProgress::Starting(n) => format!("starting {n}…"),
                            };
                            let _ = m.send(Msg::Progress(Some(text)));
                        };
                        create::create(&engine, &req, &mut progress).await
                    }
                    .await;
                    let _ = msgs.send(Msg::Progress(None));
                    match r {
                        Ok(sb) => {
                            let _ = msgs.send(Msg::Info(format!("created {} on {}", sb.name, sb.engine)));
                        }
                        Err(e) => {
                            let _ = msgs.send(Msg::Error(format!("create failed: {e}").replace('\n', " ")));
                        }
                    }
                });
            }
            Action::AddHost(_) | Action::Quit => {}
            Action::OpenSession {
                target,
                profile,
                cols,
                rows,
                waker,
            } => {
                let engine = engine.clone();
                let config = self.config.clone();
                let msgs = self.msgs.clone();
                tokio::spawn(async move {
                    let id = &target.key.id;
                    let shell = crate::emulator::shell_for(&engine, id, profile.as_deref(), &config).await;
                    match crate::emulator::Session::open(&engine, id, shell, cols, rows, waker.0).await {
                        Ok(session) => {
                            let _ = msgs.send(Msg::SessionOpened {
                                key: target.key,
                                name: target.name,
                                session: Arc::new(session),
                            });
                        }
                        Err(e) => {
                            let _ = msgs.send(Msg::SessionFailed(target.key));
                            let _ = msgs.send(Msg::Error(format!("session in {} failed: {}", target.name, e.message)));
                        }
                    }
                });
            }
            Action::Procs(a) => self.procs.on_action(engine, a, &self.msgs),
        }
        Ok(())
    }
}

/// Apply a verb to each target, at most [`CONCURRENCY`] at once, with progress and a summary.
/// Stop/start/restart/destroy with [`crate::sandbox::bulk`]: bounded concurrency, a
/// [`Msg::BulkItem`] per target as it starts and finishes, [`Msg::BulkDone`] at the end, and a
/// summary on the message line that names each failure and why.
async fn lifecycle(engine: Engine, verb: Verb, targets: Vec<Target>, msgs: UnboundedSender<Msg>) {
    let total = targets.len();
    let name = engine.name.clone();
    let bverb = match verb {
        Verb::Stop => bulk::Verb::Stop,
        Verb::Start => bulk::Verb::Start,
        Verb::Restart => bulk::Verb::Restart,
        // The user confirmed destroying: running ones are killed first.
        Verb::Destroy => bulk::Verb::Remove {
            force: true,
            volumes: false,
        },
    };
    // Fresh state of every target in one listing (start unpauses a paused one, and so on).
    let q = ListQuery {
        all: true,
        ids: targets.iter().map(|t| t.key.id.clone()).collect(),
        ..Default::default()
    };
    let listed = match engine.list(&q).await {
        Ok(l) => l,
        Err(e) => {
            for t in &targets {
                let _ = msgs.send(Msg::BulkItem {
                    engine: name.clone(),
                    id: t.key.id.clone(),
                    status: BulkStatus::Failed(e.message.clone()),
                });
            }
            let _ = msgs.send(Msg::BulkDone { engine: name });
            let _ = msgs.send(Msg::Error(format!("{}: {}", verb.as_str(), e.message)));
            return;
        }
    };
    let mut failed: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for t in &targets {
        match listed.iter().find(|c| c.id == t.key.id) {
            Some(c) => found.push(SbTarget {
                engine: engine.clone(),
                sandbox: Sandbox::from_summary(c),
            }),
            None => {
                failed.push(format!("{}: no longer exists", t.name));
                let _ = msgs.send(Msg::BulkItem {
                    engine: name.clone(),
                    id: t.key.id.clone(),
                    status: BulkStatus::Failed("no longer exists".into()),
                });
            }
        }
    }
    let mut done = 0;
    let report = bulk::run(&found, bverb, &mut |p| {
        let (id, status) = match p {
            bulk::Progress::Started(s) => (s.id.clone(), BulkStatus::Working),
            bulk::Progress::Finished(s, r, _) => {
                done += 1;
                if total > 1 {
                    let _ = msgs.send(Msg::Progress(Some(format!("{} {done}/{total}…", verb.as_str()))));
                }
                let st = match r {
                    Ok(bulk::Done::Ok) => BulkStatus::Done(None),
                    Ok(bulk::Done::Unchanged(why)) => BulkStatus::Done(Some(why.clone())),
                    Err(e) => BulkStatus::Failed(e.message.clone()),
                };
                (s.id.clone(), st)
            }
        };
        let _ = msgs.send(Msg::BulkItem {
            engine: name.clone(),
            id,
            status,
        });
    })
    .await;
    failed.extend(report.failed.iter().map(|(s, e)| format!("{}: {}", s.name, e.message)));
    let _ = msgs.send(Msg::BulkDone { engine: name });
    let _ = msgs.send(Msg::Progress(None));
    if failed.is_empty() {
        let what = if total == 1 {
            "1 container".to_string()
        } else {
            format!("{total} containers")
        };
        let _ = msgs.send(Msg::Info(format!("{}: {what} done", verb.as_str())));
    } else {
        let _ = msgs.send(Msg::Error(format!(
            "{}: {} of {total} failed: {}",
            verb.as_str(),
            failed.len(),
            failed.join("; ")
        )));
    }
}

/// Run `sh -c COMMAND` in each target and report the exit codes.
async fn run_command(engine: Engine, targets: Vec<Target>, command: String, msgs: UnboundedSender<Msg>) {
    let spec = ExecSpec::cmd(["sh", "-c", command.as_str()]);
    let mut results = futures::stream::iter(targets.into_iter().map(|t| {
        let e = engine.clone();
        let spec = spec.clone();
        async move { (t.clone(), e.exec_collect(&t.key.id, &spec).await) }
    }))
    .buffer_unordered(CONCURRENCY);
    let mut lines = Vec::new();
    let mut any_failed = false;
    while let Some((t, r)) = results.next().await {
        match r {
            Ok(out) => {
                let first = String::from_utf8_lossy(if out.stdout.is_empty() {
                    &out.stderr
                } else {
                    &out.stdout
                })
                .lines()
                .next()
                .map(crate::state::text::sanitize)
                .unwrap_or_default();
                any_failed |= out.exit_code != 0;
                lines.push(format!("{}: exit {} {first}", t.name, out.exit_code));
            }
            Err(e) => {
                any_failed = true;
                lines.push(format!("{}: {}", t.name, e.message));
            }
        }
    }
    let _ = msgs.send(Msg::Progress(None));
    let text = lines.join(" · ");
    let _ = msgs.send(if any_failed { Msg::Error(text) } else { Msg::Info(text) });
}
