//! The log pane fed by a real engine's log stream (timestamps on, as the dashboard's log worker
//! asks): ANSI colours survive as styles, OSC / cursor sequences are gone, stderr is marked,
//! and Docker's split of a long line is joined back into one (bounded) line.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use boxdeck::engine::{CreateSpec, LogsQuery};
use boxdeck::logview::{LogPane, LogTheme, LogView};
use common::{RUN_LABEL, RunId, TEST_IMAGE, engines, rt};
use futures::StreamExt;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Widget;

const LONG: usize = 40_000;

fn script() -> String {
    [
        r"printf '\033[31mred\033[0m plain \033[1;38;5;208mbold\033[0m\n'",
        r"printf '\033]0;PWNED-TITLE\007after-title \033]8;;http://evil.example/\033\\link\033]8;;\033\\\n'",
        r"printf '\033[2J\033[H\033[?1049hcursor-games\033c\007 bell\n'",
        r"printf 'to-stderr \033[33myellow\033[0m\n' >&2",
        r"printf 'tab\there\n'",
        &format!("head -c {LONG} /dev/zero | tr '\\0' 'x'; echo"),
        "echo done",
    ]
    .join("; ")
}

fn clean(s: &str) -> bool {
    s.chars()
        .all(|c| !c.is_control() && !('\u{80}'..='\u{9f}').contains(&c))
}

#[test]
fn real_engine_logs_into_pane() {
    let engines = engines();
    let run = RunId::new(&engines);
    rt().block_on(async {
        for te in &engines {
            let engine = te.connect().await;
            let name = run.name(&format!("logview-{}", te.kind));
            let mut labels = BTreeMap::new();
            labels.insert(RUN_LABEL.to_string(), run.id.clone());
            let spec = CreateSpec {
                name: name.clone(),
                image: TEST_IMAGE.into(),
                cmd: Some(vec!["sh".into(), "-c".into(), script()]),
                labels,
                ..Default::default()
            };
            let id = engine.create(&spec).await.expect("create");
            engine.start(&id).await.expect("start");

            // Follow until the last line of stdout ("done") and of stderr have arrived, or the
            // stream ends with the container. (A follow that starts as a short-lived container exits may stay open on
            // Podman, so the end of the stream is not waited for.)
            let q = LogsQuery {
                follow: true,
                tail: None,
                since: None,
                timestamps: true,
            };
            let mut pane = LogPane::new(1000);
            let mut stream = engine.logs(&id, &q);
            let read = async {
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.expect("log chunk");
                    pane.push_chunk(&chunk);
                    // stdout and stderr arrive in no fixed order: wait for the last line of each.
                    if pane.lines().any(|l| l.text() == "done")
                        && pane.lines().any(|l| l.text().starts_with("to-stderr"))
                    {
                        break;
                    }
                }
            };
            tokio::time::timeout(Duration::from_secs(30), read)
                .await
                .expect("the script's output arrives through the log stream");
            pane.flush();

            let kind = te.kind;
            let texts: Vec<&str> = pane.lines().map(|l| l.text()).collect();
            assert_eq!(pane.len(), 7, "{kind}: {texts:?}");
            for l in pane.lines() {
                assert!(
                    l.timestamp().is_some(),
                    "{kind}: no timestamp parsed off {:?}",
                    l.text()
                );
                assert!(clean(l.text()), "{kind}: control characters in {:?}", l.text());
                assert!(
                    !l.text().contains("PWNED") && !l.text().contains("evil.example"),
                    "{kind}: {:?}",
                    l.text()
                );
            }
            let find = |s: &str| {
                pane.lines()
                    .find(|l| l.text().starts_with(s))
                    .unwrap_or_else(|| panic!("{kind}: no line {s:?} in {texts:?}"))
            };

            let red = find("red plain bold");
            assert_eq!(red.text(), "red plain bold");
            assert_eq!(
                red.spans(),
                vec![
                    (Style::new().fg(Color::Red), "red"),
                    (Style::new(), " plain "),
                    (
                        Style::new().fg(Color::Indexed(208)).add_modifier(Modifier::BOLD),
                        "bold"
                    ),
                ],
                "{kind}"
            );
            assert!(!red.is_stderr());
            assert_eq!(find("after-title").text(), "after-title link");
            assert_eq!(find("cursor-games").text(), "cursor-games bell");
            assert_eq!(find("tab").text(), "tab     here");

            let err = find("to-stderr");
            assert!(err.is_stderr(), "{kind}: stderr line not marked");
            assert_eq!(
                err.spans(),
                vec![(Style::new(), "to-stderr "), (Style::new().fg(Color::Yellow), "yellow")]
            );
            assert_eq!(pane.lines().filter(|l| l.is_stderr()).count(), 1, "{kind}");

            // The 40 kB line comes back as ONE line (Docker sends it as 16 KiB messages, each
            // with its own timestamp), cut to the text cap, its full length reported.
            let long = find("xxxx");
            assert_eq!(long.truncated_from(), Some(LONG as u64), "{kind}");
            assert!(long.text().len() < 17 * 1024);
            assert_eq!(find("done").text(), "done");

            // A reconnect re-reads from the newest line's second: nothing comes in twice.
            let before = pane.len();
            let since = pane.prepare_resume().expect("lines have timestamps");
            let q = LogsQuery {
                follow: false,
                tail: None,
                since: Some(since),
                timestamps: true,
            };
            let mut again = engine.logs(&id, &q);
            let mut resent = 0;
            while let Some(chunk) = again.next().await {
                let chunk = chunk.expect("log chunk");
                resent += chunk.data.len();
                pane.push_chunk(&chunk);
            }
            pane.flush();
            assert!(resent > 0, "{kind}: since={since} sent nothing");
            assert_eq!(pane.len(), before, "{kind}: lines came in twice");

            // Drawn: the stderr line is marked in the gutter and nothing hostile reaches a cell.
            let area = Rect::new(0, 0, 60, 9);
            let mut buf = Buffer::empty(area);
            LogView::new(&pane, &LogTheme::default()).render(area, &mut buf);
            let screen: String = (0..9)
                .map(|y| (0..60).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>() + "\n")
                .collect();
            assert!(clean(&screen.replace('\n', "")), "{kind}: {screen}");
            let err_row = (0..9)
                .find(|&y| screen.lines().nth(y as usize).unwrap().contains("to-stderr"))
                .expect("stderr row");
            assert_eq!(
                buf[(0, err_row)].symbol(),
                LogTheme::default().stderr_symbol,
                "{kind}:\n{screen}"
            );
        }
    });
}
