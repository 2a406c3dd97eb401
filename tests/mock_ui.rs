//! `GET /_mock/ui`, the emulator's read-only dashboard: authenticated like every `/_mock`
//! control, and checked as a browser renders it, in headless Chromium (Debian's `chromium`).
//!
//! A browser cannot send `Authorization: Bearer`, so this one read-only page also answers a
//! Basic challenge with the token as the password (nothing else under `/_mock/` does). The
//! tests check both with reqwest, open the page in Chromium with the token in the URL, and run
//! the rendering checks through a small reverse proxy of their own that adds the bearer token
//! ([`AuthenticatingProxy`]), so that those checks do not depend on the browser's credentials
//! cache.
//!
//! Chromium is found through `CHROMIUM_BIN`, else as `chromium` on `PATH`; without it the tests
//! fail (they never skip), naming the Debian package.
//!
//! `cargo test --test mock_ui -- --ignored readme_screenshot` rewrites the README's screenshot
//! ([`README_SCREENSHOT`]) from a demo state. It is not under `docs/`: that directory is
//! generated, and `tests/docs_drift.rs` refuses any file no source produces.

mod mock_support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use mock_support::{quick_config, Mock, TOKEN};
use reqwest::Method;
use serde_json::{json, Value};

/// The flags of every Chromium run: no sandbox (containers), no GPU, nothing fetched from the
/// network but the page, and a fresh profile (added per run).
const CHROMIUM_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);
const PNG_MAGIC: &[u8; 8] = b"\x89PNG\r\n\x1a\n";
/// The README's screenshot of the dashboard, relative to the repository.
const README_SCREENSHOT: &str = "images/mock-ui.png";

/// The Chromium binary: `CHROMIUM_BIN`, else `chromium` on `PATH`. Panics (the test fails)
/// when there is none.
fn chromium() -> PathBuf {
    if let Some(bin) = std::env::var_os("CHROMIUM_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(
            bin.is_file(),
            "CHROMIUM_BIN={} is not a file; install Debian's `chromium` package \
             (apt-get install chromium) or point CHROMIUM_BIN at a Chromium binary",
            bin.display()
        );
        return bin;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "headless Chromium is needed to check /_mock/ui and there is no `chromium` on \
                 PATH: install Debian's `chromium` package (apt-get install chromium), or set \
                 CHROMIUM_BIN to a Chromium binary"
            )
        })
}

/// Runs Chromium on `url` with `extra` flags and a fresh profile; returns its stdout.
async fn run_chromium(url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().expect("temporary profile directory");
    let bin = chromium();
    let mut command = tokio::process::Command::new(&bin);
    command
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let output = tokio::time::timeout(CHROMIUM_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("Chromium did not finish within {CHROMIUM_TIMEOUT:?}"))
        .expect("Chromium runs");
    assert!(
        output.status.success(),
        "Chromium failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("Chromium's output is UTF-8")
}

/// The DOM Chromium renders for `url` (`--dump-dom`: the document after loading).
async fn rendered_dom(url: &str) -> String {
    let dom = run_chromium(url, &["--dump-dom".to_string()]).await;
    assert!(dom.contains("</html>"), "no document rendered:\n{dom}");
    dom
}

/// A screenshot of `url` at 1280×900, written to `path`.
async fn screenshot(url: &str, path: &Path) {
    run_chromium(
        url,
        &[
            format!("--screenshot={}", path.display()),
            "--window-size=1280,900".to_string(),
        ],
    )
    .await;
}

/// Asserts `path` is a PNG of 1280×900 of some substance, and returns its size.
fn assert_png(path: &Path) -> usize {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    assert!(bytes.len() > 24 && &bytes[..8] == PNG_MAGIC, "not a PNG");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 900), "the window size");
    assert!(
        bytes.len() > 20 * 1024,
        "a {} byte screenshot is too small to show the page",
        bytes.len()
    );
    bytes.len()
}

/// A reverse proxy on 127.0.0.1 that forwards `GET`s to the emulator with the bearer token,
/// which a browser cannot send. It stops when dropped.
struct AuthenticatingProxy {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

struct Upstream {
    base: String,
    http: reqwest::Client,
}

impl AuthenticatingProxy {
    async fn start(upstream: &str) -> AuthenticatingProxy {
        let state = Arc::new(Upstream {
            base: upstream.to_string(),
            http: reqwest::Client::new(),
        });
        let router = Router::new().fallback(forward).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy binds");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("proxy serves");
        });
        AuthenticatingProxy { url, task }
    }
}

impl Drop for AuthenticatingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(State(upstream): State<Arc<Upstream>>, request: Request) -> Response {
    if request.method() != axum::http::Method::GET {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let target = request
        .uri()
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let reply = match upstream
        .http
        .get(format!("{}{target}", upstream.base))
        .bearer_auth(TOKEN)
        .send()
        .await
    {
        Ok(reply) => reply,
        Err(error) => return (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
    };
    let status = StatusCode::from_u16(reply.status().as_u16()).unwrap();
    let content_type = reply
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    let body = reply.bytes().await.unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, content_type)],
        Body::from(body),
    )
        .into_response()
}

/// An emulator that accepts [`TOKEN`] only.
async fn start_mock() -> Mock {
    Mock::start_with(dbaas::mock::MockConfig {
        tokens: vec![TOKEN.to_string()],
        ..quick_config()
    })
    .await
}

/// `GET /_mock/ui` with reqwest: status, headers and text.
async fn fetch_ui(mock: &Mock, token: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = mock.http.get(format!("{}/_mock/ui", mock.url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let reply = request.send().await.expect("the dashboard answers");
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    (status, headers, reply.text().await.expect("a text body"))
}

/// Every secret `/_mock/state` holds: passwords, client keys and certificates, and the
/// connection URIs that embed them.
async fn secrets(mock: &Mock) -> Vec<String> {
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    match (key.as_str(), value.as_str()) {
                        ("password" | "access_key" | "access_cert" | "uri", Some(text))
                            if !text.is_empty() =>
                        {
                            out.push(text.to_string())
                        }
                        _ => collect(value, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, out)),
            _ => {}
        }
    }
    let state = mock
        .control(Method::GET, "/_mock/state", None)
        .await
        .expect(200);
    let mut out = Vec::new();
    collect(&state.body, &mut out);
    out.sort();
    out.dedup();
    out
}

/// The element whose `id` is `id`, as serialized in `dom` (from its start tag to its end tag).
fn element<'a>(dom: &'a str, id: &str) -> &'a str {
    let marker = format!(" id=\"{id}\"");
    let at = dom
        .find(&marker)
        .unwrap_or_else(|| panic!("no element #{id} in the rendered page:\n{dom}"));
    let start = dom[..at].rfind('<').unwrap();
    let tag: String = dom[start + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut depth = 0usize;
    let mut cursor = start;
    loop {
        let next_open = dom[cursor + 1..].find(&open).map(|i| i + cursor + 1);
        let next_close = dom[cursor + 1..]
            .find(&close)
            .map(|i| i + cursor + 1)
            .unwrap_or_else(|| panic!("#{id} is not closed"));
        match next_open {
            Some(open_at) if open_at < next_close => {
                depth += 1;
                cursor = open_at;
            }
            _ if depth > 0 => {
                depth -= 1;
                cursor = next_close;
            }
            _ => return &dom[start..next_close + close.len()],
        }
    }
}

/// The `<tr class="request" …>` rows of the rendered page, as their opening tags.
fn request_rows(dom: &str) -> Vec<&str> {
    dom.match_indices("<tr class=\"request\"")
        .map(|(at, _)| &dom[at..at + dom[at..].find('>').unwrap() + 1])
        .collect()
}

#[tokio::test]
async fn the_dashboard_needs_an_accepted_token_like_every_control() {
    let mock = start_mock().await;

    for token in [None, Some("not-the-token")] {
        let (status, headers, body) = fetch_ui(&mock, token).await;
        assert_eq!(status, 401, "token {token:?}: {body}");
        let error: Value = serde_json::from_str(&body).expect("the contract's error body");
        assert_eq!(error["id"], "unauthorized");
        assert!(
            !body.contains("<html"),
            "nothing of the page without a token"
        );
        assert_eq!(
            headers.get("content-type").unwrap(),
            "application/json",
            "the 401 is the gateway's"
        );
    }

    let (status, headers, body) = fetch_ui(&mock, Some(TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers.get("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let csp = headers
        .get("content-security-policy")
        .expect("a content security policy")
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert!(body.starts_with("<!doctype html>"), "{body}");
    assert!(!body.contains("<script"), "no JavaScript");

    // Read-only: the page has no other method.
    let posted = mock
        .http
        .post(format!("{}/_mock/ui", mock.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 405);

    // Viewing the dashboard is not API traffic: it is not logged.
    assert!(mock.requests().await.is_empty());

    // A browser gets a Basic challenge and may answer it with the token as the password;
    // only on this page: the same credentials open no other control.
    let (_, headers, _) = fetch_ui(&mock, None).await;
    assert_eq!(
        headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
        Some("Basic realm=\"dbaas-mock\", charset=\"UTF-8\"")
    );
    let basic = |path: &str, password: &str| {
        mock.http
            .get(format!("{}{path}", mock.url))
            .basic_auth("browser", Some(password))
            .send()
    };
    assert_eq!(
        basic("/_mock/ui", TOKEN).await.unwrap().status().as_u16(),
        200
    );
    assert_eq!(
        basic("/_mock/ui", "not-the-token")
            .await
            .unwrap()
            .status()
            .as_u16(),
        401
    );
    for path in ["/_mock/state", "/_mock/requests", "/v2/databases"] {
        let refused = basic(path, TOKEN).await.unwrap();
        assert_eq!(
            refused.status().as_u16(),
            401,
            "{path} takes only a bearer token"
        );
        assert!(
            refused.headers().get("www-authenticate").is_none(),
            "{path} asks no browser"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_opens_the_dashboard_with_the_token_as_its_password() {
    let mock = start_mock().await;
    let address = mock.url.trim_start_matches("http://");
    let dom = rendered_dom(&format!("http://browser:{TOKEN}@{address}/_mock/ui")).await;
    assert!(
        dom.contains("id=\"summary-clusters\""),
        "Chromium rendered the page: {dom}"
    );
}

/// The user name the tests give a PostgreSQL user: it must stay text on the page.
const MARKUP_USER: &str = "<b>ui&\"user'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_renders_clusters_children_and_requests_without_secrets() {
    let mock = start_mock().await;

    let pg = mock
        .create_cluster(json!({"name": "ui-pg", "engine": "pg", "version": "16", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1}))
        .await;
    let pg_id = pg["id"].as_str().unwrap().to_string();
    let pg = mock.wait_for_status(&pg_id, "online").await;
    mock.post(
        &format!("/v2/databases/{pg_id}/users"),
        json!({"name": MARKUP_USER}),
    )
    .await
    .expect(201);
    mock.post(
        &format!("/v2/databases/{pg_id}/pools"),
        json!({"name": "ui-pool", "mode": "transaction", "size": 7, "db": "defaultdb", "user": MARKUP_USER}),
    )
    .await
    .expect(201);
    let kafka = mock.online_cluster("ui-kafka", "kafka").await;
    let kafka_id = kafka["id"].as_str().unwrap().to_string();
    mock.post(
        &format!("/v2/databases/{kafka_id}/topics"),
        json!({"name": "ui-events", "partition_count": 4, "replication_factor": 2}),
    )
    .await
    .expect(201);
    let missing = "/v2/databases/00000000-0000-4000-8000-000000000000";
    mock.get(missing).await.expect(404);

    let secrets = secrets(&mock).await;
    assert!(
        secrets.len() >= 6,
        "three users and a Kafka client key at least: {secrets:?}"
    );
    let (_, _, html) = fetch_ui(&mock, Some(TOKEN)).await;
    for secret in &secrets {
        assert!(
            !html.contains(secret.as_str()),
            "the page holds a secret: {secret}"
        );
    }

    let proxy = AuthenticatingProxy::start(&mock.url).await;
    let url = format!("{}/_mock/ui", proxy.url);
    let dom = rendered_dom(&url).await;

    for secret in &secrets {
        assert!(
            !dom.contains(secret.as_str()),
            "the rendered page holds a secret: {secret}"
        );
    }
    assert!(!dom.contains("<script"), "no script element");
    assert!(
        !dom.contains("<b>ui"),
        "the user name {MARKUP_USER:?} became markup:\n{dom}"
    );
    assert!(element(&dom, "summary-clusters").contains("data-value=\"2\""));

    // The clusters table.
    let row = element(&dom, &format!("cluster-{pg_id}"));
    for expected in [
        "data-engine=\"pg\"",
        "data-status=\"online\"",
        "data-cluster-name=\"ui-pg\"",
        ">ui-pg<",
        "db-s-1vcpu-2gb",
        "nyc3",
    ] {
        assert!(row.contains(expected), "{expected} missing from {row}");
    }
    let address = format!(
        "{}:{}",
        pg["connection"]["host"].as_str().unwrap(),
        pg["connection"]["port"]
    );
    assert!(row.contains(&address), "{address} missing from {row}");
    let row = element(&dom, &format!("cluster-{kafka_id}"));
    for expected in [
        "data-engine=\"kafka\"",
        "data-status=\"online\"",
        ">ui-kafka<",
    ] {
        assert!(row.contains(expected), "{expected} missing from {row}");
    }

    // Each cluster's children.
    let details = element(&dom, &format!("cluster-{pg_id}-details"));
    assert!(details.contains("data-pool=\"ui-pool\""), "{details}");
    assert!(details.contains("transaction"), "{details}");
    assert!(details.contains("data-db=\"defaultdb\""), "{details}");
    assert!(details.contains("data-user=\"doadmin\""), "{details}");
    // As Chromium serializes the text `<b>ui&"user'`.
    assert!(
        details.contains("<td>&lt;b&gt;ui&amp;\"user'</td>"),
        "the user name is shown as text: {details}"
    );
    assert!(
        details.contains("••••••"),
        "passwords are masked: {details}"
    );
    let details = element(&dom, &format!("cluster-{kafka_id}-details"));
    assert!(details.contains("data-topic=\"ui-events\""), "{details}");
    assert!(
        details.contains("<td class=\"num\">4</td>"),
        "partitions: {details}"
    );

    // The latest requests, newest first, with their status codes.
    let rows = request_rows(&dom);
    assert!(!rows.is_empty(), "no requests shown:\n{dom}");
    assert!(
        rows[0].contains(&format!("data-path=\"{missing}\""))
            && rows[0].contains("data-status=\"404\""),
        "the 404 is the newest: {}",
        rows[0]
    );
    assert!(
        rows.iter().any(|r| r.contains("data-method=\"POST\"")
            && r.contains("data-path=\"/v2/databases\"")
            && r.contains("data-status=\"201\"")),
        "the creates' 201s: {rows:#?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("data-method=\"GET\"") && r.contains("data-status=\"200\"")),
        "the reads' 200s: {rows:#?}"
    );
    let seqs: Vec<u64> = rows
        .iter()
        .map(|r| {
            let at = r.find("data-seq=\"").unwrap() + 10;
            r[at..at + r[at..].find('"').unwrap()].parse().unwrap()
        })
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );

    let shot = tempfile::tempdir().unwrap();
    let png = shot.path().join("mock-ui.png");
    screenshot(&url, &png).await;
    assert_png(&png);
}

/// Rewrites [`README_SCREENSHOT`] from a demo state: three clusters and some traffic, with
/// the command line's default delays (it takes a few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "rewrites images/mock-ui.png; run with --ignored readme_screenshot"]
async fn readme_screenshot() {
    let mock = Mock::start_with(dbaas::mock::MockConfig {
        tokens: vec![TOKEN.to_string()],
        port: 0,
        seed: Some(7),
        ..dbaas::mock::MockConfig::default()
    })
    .await;
    let backend = mock
        .create_cluster(json!({"name": "backend", "engine": "pg", "version": "16", "region": "fra1", "size": "db-s-2vcpu-4gb", "num_nodes": 2, "tags": ["production"]}))
        .await;
    let backend = backend["id"].as_str().unwrap().to_string();
    let events = mock
        .create_cluster(json!({"name": "events", "engine": "kafka", "version": "3.8", "region": "fra1", "size": "gd-2vcpu-8gb", "num_nodes": 3, "tags": ["production"]}))
        .await;
    let events = events["id"].as_str().unwrap().to_string();
    mock.wait_for_status(&backend, "online").await;
    mock.wait_for_status(&events, "online").await;

    let children = |path: &str| format!("/v2/databases/{backend}/{path}");
    mock.post(&children("dbs"), json!({"name": "orders"}))
        .await
        .expect(201);
    mock.post(&children("users"), json!({"name": "api"}))
        .await
        .expect(201);
    mock.post(&children("pools"), json!({"name": "api-pool", "mode": "transaction", "size": 20, "db": "orders", "user": "api"}))
        .await
        .expect(201);
    let topics = format!("/v2/databases/{events}/topics");
    mock.post(
        &topics,
        json!({"name": "order-events", "partition_count": 6, "replication_factor": 3}),
    )
    .await
    .expect(201);
    mock.post(
        &format!("/v2/databases/{events}/users"),
        json!({"name": "order-service"}),
    )
    .await
    .expect(201);
    mock.post(
        &children("pools"),
        json!({"name": "api-pool", "mode": "session", "size": 5, "db": "orders"}),
    )
    .await
    .expect(422);
    mock.get("/v2/databases/00000000-0000-4000-8000-000000000000")
        .await
        .expect(404);
    mock.fault(json!({"method": "GET", "path": format!("/v2/databases/{events}/topics"), "kind": "status", "status": 503, "count": 1}))
        .await;
    mock.call(Method::GET, &topics, None).await.expect(503);
    // A third cluster, still being created when the screenshot is taken.
    mock.create_cluster(json!({"name": "cache", "engine": "valkey", "version": "8", "region": "ams3", "size": "db-s-1vcpu-2gb", "num_nodes": 1}))
        .await;
    mock.get(&topics).await.expect(200);
    mock.get("/v2/databases").await.expect(200);

    let proxy = AuthenticatingProxy::start(&mock.url).await;
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join(README_SCREENSHOT);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    screenshot(&format!("{}/_mock/ui", proxy.url), &target).await;
    let size = assert_png(&target);
    assert!(
        size < 300 * 1024,
        "{size} bytes: keep the README's image small"
    );
}
