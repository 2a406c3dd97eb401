//! `dbaas-bench`: measures the release provider on this machine and writes a Markdown report.
//!
//! ```text
//! ./scripts/bench.sh                       # builds --release, runs this, prints the report
//! target/release/dbaas-bench --counts 10,100 --provision-delay-ms 500 --startup-runs 10
//! ```
//!
//! What it measures (see `USAGE`):
//!
//! 1. Start-up: the time from spawning `terraform-provider-dbaas` with the go-plugin
//!    environment until its handshake line (`1|6|tcp|127.0.0.1:port|grpc|cert`) is on stdout.
//! 2. Binary size of the release provider, and stripped when `strip` is on `PATH`.
//! 3. Terraform plan / apply / plan (refresh) / destroy of N `dbaas_database_cluster` (one
//!    resource with `count`) against `dbaas-mock` with a fixed provisioning delay: wall time,
//!    the API requests the emulator logged, split by kind (list calls versus reads by id show
//!    how much the shared cluster-list watch of `dbaas::api::wait` saves), and the provider's
//!    peak resident memory.
//!
//! Peak memory is measured by this same binary in its wrapper mode: the benchmark copies itself
//! into the `dev_overrides` directory as `terraform-provider-dbaas`, Terraform starts that copy,
//! and the copy runs the real provider as a child with inherited stdio while sampling the
//! child's `VmHWM` (the kernel's high-water mark of its RSS) from `/proc`. The high-water mark
//! only grows, so sampling loses nothing but the last few milliseconds before exit.
//!
//! Nothing here asserts a timing: the numbers are reported, never judged.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use reqwest::blocking::Client as HttpClient;
use serde::Deserialize;

const USAGE: &str = "usage: dbaas-bench [options]

Measures the release provider next to this binary (start-up to handshake, binary size) and
drives Terraform against dbaas-mock (plan, apply, refresh plan and destroy of N clusters),
then writes a Markdown report to --out and prints it.

  --counts LIST             cluster counts to run, comma-separated (default 10,100,300)
  --provision-delay-ms MS   the emulator's creating -> online delay (default 2000)
  --startup-runs N          provider start-ups to time (default 20, after one warm-up)
  --terraform PATH          Terraform CLI (default: $TERRAFORM_BIN, else terraform on PATH)
  --out FILE                where to write the report (default target/bench/results.md)
  --command-limit-secs S    kill a Terraform command that runs longer (default 1800)
  -h, --help                this text";

const PROVIDER_BINARY: &str = "terraform-provider-dbaas";
const MOCK_BINARY: &str = "dbaas-mock";

/// The wrapper mode's inputs, set by the benchmark on every Terraform command it runs.
const WRAPPER_REAL_PROVIDER_ENV: &str = "DBAAS_BENCH_REAL_PROVIDER";
const WRAPPER_RECORD_DIR_ENV: &str = "DBAAS_BENCH_RSS_DIR";
/// How often the wrapper samples its child's high-water mark.
const WRAPPER_SAMPLE_INTERVAL: Duration = Duration::from_millis(10);

/// What Terraform (through go-plugin) gives a plugin it launches. The cookie is Terraform's
/// fixed handshake value; 10000-25000 is go-plugin's default port range.
const PLUGIN_ENV: [(&str, &str); 4] = [
    (
        "TF_PLUGIN_MAGIC_COOKIE",
        "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    ),
    ("PLUGIN_PROTOCOL_VERSIONS", "6"),
    ("PLUGIN_MIN_PORT", "10000"),
    ("PLUGIN_MAX_PORT", "25000"),
];
/// Terraform always runs plugins with automatic mutual TLS: it passes its client certificate
/// here, and the provider generates a server key and certificate before it can answer.
const PLUGIN_CLIENT_CERT_ENV: &str = "PLUGIN_CLIENT_CERT";
/// How long one provider start-up may take before the benchmark gives up on it.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);
/// How long the emulator may take to announce its address.
const MOCK_STARTUP_LIMIT: Duration = Duration::from_secs(60);
const MOCK_LISTENING_PREFIX: &str = "dbaas-mock listening on ";

/// Inherited variables that would change what Terraform or the provider does (CLI argument
/// injection, logging, other credentials or endpoints), or that a global setup points at its
/// own CLI configuration. The benchmark sets the few it needs itself.
const SCRUBBED_PREFIXES: [&str; 4] = ["TF_", "DIGITALOCEAN_", "DBAAS_", "PLUGIN_"];

fn main() -> ExitCode {
    if invoked_as_provider() {
        return run_wrapper();
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

#[derive(Debug)]
struct Options {
    counts: Vec<usize>,
    provision_delay_ms: u64,
    startup_runs: usize,
    terraform: Option<PathBuf>,
    out: PathBuf,
    command_limit: Duration,
}

impl Options {
    /// `Ok(None)` means help was asked for.
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
        let mut options = Options {
            counts: vec![10, 100, 300],
            provision_delay_ms: 2000,
            startup_runs: 20,
            terraform: None,
            out: PathBuf::from("target/bench/results.md"),
            command_limit: Duration::from_secs(1800),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(None);
            }
            let value = match inline {
                Some(value) => value.to_string(),
                None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--counts" => {
                    options.counts = value
                        .split(',')
                        .map(|count| parse_positive(&flag, count.trim()))
                        .collect::<Result<_, _>>()?;
                }
                "--provision-delay-ms" => {
                    options.provision_delay_ms = value.parse().map_err(|_| {
                        format!("{flag}: {value:?} is not a number of milliseconds")
                    })?;
                }
                "--startup-runs" => options.startup_runs = parse_positive(&flag, &value)?,
                "--terraform" => options.terraform = Some(PathBuf::from(value)),
                "--out" => options.out = PathBuf::from(value),
                "--command-limit-secs" => {
                    options.command_limit =
                        Duration::from_secs(parse_positive(&flag, &value)? as u64);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Some(options))
    }
}

fn parse_positive(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(format!("{flag}: {value:?} is not a positive whole number")),
    }
}

fn log(message: impl AsRef<str>) {
    eprintln!("==> {}", message.as_ref());
}

// ---------------------------------------------------------------------------------------------
// The whole run
// ---------------------------------------------------------------------------------------------

fn run(options: &Options) -> Result<()> {
    let release_dir = std::env::current_exe()
        .context("cannot find this program's own path")?
        .parent()
        .ok_or_else(|| anyhow!("this program's path has no directory"))?
        .to_path_buf();
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

    let sizes = BinarySizes::measure(&provider, work.path())?;

    let client_cert = generate_client_certificate();
    let startup_mtls = match &client_cert {
        Some(cert) => {
            log(format!(
                "provider start-up, {} runs, with a client certificate (as Terraform starts it)",
                options.startup_runs
            ));
            Some(Summary::of(&measure_startup(
                &provider,
                options.startup_runs,
                Some(cert),
            )?))
        }
        None => {
            log("openssl not found: start-up with a client certificate is not measured");
            None
        }
    };
    log(format!(
        "provider start-up, {} runs, without a client certificate",
        options.startup_runs
    ));
    let startup_plain = Summary::of(&measure_startup(&provider, options.startup_runs, None)?);

    let token = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let emulator = Emulator::start(&mock, &token, options.provision_delay_ms, work.path())?;
    log(format!(
        "dbaas-mock listening on {} (provisioning delay {} ms)",
        emulator.url, options.provision_delay_ms
    ));
    let bench = TerraformBench::prepare(
        &terraform,
        &provider,
        &emulator,
        &token,
        work.path(),
        options.command_limit,
    )?;
    let mut phases = Vec::new();
    for &count in &options.counts {
        phases.extend(bench.run_count(count)?);
    }
    drop(emulator);

    let report = Report {
        machine,
        provision_delay_ms: options.provision_delay_ms,
        startup_runs: options.startup_runs,
        startup_mtls,
        startup_plain,
        sizes,
        phases,
    };
    let markdown = report.render();
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

/// A private temporary directory, removed with everything in it when dropped. It holds
/// Terraform state, which has the (emulated) clusters' passwords.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> Result<WorkDir> {
        let path = std::env::temp_dir().join(format!(
            "dbaas-bench-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(WorkDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_dir_all(&self.0) {
            eprintln!("dbaas-bench: cannot remove {}: {error}", self.0.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

struct Machine {
    cpus: usize,
    cpu_model: Option<String>,
    kernel: Option<String>,
    terraform_version: String,
    rustc_version: Option<String>,
    commit: Option<String>,
    date: String,
}

impl Machine {
    fn describe(terraform: &Path) -> Machine {
        let cpu_model = fs::read_to_string("/proc/cpuinfo").ok().and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        });
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|release| format!("Linux {}", release.trim()));
        let terraform_version = command_stdout(terraform, &["version", "-json"])
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .and_then(|json| json["terraform_version"].as_str().map(str::to_string))
            .unwrap_or_else(|| "(unknown version)".to_string());
        let commit = command_stdout(
            Path::new("git"),
            &[
                "-C",
                env!("CARGO_MANIFEST_DIR"),
                "rev-parse",
                "--short",
                "HEAD",
            ],
        )
        .map(|sha| {
            let dirty = command_stdout(
                Path::new("git"),
                &["-C", env!("CARGO_MANIFEST_DIR"), "status", "--porcelain"],
            )
            .is_some_and(|status| !status.trim().is_empty());
            let sha = sha.trim().to_string();
            if dirty {
                format!("{sha} + uncommitted changes")
            } else {
                sha
            }
        });
        let date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_else(|_| "(unknown date)".to_string());
        Machine {
            cpus: thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel,
            terraform_version,
            rustc_version: command_stdout(Path::new("rustc"), &["--version"])
                .map(|version| version.trim().to_string()),
            commit,
            date,
        }
    }
}

/// The standard output of a command that succeeded, `None` otherwise.
fn command_stdout(program: &Path, args: &[&str]) -> Option<String> {
    let output = scrubbed_command(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A command without the inherited variables of [`SCRUBBED_PREFIXES`].
fn scrubbed_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let scrubbed = name
            .to_str()
            .is_some_and(|name| SCRUBBED_PREFIXES.iter().any(|p| name.starts_with(p)));
        if scrubbed {
            command.env_remove(&name);
        }
    }
    command
}

// ---------------------------------------------------------------------------------------------
// Binary size
// ---------------------------------------------------------------------------------------------

struct BinarySizes {
    release: u64,
    /// `None` when `strip` is not available.
    stripped: Option<u64>,
}

impl BinarySizes {
    fn measure(provider: &Path, work: &Path) -> Result<BinarySizes> {
        let release = fs::metadata(provider)
            .with_context(|| format!("cannot read {}", provider.display()))?
            .len();
        let copy = work.join("provider-stripped");
        fs::copy(provider, &copy).context("cannot copy the provider binary to strip it")?;
        let stripped = command_stdout(Path::new("strip"), &[&copy.to_string_lossy()])
            .and_then(|_| fs::metadata(&copy).ok())
            .map(|metadata| metadata.len());
        fs::remove_file(&copy).context("cannot remove the stripped copy")?;
        Ok(BinarySizes { release, stripped })
    }
}

// ---------------------------------------------------------------------------------------------
// Start-up to handshake
// ---------------------------------------------------------------------------------------------

/// A throwaway client certificate like the one Terraform passes (go-plugin makes an ECDSA
/// P-521 one), from `openssl` when it is installed. It is public data; its key is discarded.
fn generate_client_certificate() -> Option<String> {
    let pem = command_stdout(
        Path::new("openssl"),
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:secp521r1",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=localhost",
            "-days",
            "1",
        ],
    )?;
    pem.contains("BEGIN CERTIFICATE").then_some(pem)
}

/// Times `runs` start-ups after one untimed warm-up (which pays for the page cache).
fn measure_startup(
    provider: &Path,
    runs: usize,
    client_cert: Option<&str>,
) -> Result<Vec<Duration>> {
    start_until_handshake(provider, client_cert)?;
    (0..runs)
        .map(|_| start_until_handshake(provider, client_cert))
        .collect()
}

/// Spawns the provider as Terraform would and returns the time until its handshake line.
fn start_until_handshake(provider: &Path, client_cert: Option<&str>) -> Result<Duration> {
    let mut command = scrubbed_command(provider);
    command
        .envs(PLUGIN_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(cert) = client_cert {
        command.env(PLUGIN_CLIENT_CERT_ENV, cert);
    }
    let started = Instant::now();
    let mut child = ChildGuard(
        command
            .spawn()
            .with_context(|| format!("cannot start {}", provider.display()))?,
    );
    let stdout = child.0.stdout.take().expect("stdout is piped");
    let (line_tx, line_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = line_tx.send((read, Instant::now()));
    });
    let (line, at) = match line_rx.recv_timeout(STARTUP_LIMIT) {
        Ok((Ok(line), at)) => (line, at),
        Ok((Err(error), _)) => bail!("cannot read the provider's stdout: {error}"),
        Err(_) => bail!(
            "the provider printed no handshake within {}s",
            STARTUP_LIMIT.as_secs()
        ),
    };
    let elapsed = at - started;
    if !is_handshake(&line) {
        // Only the fields before the certificate: the point is the shape, not the bytes.
        let shape: Vec<&str> = line.trim_end().splitn(6, '|').take(5).collect();
        bail!(
            "the provider's first line is not a plugin handshake: {:?}",
            shape.join("|")
        );
    }
    Ok(elapsed)
}

/// `CORE-VERSION|APP-VERSION|NETWORK|ADDRESS|PROTOCOL[|CERT]` with protocol 6 over tcp/unix.
fn is_handshake(line: &str) -> bool {
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    fields.len() >= 5
        && fields[0] == "1"
        && fields[1] == "6"
        && matches!(fields[2], "tcp" | "unix")
        && fields[4] == "grpc"
}

/// Kills and reaps a child this program started when it goes out of scope.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Median, 90th percentile (nearest rank), minimum and maximum.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Summary {
    runs: usize,
    median: Duration,
    p90: Duration,
    min: Duration,
    max: Duration,
}

impl Summary {
    fn of(samples: &[Duration]) -> Summary {
        let mut sorted = samples.to_vec();
        sorted.sort();
        let n = sorted.len();
        assert!(n > 0, "a summary needs at least one sample");
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        };
        let p90_rank = (n * 9).div_ceil(10).max(1);
        Summary {
            runs: n,
            median,
            p90: sorted[p90_rank - 1],
            min: sorted[0],
            max: sorted[n - 1],
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------------------------

/// A `dbaas-mock` process, killed when dropped.
struct Emulator {
    /// Held for its `Drop`: the emulator lives exactly as long as this value.
    _process: ChildGuard,
    url: String,
    http: HttpClient,
}

/// One `/v2` request from `GET /_mock/requests`.
#[derive(Debug, Deserialize)]
struct LoggedRequest {
    method: String,
    path: String,
    status: Option<u16>,
}

#[derive(Debug, Deserialize)]
struct RequestLog {
    requests: Vec<LoggedRequest>,
}

impl Emulator {
    fn start(binary: &Path, token: &str, provision_delay_ms: u64, work: &Path) -> Result<Emulator> {
        let stderr_path = work.join("dbaas-mock.stderr");
        let stderr = fs::File::create(&stderr_path).context("cannot create the emulator's log")?;
        let mut child = ChildGuard(
            scrubbed_command(binary)
                .args(["--port", "0", "--token", token])
                .args(["--provision-delay-ms", &provision_delay_ms.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(stderr)
                .spawn()
                .with_context(|| format!("cannot start {}", binary.display()))?,
        );
        let stdout = child.0.stdout.take().expect("stdout is piped");
        let (line_tx, line_rx) = mpsc::channel();
        // The emulator may write more later; its stdout is drained for its whole life so that
        // it never blocks on a full pipe.
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = line_tx.send(reader.read_line(&mut line).map(|_| line));
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = match line_rx.recv_timeout(MOCK_STARTUP_LIMIT) {
            Ok(Ok(line)) => line,
            Ok(Err(error)) => bail!("cannot read dbaas-mock's stdout: {error}"),
            Err(_) => bail!(
                "dbaas-mock did not announce its address; its log:\n{}",
                tail(&stderr_path)
            ),
        };
        let url = match line.trim_end().strip_prefix(MOCK_LISTENING_PREFIX) {
            Some(url) if url.starts_with("http://127.0.0.1:") => url.to_string(),
            _ => bail!(
                "unexpected first line from dbaas-mock: {line:?}; its log:\n{}",
                tail(&stderr_path)
            ),
        };
        let http = HttpClient::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .context("cannot build the HTTP client for /_mock")?;
        Ok(Emulator {
            _process: child,
            url,
            http,
        })
    }

    fn control(&self, method: reqwest::Method, path: &str) -> Result<reqwest::blocking::Response> {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .send()
            .with_context(|| format!("{method} {path}"))?;
        if !response.status().is_success() {
            bail!("{method} {path} answered {}", response.status());
        }
        Ok(response)
    }

    fn reset(&self) -> Result<()> {
        self.control(reqwest::Method::POST, "/_mock/reset")
            .map(drop)
    }

    fn clear_requests(&self) -> Result<()> {
        self.control(reqwest::Method::DELETE, "/_mock/requests")
            .map(drop)
    }

    fn requests(&self) -> Result<Vec<LoggedRequest>> {
        let log: RequestLog = self
            .control(reqwest::Method::GET, "/_mock/requests")?
            .json()
            .context("GET /_mock/requests: unexpected body")?;
        Ok(log.requests)
    }
}

/// What a request did, for the breakdown table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum RequestKind {
    Create,
    List,
    GetById,
    /// A read below one cluster, e.g. `GET /v2/databases/{id}/autoscale`.
    GetChild,
    Delete,
    Other,
}

impl RequestKind {
    fn of(method: &str, path: &str) -> RequestKind {
        let Some(rest) = path.strip_prefix("/v2/databases") else {
            return RequestKind::Other;
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (method, segments.as_slice()) {
            ("POST", []) => RequestKind::Create,
            ("GET", []) => RequestKind::List,
            // `/v2/databases/options` is the catalogue, not a cluster.
            ("GET", [id]) if *id != "options" => RequestKind::GetById,
            ("GET", [id, _, ..]) if *id != "options" => RequestKind::GetChild,
            ("DELETE", [_]) => RequestKind::Delete,
            _ => RequestKind::Other,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct RequestCounts {
    total: usize,
    by_kind: BTreeMap<RequestKind, usize>,
    /// Answers outside 2xx (404 while waiting for a delete, 429 rate limits, errors) and
    /// connections dropped before an answer.
    not_2xx: usize,
}

impl RequestCounts {
    fn of(requests: &[LoggedRequest]) -> RequestCounts {
        let mut counts = RequestCounts {
            total: requests.len(),
            ..RequestCounts::default()
        };
        for request in requests {
            *counts
                .by_kind
                .entry(RequestKind::of(&request.method, &request.path))
                .or_default() += 1;
            if !request.status.is_some_and(|s| (200..300).contains(&s)) {
                counts.not_2xx += 1;
            }
        }
        counts
    }

    fn kind(&self, kind: RequestKind) -> usize {
        self.by_kind.get(&kind).copied().unwrap_or(0)
    }
}

// ---------------------------------------------------------------------------------------------
// Terraform phases
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Plan,
    Apply,
    Refresh,
    Destroy,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Plan, Phase::Apply, Phase::Refresh, Phase::Destroy];

    fn label(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Apply => "apply",
            Phase::Refresh => "plan (no changes)",
            Phase::Destroy => "destroy",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            // The saved plan makes `apply` measure the apply alone, not a second plan.
            Phase::Plan => &["plan", "-input=false", "-no-color", "-out=bench.tfplan"],
            Phase::Apply => &["apply", "-input=false", "-no-color", "bench.tfplan"],
            Phase::Refresh => &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            Phase::Destroy => &["destroy", "-input=false", "-no-color", "-auto-approve"],
        }
    }

    /// `terraform plan -detailed-exitcode` exits 2 when the plan has changes.
    fn accepts(self, code: i32) -> bool {
        code == 0 || (self == Phase::Refresh && code == 2)
    }
}

struct PhaseResult {
    clusters: usize,
    phase: Phase,
    wall: Duration,
    requests: RequestCounts,
    /// Highest `VmHWM` of the provider processes Terraform started, in KiB.
    peak_rss_kib: Option<u64>,
    provider_processes: usize,
    /// Provider processes that ended without reporting their memory (killed by Terraform).
    unreported_processes: usize,
    /// For the refresh plan: whether it proposed changes (it should not).
    plan_not_empty: bool,
}

struct TerraformBench<'a> {
    terraform: &'a Path,
    emulator: &'a Emulator,
    work: &'a Path,
    env: Vec<(&'static str, OsString)>,
    command_limit: Duration,
}

impl<'a> TerraformBench<'a> {
    /// Writes the CLI configuration that points Terraform at the wrapper copy of this binary.
    fn prepare(
        terraform: &'a Path,
        provider: &Path,
        emulator: &'a Emulator,
        token: &str,
        work: &'a Path,
        command_limit: Duration,
    ) -> Result<TerraformBench<'a>> {
        let overrides = work.join("overrides");
        fs::create_dir(&overrides)?;
        let wrapper = overrides.join(PROVIDER_BINARY);
        let this = std::env::current_exe().context("cannot find this program's own path")?;
        fs::copy(&this, &wrapper)
            .with_context(|| format!("cannot copy {} to {}", this.display(), wrapper.display()))?;
        let cli_config = work.join("cli.tfrc");
        fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/dbaas/dbaas\" = {}\n  }}\n  direct {{}}\n}}\n",
                hcl_string(&overrides.to_string_lossy())
            ),
        )?;
        let env = vec![
            ("TF_CLI_CONFIG_FILE", cli_config.into_os_string()),
            ("TF_IN_AUTOMATION", "1".into()),
            ("TF_INPUT", "0".into()),
            ("CHECKPOINT_DISABLE", "1".into()),
            // Through the environment rather than -var: the token stays out of process lists.
            ("DBAAS_TOKEN", token.into()),
            ("DBAAS_API_URL", emulator.url.clone().into()),
            (WRAPPER_REAL_PROVIDER_ENV, provider.as_os_str().to_owned()),
        ];
        Ok(TerraformBench {
            terraform,
            emulator,
            work,
            env,
            command_limit,
        })
    }

    fn run_count(&self, clusters: usize) -> Result<Vec<PhaseResult>> {
        let dir = self.work.join(format!("clusters-{clusters}"));
        fs::create_dir(&dir)?;
        fs::write(dir.join("main.tf"), cluster_configuration(clusters))?;
        self.emulator.reset()?;
        Phase::ALL
            .iter()
            .map(|&phase| {
                log(format!("{clusters} clusters: terraform {}", phase.label()));
                let result = self.run_phase(&dir, clusters, phase)?;
                log(format!(
                    "{clusters} clusters: {} took {:.2} s, {} API requests",
                    phase.label(),
                    result.wall.as_secs_f64(),
                    result.requests.total
                ));
                Ok(result)
            })
            .collect()
    }

    fn run_phase(&self, dir: &Path, clusters: usize, phase: Phase) -> Result<PhaseResult> {
        let record_dir = dir.join(format!("rss-{}", phase.label().replace(' ', "-")));
        fs::create_dir(&record_dir)?;
        let stdout_path = record_dir.join("terraform.stdout");
        let stderr_path = record_dir.join("terraform.stderr");
        self.emulator.clear_requests()?;

        let mut command = scrubbed_command(self.terraform);
        command
            .current_dir(dir)
            .args(phase.args())
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .env(WRAPPER_RECORD_DIR_ENV, &record_dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout_path)?)
            .stderr(fs::File::create(&stderr_path)?);
        let started = Instant::now();
        let mut child = ChildGuard(
            command
                .spawn()
                .with_context(|| format!("cannot start {}", self.terraform.display()))?,
        );
        let (status, wall) = wait_with_limit(&mut child.0, started, self.command_limit)?;
        let code = status.code().unwrap_or(-1);
        if !phase.accepts(code) {
            bail!(
                "terraform {} for {clusters} clusters failed ({status}):\n{}\n{}",
                phase.label(),
                tail(&stdout_path),
                tail(&stderr_path)
            );
        }
        let requests = RequestCounts::of(&self.emulator.requests()?);
        let memory = WrapperRecords::read(&record_dir)?;
        Ok(PhaseResult {
            clusters,
            phase,
            wall,
            requests,
            peak_rss_kib: memory.peak_kib,
            provider_processes: memory.started,
            unreported_processes: memory.started - memory.reported,
            plan_not_empty: phase == Phase::Refresh && code == 2,
        })
    }
}

/// Waits for `child`, killing it past `limit`. The wall time ends when the exit is seen; the
/// few milliseconds of polling granularity are far below what the phases take.
fn wait_with_limit(
    child: &mut Child,
    started: Instant,
    limit: Duration,
) -> Result<(ExitStatus, Duration)> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, started.elapsed()));
        }
        if started.elapsed() > limit {
            bail!(
                "terraform ran longer than {}s (--command-limit-secs); stopped",
                limit.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn cluster_configuration(clusters: usize) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    dbaas = {{
      source = "dbaas/dbaas"
    }}
  }}
}}

# Token and endpoint come from DBAAS_TOKEN and DBAAS_API_URL; every other setting is the default.
provider "dbaas" {{}}

resource "dbaas_database_cluster" "bench" {{
  count      = {clusters}
  name       = "bench-${{count.index}}"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}}
"#
    )
}

/// A string as an HCL literal (JSON escaping is valid HCL).
fn hcl_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}

/// The last lines of a file, for error messages. Terraform's human output masks sensitive
/// values, and the emulator prints no secrets.
fn tail(path: &Path) -> String {
    const LINES: usize = 40;
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}

// ---------------------------------------------------------------------------------------------
// Wrapper mode: Terraform starts this binary as the provider
// ---------------------------------------------------------------------------------------------

fn invoked_as_provider() -> bool {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|argv0| argv0.file_name().map(|name| name == PROVIDER_BINARY))
        .unwrap_or(false)
}

/// Runs the real provider with this process's arguments and stdio (so Terraform reads its
/// handshake and talks to it directly), records the child's peak RSS, and exits as it did.
fn run_wrapper() -> ExitCode {
    let (Some(real), Some(record_dir)) = (
        std::env::var_os(WRAPPER_REAL_PROVIDER_ENV),
        std::env::var_os(WRAPPER_RECORD_DIR_ENV),
    ) else {
        eprintln!(
            "dbaas-bench: started as {PROVIDER_BINARY} without {WRAPPER_REAL_PROVIDER_ENV} and \
             {WRAPPER_RECORD_DIR_ENV}; this copy is only meant to be started by the benchmark"
        );
        return ExitCode::FAILURE;
    };
    let record_dir = PathBuf::from(record_dir);
    let me = std::process::id();
    let mut child = match Command::new(&real)
        .args(std::env::args_os().skip(1))
        .env_remove(WRAPPER_REAL_PROVIDER_ENV)
        .env_remove(WRAPPER_RECORD_DIR_ENV)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            eprintln!(
                "dbaas-bench: cannot start {}: {error}",
                Path::new(&real).display()
            );
            return ExitCode::FAILURE;
        }
    };
    // Written first, so that a wrapper killed before it can report is noticed, not ignored.
    record(&record_dir, &format!("{me}.started"), child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => thread::sleep(WRAPPER_SAMPLE_INTERVAL),
            Err(error) => {
                eprintln!("dbaas-bench: cannot wait for the provider: {error}");
                return ExitCode::FAILURE;
            }
        }
    };
    if peak_kib > 0 {
        record(&record_dir, &format!("{me}.peak-kib"), peak_kib);
    }
    exit_code_of(status)
}

fn record(dir: &Path, name: &str, value: impl std::fmt::Display) {
    if let Err(error) = fs::write(dir.join(name), format!("{value}\n")) {
        eprintln!("dbaas-bench: cannot record {name}: {error}");
    }
}

/// The `VmHWM` line of `/proc/<pid>/status` in KiB; `None` once the process has exited.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_hwm_kib(&status)
}

fn parse_vm_hwm_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse().ok())
}

/// The wrapper exits like its child; a signal becomes 128 + its number, as in a shell.
fn exit_code_of(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(1)),
        (None, None) => ExitCode::FAILURE,
    }
}

/// What the wrappers of one phase wrote.
struct WrapperRecords {
    started: usize,
    reported: usize,
    peak_kib: Option<u64>,
}

impl WrapperRecords {
    fn read(dir: &Path) -> Result<WrapperRecords> {
        let mut records = WrapperRecords {
            started: 0,
            reported: 0,
            peak_kib: None,
        };
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            match path.extension().and_then(OsStr::to_str) {
                Some("started") => records.started += 1,
                Some("peak-kib") => {
                    let mut text = String::new();
                    fs::File::open(&path)?.read_to_string(&mut text)?;
                    let kib: u64 = text
                        .trim()
                        .parse()
                        .with_context(|| format!("{} holds {text:?}", path.display()))?;
                    records.reported += 1;
                    records.peak_kib = Some(records.peak_kib.map_or(kib, |peak| peak.max(kib)));
                }
                _ => {}
            }
        }
        Ok(records)
    }
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

struct Report {
    machine: Machine,
    provision_delay_ms: u64,
    startup_runs: usize,
    startup_mtls: Option<Summary>,
    startup_plain: Summary,
    sizes: BinarySizes,
    phases: Vec<PhaseResult>,
}

impl Report {
    fn render(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(out, "## Benchmark results\n");
        let mut machine = format!("{} CPUs", m.cpus);
        if let Some(model) = &m.cpu_model {
            let _ = write!(machine, " ({model})");
        }
        if let Some(kernel) = &m.kernel {
            let _ = write!(machine, ", {kernel}");
        }
        let _ = writeln!(out, "- Machine: {machine}");
        let _ = writeln!(out, "- Terraform {}", m.terraform_version);
        if let Some(rustc) = &m.rustc_version {
            let _ = writeln!(out, "- Built with {rustc}, `--release`");
        }
        if let Some(commit) = &m.commit {
            let _ = writeln!(out, "- Commit: {commit}");
        }
        let _ = writeln!(out, "- Date: {}", m.date);
        let mut counts: Vec<String> = Vec::new();
        for result in &self.phases {
            let count = result.clusters.to_string();
            if counts.last() != Some(&count) {
                counts.push(count);
            }
        }
        let _ = writeln!(
            out,
            "- Command: `./scripts/bench.sh` (dbaas-bench `--counts {} --provision-delay-ms {} \
             --startup-runs {}`)\n",
            counts.join(","),
            self.provision_delay_ms,
            self.startup_runs
        );

        let _ = writeln!(out, "### Provider binary and start-up\n");
        let mut size = format!(
            "- Release binary: {} ({} bytes)",
            mib(self.sizes.release),
            self.sizes.release
        );
        match self.sizes.stripped {
            Some(stripped) => {
                let _ = write!(size, "; stripped: {} ({stripped} bytes)", mib(stripped));
            }
            None => size.push_str("; stripped: not measured (`strip` not found)"),
        }
        let _ = writeln!(out, "{size}");
        match &self.startup_mtls {
            Some(summary) => {
                let _ = writeln!(
                    out,
                    "- Start-up to plugin handshake, as Terraform starts it (auto-mTLS client \
                     certificate): {}",
                    describe(summary)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "- Start-up to plugin handshake with a client certificate: not measured \
                     (`openssl` not found)"
                );
            }
        }
        let _ = writeln!(
            out,
            "- Start-up to plugin handshake without a client certificate (plain gRPC): {}",
            describe(&self.startup_plain)
        );
        let _ = writeln!(
            out,
            "  ({} timed runs each, after one warm-up; spawn until the `1|6|tcp|…` line is read)",
            self.startup_runs
        );
        if let Some(largest_apply) = self
            .phases
            .iter()
            .filter(|result| result.phase == Phase::Apply)
            .max_by_key(|result| result.clusters)
        {
            let _ =
                writeln!(
                out,
                "- Provider peak RSS during the apply of {} clusters: {} (highest VmHWM of the {} \
                 provider processes Terraform started)",
                largest_apply.clusters,
                largest_apply.peak_rss_kib.map_or("not measured".into(), kib),
                largest_apply.provider_processes
            );
        }

        let _ = writeln!(out, "\n### Terraform with N clusters\n");
        let _ = writeln!(
            out,
            "One `dbaas_database_cluster` with `count = N` (pg, 1 node) against `dbaas-mock` on \
             127.0.0.1 with a provisioning delay of {} ms; Terraform's default parallelism (10); \
             provider settings at their defaults. `plan` writes a plan file that `apply` applies; \
             `plan (no changes)` is the refresh plan after the apply. One run each.\n",
            self.provision_delay_ms
        );
        let _ = writeln!(
            out,
            "| clusters | phase | wall time | API requests | requests/cluster | provider peak RSS |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|");
        for result in &self.phases {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} s | {} | {:.2} | {} |",
                result.clusters,
                result.phase.label(),
                result.wall.as_secs_f64(),
                result.requests.total,
                result.requests.total as f64 / result.clusters as f64,
                result.peak_rss_kib.map_or("–".into(), kib)
            );
        }

        let _ = writeln!(out, "\n### API requests by kind\n");
        let _ = writeln!(
            out,
            "When several cluster waits are in progress, the client serves them from one shared \
             `GET /v2/databases` list per polling round instead of one `GET /v2/databases/{{id}}` \
             per cluster (`src/api/wait.rs`). \"GET below id\" is a read under one cluster \
             (e.g. `/autoscale`); \"other\" is everything else (e.g. `/v2/databases/options`). \
             \"not 2xx\" counts answers such as the 404 that ends a delete wait.\n"
        );
        let _ = writeln!(
            out,
            "| clusters | phase | POST create | GET list | GET by id | GET below id | DELETE | other | not 2xx |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for result in &self.phases {
            let r = &result.requests;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                result.clusters,
                result.phase.label(),
                r.kind(RequestKind::Create),
                r.kind(RequestKind::List),
                r.kind(RequestKind::GetById),
                r.kind(RequestKind::GetChild),
                r.kind(RequestKind::Delete),
                r.kind(RequestKind::Other),
                r.not_2xx
            );
        }

        let notes: Vec<String> = self
            .phases
            .iter()
            .flat_map(|result| {
                let mut notes = Vec::new();
                if result.plan_not_empty {
                    notes.push(format!(
                        "{} clusters: the plan after apply was not empty",
                        result.clusters
                    ));
                }
                if result.unreported_processes > 0 {
                    notes.push(format!(
                        "{} clusters, {}: {} provider process(es) ended without reporting memory",
                        result.clusters,
                        result.phase.label(),
                        result.unreported_processes
                    ));
                }
                notes
            })
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "\n### Notes\n");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }
}

fn describe(summary: &Summary) -> String {
    format!(
        "median {}, p90 {} (min {}, max {})",
        millis(summary.median),
        millis(summary.p90),
        millis(summary.min),
        millis(summary.max)
    )
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn summary_takes_the_middle_and_the_nearest_rank_p90() {
        let samples: Vec<Duration> = (1..=20).rev().map(ms).collect();
        let summary = Summary::of(&samples);
        assert_eq!(summary.median, Duration::from_micros(10_500));
        assert_eq!(summary.p90, ms(18));
        assert_eq!((summary.min, summary.max), (ms(1), ms(20)));
        assert_eq!(Summary::of(&[ms(7), ms(3), ms(5)]).median, ms(5));
        assert_eq!(Summary::of(&[ms(4)]).p90, ms(4));
    }

    #[test]
    fn requests_are_classified_by_what_they_do_to_clusters() {
        let id = "/v2/databases/9cc10173-e9ea-4176-9dbc-a4cee4c4ff30";
        assert_eq!(
            RequestKind::of("POST", "/v2/databases"),
            RequestKind::Create
        );
        assert_eq!(RequestKind::of("GET", "/v2/databases"), RequestKind::List);
        assert_eq!(RequestKind::of("GET", id), RequestKind::GetById);
        assert_eq!(RequestKind::of("DELETE", id), RequestKind::Delete);
        assert_eq!(
            RequestKind::of("GET", "/v2/databases/options"),
            RequestKind::Other
        );
        assert_eq!(
            RequestKind::of("GET", &format!("{id}/autoscale")),
            RequestKind::GetChild
        );
        assert_eq!(
            RequestKind::of("PUT", &format!("{id}/resize")),
            RequestKind::Other
        );
        assert_eq!(RequestKind::of("GET", "/v2/tags"), RequestKind::Other);
    }

    #[test]
    fn counts_total_kinds_and_non_2xx_answers() {
        let request = |method: &str, path: &str, status| LoggedRequest {
            method: method.into(),
            path: path.into(),
            status,
        };
        let counts = RequestCounts::of(&[
            request("POST", "/v2/databases", Some(201)),
            request("GET", "/v2/databases", Some(200)),
            request("GET", "/v2/databases/a", Some(404)),
            request("DELETE", "/v2/databases/a", None),
        ]);
        assert_eq!(counts.total, 4);
        assert_eq!(counts.kind(RequestKind::List), 1);
        assert_eq!(counts.kind(RequestKind::Other), 0);
        assert_eq!(counts.not_2xx, 2);
    }

    #[test]
    fn recognises_the_go_plugin_handshake() {
        assert!(is_handshake("1|6|tcp|127.0.0.1:10000|grpc|MIIB\n"));
        assert!(is_handshake("1|6|unix|/tmp/plugin123|grpc"));
        assert!(!is_handshake("1|5|tcp|127.0.0.1:10000|grpc"));
        assert!(!is_handshake("starting provider"));
    }

    #[test]
    fn reads_the_high_water_mark_from_proc_status() {
        let status = "Name:\tx\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(parse_vm_hwm_kib(status), Some(12345));
        assert_eq!(parse_vm_hwm_kib("Name:\tzombie\nState:\tZ\n"), None);
        assert!(vm_hwm_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }

    #[test]
    fn options_default_and_parse_both_flag_spellings() {
        let options = Options::parse(Vec::<String>::new()).unwrap().unwrap();
        assert_eq!(options.counts, [10, 100, 300]);
        assert_eq!(options.provision_delay_ms, 2000);
        let options = Options::parse(
            [
                "--counts=1,2",
                "--startup-runs",
                "3",
                "--provision-delay-ms=0",
            ]
            .map(String::from),
        )
        .unwrap()
        .unwrap();
        assert_eq!(options.counts, [1, 2]);
        assert_eq!(options.startup_runs, 3);
        assert_eq!(options.provision_delay_ms, 0);
        assert!(Options::parse(["--counts", "0"].map(String::from)).is_err());
        assert!(Options::parse(["--bogus"].map(String::from)).is_err());
        assert!(Options::parse(["--help"].map(String::from))
            .unwrap()
            .is_none());
    }
}
