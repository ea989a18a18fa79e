//! Fidelity against tmux (SPEC 5.4): the same program at the same size, driven by the same
//! keys, must show the same cells in a boxdeck session as in tmux.
//!
//! - Live, in a Docker sandbox: busybox vi, less, top and a colour test run once through
//!   `docker exec -it` inside tmux and once in a boxdeck [`Session`]; the cells (text, colours,
//!   bold, underline, inverse) are compared. tmux's cells come from `capture-pane -e`, read back
//!   through a vt100 parser.
//! - Replay on the host (the measurement behind the TERM and vt100 choice, docs/TERMINAL.md):
//!   ncurses programs run in tmux under several TERM values while `pipe-pane` records their raw
//!   output; the recording is replayed into vt100 0.16 and 0.18 and compared with tmux's cells.

use crate::common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxdeck::emulator::Session;
use boxdeck::emulator::term::Terminal;
use common::RunId;
use tokio::sync::Notify;

const COLS: u16 = 80;
const ROWS: u16 = 24;

/// One cell as compared: text, fg, bg, bold, underline, inverse.
type CellKey = (String, vt100_18::Color, vt100_18::Color, bool, bool, bool);

fn cells(screen: &vt100_18::Screen) -> Vec<Vec<CellKey>> {
    let (rows, cols) = screen.size();
    (0..rows.get())
        .map(|r| {
            (0..cols.get())
                .map(|c| {
                    let cell = screen.cell(r, c).expect("cell in range");
                    let text = match (cell.has_contents(), cell.is_wide_continuation()) {
                        (true, _) => cell.contents().to_string(),
                        (false, true) => String::new(),
                        (false, false) => " ".into(),
                    };
                    // Bold on a blank is invisible (and erasing keeps it in vt100, not in tmux).
                    let bold = cell.bold() && text.trim() != "";
                    (
                        text,
                        cell.fgcolor(),
                        cell.bgcolor(),
                        bold,
                        cell.underline(),
                        cell.inverse(),
                    )
                })
                .collect()
        })
        .collect()
}

fn cells_016(screen: &vt100::Screen) -> Vec<Vec<CellKey>> {
    let (rows, cols) = screen.size();
    let col = |c: vt100::Color| match c {
        vt100::Color::Default => vt100_18::Color::Default,
        vt100::Color::Idx(i) => vt100_18::Color::Idx(i),
        vt100::Color::Rgb(r, g, b) => vt100_18::Color::Rgb(r, g, b),
    };
    (0..rows)
        .map(|r| {
            (0..cols)
                .map(|c| {
                    let cell = screen.cell(r, c).expect("cell in range");
                    let text = match (cell.has_contents(), cell.is_wide_continuation()) {
                        (true, _) => cell.contents().to_string(),
                        (false, true) => String::new(),
                        (false, false) => " ".into(),
                    };
                    let bold = cell.bold() && text.trim() != "";
                    (
                        text,
                        col(cell.fgcolor()),
                        col(cell.bgcolor()),
                        bold,
                        cell.underline(),
                        cell.inverse(),
                    )
                })
                .collect()
        })
        .collect()
}

/// Cells that differ, as (row, col, ours, tmux's). What cannot be seen is not compared: the
/// foreground of a blank cell, and the colours of the blanks after the last visible cell of a
/// tmux row (`capture-pane` drops trailing blanks even with `-N`, whatever their background).
fn diff(a: &[Vec<CellKey>], b: &[Vec<CellKey>]) -> Vec<(usize, usize, CellKey, CellKey)> {
    let blank = |c: &CellKey| c.0.trim().is_empty() && !c.4 && !c.5;
    let mut out = Vec::new();
    for (r, (ra, rb)) in a.iter().zip(b).enumerate() {
        let tail = rb
            .iter()
            .rposition(|c| !blank(c) || c.2 != vt100_18::Color::Default)
            .map_or(0, |i| i + 1);
        for (c, (ca, cb)) in ra.iter().zip(rb).enumerate() {
            let same = if c >= tail && blank(cb) {
                blank(ca)
            } else if blank(ca) && blank(cb) {
                ca.2 == cb.2
            } else {
                ca == cb
            };
            if !same {
                out.push((r, c, ca.clone(), cb.clone()));
            }
        }
    }
    out
}

fn text_of(cells: &[Vec<CellKey>]) -> String {
    cells
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| c.0.as_str())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A private tmux server with one session of COLS x ROWS and no status line.
struct Tmux {
    sock: String,
    _dir: tempfile::TempDir,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("tmux.conf");
        std::fs::write(&conf, "set -g status off\nset -g escape-time 0\n").unwrap();
        let sock = format!("boxdeck-fid-{}-{:08x}", std::process::id(), rand::random::<u32>());
        let st = Command::new("tmux")
            .args(["-L", &sock, "-f"])
            .arg(&conf)
            .args([
                "new-session",
                "-d",
                "-s",
                "fid",
                "-x",
                &COLS.to_string(),
                "-y",
                &ROWS.to_string(),
                cmd,
            ])
            .status()
            .expect("run tmux");
        assert!(st.success(), "tmux new-session failed");
        Tmux { sock, _dir: dir }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.sock])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, literal: &str) {
        self.tmux(&["send-keys", "-t", "fid", "-l", literal]);
    }

    /// tmux's screen, read back through a vt100 parser.
    fn screen(&self) -> Vec<Vec<CellKey>> {
        let cap = self.tmux(&["capture-pane", "-p", "-e", "-N", "-t", "fid"]);
        let mut p = vt100_18::Parser::new(
            std::num::NonZeroU16::new(ROWS).unwrap(),
            std::num::NonZeroU16::new(COLS).unwrap(),
            0,
        );
        let lines: Vec<&str> = cap.split('\n').take(ROWS as usize).collect();
        for (i, l) in lines.iter().enumerate() {
            p.process(format!("\x1b[{};1H{l}", i + 1).as_bytes());
        }
        cells(p.screen())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.sock, "kill-server"]).status();
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Wait until `f` gives the same screen twice 400 ms apart and `ready` holds.
async fn settle(what: &str, f: impl Fn() -> Vec<Vec<CellKey>>, ready: impl Fn(&str) -> bool) -> Vec<Vec<CellKey>> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = f();
    loop {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let now = f();
        if now == last && ready(&text_of(&now)) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not settle; screen:\n{}",
            text_of(&now)
        );
        last = now;
    }
}

/// Run `cmd` both ways, type `steps` (literal text, then a pause) and compare the final cells.
/// Returns the differing cells.
async fn compare(
    engine: &boxdeck::engine::Engine,
    container: &str,
    cmd: &[&str],
    steps: &[&str],
    ready: impl Fn(&str) -> bool + Copy,
) -> (Vec<(usize, usize, CellKey, CellKey)>, String) {
    let quoted: Vec<String> = cmd.iter().map(|a| format!("'{}'", a.replace('\'', "'\\''"))).collect();
    let tmux = Tmux::start(&format!(
        "docker exec -it -e TERM=xterm-256color {container} {}",
        quoted.join(" ")
    ));
    let waker = Arc::new(Notify::new());
    let s = Session::open(
        engine,
        container,
        cmd.iter().map(|a| a.to_string()).collect(),
        COLS,
        ROWS,
        waker,
    )
    .await
    .expect("open session");
    let ours = |s: &Session| cells(s.terminal().screen());
    settle("tmux", || tmux.screen(), |_| true).await;
    settle("session", || ours(&s), |_| true).await;
    for step in steps {
        tmux.keys(step);
        s.send_bytes(step.as_bytes().to_vec());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let theirs = settle("tmux", || tmux.screen(), ready).await;
    let mine = settle("session", || ours(&s), ready).await;
    s.close();
    (
        diff(&mine, &theirs),
        format!("ours:\n{}\ntmux:\n{}", text_of(&mine), text_of(&theirs)),
    )
}

fn report(name: &str, d: &[(usize, usize, CellKey, CellKey)]) {
    eprintln!(
        "fidelity {name}: {} differing cells of {}",
        d.len(),
        COLS as usize * ROWS as usize
    );
    for (r, c, a, b) in d.iter().take(10) {
        eprintln!("  ({r},{c}) ours {a:?} tmux {b:?}");
    }
}

#[test]
fn live_programs_match_tmux() {
    let Some(te) = common::docker() else { return };
    if te.url != "unix:///var/run/docker.sock" || !tmux_available() {
        eprintln!("SKIP: needs tmux and the docker CLI's default engine");
        return;
    }
    let run = RunId::new(std::slice::from_ref(&te));
    let name = run.create(&te.url, &run.name("fid"), &[]);
    common::rt().block_on(async {
        let engine = te.connect().await;
        let setup = "seq 1 300 > /tmp/nums; printf 'first line\\n\\tsecond\\nthird ümlaut 日本\\n' > /tmp/f.txt";
        engine.exec_collect(&name, &boxdeck::engine::ExecSpec::cmd(["sh", "-c", setup])).await.unwrap();

        let (d, screens) = compare(&engine, &name, &["vi", "/tmp/f.txt"], &["jjA!!\x1b", "ggOnew top\x1b"], |t| {
            t.contains("new top") && t.contains("日本!!")
        })
        .await;
        report("vi", &d);
        assert!(d.is_empty(), "vi differs from tmux\n{screens}");

        let (d, screens) =
            compare(&engine, &name, &["less", "/tmp/nums"], &[" ", "/150\r"], |t| t.contains("150")).await;
        report("less", &d);
        assert!(d.is_empty(), "less differs from tmux\n{screens}");

        let colours = "for i in $(seq 0 255); do printf '\\033[38;5;%dm%02x' $i $i; done; printf '\\033[0m\\n'; \
                       for i in 40 41 42 43 44 45 46 47 100 101 102 103 104 105 106 107; do printf '\\033[%dm bg%d ' $i $i; done; \
                       printf '\\033[0m\\n\\033[1mbold\\033[0m \\033[4munder\\033[0m \\033[7minverse\\033[0m \\033[2mdim\\033[0m \
                       \\033[38;2;255;128;0mtruecolor\\033[48;2;0;64;128m bg\\033[0m\\n'; read x";
        let (d, screens) = compare(&engine, &name, &["bash", "-c", colours], &[], |t| t.contains("truecolor")).await;
        report("colours", &d);
        assert!(d.is_empty(), "colour test differs from tmux\n{screens}");

        // top's numbers change between any two runs: compare its layout (the summary rows, by
        // their first word) and its header row (text and inverse video) cell for cell.
        let (d, screens) = compare(&engine, &name, &["top", "-d", "30"], &[], |t| t.contains("PID")).await;
        let header_diffs: Vec<_> = d
            .iter()
            .filter(|(r, ..)| screens.lines().nth(1 + *r).is_some_and(|l| l.contains("PID")))
            .collect();
        eprintln!("fidelity top: {} cells differ, {} in the header row", d.len(), header_diffs.len());
        assert!(header_diffs.is_empty(), "top's header differs from tmux\n{screens}");
        let (ours, theirs) = screens.split_once("\ntmux:\n").unwrap();
        // The summary rows down to the header; the process list's length varies with whatever
        // else runs in the sandbox at that moment (each top sees the other, and transient execs).
        let shape = |s: &str| {
            let rows: Vec<&str> = s.lines().collect();
            let end = rows.iter().position(|l| l.contains("PID")).unwrap_or(0);
            rows[..=end].iter().map(|l| l.split_whitespace().next().unwrap_or("").to_string()).collect::<Vec<_>>()
        };
        assert_eq!(shape(ours.trim_start_matches("ours:\n")), shape(theirs), "top's layout differs\n{screens}");
    });
}

/// Replay one recording into vt100 0.16, 0.18 and boxdeck's terminal; differing cells each.
fn replay(raw: &[u8], tmux: &[Vec<CellKey>], label: &str) -> (usize, usize, usize) {
    let mut p16 = vt100::Parser::new(ROWS, COLS, 0);
    p16.process(raw);
    let n = |v| std::num::NonZeroU16::new(v).unwrap();
    let mut p18 = vt100_18::Parser::new(n(ROWS), n(COLS), 0);
    p18.process(raw);
    let mut ours = Terminal::new(COLS, ROWS);
    ours.process(raw);
    let d16 = diff(&cells_016(p16.screen()), tmux);
    let d18 = diff(&cells(p18.screen()), tmux);
    let d = diff(&cells(ours.screen()), tmux);
    for (v, d) in [("0.16", &d16), ("boxdeck", &d)] {
        if let Some((r, c, a, b)) = d.first() {
            eprintln!("  {label} {v}: first difference at ({r},{c}): {a:?} vs tmux {b:?}");
        }
    }
    (d16.len(), d18.len(), d.len())
}

/// Record `prog` under `term` in tmux; returns (raw output, tmux's cells).
fn record(term: &str, prog: &str, keys: &[&str]) -> (Vec<u8>, Vec<Vec<CellKey>>) {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    let tmux = Tmux::start(&format!("sleep 0.5; TERM={term} exec {prog}"));
    tmux.tmux(&["pipe-pane", "-O", "-t", "fid", &format!("cat > {}", raw.display())]);
    std::thread::sleep(Duration::from_millis(1500));
    for k in keys {
        tmux.keys(k);
        std::thread::sleep(Duration::from_millis(400));
    }
    std::thread::sleep(Duration::from_millis(600));
    let screen = tmux.screen();
    tmux.tmux(&["pipe-pane", "-t", "fid"]);
    std::thread::sleep(Duration::from_millis(200));
    (std::fs::read(&raw).unwrap_or_default(), screen)
}

#[test]
fn term_and_vt100_version_measurement() {
    if !tmux_available() {
        eprintln!("SKIP: tmux is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("text.txt");
    let body: String = (1..200)
        .map(|i| format!("line {i:>3} ---------------------------- {}\n", "=".repeat(i % 30)))
        .collect();
    std::fs::write(&file, body).unwrap();
    let f = file.display();
    let curses = dir.path().join("boxdeck_curses_demo.py");
    std::fs::write(
        &curses,
        r#"import curses, time
def main(s):
    s.addstr(2, 4, 'boxdeck ' + '=' * 50)
    s.hline(5, 0, ord('-'), 70)
    s.addstr(7, 10, 'x' * 40, curses.A_REVERSE)
    s.addstr(9, 70, 'end', curses.A_BOLD)
    s.refresh()
    time.sleep(60)
curses.wrapper(main)
"#,
    )
    .unwrap();
    let c = curses.display();
    let programs: Vec<(&str, String, Vec<&str>)> = vec![
        ("top", "top -d 60".to_string(), vec![]),
        ("less", format!("less {f}"), vec![" ", "/line 150\r"]),
        (
            "vim",
            format!("vim -u NONE -i NONE -N {f}"),
            vec!["20G", "A!!\x1b", ":set nu\r"],
        ),
        ("curses", format!("python3 {c}"), vec![]),
        // What ncurses emits for a run of one character where terminfo has `rep`.
        (
            "tput-rep",
            "sh -c 'tput clear; printf x; tput rep 61 60; tput hpa 70; printf Y; sleep 60'".into(),
            vec![],
        ),
    ];
    let mut ours_total_xterm = 0;
    eprintln!("program   TERM             vt100-0.16  vt100-0.18  boxdeck");
    for (name, cmd, keys) in &programs {
        let bin = cmd.split_whitespace().next().unwrap();
        if Command::new("sh")
            .args(["-c", &format!("command -v {bin}")])
            .output()
            .is_ok_and(|o| !o.status.success())
        {
            eprintln!("{name:<9} (not installed)");
            continue;
        }
        for term in ["xterm-256color", "tmux-256color", "screen-256color", "xterm"] {
            let (raw, tmux) = record(term, cmd, keys);
            if raw.is_empty() {
                eprintln!("{name:<9} {term:<16} (no output recorded)");
                continue;
            }
            let (d16, d18, ours) = replay(&raw, &tmux, &format!("{name}/{term}"));
            eprintln!("{name:<9} {term:<16} {d16:>10}  {d18:>10}  {ours:>7}");
            if term == "xterm-256color" {
                ours_total_xterm += ours;
            }
        }
    }
    // The choice (vt100 0.18 under TERM=xterm-256color) renders every recording like tmux.
    assert_eq!(
        ours_total_xterm, 0,
        "boxdeck's terminal differs from tmux under xterm-256color"
    );
}
