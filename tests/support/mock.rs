//! One `dbaas-mock` process per test, and its `/_mock/` controls (which need the mock's token,
//! like its `/v2` API).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The bearer token every test mock accepts.
pub const TEST_TOKEN: &str = "test-token";

/// Start-up arguments of every test mock, unless the test passes its own value for a flag.
/// The delays are short but non-zero so that waits for `online` really wait.
const DEFAULT_ARGS: [(&str, &str); 4] = [
    ("--port", "0"),
    ("--token", TEST_TOKEN),
    ("--provision-delay-ms", "300"),
    ("--transition-delay-ms", "300"),
];

const LISTENING_PREFIX: &str = "dbaas-mock listening on ";
/// How long a mock may take to bind and announce itself before the test gives up on it.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// How much of the emulator's own output is kept for failure messages.
const LOG_TAIL_BYTES: usize = 16 * 1024;

/// A running emulator, killed when dropped.
pub struct Mock {
    child: Child,
    url: String,
    token: String,
    http: Client,
    log: Arc<Mutex<VecDeque<u8>>>,
}

impl Mock {
    /// Starts `dbaas-mock` with the test defaults (a free port, token [`TEST_TOKEN`], 300 ms
    /// delays). `extra` is appended; a flag given there replaces its default, so
    /// `Mock::start(&["--provision-delay-ms", "0"])` starts a mock that is online at once.
    pub fn start(extra: &[&str]) -> Mock {
        let binary = env!("CARGO_BIN_EXE_dbaas-mock");
        let mut args: Vec<&str> = DEFAULT_ARGS
            .iter()
            .filter(|(flag, _)| !extra.contains(flag))
            .flat_map(|(flag, value)| [*flag, *value])
            .collect();
        args.extend_from_slice(extra);
        let token = args
            .windows(2)
            .find(|pair| pair[0] == "--token")
            .map(|pair| pair[1].to_string())
            .unwrap_or_else(|| TEST_TOKEN.to_string());

        let mut child = Command::new(binary)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));

        let log = Arc::new(Mutex::new(VecDeque::new()));
        let (first_line_tx, first_line_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stdout_log = log.clone();
        // The emulator must be able to keep writing after its first line, so its stdout is
        // drained for its whole life rather than closed.
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = first_line_tx.send(first);
            drain_into(reader, &stdout_log);
        });
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_log = log.clone();
        let stderr_drain = thread::spawn(move || drain_into(stderr, &stderr_log));

        let first_line = match first_line_rx.recv_timeout(STARTUP_LIMIT) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => kill_and_panic(
                child,
                stderr_drain,
                &log,
                &format!("cannot read its stdout: {e}"),
            ),
            Err(_) => kill_and_panic(
                child,
                stderr_drain,
                &log,
                "it did not print its listening line in time",
            ),
        };
        let url = match first_line.trim_end().strip_prefix(LISTENING_PREFIX) {
            Some(url) if url.starts_with("http://127.0.0.1:") => url.to_string(),
            _ => kill_and_panic(
                child,
                stderr_drain,
                &log,
                &format!("unexpected first line {first_line:?} (expected \"{LISTENING_PREFIX}http://127.0.0.1:<port>\")"),
            ),
        };
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client for the mock controls");
        lock(running_tokens()).insert(url.clone(), token.clone());
        Mock {
            child,
            url,
            token,
            http,
            log,
        }
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    /// A request to the emulator's `/v2` API, as another API client would send it: the status
    /// and the parsed body (null when the body is not JSON).
    pub fn v2(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Client::new()
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"));
        let status = response.status();
        let text = response.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A bearer token the mock accepts.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The emulator's process id, e.g. to read its memory use from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (SIGTERM, SIGINT, SIGKILL) to the emulator and waits for it to exit,
    /// at most `limit`; its exit status.
    pub fn stop(&mut self, signal: libc::c_int, limit: Duration) -> std::process::ExitStatus {
        super::signal::to_child(&mut self.child, signal)
            .unwrap_or_else(|e| panic!("cannot signal dbaas-mock: {e}"));
        let deadline = std::time::Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if std::time::Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => panic!(
                    "dbaas-mock did not exit within {limit:?} of signal {signal}; its log:\n{}",
                    self.log_tail()
                ),
                Err(e) => panic!("cannot wait for dbaas-mock: {e}"),
            }
        }
    }

    /// `POST /_mock/reset`: forget clusters, faults, request log, rate-limit counters, settings.
    pub fn reset(&self) {
        self.control(Method::POST, "/_mock/reset", None, StatusCode::NO_CONTENT);
    }

    /// `POST /_mock/faults`; returns the fault's id. See the mock interface notes for the body.
    pub fn add_fault(&self, fault: Value) -> String {
        let created = self.control(
            Method::POST,
            "/_mock/faults",
            Some(fault),
            StatusCode::CREATED,
        );
        match created.get("id").and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None => panic!("POST /_mock/faults answered without an id: {created}"),
        }
    }

    /// `GET /_mock/faults`: the active faults with their remaining counts.
    pub fn faults(&self) -> Vec<Value> {
        let listed = self.control(Method::GET, "/_mock/faults", None, StatusCode::OK);
        match listed {
            Value::Array(faults) => faults,
            Value::Object(mut body) => match body.remove("faults") {
                Some(Value::Array(faults)) => faults,
                other => panic!("GET /_mock/faults has no faults array: {other:?}"),
            },
            other => panic!("GET /_mock/faults answered {other}"),
        }
    }

    /// How many requests the fault with this id has affected so far.
    pub fn fault_hits(&self, id: &str) -> u64 {
        self.faults()
            .iter()
            .find(|fault| fault["id"].as_str() == Some(id))
            .and_then(|fault| fault["hits"].as_u64())
            .unwrap_or_else(|| panic!("the emulator has no fault {id}"))
    }

    /// `DELETE /_mock/faults`.
    pub fn clear_faults(&self) {
        self.control(
            Method::DELETE,
            "/_mock/faults",
            None,
            StatusCode::NO_CONTENT,
        );
    }

    /// `PATCH /_mock/settings` (JSON merge); returns the full settings.
    pub fn settings(&self, patch: Value) -> Value {
        self.control(
            Method::PATCH,
            "/_mock/settings",
            Some(patch),
            StatusCode::OK,
        )
    }

    /// `GET /_mock/state`: the whole store, secrets included. Never print it.
    pub fn state(&self) -> Value {
        self.control(Method::GET, "/_mock/state", None, StatusCode::OK)
    }

    /// `GET /_mock/requests`: every `/v2` request so far, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        let mut log = self.control(Method::GET, "/_mock/requests", None, StatusCode::OK);
        match log.get_mut("requests").map(Value::take) {
            Some(Value::Array(requests)) => requests,
            _ => panic!("GET /_mock/requests has no requests array"),
        }
    }

    /// The logged `/v2` requests with `method` on paths ending with `suffix`, oldest first.
    pub fn requests_to(&self, method: &str, suffix: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r["method"] == method && r["path"].as_str().is_some_and(|p| p.ends_with(suffix))
            })
            .collect()
    }

    /// The objects of one kind (`"users"`, `"pools"`, …) the emulator keeps for a cluster, as
    /// stored (secrets included: never print them). Panics when there is no such cluster.
    pub fn stored_children(&self, cluster_id: &str, kind: &str) -> Vec<Value> {
        self.cluster_record(cluster_id)
            .unwrap_or_else(|| panic!("the emulator has no cluster {cluster_id}"))[kind]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The stored object of one kind named `name`, if the cluster has it.
    pub fn stored_child(&self, cluster_id: &str, kind: &str, name: &str) -> Option<Value> {
        self.stored_children(cluster_id, kind)
            .into_iter()
            .find(|child| child["name"] == name)
    }

    /// `DELETE /_mock/requests`.
    pub fn clear_requests(&self) {
        self.control(
            Method::DELETE,
            "/_mock/requests",
            None,
            StatusCode::NO_CONTENT,
        );
    }

    /// The emulator's record of every cluster: `{"database": <the cluster as the API shows
    /// it>, "eviction_policy", "sql_mode", "autoscale", "pools", ...}`. Secrets included:
    /// never print them.
    pub fn cluster_records(&self) -> Vec<Value> {
        match self.state().get_mut("clusters").map(Value::take) {
            Some(Value::Array(records)) => records,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => panic!(
                "/_mock/state has clusters of type {}, not an array",
                type_name(&other)
            ),
        }
    }

    /// The record of the cluster with this id, if the emulator holds it.
    pub fn cluster_record(&self, id: &str) -> Option<Value> {
        self.cluster_records()
            .into_iter()
            .find(|record| record["database"]["id"].as_str() == Some(id))
    }

    /// Every cluster as the API shows it.
    pub fn clusters(&self) -> Vec<Value> {
        self.cluster_records()
            .into_iter()
            .map(|mut record| record["database"].take())
            .collect()
    }

    /// The cluster with this id as the API shows it, if the emulator holds it.
    pub fn cluster(&self, id: &str) -> Option<Value> {
        self.cluster_record(id)
            .map(|mut record| record["database"].take())
    }

    pub fn cluster_count(&self) -> usize {
        self.cluster_records().len()
    }

    /// The request log as `METHOD /path?query -> status` lines, without bodies, for failure
    /// messages. Never panics: it is called while a test is already failing.
    pub fn request_summary(&self) -> String {
        summarize_requests(&self.url, &self.http)
    }

    /// The last part of the emulator's own stdout and stderr.
    pub fn log_tail(&self) -> String {
        let log = lock(&self.log);
        String::from_utf8_lossy(&log.iter().copied().collect::<Vec<u8>>()).into_owned()
    }

    fn control(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{method} {path} to the mock failed: {e}"));
        let status = response.status();
        let text = response
            .text()
            .unwrap_or_else(|e| panic!("{method} {path}: cannot read the body: {e}"));
        assert_eq!(
            status, expected,
            "{method} {path} answered {status}: {text}"
        );
        if text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{method} {path} answered invalid JSON ({e}): {text}"))
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        lock(running_tokens()).remove(&self.url);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The token of every running [`Mock`] by its URL, for [`summarize_requests`], whose callers
/// hold only the URL.
fn running_tokens() -> &'static Mutex<HashMap<String, String>> {
    static TOKENS: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    TOKENS.get_or_init(Mutex::default)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads `GET /_mock/requests` of the mock at `url` into one line per request.
pub(crate) fn summarize_requests(url: &str, http: &Client) -> String {
    let token = lock(running_tokens())
        .get(url)
        .cloned()
        .unwrap_or_else(|| TEST_TOKEN.to_string());
    let fetched = http
        .get(format!("{url}/_mock/requests"))
        .bearer_auth(token)
        .send()
        .and_then(|response| response.json::<Value>());
    let log = match fetched {
        Ok(log) => log,
        Err(e) => return format!("(request log unavailable: {e})"),
    };
    let requests = log
        .get("requests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if requests.is_empty() {
        return "(no /v2 requests)".to_string();
    }
    requests
        .iter()
        .map(|request| {
            let field = |name: &str| match request.get(name) {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            let query = field("query");
            let query = if query.is_empty() {
                query
            } else {
                format!("?{query}")
            };
            format!(
                "{} {}{} -> {}",
                field("method"),
                field("path"),
                query,
                field("status")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A short name for a JSON value's type, for messages that must not show the value.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A fault body for `POST /_mock/faults`.
pub fn fault(method: &str, path: &str, kind: &str, count: u32) -> Value {
    json!({ "method": method, "path": path, "kind": kind, "count": count })
}

fn drain_into(mut source: impl Read, log: &Mutex<VecDeque<u8>>) {
    let mut buffer = [0u8; 4096];
    while let Ok(read) = source.read(&mut buffer) {
        if read == 0 {
            break;
        }
        let mut log = lock(log);
        log.extend(&buffer[..read]);
        let excess = log.len().saturating_sub(LOG_TAIL_BYTES);
        log.drain(..excess);
    }
}

fn kill_and_panic(
    mut child: Child,
    stderr_drain: JoinHandle<()>,
    log: &Mutex<VecDeque<u8>>,
    problem: &str,
) -> ! {
    let _ = child.kill();
    let status = child.wait();
    // The error that made the emulator exit is on stderr; wait until all of it is stored.
    let _ = stderr_drain.join();
    let log = lock(log);
    panic!(
        "dbaas-mock failed to start: {problem} (exit: {status:?})\n--- its output ---\n{}",
        String::from_utf8_lossy(&log.iter().copied().collect::<Vec<u8>>())
    );
}
