//! The `dbaas-mock` process the Terraform scenarios run against, and the client for its
//! `/_mock` control API (which needs the emulator's token, like `/v2`): reset between cluster
//! counts, and the request log that every phase's API figures are counted from.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use reqwest::blocking::Client as HttpClient;
use serde::Deserialize;

use crate::process::{scrubbed_command, tail, ChildGuard};

/// How long the emulator may take to announce its address.
const MOCK_STARTUP_LIMIT: Duration = Duration::from_secs(60);
const MOCK_LISTENING_PREFIX: &str = "dbaas-mock listening on ";

/// A `dbaas-mock` process, killed when dropped.
pub struct Emulator {
    /// Held for its `Drop`: the emulator lives exactly as long as this value.
    _process: ChildGuard,
    pub url: String,
    /// Its `creating` → `online` delay.
    pub provision_delay_ms: u64,
    /// The token the emulator accepts, sent with every control request.
    token: String,
    http: HttpClient,
}

/// One `/v2` request from `GET /_mock/requests`.
#[derive(Debug, Deserialize)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    /// When the emulator received it, in milliseconds since the Unix epoch.
    #[serde(default)]
    pub at_ms: u64,
}

#[derive(Debug, Deserialize)]
struct RequestLog {
    requests: Vec<LoggedRequest>,
}

impl Emulator {
    pub fn start(
        binary: &Path,
        token: &str,
        provision_delay_ms: u64,
        work: &Path,
    ) -> Result<Emulator> {
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
            provision_delay_ms,
            token: token.to_string(),
            http,
        })
    }

    fn control(&self, method: reqwest::Method, path: &str) -> Result<reqwest::blocking::Response> {
        let response = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .with_context(|| format!("{method} {path}"))?;
        if !response.status().is_success() {
            bail!("{method} {path} answered {}", response.status());
        }
        Ok(response)
    }

    /// Forgets every cluster, so each cluster count starts from an empty account.
    pub fn reset(&self) -> Result<()> {
        self.control(reqwest::Method::POST, "/_mock/reset")
            .map(drop)
    }

    /// Empties the request log, so it holds one phase's requests.
    pub fn clear_requests(&self) -> Result<()> {
        self.control(reqwest::Method::DELETE, "/_mock/requests")
            .map(drop)
    }

    pub fn requests(&self) -> Result<Vec<LoggedRequest>> {
        let log: RequestLog = self
            .control(reqwest::Method::GET, "/_mock/requests")?
            .json()
            .context("GET /_mock/requests: unexpected body")?;
        Ok(log.requests)
    }
}
