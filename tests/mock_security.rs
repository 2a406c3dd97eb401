//! The emulator's own safety: `/_mock/` needs an accepted token like `/v2/`, a listener beyond
//! loopback needs `--token`, and no request (authenticated or not) can grow its memory beyond
//! bounds: one body limit (413), one URI limit (414), authentication before the body is read,
//! and a request log capped by bytes.

mod mock_support;
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use reqwest::blocking::{Body, Client, Response};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use support::mock::{fault, Mock};

const MIB: usize = 1024 * 1024;
/// The emulator's body limit (`MAX_BODY_BYTES` in `src/mock/gateway.rs`).
const BODY_LIMIT: usize = MIB;
/// The emulator's URI limit (`MAX_URI_BYTES` in `src/mock/gateway.rs`).
const URI_LIMIT: usize = 8 * 1024;

fn client() -> Client {
    Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("HTTP client")
}

/// Every control route, with a body where it takes one.
fn control_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/_mock/state", None),
        (Method::POST, "/_mock/reset", None),
        (Method::GET, "/_mock/requests", None),
        (Method::DELETE, "/_mock/requests", None),
        (Method::GET, "/_mock/settings", None),
        (
            Method::PATCH,
            "/_mock/settings",
            Some(json!({"provision_delay_ms": 1})),
        ),
        (Method::GET, "/_mock/faults", None),
        (
            Method::POST,
            "/_mock/faults",
            Some(fault("GET", "/v2/tags", "not_found", 1)),
        ),
        (Method::DELETE, "/_mock/faults", None),
        (Method::DELETE, "/_mock/faults/f-1", None),
        (Method::GET, "/_mock/no-such-control", None),
        (Method::GET, "/_mock", None),
    ]
}

/// How a request authenticates itself.
#[derive(Debug, Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Header(&'a str),
}

fn send(
    http: &Client,
    url: &str,
    method: Method,
    path: &str,
    auth: Auth<'_>,
    body: Option<Body>,
) -> Response {
    let mut request = http.request(method.clone(), format!("{url}{path}"));
    request = match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::Header(value) => request.header("authorization", value),
    };
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    request
        .send()
        .unwrap_or_else(|e| panic!("{method} {}: {e}", &path[..path.len().min(80)]))
}

fn json_body(value: &Value) -> Body {
    Body::from(value.to_string())
}

/// Asserts the contract's error body (`{id, message, request_id}`, valid against the error
/// schema) with this status and id; returns the body.
fn assert_error(response: Response, status: u16, id: &str) -> Value {
    let got = response.status().as_u16();
    let text = response.text().expect("the error body is readable");
    assert_eq!(got, status, "body: {text}");
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the {status} body is not JSON ({e}): {text}"));
    mock_support::assert_valid("error", &body);
    assert_eq!(body["id"], id, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        body["request_id"].as_str().is_some_and(|r| !r.is_empty()),
        "{body}"
    );
    body
}

fn small_pg(name: &str) -> Value {
    json!({"name": name, "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1})
}

#[test]
fn controls_answer_401_without_an_accepted_token_and_work_with_it() {
    let mock = Mock::start(&[]);
    let http = client();
    for (method, path, body) in control_routes() {
        for auth in [
            Auth::None,
            Auth::Bearer("wrong-token"),
            Auth::Header("Basic dGVzdC10b2tlbg=="),
            Auth::Header("Bearer"),
        ] {
            let response = send(
                &http,
                mock.url(),
                method.clone(),
                path,
                auth,
                body.as_ref().map(json_body),
            );
            assert!(
                response.headers().get("ratelimit-limit").is_none(),
                "controls carry no budget headers"
            );
            let error = assert_error(response, 401, "unauthorized");
            assert_eq!(error["message"], "Unable to authenticate you.", "as /v2");
        }
        let response = send(
            &http,
            mock.url(),
            method.clone(),
            path,
            Auth::Bearer(mock.token()),
            body.as_ref().map(json_body),
        );
        let status = response.status();
        let expected_unknown = path == "/_mock/no-such-control" || path == "/_mock";
        let known_missing_fault = path == "/_mock/faults/f-1";
        assert!(
            status.is_success()
                || (status == StatusCode::NOT_FOUND && (expected_unknown || known_missing_fault)),
            "{method} {path} with the token answered {status}"
        );
    }
    let (status, unauthorized) = {
        let response = send(
            &http,
            mock.url(),
            Method::GET,
            "/v2/databases",
            Auth::None,
            None,
        );
        (response.status(), response.json::<Value>().unwrap())
    };
    assert_eq!(status, 401);
    assert_eq!(unauthorized["id"], "unauthorized");
}

#[test]
fn an_unauthenticated_reset_or_fault_change_leaves_everything_in_place() {
    let mock = Mock::start(&["--provision-delay-ms", "0"]);
    let http = client();
    let (status, _) = mock.v2(Method::POST, "/v2/databases", Some(small_pg("kept")));
    assert_eq!(status, 201);
    let fault_id = mock.add_fault(fault("GET", "/v2/tags", "not_found", 5));

    for auth in [Auth::None, Auth::Bearer("wrong-token")] {
        for (method, path) in [
            (Method::POST, "/_mock/reset"),
            (Method::DELETE, "/_mock/faults"),
            (Method::DELETE, "/_mock/requests"),
        ] {
            let response = send(&http, mock.url(), method, path, auth, None);
            assert_error(response, 401, "unauthorized");
        }
        let patched = send(
            &http,
            mock.url(),
            Method::PATCH,
            "/_mock/settings",
            auth,
            Some(json_body(&json!({"provision_delay_ms": 99_999}))),
        );
        assert_error(patched, 401, "unauthorized");
    }

    assert_eq!(mock.cluster_count(), 1, "the store was not wiped");
    assert_eq!(mock.fault_hits(&fault_id), 0, "the fault is still there");
    assert!(!mock.requests().is_empty(), "the request log is intact");
    let settings = mock.settings(json!({}));
    assert_eq!(settings["provision_delay_ms"], 0);

    mock.reset();
    assert_eq!(mock.cluster_count(), 0, "the authenticated reset works");
}

#[test]
fn controls_are_neither_rate_limited_nor_logged_and_refused_v2_requests_are() {
    let mock = Mock::start(&["--rate-limit-per-minute", "2"]);
    let http = client();
    for _ in 0..10 {
        mock.state();
        mock.faults();
    }
    let unauthenticated = send(
        &http,
        mock.url(),
        Method::POST,
        "/v2/databases",
        Auth::None,
        Some(json_body(&small_pg("never-read"))),
    );
    assert_error(unauthenticated, 401, "unauthorized");
    assert_eq!(mock.v2(Method::GET, "/v2/databases", None).0, 200);
    assert_eq!(mock.v2(Method::GET, "/v2/databases", None).0, 200);
    assert_eq!(
        mock.v2(Method::GET, "/v2/databases", None).0,
        429,
        "the third /v2 request of the minute is limited; controls and the 401 did not count"
    );
    mock.state();

    let log = mock.requests();
    let lines: Vec<(String, String, Value)> = log
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                r["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("POST".into(), "/v2/databases".into(), json!(401)),
            ("GET".into(), "/v2/databases".into(), json!(200)),
            ("GET".into(), "/v2/databases".into(), json!(200)),
            ("GET".into(), "/v2/databases".into(), json!(429)),
        ],
        "only /v2 requests are logged"
    );
    assert_eq!(
        log[0]["body"],
        Value::Null,
        "an unauthenticated body is never read, so never logged"
    );
}

/// A `dbaas-mock` started by hand (not through [`Mock`]), killed when dropped.
struct Spawned {
    child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Spawned {
    fn start(args: &[&str]) -> Spawned {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dbaas-mock starts");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = tx.send(text);
        });
        Spawned { child, stderr: rx }
    }

    /// The first line on stdout (empty if the process exits first).
    fn first_line(&mut self) -> String {
        let stdout = self.child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("dbaas-mock prints its first line or exits")
    }

    /// Waits for the process to exit on its own (60 s at most; a polling deadline, not a
    /// timing assertion).
    fn exit_status(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("waiting for dbaas-mock") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "dbaas-mock did not exit: it started when it should have refused to"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the process and returns everything it wrote on stderr.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_default()
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The base URL from the listening line, e.g. `http://127.0.0.1:4000`.
fn listening_url(line: &str) -> String {
    line.trim_end()
        .strip_prefix("dbaas-mock listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string()
}

#[test]
fn without_token_flag_any_non_empty_token_opens_the_controls_as_it_opens_v2() {
    let mut mock = Spawned::start(&["--port", "0"]);
    let url = listening_url(&mock.first_line());
    let http = client();
    for path in ["/_mock/state", "/v2/databases"] {
        let response = send(&http, &url, Method::GET, path, Auth::None, None);
        assert_error(response, 401, "unauthorized");
        let response = send(
            &http,
            &url,
            Method::GET,
            path,
            Auth::Header("Bearer "),
            None,
        );
        assert_error(response, 401, "unauthorized");
        let response = send(
            &http,
            &url,
            Method::GET,
            path,
            Auth::Bearer("anything"),
            None,
        );
        assert_eq!(response.status(), 200, "{path}");
    }
    mock.stop();
}

#[test]
fn a_non_loopback_host_without_a_token_refuses_to_start() {
    for host in ["0.0.0.0", "::"] {
        let mut refused = Spawned::start(&["--host", host, "--port", "0"]);
        let status = refused.exit_status();
        let stderr = refused.stop();
        assert!(!status.success(), "{host}: {status:?}");
        assert!(
            stderr.contains("--host") && stderr.contains("--token"),
            "the error names both flags: {stderr}"
        );
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "a clear error, not a crash: {stderr}"
        );
    }
}

#[test]
fn a_non_loopback_host_with_a_token_starts_and_warns() {
    let mut exposed = Spawned::start(&["--host", "0.0.0.0", "--port", "0", "--token", "tok"]);
    let line = exposed.first_line();
    let url = listening_url(&line);
    let port = url
        .strip_prefix("http://0.0.0.0:")
        .unwrap_or_else(|| panic!("listening on 0.0.0.0: {line:?}"));
    let local = format!("http://127.0.0.1:{port}");
    let http = client();
    let response = send(&http, &local, Method::GET, "/_mock/state", Auth::None, None);
    assert_error(response, 401, "unauthorized");
    let response = send(
        &http,
        &local,
        Method::GET,
        "/_mock/state",
        Auth::Bearer("tok"),
        None,
    );
    assert_eq!(response.status(), 200);
    let stderr = exposed.stop();
    assert!(
        stderr.contains("reachable from other machines"),
        "warns about the exposure: {stderr}"
    );
    assert!(
        stderr.contains("/_mock/") && stderr.contains("credentials"),
        "warns that /_mock/ exposes credentials: {stderr}"
    );

    let mut loopback = Spawned::start(&["--port", "0", "--token", "tok"]);
    loopback.first_line();
    let stderr = loopback.stop();
    assert!(
        !stderr.contains("warning"),
        "no warning on loopback: {stderr}"
    );
}

#[test]
fn help_explains_the_controls_token_and_the_host_rule() {
    let help = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("/_mock"), "{text}");
    assert!(text.contains("127.0.0.0/8"), "{text}");
    assert!(text.contains("--token is required"), "{text}");
    assert!(text.contains("every credential"), "{text}");
}

#[test]
fn every_body_over_the_limit_gets_the_same_413() {
    let mock = Mock::start(&[]);
    let http = client();
    let token = Auth::Bearer(mock.token());
    let routes = [
        (Method::POST, "/v2/databases"),
        (
            Method::PUT,
            "/v2/databases/00000000-0000-0000-0000-000000000000/firewall",
        ),
        (Method::POST, "/_mock/faults"),
        (Method::PATCH, "/_mock/settings"),
    ];
    let mut messages = Vec::new();
    for (method, path) in &routes {
        for size in [BODY_LIMIT + 1, 2 * MIB, 3 * MIB, 4 * MIB + 1, 8 * MIB] {
            let body = Body::from(vec![b' '; size]);
            let response = send(&http, mock.url(), method.clone(), path, token, Some(body));
            let error = assert_error(response, 413, "payload_too_large");
            messages.push(error["message"].as_str().unwrap().to_string());
        }
        // Without a declared length (chunked): refused once the bytes read go over.
        let chunked = Body::new(std::io::Cursor::new(vec![b' '; 3 * MIB]));
        let response = send(
            &http,
            mock.url(),
            method.clone(),
            path,
            token,
            Some(chunked),
        );
        let error = assert_error(response, 413, "payload_too_large");
        messages.push(error["message"].as_str().unwrap().to_string());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "one answer for every size: {messages:?}");

    // At the limit, the body is read and handled.
    let mut at_limit = json!({"kind": "not_found", "path": "/v2/tags", "count": 1}).to_string();
    at_limit.insert_str(1, &" ".repeat(BODY_LIMIT - at_limit.len()));
    assert_eq!(at_limit.len(), BODY_LIMIT);
    let response = send(
        &http,
        mock.url(),
        Method::POST,
        "/_mock/faults",
        token,
        Some(Body::from(at_limit)),
    );
    assert_eq!(response.status(), 201);

    let log = mock.requests();
    let refused = log
        .iter()
        .find(|r| r["status"] == 413)
        .expect("a 413 is logged");
    assert_eq!(refused["body"], Value::Null, "a refused body is not kept");
    assert_eq!(mock.v2(Method::GET, "/v2/databases", None).0, 200);
}

#[test]
fn too_long_uris_get_414_with_the_error_body() {
    let mock = Mock::start(&[]);
    let http = client();
    let token = Auth::Bearer(mock.token());
    for prefix in ["/v2/databases/", "/_mock/faults/"] {
        for length in [URI_LIMIT + 1, 16 * 1024, 60 * 1024] {
            let path = format!("{prefix}{}", "a".repeat(length - prefix.len()));
            for auth in [token, Auth::None] {
                let response = send(&http, mock.url(), Method::GET, &path, auth, None);
                assert_error(response, 414, "uri_too_long");
            }
        }
        let path = format!("{prefix}{}", "a".repeat(URI_LIMIT - prefix.len()));
        let response = send(&http, mock.url(), Method::DELETE, &path, token, None);
        assert_error(response, 404, "not_found");
    }
    let query = format!("/v2/databases?tag_name={}", "t".repeat(URI_LIMIT));
    let response = send(&http, mock.url(), Method::GET, &query, token, None);
    assert_error(response, 414, "uri_too_long");
    assert_eq!(mock.v2(Method::GET, "/v2/databases", None).0, 200);
}

/// The emulator's resident memory, from `/proc/<pid>/status`.
fn rss_bytes(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("reading /proc/{pid}/status: {e}"));
    let kib: usize = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"));
    kib * 1024
}

#[test]
fn memory_stays_bounded_under_a_flood_of_large_requests() {
    let mock = Mock::start(&[]);
    let http = client();
    let token = Auth::Bearer(mock.token());
    // Warm up, so that what is allocated once (runtime, first connection) is in the baseline.
    for _ in 0..20 {
        assert_eq!(mock.v2(Method::GET, "/v2/databases", None).0, 200);
        mock.faults();
    }
    let before = rss_bytes(mock.pid());

    let flood = vec![b'x'; 4 * MIB];
    for round in 0..10 {
        for path in ["/v2/databases", "/_mock/faults"] {
            let response = send(
                &http,
                mock.url(),
                Method::POST,
                path,
                Auth::None,
                Some(Body::from(flood.clone())),
            );
            assert_error(response, 401, "unauthorized");
        }
        let response = send(
            &http,
            mock.url(),
            Method::POST,
            "/v2/databases",
            token,
            Some(Body::from(flood.clone())),
        );
        assert_error(response, 413, "payload_too_large");
        if round % 2 == 0 {
            let response = send(
                &http,
                mock.url(),
                Method::POST,
                "/_mock/faults",
                token,
                Some(Body::from(flood.clone())),
            );
            assert_error(response, 413, "payload_too_large");
        }
    }
    // Normal requests with bodies, every one logged: more than the log's byte cap in all.
    let padding = "p".repeat(32 * 1024);
    let normal = 600;
    for i in 0..normal {
        let body = json!({"name": format!("pool-{i}"), "mode": "session", "size": 1, "db": "defaultdb", "padding": padding});
        let response = send(
            &http,
            mock.url(),
            Method::POST,
            "/v2/databases/00000000-0000-0000-0000-000000000000/pools",
            token,
            Some(json_body(&body)),
        );
        assert_error(response, 404, "not_found");
    }
    let after = rss_bytes(mock.pid());
    let grown = after.saturating_sub(before);
    eprintln!(
        "dbaas-mock RSS: {} KiB before, {} KiB after, grown {} KiB",
        before / 1024,
        after / 1024,
        grown / 1024
    );
    assert!(
        grown < 50 * MIB,
        "the emulator grew by {} MiB under the flood",
        grown / MIB
    );

    let log = mock.requests();
    let seqs: Vec<u64> = log.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[1] == pair[0] + 1),
        "sequence numbers stay consecutive"
    );
    let logged_v2 = 20 + 10 + 10 + normal;
    assert_eq!(seqs.last().copied(), Some(logged_v2 as u64));
    assert!(
        log.len() < normal,
        "the log dropped its oldest entries at its byte cap ({} kept)",
        log.len()
    );
    assert_eq!(log.last().unwrap()["body"]["padding"], padding.as_str());
}
