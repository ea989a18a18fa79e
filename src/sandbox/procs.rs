//! Detached processes (SPEC 6.1) and the list of every exec in a sandbox (SPEC 6.2).
//!
//! # Where the records live
//! A detached process is started through a small POSIX `sh` wrapper (one exec) that keeps
//! everything about the process inside the sandbox, under `/tmp/.boxdeck/<procid>/`, or
//! `/dev/shm/.boxdeck/<procid>/` when `/tmp` is not writable (read-only root without a tmpfs
//! `/tmp`; the `locked` profile has a tmpfs `/tmp`):
//!
//! | file     | content                                                          |
//! |----------|------------------------------------------------------------------|
//! | `meta`   | JSON: the command                                                |
//! | `start`  | `<epoch seconds> <uptime seconds>` when it started               |
//! | `pid`    | `<pid> <pgid> <wrapper pid>` and the starttimes of the process, the |
//! |          | wrapper and the sandbox's PID 1 (which changes when it restarts)    |
//! | `out`    | stdout and stderr, interleaved as written (the newest part, see below) |
//! | `base`   | how many bytes of older output were dropped from the start of `out` |
//! | `exit`   | `<code> <epoch seconds> <uptime seconds>` when it ended          |
//! | `killed` | the signal boxdeck's kill sent (`TERM` or `KILL`)                |
//!
//! The command runs under `setsid` when the sandbox has it, so it leads its own process group
//! and the wrapper survives a kill to record the real exit status; without `setsid` it shares
//! the wrapper's group (an exec'd process leads its own group on Docker and Podman) and kill
//! records the status itself. Starttimes (from `/proc/<pid>/stat`) tell a live process from a
//! reused pid after a sandbox restart: a record with neither exit status nor live process is
//! [`ProcState::Lost`].
//!
//! # Bounded output
//! A process may print for days, and a read-only sandbox keeps its records on a small tmpfs.
//! The wrapper therefore looks at `out` every second while the process runs: past the cap
//! ([`OUTPUT_CAP`], `[processes] output_cap` in the config) it keeps the newest half and adds
//! what it dropped to `base`. The process appends (`O_APPEND`), so it goes on writing at the new
//! end and never sees an error. Offsets that readers pass around are logical (`base` plus the
//! place in `out`); a reader that asks for dropped bytes gets a one-line notice instead.
//! Between two looks a very fast writer can go past the cap; a few bytes written while the file
//! is trimmed can be lost.
//!
//! # What the engines keep
//! Measured on Docker 20.10 and Podman 4.3 (through its Docker API):
//! - Docker lists an exec in the container's `ExecIDs` only while it runs; a finished exec drops
//!   out at once (inspecting it by id still works until the daemon's exec GC, about 5 minutes).
//! - Podman keeps every exec session in `ExecIDs` until the container stops, but a *detached*
//!   session stays `Running: true, ExitCode: 0` after its process has ended.
//!
//! So boxdeck's own records on disk are the truth for boxdeck's processes (nothing is lost
//! when the engine forgets), and the engine's records add everything else (pocketdock,
//! `docker exec -d`). On Podman a "running" foreign exec is checked against the sandbox's
//! process table (exec'd processes have parent pid 0 inside the sandbox) and shown as ended
//! with an unknown code when no such process is left. Start times of running foreign execs
//! come from that table too; the engines record none.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use serde::Serialize;

use crate::engine::{Engine, EngineKind, ExecSpec, ExecStatus, StreamKind};
use crate::{Error, Result};

/// Where records go, in order of preference.
pub const BASES: [&str; 2] = ["/tmp/.boxdeck", "/dev/shm/.boxdeck"];
/// `$0` of the wrapper of a detached process (how its exec record is recognised).
pub const WRAPPER_NAME: &str = "boxdeck-proc";
/// `$0` of boxdeck's own short-lived helper execs (list, peek, kill); hidden from `ps`.
pub const HELPER_NAME: &str = "boxdeck-helper";
/// `$0` of the `sh -c` wrapper `boxdeck run --timeout` puts around a command (sandbox/run.rs).
const RUN_WRAPPER_NAME: &str = "boxdeck-run";
/// The default cap on a detached process's kept output (bytes); `[processes] output_cap`.
pub const OUTPUT_CAP: u64 = 8 * 1024 * 1024;
/// How the dropped part shows where a reader asked for it (`%s`: bytes dropped).
const TRIMMED_NOTICE: &str =
    r#"printf '[boxdeck: %s bytes of older output were dropped to keep the record small]\n' "$1""#;
/// Reads `$d/base` (bytes dropped so far) into `b`.
const BASE_FN: &str = r#"base() { b=0; [ -f "$d/base" ] && read -r b < "$d/base"; b=${b:-0}; }"#;
/// Prints the notice for `$1` dropped bytes.
fn notice_fn() -> String {
    format!("trimmed() {{ {TRIMMED_NOTICE}; }}")
}
/// How much of the end of a process's output the listing carries.
pub const TAIL_BYTES: u64 = 2048;
const STARTED_MARKER: &[u8] = b"\x1eBOXDECK-STARTED ";

/// Reads field 22 (starttime) of /proc/PID/stat; fails when the process is gone.
const ST_FN: &str =
    r#"st() { { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1; s=${s##*) }; set -- $s; echo "${20}"; }"#;

fn wrapper_script() -> String {
    format!(
        r#"id=$1; meta=$2; cap=$3; shift 3
{ST_FN}
d=
for b in {bases}; do
  mkdir -p "$b" 2>/dev/null && chmod 1777 "$b" 2>/dev/null
  if mkdir "$b/$id" 2>/dev/null; then d=$b/$id; break; fi
done
if [ -z "$d" ]; then echo "no writable {bases_or} in the sandbox to keep the process output" >&2; exit 125; fi
printf '%s\n' "$meta" > "$d/meta"
read -r up _ < /proc/uptime
echo "$(date +%s) $up" > "$d/start"
: > "$d/out"
if command -v setsid >/dev/null 2>&1; then
  setsid "$@" >> "$d/out" 2>&1 < /dev/null &
  pid=$!; pg=$pid
else
  "$@" >> "$d/out" 2>&1 < /dev/null &
  pid=$!; pg=$$
fi
a=$(st $pid); b=$(st $$); c=$(st 1)
echo "$pid $pg $$ ${{a:-0}} ${{b:-0}} ${{c:-0}}" > "$d/pid"
printf '\036BOXDECK-STARTED %s\n' "$d"
exec > /dev/null 2>&1
# The trimmer: its own small shell (not a copy of this one, whose command line carries the
# user's command), ending by itself within a second of the exit record.
if [ "$cap" -gt 0 ] 2>/dev/null; then
  sh -c '{trimmer}' {trim_name} "$d" "$cap" &
fi
wait "$pid"; code=$?
read -r up _ < /proc/uptime
echo "$code $(date +%s) $up" > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"
"#,
        bases = BASES.join(" "),
        bases_or = BASES.join(" or "),
        trimmer = trimmer_script(),
        trim_name = TRIM_NAME,
    )
}

/// `$0` of the trimmer a detached process's wrapper starts (see "Bounded output").
const TRIM_NAME: &str = "boxdeck-trim";

/// Keeps `$1/out` under `$2` bytes while the process runs: past it, the newest half stays and
/// `base` grows by what was dropped. The process appends, so it writes on at the new end. Ends
/// within a second of the exit record. Single-quoted into the wrapper: no `'` inside.
fn trimmer_script() -> String {
    format!(
        r#"d=$1; cap=$2
{BASE_FN}
trim() {{
  n=$(($(wc -c < "$d/out")))
  [ "$n" -gt "$cap" ] || return 0
  mkdir "$d/trim.lock" 2>/dev/null || return 0
  k=$((cap / 2))
  tail -c "$k" "$d/out" > "$d/out.keep" && base && cat "$d/out.keep" > "$d/out" && echo $((b + n - k)) > "$d/base"
  rm -f "$d/out.keep"; rmdir "$d/trim.lock"
}}
while [ ! -f "$d/exit" ]; do sleep 1; trim; done
"#
    )
}

/// Prints the host facts, then every boxdeck record, then the sandbox's exec'd processes.
fn list_script() -> String {
    format!(
        r#"{ST_FN}
{BASE_FN}
f() {{ if [ -f "$2" ]; then n=$(($(wc -c < "$2"))); printf 'F %s %s\n' "$1" "$n"; head -c "$n" "$2"; fi; }}
read -r up _ < /proc/uptime
bt=$(grep '^btime' /proc/stat 2>/dev/null); bt=${{bt#btime }}
echo "H $(date +%s) $up $bt"
for b in {bases}; do
  for d in "$b"/*; do
    [ -f "$d/meta" ] || continue
    echo "R $d"
    for x in meta start pid exit killed; do f "$x" "$d/$x"; done
    pa=0; wa=0; ga=0
    if [ -f "$d/pid" ]; then
      read -r pid pg wp pst wst p1 < "$d/pid"
      [ -n "$pst" ] && [ "$(st $pid)" = "$pst" ] && pa=1
      [ -n "$wst" ] && [ "$(st $wp)" = "$wst" ] && wa=1
      [ -n "$p1" ] && [ "$(st 1)" = "$p1" ] && kill -0 "-$pg" 2>/dev/null && ga=1
    fi
    n=0; [ -f "$d/out" ] && n=$(($(wc -c < "$d/out")))
    t=$n; [ "$t" -gt {tail} ] && t={tail}
    base
    echo "A $pa $wa $((b + n)) $ga"
    printf 'F tail %s\n' "$t"
    [ "$t" -gt 0 ] && tail -c "$t" "$d/out" | head -c "$t"
  done
done
for p in /proc/[0-9]*; do
  {{ read -r s < "$p/stat"; }} 2>/dev/null || continue
  r=${{s##*) }}; set -- $r
  [ "$2" = 0 ] && [ "${{p#/proc/}}" != 1 ] || continue
  c=$(tr '\000\n' '\037\036' < "$p/cmdline" 2>/dev/null)
  echo "P ${{p#/proc/}} ${{20}}"
  echo "C $c"
done
"#,
        bases = BASES.join(" "),
        tail = TAIL_BYTES,
    )
}

fn kill_script() -> String {
    KILL_SCRIPT.replace("#ST#", ST_FN)
}

/// Kills the group of the record in `$1`, after checking that it is still the recorded one:
/// the process or the wrapper by starttime, or (for children left behind by a process that
/// ended) the sandbox's PID 1 by starttime, so nothing is killed after a restart reused the pid.
/// A process that had ended keeps its recorded exit status.
const KILL_SCRIPT: &str = r#"d=$1
#ST#
{ read -r pid pg wp pst wst p1 < "$d/pid"; } 2>/dev/null || { echo "no pid record in $d" >&2; exit 3; }
mine=0
[ -n "$pst" ] && [ "$(st $pid)" = "$pst" ] && mine=1
[ -n "$wst" ] && [ "$(st $wp)" = "$wst" ] && mine=1
[ -n "$p1" ] && [ "$(st 1)" = "$p1" ] && mine=1
[ $mine = 1 ] || exit 4
alive() { kill -0 "-$pg" 2>/dev/null; }
alive || exit 4
ended=0; [ -f "$d/exit" ] && ended=1
[ $ended = 1 ] || echo TERM > "$d/killed"
kill -TERM "-$pg" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
i=0; while [ $i -lt 30 ] && alive; do sleep 0.1; i=$((i+1)); done
code=143
if alive; then
  [ $ended = 1 ] || echo KILL > "$d/killed"
  code=137; kill -KILL "-$pg" 2>/dev/null; sleep 0.1
fi
i=0; while [ $i -lt 20 ] && [ ! -f "$d/exit" ]; do sleep 0.1; i=$((i+1)); done
if [ ! -f "$d/exit" ]; then read -r up _ < /proc/uptime; echo "$code $(date +%s) $up" > "$d/exit"; fi
exit 0
"#;

/// TERM, then KILL, process group `$1` (an exec'd process leads its own group).
const KILL_PID_SCRIPT: &str = r#"pg=$1
alive() { kill -0 "-$pg" 2>/dev/null || kill -0 "$pg" 2>/dev/null; }
alive || exit 4
kill -TERM "-$pg" 2>/dev/null || kill -TERM "$pg" 2>/dev/null
i=0; while [ $i -lt 30 ] && alive; do sleep 0.1; i=$((i+1)); done
if alive; then kill -KILL "-$pg" 2>/dev/null; kill -KILL "$pg" 2>/dev/null; fi
exit 0
"#;

/// How long one follow exec lives before boxdeck starts the next one at the new offset. Neither
/// Docker 20.10 nor Podman 4.3 ends an exec whose client went away (checked: an abandoned
/// `peek -f` leaves its helper running), so an abandoned follow (a closed dashboard tab, Ctrl-C)
/// ends inside the sandbox within one round (20 s), or when the process ends.
const FOLLOW_ROUNDS: u32 = 100;
/// The follow script's exit code when its rounds are used up and the process still runs.
const FOLLOW_AGAIN: i64 = 10;

/// Streams the output file from byte `$2` on until the process has ended (exit 0), or for at
/// most `$3` rounds of 0.2 s (exit 10).
fn follow_script() -> String {
    format!(
        r#"d=$1; off=$2; rounds=$3
{ST_FN}
{BASE_FN}
{notice}
{{ read -r pid pg wp pst wst < "$d/pid"; }} 2>/dev/null
live() {{ [ ! -f "$d/exit" ] && {{ [ "$(st $pid)" = "$pst" ] || [ "$(st $wp)" = "$wst" ]; }}; }}
w=0
while :; do
  l=0; live && l=1
  # A trim in progress (bounded: a trimmer killed mid-way leaves its lock behind).
  if [ $l = 1 ] && [ -d "$d/trim.lock" ] && [ $w -lt 40 ]; then w=$((w+1)); sleep 0.05; continue; fi
  w=0
  {read_from}
  [ $l = 1 ] || {{ echo "OFF $off" >&2; exit 0; }}
  rounds=$((rounds-1)); [ $rounds -gt 0 ] || {{ echo "OFF $off" >&2; exit {again}; }}
  sleep 0.2
done
"#,
        again = FOLLOW_AGAIN,
        notice = notice_fn(),
        read_from = READ_FROM,
    )
}

/// Prints `out` from logical offset `off` to its end and moves `off` there; dropped bytes
/// before `off` become the notice. Needs `d`, `off`, [`BASE_FN`] and the notice function.
const READ_FROM: &str = r#"base; n=$(($(wc -c < "$d/out")))
  if [ "$off" -lt "$b" ]; then trimmed $((b - off)); off=$b; fi
  p=$((off - b)); if [ "$n" -gt "$p" ]; then tail -c +$((p+1)) "$d/out" | head -c $((n-p)); off=$((b + n)); fi"#;

/// Prints the output from logical offset `$2` once; the new offset on stderr.
fn read_script() -> String {
    format!(
        r#"d=$1; off=$2
{BASE_FN}
{notice}
i=0; while [ -d "$d/trim.lock" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done
{read_from}
echo "OFF $off" >&2
"#,
        notice = notice_fn(),
        read_from = READ_FROM,
    )
}

fn helper(script: String, args: &[&str]) -> ExecSpec {
    let mut cmd = vec!["/bin/sh".to_string(), "-c".to_string(), script, HELPER_NAME.to_string()];
    cmd.extend(args.iter().map(|s| s.to_string()));
    ExecSpec::cmd(cmd)
}

/// Who started a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcSource {
    /// A detached process started by boxdeck: output and exit status are kept.
    Boxdeck,
    /// Any other exec the engine records (pocketdock, `docker exec -d`, boxdeck `run`).
    Engine,
}

/// Where a process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcState {
    Running,
    /// Ended on its own; `exit_code` says how.
    Exited,
    /// Ended by boxdeck's kill.
    Killed,
    /// Ended without a recorded exit status (the sandbox restarted, or the wrapper was killed).
    Lost,
    /// The engine says it ended but does not know the exit code (stale Podman record).
    Ended,
}

/// One process in a sandbox, as `ps` and the Processes tab show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProcInfo {
    /// Process id for `peek`/`kill`: boxdeck's own id, or the exec id's first 12 digits.
    pub id: String,
    pub source: ProcSource,
    /// The engine's exec id, when the engine still records it.
    pub exec_id: Option<String>,
    pub cmd: Vec<String>,
    pub state: ProcState,
    pub exit_code: Option<i64>,
    /// Signal boxdeck's kill sent (`TERM`/`KILL`).
    pub killed_by: Option<String>,
    /// RFC 3339 UTC.
    pub started_at: Option<String>,
    pub duration_secs: Option<f64>,
    /// Process id inside the sandbox.
    pub pid: Option<i64>,
    /// Bytes of output kept (boxdeck's own only).
    pub output_bytes: Option<u64>,
    /// The last bytes of output, lossy UTF-8 (boxdeck's own only).
    pub output_tail: Option<String>,
    /// Record folder inside the sandbox (boxdeck's own only).
    pub dir: Option<String>,
    /// Processes of its group still run although it ended (children it left behind); `kill`
    /// ends them (boxdeck's own only).
    pub group_running: bool,
}

impl ProcInfo {
    pub fn is_running(&self) -> bool {
        self.state == ProcState::Running
    }

    /// Running, or ended with members of its process group left running.
    pub fn is_killable(&self) -> bool {
        self.is_running() || self.group_running
    }

    /// Short state text: `running`, `exit 0`, `killed (TERM)`, `lost`, `ended`; `+ children`
    /// when it ended and left processes of its group running.
    pub fn state_text(&self) -> String {
        let base = self.base_state_text();
        if self.group_running && !self.is_running() {
            format!("{base} + children")
        } else {
            base
        }
    }

    fn base_state_text(&self) -> String {
        match self.state {
            ProcState::Running => "running".into(),
            ProcState::Exited => match self.exit_code {
                Some(c) => format!("exit {c}"),
                None => "exited".into(),
            },
            ProcState::Killed => format!("killed ({})", self.killed_by.as_deref().unwrap_or("TERM")),
            ProcState::Lost => "lost".into(),
            ProcState::Ended => "ended (code unknown)".into(),
        }
    }

    /// The command as one line, shell-like.
    pub fn cmd_line(&self) -> String {
        self.cmd
            .iter()
            .map(|a| {
                if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
                    a.clone()
                } else {
                    format!("'{}'", a.replace('\'', r"'\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A new random process id: 8 hex digits.
pub fn new_proc_id() -> String {
    format!("{:08x}", rand::random::<u32>())
}

/// A started detached process.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: String,
    pub dir: String,
    pub exec_id: String,
}

/// Options for a detached process.
#[derive(Debug, Clone)]
pub struct DetachOptions {
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// Keep at most about this many bytes of output (the newest); 0 keeps everything.
    pub output_cap: u64,
}

impl Default for DetachOptions {
    fn default() -> Self {
        DetachOptions {
            env: Vec::new(),
            workdir: None,
            user: None,
            output_cap: OUTPUT_CAP,
        }
    }
}

/// Start `cmd` detached in `container`; returns once its record exists.
pub async fn start(engine: &Engine, container: &str, cmd: &[String], opts: &DetachOptions) -> Result<Started> {
    if cmd.is_empty() {
        return Err(
            Error::usage("no command given").hint("put the command after --, e.g. boxdeck run -d NAME -- make test")
        );
    }
    let id = new_proc_id();
    let meta = serde_json::json!({ "cmd": cmd }).to_string();
    let mut full = vec![
        "/bin/sh".to_string(),
        "-c".to_string(),
        wrapper_script(),
        WRAPPER_NAME.to_string(),
        id.clone(),
        meta,
        opts.output_cap.to_string(),
    ];
    full.extend(cmd.iter().cloned());
    let spec = ExecSpec::command(full, &opts.env, opts.user.as_deref(), opts.workdir.as_deref());
    let mut h = engine.exec_start(container, &spec).await?;
    drop(h.input);
    let mut out = Vec::new();
    let mut err = Vec::new();
    // The wrapper prints the marker, then closes its stdout and stderr and goes on. The engines
    // end the stream only when the exec's process ends (the runtime holds the pipes), so stop
    // reading at the marker; leaving the attached stream does not signal the wrapper on Docker
    // or Podman (checked: exit codes of processes longer than the start are recorded).
    let read = async {
        while let Some(chunk) = h.output.next().await {
            let c = chunk?;
            if c.stream == StreamKind::Stderr {
                err.extend_from_slice(&c.data);
            } else {
                out.extend_from_slice(&c.data);
                if let Some(p) = find(&out, STARTED_MARKER)
                    && out[p..].contains(&b'\n')
                {
                    break;
                }
            }
        }
        Ok::<(), Error>(())
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .map_err(|_| Error::failed("the sandbox did not confirm the start of the process within 30s"))??;
    if let Some(p) = find(&out, STARTED_MARKER) {
        let rest = &out[p + STARTED_MARKER.len()..];
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let dir = String::from_utf8_lossy(&rest[..end]).into_owned();
        return Ok(Started { id, dir, exec_id: h.id });
    }
    let code = engine.exec_wait(&h.id).await.unwrap_or(-1);
    let why = String::from_utf8_lossy(&err).trim().to_string();
    Err(Error::failed(format!(
        "could not start the process (exit {code}){}",
        if why.is_empty() {
            String::new()
        } else {
            format!(": {why}")
        }
    ))
    .hint("the sandbox needs /bin/sh and a writable /tmp or /dev/shm"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every process in a sandbox: boxdeck's records merged with the engine's exec records,
/// oldest first. While the sandbox is stopped or paused only the engine's records are shown
/// (boxdeck's own are read from inside the sandbox).
pub async fn list(engine: &Engine, container: &str) -> Result<Vec<ProcInfo>> {
    list_cached(engine, container, &mut ExecCache::default()).await
}

/// Engine exec records that can no longer change (finished execs, and boxdeck's helper execs,
/// which are never shown), so a repeated listing inspects only new and running execs. Podman
/// keeps every exec session of a container until it stops, so without this a Processes tab
/// left open would inspect more and more execs on every refresh.
#[derive(Debug, Default, Clone)]
pub struct ExecCache {
    done: HashMap<String, ExecStatus>,
}

impl ExecCache {
    pub fn len(&self) -> usize {
        self.done.len()
    }

    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

fn is_helper(e: &ExecStatus) -> bool {
    e.cmd.get(1).is_some_and(|c| c == "-c") && e.cmd.get(3).is_some_and(|n| n == HELPER_NAME)
}

/// [`list`] with a cache of settled exec records, for a caller that lists again and again.
pub async fn list_cached(engine: &Engine, container: &str, cache: &mut ExecCache) -> Result<Vec<ProcInfo>> {
    let details = engine.inspect(container).await?;
    let fresh: Vec<&String> = details
        .exec_ids
        .iter()
        .filter(|id| !cache.done.contains_key(*id))
        .collect();
    let inspected = futures::future::join_all(fresh.iter().map(|id| engine.exec_inspect(id))).await;
    let mut execs: Vec<ExecStatus> = Vec::new();
    // An exec that finished between the inspect and now may be gone: skip it.
    for e in inspected.into_iter().flatten() {
        if !e.running || is_helper(&e) {
            cache.done.insert(e.id.clone(), e.clone());
        }
        execs.push(e);
    }
    execs.extend(
        details
            .exec_ids
            .iter()
            .filter(|id| !fresh.contains(id))
            .filter_map(|id| cache.done.get(id).cloned()),
    );
    // Forget settled records of this container that the engine dropped.
    cache
        .done
        .retain(|id, e| e.container_id != details.id || details.exec_ids.contains(id));
    let out = if details.running && !details.paused {
        match engine.exec_collect(&details.id, &helper(list_script(), &[])).await {
            Ok(o) if o.exit_code == 0 || !o.stdout.is_empty() => o.stdout,
            // No /bin/sh in the sandbox (126/127, or the engine refuses the exec): boxdeck
            // cannot have started anything there; the engine's records are all there is.
            Ok(o) if o.exit_code == 126 || o.exit_code == 127 => Vec::new(),
            Ok(o) => {
                return Err(Error::failed(format!(
                    "could not read the process records in {container}: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                )));
            }
            Err(e) if e.message.contains("no such file") || e.message.contains("not found") => Vec::new(),
            Err(e) => return Err(e),
        }
    } else {
        Vec::new()
    };
    let listing = parse_listing(&out);
    Ok(merge(listing, execs, engine.kind))
}

/// What the listing script printed, parsed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Listing {
    pub now_epoch: Option<i64>,
    pub now_uptime: Option<f64>,
    pub boot_epoch: Option<i64>,
    pub records: Vec<Record>,
    /// Processes exec'd into the sandbox (parent pid 0), with starttime (clock ticks).
    pub roots: Vec<RootProc>,
}

/// One boxdeck record folder.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Record {
    pub dir: String,
    pub fields: HashMap<String, Vec<u8>>,
    pub pid_alive: bool,
    pub wrapper_alive: bool,
    pub out_bytes: u64,
    /// Its process group still has members (checked against the sandbox's PID 1 starttime).
    pub group_alive: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RootProc {
    pub pid: i64,
    pub starttime: u64,
    /// argv joined with 0x1f (newlines in arguments as 0x1e).
    pub cmdline: String,
}

/// Parse the listing script's output (pure).
pub fn parse_listing(b: &[u8]) -> Listing {
    let mut l = Listing::default();
    let mut i = 0;
    let mut pending_root: Option<(i64, u64)> = None;
    while i < b.len() {
        let end = b[i..]
            .iter()
            .position(|c| *c == b'\n')
            .map(|p| i + p)
            .unwrap_or(b.len());
        let line = String::from_utf8_lossy(&b[i..end]).into_owned();
        i = end + 1;
        let (tag, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        match tag {
            "H" => {
                let mut it = rest.split_whitespace();
                l.now_epoch = it.next().and_then(|s| s.parse().ok());
                l.now_uptime = it.next().and_then(|s| s.parse().ok());
                l.boot_epoch = it.next().and_then(|s| s.parse().ok());
            }
            "R" => l.records.push(Record {
                dir: rest.to_string(),
                ..Default::default()
            }),
            "F" => {
                let (name, n) = rest.rsplit_once(' ').unwrap_or((rest, "0"));
                let n: usize = n.trim().parse().unwrap_or(0);
                let take = n.min(b.len().saturating_sub(i));
                let data = b[i.min(b.len())..i.min(b.len()) + take].to_vec();
                i += take;
                if let Some(r) = l.records.last_mut() {
                    r.fields.insert(name.to_string(), data);
                }
            }
            "A" => {
                let v: Vec<&str> = rest.split_whitespace().collect();
                if let Some(r) = l.records.last_mut() {
                    r.pid_alive = v.first() == Some(&"1");
                    r.wrapper_alive = v.get(1) == Some(&"1");
                    r.out_bytes = v.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                    r.group_alive = v.get(3) == Some(&"1");
                }
            }
            "P" => {
                let mut it = rest.split_whitespace();
                let pid = it.next().and_then(|s| s.parse().ok());
                let st = it.next().and_then(|s| s.parse().ok());
                pending_root = pid.zip(st);
            }
            "C" => {
                if let Some((pid, starttime)) = pending_root.take() {
                    l.roots.push(RootProc {
                        pid,
                        starttime,
                        // /proc/PID/cmdline ends with a NUL (now 0x1f).
                        cmdline: rest.trim_end_matches('\x1f').to_string(),
                    });
                }
            }
            _ => {}
        }
    }
    l
}

/// Clock ticks per second of /proc starttimes (USER_HZ: 100 on every Linux architecture
/// containers run on).
const CLK_TCK: f64 = 100.0;

fn rfc3339(epoch: f64) -> Option<String> {
    chrono::DateTime::from_timestamp(epoch.floor() as i64, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn text(f: &HashMap<String, Vec<u8>>, k: &str) -> Option<String> {
    f.get(k).map(|v| String::from_utf8_lossy(v).trim().to_string())
}

fn record_info(r: &Record, l: &Listing) -> ProcInfo {
    let id = r.dir.rsplit('/').next().unwrap_or_default().to_string();
    let cmd: Vec<String> = text(&r.fields, "meta")
        .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
        .and_then(|v| serde_json::from_value(v.get("cmd")?.clone()).ok())
        .unwrap_or_default();
    let start = text(&r.fields, "start").unwrap_or_default();
    let mut st = start.split_whitespace();
    let start_epoch: Option<f64> = st.next().and_then(|s| s.parse().ok());
    let start_up: Option<f64> = st.next().and_then(|s| s.parse().ok());
    let exit = text(&r.fields, "exit");
    let killed = text(&r.fields, "killed").filter(|s| !s.is_empty());
    let pid = text(&r.fields, "pid").and_then(|p| p.split_whitespace().next()?.parse().ok());
    let (state, exit_code, end_up) = match &exit {
        Some(e) => {
            let mut it = e.split_whitespace();
            let code: Option<i64> = it.next().and_then(|s| s.parse().ok());
            let _epoch = it.next();
            let up: Option<f64> = it.next().and_then(|s| s.parse().ok());
            let state = if killed.is_some() {
                ProcState::Killed
            } else {
                ProcState::Exited
            };
            (state, code, up)
        }
        None if r.pid_alive || r.wrapper_alive => (ProcState::Running, None, l.now_uptime),
        None => (ProcState::Lost, None, None),
    };
    let duration_secs = match (start_up, end_up) {
        (Some(s), Some(e)) if e >= s => Some(((e - s) * 100.0).round() / 100.0),
        _ => None,
    };
    let tail = r.fields.get("tail").map(|t| String::from_utf8_lossy(t).into_owned());
    ProcInfo {
        id,
        source: ProcSource::Boxdeck,
        exec_id: None,
        cmd,
        state,
        exit_code,
        killed_by: if state == ProcState::Killed { killed } else { None },
        started_at: start_epoch.and_then(rfc3339),
        duration_secs,
        pid,
        output_bytes: Some(r.out_bytes),
        output_tail: tail,
        dir: Some(r.dir.clone()),
        group_running: r.group_alive,
    }
}

fn join_cmdline(cmd: &[String]) -> String {
    cmd.iter()
        .map(|a| a.replace('\n', "\x1e"))
        .collect::<Vec<_>>()
        .join("\x1f")
}

/// Merge boxdeck's records with the engine's exec records (pure).
pub fn merge(l: Listing, execs: Vec<ExecStatus>, kind: EngineKind) -> Vec<ProcInfo> {
    let mut out: Vec<ProcInfo> = l.records.iter().map(|r| record_info(r, &l)).collect();
    let mut used_roots: Vec<bool> = vec![false; l.roots.len()];
    for e in execs {
        let name = e.cmd.get(3).map(String::as_str);
        if e.cmd.first().is_some_and(|c| c.ends_with("sh")) && e.cmd.get(1).is_some_and(|c| c == "-c") {
            if name == Some(HELPER_NAME) {
                continue;
            }
            if name == Some(WRAPPER_NAME) {
                let pid = e.cmd.get(4).cloned().unwrap_or_default();
                if let Some(p) = out.iter_mut().find(|p| p.source == ProcSource::Boxdeck && p.id == pid) {
                    p.exec_id = Some(e.id.clone());
                    continue;
                }
            }
        }
        // `boxdeck run --timeout` wraps the command in `sh -c ... boxdeck-run CMD...`.
        let shown = if name == Some(RUN_WRAPPER_NAME) && e.cmd.len() > 4 {
            e.cmd[4..].to_vec()
        } else {
            e.cmd.clone()
        };
        let mut info = ProcInfo {
            id: e.id.chars().take(12).collect(),
            source: ProcSource::Engine,
            exec_id: Some(e.id.clone()),
            cmd: shown,
            state: if e.running {
                ProcState::Running
            } else {
                ProcState::Exited
            },
            exit_code: if e.running { None } else { e.exit_code },
            killed_by: None,
            started_at: None,
            duration_secs: None,
            pid: None,
            output_bytes: None,
            output_tail: None,
            dir: None,
            group_running: false,
        };
        if e.running {
            let want = join_cmdline(&info.cmd);
            let found = l
                .roots
                .iter()
                .enumerate()
                .find(|(i, r)| !used_roots[*i] && r.cmdline == want)
                .map(|(i, _)| i);
            match found {
                Some(i) => {
                    used_roots[i] = true;
                    let r = &l.roots[i];
                    info.pid = Some(r.pid);
                    if let Some(boot) = l.boot_epoch {
                        info.started_at = rfc3339(boot as f64 + r.starttime as f64 / CLK_TCK);
                    }
                    if let Some(up) = l.now_uptime {
                        info.duration_secs =
                            Some(((up - r.starttime as f64 / CLK_TCK).max(0.0) * 100.0).round() / 100.0);
                    }
                }
                // Podman never updates a detached session's record: no process, no run.
                None if kind == EngineKind::Podman && !l.roots.is_empty() => {
                    info.state = ProcState::Ended;
                    info.exit_code = None;
                }
                None => {}
            }
        }
        out.push(info);
    }
    out.sort_by(|a, b| match (&a.started_at, &b.started_at) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.id.cmp(&b.id),
    });
    out
}

/// Find one process by id or unique id prefix.
pub fn find_proc<'a>(procs: &'a [ProcInfo], sandbox: &str, want: &str) -> Result<&'a ProcInfo> {
    if want.is_empty() {
        return Err(Error::usage("empty process id").hint(format!("list them with `boxdeck ps {sandbox}`")));
    }
    if let Some(p) = procs
        .iter()
        .find(|p| p.id == want || p.exec_id.as_deref() == Some(want))
    {
        return Ok(p);
    }
    let m: Vec<&ProcInfo> = procs
        .iter()
        .filter(|p| p.id.starts_with(want) || p.exec_id.as_deref().is_some_and(|e| e.starts_with(want)))
        .collect();
    match m.len() {
        1 => Ok(m[0]),
        0 => Err(Error::failed(format!("no process '{want}' in {sandbox}"))
            .hint(format!("list them with `boxdeck ps {sandbox}`"))),
        _ => Err(
            Error::usage(format!("process id '{want}' is ambiguous in {sandbox}")).hint(format!(
                "candidates: {}",
                m.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(", ")
            )),
        ),
    }
}

fn own_dir<'a>(p: &'a ProcInfo, sandbox: &str) -> Result<&'a str> {
    match (&p.source, &p.dir) {
        (ProcSource::Boxdeck, Some(d)) => Ok(d),
        _ => Err(Error::failed(format!(
            "process {} in {sandbox} was not started by boxdeck: its output is not kept",
            p.id
        ))
        .hint("only processes started with `boxdeck run -d` or `x` keep their output")),
    }
}

/// Stream a boxdeck process's output from byte `offset`; with `follow`, until it ends.
/// Returns the offset after the last byte delivered.
pub async fn output(
    engine: &Engine,
    container: &str,
    sandbox: &str,
    p: &ProcInfo,
    offset: u64,
    follow: bool,
    on_data: &mut (dyn FnMut(&[u8]) + Send),
) -> Result<u64> {
    let dir = own_dir(p, sandbox)?;
    let mut offset = offset;
    loop {
        let spec = if follow {
            helper(follow_script(), &[dir, &offset.to_string(), &FOLLOW_ROUNDS.to_string()])
        } else {
            helper(read_script(), &[dir, &offset.to_string()])
        };
        let mut h = engine.exec_start(container, &spec).await?;
        drop(h.input);
        let mut err = Vec::new();
        while let Some(c) = h.output.next().await {
            let c = c?;
            if c.stream == StreamKind::Stderr {
                err.extend_from_slice(&c.data);
            } else {
                offset += c.data.len() as u64;
                on_data(&c.data);
            }
        }
        // The script reports the logical offset it reached (output may have been trimmed, so
        // counting the bytes delivered is not enough); the rest of stderr is an error.
        let err_text = String::from_utf8_lossy(&err).into_owned();
        let mut rest = Vec::new();
        for line in err_text.lines() {
            match line.strip_prefix("OFF ").and_then(|n| n.trim().parse::<u64>().ok()) {
                Some(n) => offset = n,
                None => rest.push(line),
            }
        }
        let err = rest.join("\n").into_bytes();
        match engine.exec_wait(&h.id).await? {
            0 => return Ok(offset),
            FOLLOW_AGAIN if follow => continue,
            _ => {
                return Err(Error::failed(format!(
                    "could not read the output of {} in {sandbox}: {}",
                    p.id,
                    String::from_utf8_lossy(&err).trim()
                )));
            }
        }
    }
}

/// What a kill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillOutcome {
    Killed,
    /// It had already ended.
    NotRunning,
}

/// End a process's whole process group (TERM, then KILL after 3 s). Boxdeck's own processes
/// record the kill; a foreign exec can be killed while it runs and its pid is known.
pub async fn kill(engine: &Engine, container: &str, sandbox: &str, p: &ProcInfo) -> Result<KillOutcome> {
    let spec = match (p.source, &p.dir, p.pid) {
        (ProcSource::Boxdeck, Some(dir), _) => helper(kill_script(), &[dir]),
        (ProcSource::Engine, _, Some(pid)) if p.is_running() => {
            helper(KILL_PID_SCRIPT.to_string(), &[&pid.to_string()])
        }
        (ProcSource::Engine, _, _) if !p.is_running() => return Ok(KillOutcome::NotRunning),
        _ => {
            return Err(
                Error::failed(format!("cannot tell which process in {sandbox} exec {} is", p.id))
                    .hint("its command line changed since it started; kill it from a shell in the sandbox"),
            );
        }
    };
    let o = engine.exec_collect(container, &spec).await?;
    match o.exit_code {
        0 => Ok(KillOutcome::Killed),
        4 => Ok(KillOutcome::NotRunning),
        c => Err(Error::failed(format!(
            "could not kill {} in {sandbox} (exit {c}): {}",
            p.id,
            String::from_utf8_lossy(&o.stderr).trim()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(b: &mut Vec<u8>, name: &str, data: &[u8]) {
        b.extend_from_slice(format!("F {name} {}\n", data.len()).as_bytes());
        b.extend_from_slice(data);
    }

    fn listing_bytes() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"H 1763704800 1000.50 1763703800\n");
        b.extend_from_slice(b"R /tmp/.boxdeck/aabbccdd\n");
        field(&mut b, "meta", b"{\"cmd\":[\"sh\",\"-c\",\"echo hi\"]}\n");
        field(&mut b, "start", b"1763704790 990.5\n");
        field(&mut b, "pid", b"10 10 9 99000 98999\n");
        field(&mut b, "exit", b"3 1763704795 995.75\n");
        b.extend_from_slice(b"A 0 0 7 1\n");
        // Output with a line that looks like a tag, and no newline at the end.
        field(&mut b, "tail", b"R x\nabc");
        b.extend_from_slice(b"R /dev/shm/.boxdeck/11223344\n");
        field(&mut b, "meta", b"{\"cmd\":[\"top\"]}");
        field(&mut b, "start", b"1763704799 999.50\n");
        b.extend_from_slice(b"A 1 1 0\nF tail 0\n");
        b.extend_from_slice(b"P 42 95000\nC sleep\x1f30\x1f\n");
        b.extend_from_slice(b"P 43 95010\nC sh\x1f-c\x1fexit 3\n");
        b
    }

    #[test]
    fn the_trimmer_fits_in_single_quotes() {
        assert!(!trimmer_script().contains('\''), "the wrapper single-quotes it");
        assert!(wrapper_script().contains(TRIM_NAME));
    }

    #[test]
    fn parses_records_and_roots() {
        let l = parse_listing(&listing_bytes());
        assert_eq!(l.now_epoch, Some(1763704800));
        assert_eq!(l.boot_epoch, Some(1763703800));
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].fields["tail"], b"R x\nabc");
        assert_eq!(l.records[0].out_bytes, 7);
        assert!(l.records[1].pid_alive);
        assert_eq!(l.roots.len(), 2);
        assert_eq!(l.roots[0].cmdline, "sleep\x1f30");
    }

    fn exec(id: &str, cmd: &[&str], running: bool, code: Option<i64>) -> ExecStatus {
        ExecStatus {
            id: id.into(),
            running,
            exit_code: code,
            pid: Some(1),
            cmd: cmd.iter().map(|s| s.to_string()).collect(),
            tty: false,
            container_id: "c".into(),
        }
    }

    #[test]
    fn merges_own_and_foreign() {
        let l = parse_listing(&listing_bytes());
        let execs = vec![
            exec(
                "e1",
                &["/bin/sh", "-c", "script", WRAPPER_NAME, "11223344", "{}", "top"],
                true,
                None,
            ),
            exec("e2", &["/bin/sh", "-c", "x", HELPER_NAME], true, None),
            exec("e3aaaaaaaaaaaaaaaa", &["sleep", "30"], true, None),
            exec("e4", &["sleep", "99"], true, Some(0)),
            exec("e5", &["true"], false, Some(0)),
        ];
        let v = merge(l.clone(), execs.clone(), EngineKind::Podman);
        assert_eq!(v.len(), 5, "helper hidden, wrapper merged: {v:#?}");
        let own = v.iter().find(|p| p.id == "aabbccdd").unwrap();
        assert_eq!(own.state, ProcState::Exited);
        assert_eq!(own.exit_code, Some(3));
        assert_eq!(own.duration_secs, Some(5.25));
        assert_eq!(own.started_at.as_deref(), Some("2025-11-21T05:59:50Z"));
        assert_eq!(own.cmd, ["sh", "-c", "echo hi"]);
        assert!(own.group_running && own.is_killable());
        assert_eq!(own.state_text(), "exit 3 + children");
        let running = v.iter().find(|p| p.id == "11223344").unwrap();
        assert_eq!(running.state, ProcState::Running);
        assert_eq!(running.exec_id.as_deref(), Some("e1"));
        assert_eq!(running.duration_secs, Some(1.0));
        let sleep = v.iter().find(|p| p.id == "e3aaaaaaaaaa").unwrap();
        assert_eq!(sleep.state, ProcState::Running);
        assert_eq!(sleep.pid, Some(42));
        assert_eq!(sleep.duration_secs, Some(50.5));
        // Podman: "running" with no such process left is a stale record.
        let stale = v.iter().find(|p| p.id == "e4").unwrap();
        assert_eq!(stale.state, ProcState::Ended);
        assert_eq!(stale.exit_code, None);
        assert_eq!(v.iter().find(|p| p.id == "e5").unwrap().exit_code, Some(0));
        // Docker's running records are trusted.
        let v = merge(l, execs, EngineKind::Docker);
        assert_eq!(v.iter().find(|p| p.id == "e4").unwrap().state, ProcState::Running);
    }

    #[test]
    fn lost_and_killed_states() {
        let mut r = Record {
            dir: "/tmp/.boxdeck/deadbeef".into(),
            ..Default::default()
        };
        r.fields.insert("start".into(), b"1 5.0\n".to_vec());
        let l = Listing {
            now_uptime: Some(9.0),
            records: vec![r.clone()],
            ..Default::default()
        };
        assert_eq!(merge(l.clone(), vec![], EngineKind::Docker)[0].state, ProcState::Lost);
        r.fields.insert("exit".into(), b"143 2 6.0\n".to_vec());
        r.fields.insert("killed".into(), b"TERM\n".to_vec());
        let l = Listing { records: vec![r], ..l };
        let p = &merge(l, vec![], EngineKind::Docker)[0];
        assert_eq!(p.state, ProcState::Killed);
        assert_eq!(p.state_text(), "killed (TERM)");
        assert_eq!(p.exit_code, Some(143));
    }

    #[test]
    fn finds_by_prefix() {
        let mk = |id: &str| ProcInfo {
            id: id.into(),
            source: ProcSource::Boxdeck,
            ..find_dummy()
        };
        let v = vec![mk("ab12"), mk("ab34"), mk("cd56")];
        assert_eq!(find_proc(&v, "s", "cd").unwrap().id, "cd56");
        assert_eq!(find_proc(&v, "s", "ab").unwrap_err().exit_code(), 2);
        assert_eq!(find_proc(&v, "s", "zz").unwrap_err().exit_code(), 1);
        assert_eq!(find_proc(&v, "s", "ab34").unwrap().id, "ab34");
    }

    #[test]
    fn cmd_line_quotes() {
        let p = ProcInfo {
            cmd: vec!["sh".into(), "-c".into(), "echo 'a b'".into()],
            ..find_dummy()
        };
        assert_eq!(p.cmd_line(), r#"sh -c 'echo '\''a b'\'''"#);
    }

    fn find_dummy() -> ProcInfo {
        ProcInfo {
            id: String::new(),
            source: ProcSource::Engine,
            exec_id: None,
            cmd: vec![],
            state: ProcState::Running,
            exit_code: None,
            killed_by: None,
            started_at: None,
            duration_secs: None,
            pid: None,
            output_bytes: None,
            output_tail: None,
            dir: None,
            group_running: false,
        }
    }
}
