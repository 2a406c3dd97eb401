//! `dbaas-bench persistence`: what `dbaas-mock --state-file` costs a client.
//!
//! For each configuration (with a state file in a private directory, and without one for
//! comparison) it starts the emulator with no provisioning delay, fills it with `--stored`
//! clusters, then sends `--creates` more `POST /v2/databases`, one after another from one
//! client over one keep-alive connection, and times each. With the state file it then kills
//! the emulator (`SIGKILL`, no chance to write anything more), starts it again on the same
//! file, and counts the clusters that came back: every create it answered must be there.
//!
//! The state file lives in the system's temporary directory, so fsync costs what it costs on
//! that file system; the report gives the median fdatasync of a 1 KiB append there, before and
//! after the state-file run, because every saved change pays one. The figures are printed,
//! never judged.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use reqwest::blocking::Client;
use serde_json::{json, Value};

use crate::cli::PersistenceOptions;
use crate::log;
use crate::process::{scrubbed_command, tail, ChildGuard, WorkDir};
use crate::stats::Summary;

const STARTUP_LIMIT: Duration = Duration::from_secs(120);
const LISTENING_PREFIX: &str = "dbaas-mock listening on ";

/// One configuration's figures.
struct Run {
    state_file: bool,
    /// Creates per second while filling the empty emulator up to the stored count.
    fill_rate: f64,
    creates: Vec<Duration>,
    /// Size of the state file and anything beside it after the timed creates.
    files_bytes: Option<u64>,
    /// After SIGKILL: how long the restart took to listen, and how many clusters it had.
    restart: Option<(Duration, usize)>,
}

impl Run {
    fn rate(&self) -> f64 {
        let total: Duration = self.creates.iter().sum();
        self.creates.len() as f64 / total.as_secs_f64()
    }
}

pub fn run(options: &PersistenceOptions, mock: &Path) -> Result<()> {
    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let mut runs = Vec::new();
    let mut fsync = Vec::new();
    for state_file in [true, false] {
        let work = WorkDir::create()?;
        if state_file {
            fsync.push(fsync_latency(work.path())?);
        }
        let state_path = state_file.then(|| work.path().join("state.json"));
        runs.push(measure(
            options,
            mock,
            &token,
            work.path(),
            state_path.as_deref(),
        )?);
        if state_file {
            fsync.push(fsync_latency(work.path())?);
        }
    }
    print!("{}", render(options, mock, &fsync, &runs));
    Ok(())
}

/// The median time to append 1 KiB to a file in `dir` and fdatasync it: the least a saved
/// change costs on this disk at this moment.
fn fsync_latency(dir: &Path) -> Result<Duration> {
    use std::io::Write as _;
    const RUNS: usize = 200;
    let path = dir.join("fsync-probe");
    let file = fs::File::create(&path).context("cannot create the fsync probe")?;
    let line = [b'x'; 1024];
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        (&file)
            .write_all(&line)
            .and_then(|()| file.sync_data())
            .context("fsync probe")?;
        samples.push(started.elapsed());
    }
    drop(file);
    fs::remove_file(&path).context("cannot remove the fsync probe")?;
    Ok(Summary::of(&samples).median)
}

fn measure(
    options: &PersistenceOptions,
    mock: &Path,
    token: &str,
    work: &Path,
    state: Option<&Path>,
) -> Result<Run> {
    let label = if state.is_some() {
        "with --state-file"
    } else {
        "without a state file"
    };
    let http = Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .context("cannot build the HTTP client")?;
    let (process, url) = start(mock, token, work, state)?;
    log(format!(
        "{label}: creating {} clusters to start from",
        options.stored
    ));
    let started = Instant::now();
    for n in 0..options.stored {
        create(&http, &url, token, &format!("stored-{n}"))?;
    }
    let fill_rate = options.stored as f64 / started.elapsed().as_secs_f64();
    log(format!(
        "{label}: timing {} sequential creates",
        options.creates
    ));
    let mut creates = Vec::with_capacity(options.creates);
    for n in 0..options.creates {
        let started = Instant::now();
        create(&http, &url, token, &format!("timed-{n}"))?;
        creates.push(started.elapsed());
    }
    let files_bytes = state.map(|_| directory_bytes(work)).transpose()?;
    let restart = match state {
        Some(_) => {
            // SIGKILL: whatever was answered must already be on disk.
            drop(process);
            let started = Instant::now();
            let (_process, url) = start(mock, token, work, state)?;
            let startup = started.elapsed();
            let clusters = list(&http, &url, token)?;
            Some((startup, clusters))
        }
        None => None,
    };
    Ok(Run {
        state_file: state.is_some(),
        fill_rate,
        creates,
        files_bytes,
        restart,
    })
}

fn start(
    mock: &Path,
    token: &str,
    work: &Path,
    state: Option<&Path>,
) -> Result<(ChildGuard, String)> {
    let stderr_path = work.join("dbaas-mock.stderr");
    let stderr = fs::File::options()
        .create(true)
        .append(true)
        .open(&stderr_path)
        .context("cannot create the emulator's log")?;
    let mut command = scrubbed_command(mock);
    command
        .args(["--port", "0", "--token", token, "--provision-delay-ms", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr);
    if let Some(state) = state {
        command.arg("--state-file").arg(state);
    }
    let mut child = ChildGuard(
        command
            .spawn()
            .with_context(|| format!("cannot start {}", mock.display()))?,
    );
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (line_tx, line_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = line_tx.send(reader.read_line(&mut line).map(|_| line));
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let line = match line_rx.recv_timeout(STARTUP_LIMIT) {
        Ok(Ok(line)) => line,
        _ => bail!(
            "dbaas-mock did not announce its address; its log:\n{}",
            tail(&stderr_path)
        ),
    };
    match line.trim_end().strip_prefix(LISTENING_PREFIX) {
        Some(url) => Ok((child, url.to_string())),
        None => bail!("unexpected first line from dbaas-mock: {line:?}"),
    }
}

fn create(http: &Client, url: &str, token: &str, name: &str) -> Result<()> {
    let response = http
        .post(format!("{url}/v2/databases"))
        .bearer_auth(token)
        .json(&json!({
            "name": name,
            "engine": "pg",
            "version": "16",
            "region": "nyc3",
            "size": "db-s-1vcpu-1gb",
            "num_nodes": 1,
        }))
        .send()
        .with_context(|| format!("creating {name}"))?;
    let status = response.status();
    // Read the body so that the connection is reused.
    let body = response
        .bytes()
        .with_context(|| format!("creating {name}"))?;
    if status != reqwest::StatusCode::CREATED {
        bail!("creating {name} answered {status}");
    }
    drop(body);
    Ok(())
}

fn list(http: &Client, url: &str, token: &str) -> Result<usize> {
    let listed: Value = http
        .get(format!("{url}/v2/databases"))
        .bearer_auth(token)
        .send()
        .and_then(|response| response.error_for_status())
        .and_then(|response| response.json())
        .context("listing the clusters after the restart")?;
    Ok(listed["databases"].as_array().map_or(0, Vec::len))
}

/// Bytes of the regular files in `dir` (the state file and anything the emulator keeps beside
/// it), less the emulator's log.
fn directory_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        if entry.file_name() != "dbaas-mock.stderr" && entry.file_type()?.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

fn render(options: &PersistenceOptions, mock: &Path, fsync: &[Duration], runs: &[Run]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## dbaas-mock persistence\n");
    let _ = writeln!(
        out,
        "- Emulator: `{}`, provisioning delay 0, state file in `{}`",
        mock.display(),
        std::env::temp_dir().display()
    );
    let _ = writeln!(
        out,
        "- {} clusters created first, then {} sequential `POST /v2/databases` timed, one client, one keep-alive connection",
        options.stored, options.creates
    );
    let fsync: Vec<String> = fsync
        .iter()
        .map(|median| format!("{:.2} ms", millis(*median)))
        .collect();
    let _ = writeln!(
        out,
        "- fdatasync after a 1 KiB append there (median of 200, before and after the state-file run): {}",
        fsync.join(" / ")
    );
    let _ = writeln!(
        out,
        "- {} CPUs; the figures move with the disk's fsync latency and the machine's load\n",
        thread::available_parallelism().map_or(1, |n| n.get())
    );
    let _ = writeln!(
        out,
        "| state file | creates/s filling 0 → {} | creates/s at {} stored | median | p90 | files after | restart after SIGKILL |",
        options.stored, options.stored
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---|");
    for run in runs {
        let latency = Summary::of(&run.creates);
        let files = run
            .files_bytes
            .map_or("-".to_string(), |bytes| format!("{:.1} MiB", mib(bytes)));
        let restart = match run.restart {
            Some((startup, clusters)) => format!(
                "{clusters} of {} clusters back, listening after {} ms",
                options.stored + options.creates,
                startup.as_millis()
            ),
            None => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.0} | {:.2} ms | {:.2} ms | {files} | {restart} |",
            if run.state_file { "yes" } else { "no" },
            run.fill_rate,
            run.rate(),
            millis(latency.median),
            millis(latency.p90),
        );
    }
    out
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The emulator to measure: `--mock`, else the `dbaas-mock` next to this program.
pub fn mock_binary(options: &PersistenceOptions, release_dir: &Path) -> Result<PathBuf> {
    let mock = options
        .mock
        .clone()
        .unwrap_or_else(|| release_dir.join(crate::MOCK_BINARY));
    if !mock.is_file() {
        bail!(
            "{} is missing; build it with `cargo build --release --bin dbaas-mock` or pass --mock",
            mock.display()
        );
    }
    Ok(mock)
}
