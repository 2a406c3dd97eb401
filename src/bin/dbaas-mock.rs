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
    // Test harnesses read this exact first line to learn the port; flush it at once.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "dbaas-mock listening on {}", server.url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        eprintln!("dbaas-mock: cannot write to stdout");
    }
    drop(stdout);
    if let Err(error) = wait_for_signal().await {
        eprintln!("dbaas-mock: cannot listen for signals: {error}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM.
async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
