//! `dbaas-bench`: measures the release provider on this machine and writes a Markdown report.
//!
//! ```text
//! ./scripts/bench.sh                       # builds --release, runs this, prints the report
//! target/release/dbaas-bench --counts 10,100 --provision-delay-ms 500 --startup-runs 10
//! ```
//!
//! What it measures (see [`cli::USAGE`]):
//!
//! 1. Start-up ([`handshake`]): the time from spawning `terraform-provider-dbaas` with the
//!    environment Terraform gives it until its go-plugin handshake line
//!    (`1|6|unix|<socket>|grpc|<cert>`) is on stdout, and its resident memory at that moment;
//!    with a P-521 client certificate like Terraform's ([`client_cert`]) and without one.
//! 2. The size of the release provider binary, and whether it is stripped ([`binary`]).
//! 3. Terraform plan / apply / plan (refresh) / destroy of N `dbaas_database_cluster` (one
//!    resource with `count`) against `dbaas-mock` ([`emulator`]) with a fixed provisioning
//!    delay ([`scenario`]): wall time, the API requests the emulator logged, split by kind
//!    ([`requests`]: list calls versus reads by id show how much the shared cluster-list watch
//!    of `dbaas::api::wait` saves), where each apply's time goes (the creates' waves, from the
//!    log's timestamps), and the provider's peak resident memory ([`wrapper`]).
//!
//! The report is rendered by [`report`]. Nothing here asserts a timing: the numbers are
//! reported, never judged.
//!
//! `dbaas-bench persistence` measures only the emulator's `--state-file` ([`persistence`]):
//! sequential creates per second with thousands of clusters stored, with and without a state
//! file, and what a restart after `SIGKILL` brings back. It needs neither Terraform nor the
//! provider.

mod binary;
mod chart;
mod cli;
mod client_cert;
mod emulator;
mod handshake;
mod machine;
mod persistence;
mod proc_status;
mod process;
mod real_engines;
mod report;
mod requests;
mod scenario;
mod stats;
mod wrapper;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};

use crate::cli::{Options, PersistenceOptions, PERSISTENCE_USAGE, USAGE};
use crate::emulator::Emulator;
use crate::machine::Machine;
use crate::process::WorkDir;
use crate::report::Report;
use crate::scenario::{Subject, TerraformBench};

/// The release binaries the benchmark drives; they sit next to this one in `target/release`.
pub const PROVIDER_BINARY: &str = "terraform-provider-dbaas";
/// What Terraform runs DigitalOcean's provider as, for the comparison (`--digitalocean`).
pub const DIGITALOCEAN_BINARY: &str = "terraform-provider-digitalocean";
const MOCK_BINARY: &str = "dbaas-mock";

fn main() -> ExitCode {
    // Terraform starts the copy of this binary that the benchmark puts in `dev_overrides`.
    if wrapper::invoked_as_provider() {
        return wrapper::run();
    }
    if std::env::args().nth(1).as_deref() == Some("persistence") {
        return run_persistence();
    }
    if std::env::args().nth(1).as_deref() == Some("real-engines") {
        return run_real_engines();
    }
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dbaas-bench: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dbaas-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_persistence() -> ExitCode {
    let options = match PersistenceOptions::parse(std::env::args().skip(2)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{PERSISTENCE_USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dbaas-bench: {message}\n\n{PERSISTENCE_USAGE}");
            return ExitCode::from(2);
        }
    };
    let measured = release_dir()
        .and_then(|dir| persistence::mock_binary(&options, &dir))
        .and_then(|mock| persistence::run(&options, &mock));
    match measured {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dbaas-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_real_engines() -> ExitCode {
    let runs = match real_engines::parse(std::env::args().skip(2)) {
        Ok(Some(runs)) => runs,
        Ok(None) => {
            println!("{}", real_engines::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dbaas-bench: {message}\n\n{}", real_engines::USAGE);
            return ExitCode::from(2);
        }
    };
    match release_dir().and_then(|dir| real_engines::run(runs, &dir.join(MOCK_BINARY))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("dbaas-bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The directory of this program, where the release binaries it drives are.
fn release_dir() -> Result<PathBuf> {
    Ok(std::env::current_exe()
        .context("cannot find this program's own path")?
        .parent()
        .ok_or_else(|| anyhow!("this program's path has no directory"))?
        .to_path_buf())
}

/// Progress on stderr, so that stdout carries only the report.
pub fn log(message: impl AsRef<str>) {
    eprintln!("==> {}", message.as_ref());
}

fn run(options: &Options) -> Result<()> {
    let release_dir = release_dir()?;
    let provider = release_dir.join(PROVIDER_BINARY);
    let mock = release_dir.join(MOCK_BINARY);
    for binary in [&provider, &mock] {
        if !binary.is_file() {
            bail!(
                "{} is missing; build with `cargo build --release --bins` (./scripts/bench.sh does)",
                binary.display()
            );
        }
    }
    let terraform = find_terraform(options.terraform.as_deref())?;
    let work = WorkDir::create()?;

    let machine = Machine::describe(&terraform);
    log(format!(
        "{} CPUs, Terraform {}",
        machine.cpus, machine.terraform_version
    ));

    let size = binary::BinarySize::measure(&provider)?;
    let startup = handshake::measure(&provider, options.startup_runs, work.path())?;

    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let emulator = Emulator::start(&mock, &token, options.provision_delay_ms, work.path())?;
    log(format!(
        "dbaas-mock listening on {} (provisioning delay {} ms)",
        emulator.url, options.provision_delay_ms
    ));
    let bench = TerraformBench::prepare(
        Subject::Dbaas,
        &terraform,
        &provider,
        &emulator,
        &token,
        work.path(),
        options.command_limit,
    )?;
    let digitalocean = match &options.digitalocean {
        Some(binary) if !binary.is_file() => bail!("{} is not a file", binary.display()),
        Some(binary) => Some(TerraformBench::prepare(
            Subject::DigitalOcean,
            &terraform,
            binary,
            &emulator,
            &token,
            work.path(),
            options.command_limit,
        )?),
        None => None,
    };
    // Side by side, count by count, on the same emulator (reset before each run).
    let mut phases = Vec::new();
    let mut compared = Vec::new();
    for &count in &options.counts {
        phases.extend(bench.run_count(count)?);
        if let Some(digitalocean) = &digitalocean {
            compared.extend(digitalocean.run_count(count)?);
        }
    }
    drop(emulator);

    let report = Report {
        machine,
        provision_delay_ms: options.provision_delay_ms,
        startup_runs: options.startup_runs,
        startup,
        size,
        phases,
        digitalocean: compared,
    };
    let markdown = report.render();
    if !report.digitalocean.is_empty() {
        let chart = options.chart.clone().unwrap_or_else(|| {
            options
                .out
                .parent()
                .unwrap_or(Path::new("."))
                .join("comparison.svg")
        });
        if let Some(dir) = chart.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        fs::write(&chart, chart::render(&report))
            .with_context(|| format!("cannot write {}", chart.display()))?;
        log(format!("chart written to {}", chart.display()));
    }
    if let Some(dir) = options
        .out
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
    {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    fs::write(&options.out, &markdown)
        .with_context(|| format!("cannot write {}", options.out.display()))?;
    log(format!("report written to {}", options.out.display()));
    print!("{markdown}");
    Ok(())
}

fn find_terraform(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = std::env::var_os("TERRAFORM_BIN").filter(|value| !value.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            anyhow!(
                "no Terraform CLI: pass --terraform, set TERRAFORM_BIN or put terraform on PATH"
            )
        })
}
