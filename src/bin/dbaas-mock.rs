//! `dbaas-mock`: the API emulator's command line (see `dbaas_mock --help`). Everything lives in
//! `dbaas::mock`; this file parses arguments, announces the address, and waits for a signal.

use std::io::Write as _;
use std::process::ExitCode;

use dbaas::mock::{CliCommand, MockConfig, MockServer, USAGE};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match MockConfig::from_args(std::env::args().skip(1)) {
        Ok(CliCommand::Run(config)) => config,
        Ok(CliCommand::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dbaas-mock: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Warnings and notices (a state file repaired at start, a failed write) go to stderr;
    // stdout carries only the listening line that harnesses read.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    let exposure_warning = config.exposure_warning();
    let server = match MockServer::start(config).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("dbaas-mock: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(warning) = exposure_warning {
        eprintln!("dbaas-mock: {warning}");
    }
    // The handlers are in place before the line is printed: a harness may send SIGTERM as soon
    // as it has read it, and a signal without a handler would kill the process uncleanly.
    let signals = match Signals::install() {
        Ok(signals) => Some(signals),
        Err(error) => {
            eprintln!("dbaas-mock: cannot listen for signals: {error}");
            None
        }
    };
    // Test harnesses read this exact first line to learn the port; flush it at once.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "dbaas-mock listening on {}", server.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("dbaas-mock: cannot write to stdout");
    }
    drop(stdout);
    match signals {
        Some(mut signals) => signals.wait().await,
        None => std::future::pending::<()>().await,
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGINT and SIGTERM, registered when installed (not when first awaited).
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Resolves on the first SIGINT or SIGTERM.
    async fn wait(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
