//! The `boxdeck` binary: the dashboard with no subcommand, else the headless CLI.

use std::process::ExitCode;

use clap::Parser;

use boxdeck::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    // The dashboard is one UI task plus I/O-bound workers (session parsing has its own OS
    // threads): a single-threaded runtime avoids cross-thread wake-ups, which dominate its idle
    // CPU. The CLI's fan-outs keep the multi-threaded one.
    let builder = match cli.command {
        None => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        Some(_) => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
    };
    let rt = match builder {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("boxdeck: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async move {
        match cli.command {
            Some(_) => cli::dispatch(cli).await,
            None => boxdeck::app::dashboard(cli.hosts.clone(), cli.config.clone()).await,
        }
    });
    // Don't wait for lingering stream tasks (a follow cut short by a closed pipe).
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("boxdeck: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
