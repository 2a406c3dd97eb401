//! `dbaas-bench real-engines`: how long a cluster of `dbaas-mock --real-engines` takes from
//! its create request to `online` (its real server accepting connections with the cluster's
//! users and databases), per engine, over repeated creates and deletes.
//!
//! The first cluster of an engine in a run also makes the engine's template (`initdb`,
//! `mariadb-install-db`), so it is reported apart from the others.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};

use crate::stats::Summary;

pub const USAGE: &str = "\
usage: dbaas-bench real-engines [--runs N]

Starts target/release/dbaas-mock --real-engines (the Debian packages must be installed:
./scripts/mock.sh --real-engines installs them) and, per engine (pg, mysql, valkey), creates
and deletes N+1 clusters one after another (default N = 10), timing create → online by
polling GET /v2/databases/{id} every 10 ms. Prints a Markdown table; asserts nothing.";

const TOKEN: &str = "bench-real-engines";
const POLL: Duration = Duration::from_millis(10);
const LIMIT: Duration = Duration::from_secs(120);

/// Parses `--runs N`; `None` for `--help`.
pub fn parse(args: impl Iterator<Item = String>) -> Result<Option<usize>, String> {
    let mut runs = 10;
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--runs" => {
                let value = args.next().ok_or("--runs needs a value")?;
                runs = value
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .ok_or_else(|| format!("--runs: {value:?} is not a positive number"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(runs))
}

/// The emulator, stopped with SIGTERM (so that it stops its servers) when dropped.
struct RealMock {
    child: Child,
    url: String,
}

impl Drop for RealMock {
    fn drop(&mut self) {
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child, which has not been waited for.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let _ = self.child.wait();
    }
}

fn start(binary: &std::path::Path) -> Result<RealMock> {
    let mut child = Command::new(binary)
        .args(["--port", "0", "--token", TOKEN, "--real-engines"])
        .args(["--provision-delay-ms", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = tx.send(reader.read_line(&mut line).map(|_| line));
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    let mut mock = RealMock {
        child,
        url: String::new(),
    };
    let line = rx
        .recv_timeout(LIMIT)
        .map_err(|_| anyhow!("dbaas-mock --real-engines did not announce its address"))?
        .context("cannot read dbaas-mock's stdout")?;
    mock.url = line
        .trim_end()
        .strip_prefix("dbaas-mock listening on ")
        .ok_or_else(|| anyhow!("unexpected first line from dbaas-mock: {line:?}"))?
        .to_string();
    Ok(mock)
}

fn call(
    http: &reqwest::blocking::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut request = http.request(method.clone(), url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().with_context(|| format!("{method} {url}"))?;
    let status = response.status();
    let text = response.text().unwrap_or_default();
    if !status.is_success() {
        bail!("{method} {url} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Create → online of one cluster, then its delete.
fn one(
    http: &reqwest::blocking::Client,
    url: &str,
    engine: &str,
    version: &str,
    n: usize,
) -> Result<Duration> {
    let began = Instant::now();
    let created = call(
        http,
        reqwest::Method::POST,
        &format!("{url}/v2/databases"),
        Some(
            json!({"name": format!("bench-{engine}-{n}"), "engine": engine, "version": version,
                    "size": "db-s-1vcpu-1gb", "region": "nyc1", "num_nodes": 1}),
        ),
    )?;
    let id = created["database"]["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no id in the create answer"))?
        .to_string();
    let cluster = format!("{url}/v2/databases/{id}");
    let took = loop {
        let read = call(http, reqwest::Method::GET, &cluster, None)?;
        if read["database"]["status"] == "online" {
            break began.elapsed();
        }
        if began.elapsed() > LIMIT {
            bail!("the {engine} cluster was not online after {LIMIT:?}");
        }
        thread::sleep(POLL);
    };
    call(http, reqwest::Method::DELETE, &cluster, None)?;
    Ok(took)
}

pub fn run(runs: usize, mock_binary: &std::path::Path) -> Result<()> {
    let mock = start(mock_binary)?;
    let http = reqwest::blocking::Client::builder()
        .timeout(LIMIT)
        .build()
        .context("cannot build the HTTP client")?;
    let mut report = String::from(
        "| engine (server) | first cluster (makes the template) | median | p90 | min | max | runs |\n|---|---|---|---|---|---|---|\n",
    );
    for (engine, version, server) in [
        ("pg", "16", "PostgreSQL 15"),
        ("mysql", "8", "MariaDB 10.11"),
        ("valkey", "8", "Redis 7"),
    ] {
        crate::log(format!("{engine}: {} creates", runs + 1));
        let first = one(&http, &mock.url, engine, version, 0)?;
        let mut samples = Vec::with_capacity(runs);
        for n in 1..=runs {
            samples.push(one(&http, &mock.url, engine, version, n)?);
        }
        let summary = Summary::of(&samples);
        let ms = |d: Duration| format!("{} ms", d.as_millis());
        report.push_str(&format!(
            "| {engine} ({server}) | {} | {} | {} | {} | {} | {} |\n",
            ms(first),
            ms(summary.median),
            ms(summary.p90),
            ms(summary.min),
            ms(summary.max),
            summary.runs
        ));
    }
    drop(mock);
    println!("{report}");
    Ok(())
}
