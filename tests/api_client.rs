//! `dbaas::api` against a scripted HTTP server on 127.0.0.1: headers, error parsing, retries,
//! the safe create, polling, wait coalescing and rate-limit pacing.
//!
//! Each test starts its own tiny hyper server whose handler decides every reply (JSON, plain
//! text, a dropped connection, no answer at all) and records every request. Assertions are
//! on requests and results, never on timings; retry waits are milliseconds so the file runs
//! in a few seconds.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use dbaas::api::models::{
    CreateClusterRequest, CreatePoolRequest, CreateTopicRequest, FirewallRule,
    MaintenanceWindowRequest, ResizeRequest, TagResource, UpdatePoolRequest,
};
use dbaas::api::wait::{conditions, poll_until, Poll, PollSchedule, WaitError};
use dbaas::api::{ApiError, Client, ClientConfig, ErrorKind, RetryPolicy};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::HeaderMap;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "dop_v1_test_token";

// ---------------------------------------------------------------------------------------------
// The scripted server
// ---------------------------------------------------------------------------------------------

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    /// As sent, still percent-encoded.
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recorded {
    fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// What the server does with one request.
enum Reply {
    Json(u16, Value),
    Text {
        status: u16,
        content_type: &'static str,
        body: &'static str,
    },
    Empty(u16),
    WithHeaders(Vec<(&'static str, String)>, Box<Reply>),
    /// Close the connection without answering.
    Drop,
    /// Never answer.
    Hang,
}

impl Reply {
    fn into_response(self, mut headers: Vec<(&'static str, String)>) -> hyper::Response<Body> {
        let (status, content_type, body) = match self {
            Reply::Json(status, value) => (status, Some("application/json"), value.to_string()),
            Reply::Text {
                status,
                content_type,
                body,
            } => (status, Some(content_type), body.to_string()),
            Reply::Empty(status) => (status, None, String::new()),
            Reply::WithHeaders(extra, inner) => {
                headers.extend(extra);
                return inner.into_response(headers);
            }
            Reply::Drop | Reply::Hang => unreachable!("handled before building a response"),
        };
        let mut builder = hyper::Response::builder().status(status);
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder.body(Body::from(body)).unwrap()
    }
}

type Handler = dyn Fn(&Recorded) -> Reply + Send + Sync;

struct TestServer {
    url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    async fn start(handler: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn({
            let log = Arc::clone(&log);
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            serve(request, Arc::clone(&handler), Arc::clone(&log))
                        });
                        // Dropped connections end with an error by design.
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            }
        });
        TestServer { url, log, task }
    }

    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.is(method, path))
            .count()
    }

    /// `METHOD /path` of every request, in arrival order.
    fn calls(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    fn client(&self) -> Client {
        Client::new(self.config()).unwrap()
    }

    fn config(&self) -> ClientConfig {
        ClientConfig {
            endpoint: format!("{}/", self.url),
            token: TOKEN.to_string(),
            user_agent: "api-client-tests/1.0".to_string(),
            retry: RetryPolicy {
                max_retries: 3,
                wait_min: Duration::from_millis(2),
                wait_max: Duration::from_millis(20),
            },
            request_timeout: Duration::from_secs(10),
        }
    }
}

async fn serve(
    request: hyper::Request<Incoming>,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Recorded>>>,
) -> Result<hyper::Response<Body>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(Body::new(body), usize::MAX)
        .await
        .map_err(std::io::Error::other)?;
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body: body.to_vec(),
    };
    log.lock().unwrap().push(recorded.clone());
    match handler(&recorded) {
        // An error from the service makes hyper close the connection without a response.
        Reply::Drop => Err(std::io::Error::other("connection dropped on purpose")),
        Reply::Hang => std::future::pending().await,
        reply => Ok(reply.into_response(Vec::new())),
    }
}

fn cluster_json(id: &str, name: &str, status: &str) -> Value {
    json!({
        "id": id, "name": name, "engine": "pg", "version": "16", "num_nodes": 1,
        "size": "db-s-1vcpu-1gb", "region": "nyc3", "status": status,
        "connection": {"uri": "postgres://doadmin:s3cret@host:25060/defaultdb", "password": "s3cret", "port": 25060}
    })
}

fn create_request(name: &str) -> CreateClusterRequest {
    CreateClusterRequest {
        name: name.to_string(),
        engine: "pg".to_string(),
        version: Some("16".to_string()),
        num_nodes: 1,
        size: "db-s-1vcpu-1gb".to_string(),
        region: "nyc3".to_string(),
        ..Default::default()
    }
}

fn api_error(status: u16, id: &str, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"id": id, "message": message, "request_id": format!("req-{status}")}),
    )
}

/// A counter shared with a handler: `next()` returns 1 for the first call, 2 for the second…
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn next(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst) + 1
    }
}

// ---------------------------------------------------------------------------------------------
// Headers and errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_request_carries_auth_json_and_user_agent_headers() {
    let server = TestServer::start(|_| {
        Reply::Json(
            200,
            json!({"database": cluster_json("c1", "main", "online")}),
        )
    })
    .await;
    let cluster = server.client().clusters().get("c1").await.unwrap();
    assert_eq!(
        (cluster.id.as_str(), cluster.status.as_deref()),
        ("c1", Some("online"))
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let headers = &requests[0].headers;
    assert!(
        requests[0].is("GET", "/v2/databases/c1"),
        "the endpoint's trailing slash is tolerated"
    );
    assert_eq!(headers["authorization"], format!("Bearer {TOKEN}").as_str());
    assert_eq!(headers["accept"], "application/json");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["user-agent"], "api-client-tests/1.0");
}

#[tokio::test]
async fn json_error_bodies_are_parsed_and_4xx_are_not_retried() {
    let server = TestServer::start(|r| match r.method.as_str() {
        "POST" => Reply::Json(
            422,
            json!({"id": "unprocessable_entity", "message": "invalid cluster size", "request_id": "4851a473"}),
        ),
        _ => api_error(404, "not_found", "The resource you requested could not be found."),
    })
    .await;
    let client = server.client();

    let invalid = client
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap_err();
    assert_eq!(
        invalid.to_string(),
        "POST /v2/databases: 422 unprocessable_entity: invalid cluster size (request 4851a473)"
    );
    assert_eq!(
        (invalid.kind(), invalid.status(), invalid.id()),
        (ErrorKind::Invalid, Some(422), Some("unprocessable_entity"))
    );
    assert_eq!(invalid.request_id(), Some("4851a473"));

    let missing = client.clusters().get("gone").await.unwrap_err();
    assert!(missing.is_not_found());
    assert_eq!(
        missing.message(),
        "The resource you requested could not be found."
    );

    let resize = ResizeRequest {
        size: "db-s-2vcpu-4gb".into(),
        num_nodes: 1,
        storage_size_mib: None,
    };
    assert!(client
        .clusters()
        .resize("gone", &resize)
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(
        server.calls(),
        [
            "POST /v2/databases",
            "GET /v2/databases/gone",
            "PUT /v2/databases/gone/resize"
        ],
        "no 4xx is retried, and a 422 on create triggers no lookup"
    );
}

#[tokio::test]
async fn non_json_error_bodies_still_give_a_readable_message() {
    let server = TestServer::start(|r| match r.path.as_str() {
        "/v2/databases/plain" => Reply::Text {
            status: 400,
            content_type: "text/plain",
            body: "missing\n  field",
        },
        _ => Reply::Text {
            status: 502,
            content_type: "text/html",
            body: "<html><h1>Bad Gateway</h1></html>",
        },
    })
    .await;
    let client = Client::new(ClientConfig {
        retry: RetryPolicy {
            max_retries: 0,
            ..server.config().retry
        },
        ..server.config()
    })
    .unwrap();

    let plain = client.clusters().get("plain").await.unwrap_err();
    assert_eq!(
        plain.to_string(),
        "GET /v2/databases/plain: 400 bad_request: Bad Request: missing field"
    );

    let html = client.clusters().get("html").await.unwrap_err();
    assert_eq!(html.status(), Some(502));
    assert!(
        html.message()
            .starts_with("Bad Gateway (text/html response body of"),
        "{html}"
    );
    assert!(!html.to_string().contains("<html>"));
}

#[tokio::test]
async fn unauthorized_is_reported_without_the_token() {
    let server =
        TestServer::start(|_| api_error(401, "unauthorized", "Unable to authenticate you.")).await;
    let error = server.client().options().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unauthorized);
    assert!(!error.to_string().contains(TOKEN) && !format!("{error:?}").contains(TOKEN));
    assert_eq!(server.count("GET", "/v2/databases/options"), 1);
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_429_with_retry_after_is_retried_even_for_a_post() {
    let posts = Counter::default();
    let server = TestServer::start(move |r| match posts.next() {
        1 => Reply::WithHeaders(
            vec![
                ("retry-after", "1".to_string()),
                ("ratelimit-remaining", "0".to_string()),
            ],
            Box::new(api_error(
                429,
                "too_many_requests",
                "API rate limit exceeded.",
            )),
        ),
        _ => {
            let name = r.json()["name"].as_str().unwrap().to_string();
            Reply::Json(
                201,
                json!({"database": cluster_json("c1", &name, "creating")}),
            )
        }
    })
    .await;
    let cluster = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!((cluster.id.as_str(), cluster.name.as_str()), ("c1", "main"));
    assert_eq!(
        server.calls(),
        ["POST /v2/databases", "POST /v2/databases"],
        "a 429 needs no lookup"
    );
}

#[tokio::test]
async fn a_persistent_429_ends_as_rate_limited_with_the_hint() {
    let server = TestServer::start(|_| {
        Reply::WithHeaders(
            vec![("retry-after", "0".to_string())],
            Box::new(api_error(
                429,
                "too_many_requests",
                "API rate limit exceeded.",
            )),
        )
    })
    .await;
    let error = server.client().clusters().list(None).await.unwrap_err();
    assert!(
        error.kind() == ErrorKind::RateLimited && error.retry_after() == Some(Duration::ZERO),
        "{error:?}"
    );
    assert_eq!(
        server.count("GET", "/v2/databases"),
        4,
        "one attempt and three retries"
    );
}

#[tokio::test]
async fn a_429_asking_for_a_very_long_wait_fails_at_once() {
    let server = TestServer::start(|_| {
        Reply::WithHeaders(
            vec![("retry-after", "3600".to_string())],
            Box::new(api_error(
                429,
                "too_many_requests",
                "API rate limit exceeded.",
            )),
        )
    })
    .await;
    let error = server.client().clusters().list(None).await.unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("the API asked to retry after 1h0m"),
        "{error}"
    );
    assert_eq!(server.count("GET", "/v2/databases"), 1);
}

#[tokio::test]
async fn server_errors_are_retried_for_idempotent_methods() {
    let calls = Counter::default();
    let server = TestServer::start(move |_| match calls.next() {
        1 => api_error(500, "server_error", "Unexpected server-side error"),
        2 => Reply::Text {
            status: 503,
            content_type: "text/plain",
            body: "upstream unavailable",
        },
        3 => api_error(502, "bad_gateway", "bad gateway"),
        _ => Reply::Empty(204),
    })
    .await;
    server
        .client()
        .clusters()
        .set_sql_mode("c1", "ANSI")
        .await
        .unwrap();
    assert_eq!(server.count("PUT", "/v2/databases/c1/sql_mode"), 4);
    assert!(server
        .requests()
        .iter()
        .all(|r| r.json() == json!({"sql_mode": "ANSI"})));
}

#[tokio::test]
async fn server_errors_are_returned_once_the_retries_run_out() {
    let server = TestServer::start(|_| api_error(503, "service_unavailable", "try later")).await;
    let error = server.client().clusters().get("c1").await.unwrap_err();
    assert_eq!(
        (error.kind(), error.status()),
        (ErrorKind::Server, Some(503))
    );
    assert_eq!(server.count("GET", "/v2/databases/c1"), 4);
}

#[tokio::test]
async fn a_501_is_not_retried() {
    let server = TestServer::start(|_| api_error(501, "not_implemented", "not implemented")).await;
    let error = server
        .client()
        .clusters()
        .get_sql_mode("c1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(501));
    assert_eq!(server.count("GET", "/v2/databases/c1/sql_mode"), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get() {
    let calls = Counter::default();
    let server = TestServer::start(move |_| match calls.next() {
        1 => Reply::Drop,
        _ => Reply::Json(200, json!({"eviction_policy": "allkeys_lru"})),
    })
    .await;
    let policy = server
        .client()
        .clusters()
        .get_eviction_policy("c1")
        .await
        .unwrap();
    assert_eq!(policy, "allkeys_lru");
    assert_eq!(server.count("GET", "/v2/databases/c1/eviction_policy"), 2);
}

#[tokio::test]
async fn a_connection_refused_is_retried_then_reported_as_transport() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::new(ClientConfig {
        endpoint: url,
        token: TOKEN.into(),
        retry: RetryPolicy {
            max_retries: 2,
            wait_min: Duration::from_millis(1),
            wait_max: Duration::from_millis(2),
        },
        ..ClientConfig::default()
    })
    .unwrap();
    let error = client
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(
        !error.to_string().contains("127.0.0.1"),
        "transport errors do not repeat the URL: {error}"
    );
}

#[tokio::test]
async fn request_timeout_bounds_each_attempt() {
    let server = TestServer::start(|_| Reply::Hang).await;
    let client = Client::new(ClientConfig {
        request_timeout: Duration::from_millis(100),
        retry: RetryPolicy {
            max_retries: 1,
            ..server.config().retry
        },
        ..server.config()
    })
    .unwrap();
    let error = client.clusters().get("c1").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.to_string().contains("request_timeout"), "{error}");
    assert_eq!(
        server.count("GET", "/v2/databases/c1"),
        2,
        "a timed-out GET is retried"
    );
}

// ---------------------------------------------------------------------------------------------
// The safe create
// ---------------------------------------------------------------------------------------------

/// What the scripted API does with the n-th create.
enum OnCreate {
    /// Creates the cluster and answers 201.
    Create,
    /// Creates the cluster but answers with this instead.
    CreateThen(Reply),
    /// Fails with this before creating anything.
    FailBefore(Reply),
}

/// A server whose POST creates clusters as `on_create` says and whose list shows them.
fn creating_server(
    on_create: impl Fn(usize) -> OnCreate + Send + Sync + 'static,
) -> impl Fn(&Recorded) -> Reply {
    let created: Arc<Mutex<Vec<Value>>> = Arc::default();
    let posts = Counter::default();
    move |r: &Recorded| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/databases") => {
            let n = posts.next();
            let answer = match on_create(n) {
                OnCreate::FailBefore(reply) => return reply,
                OnCreate::CreateThen(reply) => Some(reply),
                OnCreate::Create => None,
            };
            let cluster = cluster_json(
                &format!("c{n}"),
                r.json()["name"].as_str().unwrap(),
                "creating",
            );
            created.lock().unwrap().push(cluster.clone());
            answer.unwrap_or(Reply::Json(201, json!({"database": cluster})))
        }
        ("GET", "/v2/databases") => {
            Reply::Json(200, json!({"databases": *created.lock().unwrap()}))
        }
        _ => api_error(404, "not_found", "not found"),
    }
}

fn server_error() -> Reply {
    api_error(500, "server_error", "Unexpected server-side error")
}

#[tokio::test]
async fn a_post_that_fails_with_500_after_creating_is_found_not_resent() {
    let server = TestServer::start(creating_server(|n| match n {
        1 => OnCreate::CreateThen(server_error()),
        _ => OnCreate::Create,
    }))
    .await;
    let cluster = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!((cluster.id.as_str(), cluster.name.as_str()), ("c1", "main"));
    assert_eq!(server.calls(), ["POST /v2/databases", "GET /v2/databases"]);
}

#[tokio::test]
async fn a_post_whose_response_is_lost_is_found_not_resent() {
    let server = TestServer::start(creating_server(|n| match n {
        1 => OnCreate::CreateThen(Reply::Drop),
        _ => OnCreate::Create,
    }))
    .await;
    let cluster = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!(cluster.id, "c1");
    assert_eq!(server.count("POST", "/v2/databases"), 1);
}

#[tokio::test]
async fn a_post_that_created_nothing_is_sent_again() {
    let server = TestServer::start(creating_server(|n| match n {
        1 => OnCreate::FailBefore(server_error()),
        _ => OnCreate::Create,
    }))
    .await;
    let cluster = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!(cluster.id, "c2");
    assert_eq!(
        server.calls(),
        [
            "POST /v2/databases",
            "GET /v2/databases",
            "POST /v2/databases"
        ]
    );
}

#[tokio::test]
async fn a_same_named_cluster_of_another_engine_is_not_adopted() {
    let server = TestServer::start(creating_server(|n| match n {
        1 => OnCreate::Create,
        2 => OnCreate::FailBefore(server_error()),
        _ => OnCreate::FailBefore(api_error(
            422,
            "unprocessable_entity",
            "cluster name is not available",
        )),
    }))
    .await;
    let client = server.client();
    let pg = client
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!(pg.engine, "pg");
    let mysql = CreateClusterRequest {
        engine: "mysql".into(),
        ..create_request("main")
    };
    let error = client.clusters().create(&mysql).await.unwrap_err();
    assert_eq!(
        error.status(),
        Some(422),
        "the lookup saw the pg cluster and did not return it"
    );
    assert_eq!(
        server.calls(),
        [
            "POST /v2/databases",
            "POST /v2/databases",
            "GET /v2/databases",
            "POST /v2/databases",
            "GET /v2/databases"
        ]
    );
}

#[tokio::test]
async fn a_resend_refused_because_a_late_first_post_took_the_name_finds_that_cluster() {
    // The first POST fails ambiguously and the lookup sees nothing; the first POST then lands
    // on the server just before the resend, which is refused because the name is taken.
    let server = TestServer::start(creating_server(|n| match n {
        1 => OnCreate::FailBefore(server_error()),
        _ => OnCreate::CreateThen(api_error(
            422,
            "unprocessable_entity",
            "cluster name is not available",
        )),
    }))
    .await;
    let cluster = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap();
    assert_eq!((cluster.id.as_str(), cluster.name.as_str()), ("c2", "main"));
    assert_eq!(
        server.calls(),
        [
            "POST /v2/databases",
            "GET /v2/databases",
            "POST /v2/databases",
            "GET /v2/databases"
        ]
    );
}

#[tokio::test]
async fn a_conflict_on_the_first_post_is_returned_without_a_lookup() {
    let server = TestServer::start(creating_server(|_| {
        OnCreate::CreateThen(api_error(409, "conflict", "name already in use"))
    }))
    .await;
    let error = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(409));
    assert_eq!(server.calls(), ["POST /v2/databases"]);
}

#[tokio::test]
async fn a_pool_resend_refused_as_taken_after_an_ambiguous_post_finds_the_pool() {
    let pool = json!({"name": "p1", "mode": "transaction", "size": 5, "db": "defaultdb", "user": "doadmin"});
    let posts = Counter::default();
    let exists = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let server = TestServer::start(move |r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/databases/c1/pools") => {
            if posts.next() == 1 {
                return server_error();
            }
            exists.store(true, Ordering::SeqCst);
            api_error(422, "unprocessable_entity", "pool name is not available")
        }
        ("GET", "/v2/databases/c1/pools/p1") if exists.load(Ordering::SeqCst) => {
            Reply::Json(200, json!({"pool": pool}))
        }
        _ => api_error(404, "not_found", "not found"),
    })
    .await;
    let request = CreatePoolRequest {
        name: "p1".into(),
        mode: "transaction".into(),
        size: 5,
        db: "defaultdb".into(),
        user: Some("doadmin".into()),
    };
    let created = server.client().pools("c1").create(&request).await.unwrap();
    assert_eq!(created.name, "p1");
    assert_eq!(
        server.calls(),
        [
            "POST /v2/databases/c1/pools",
            "GET /v2/databases/c1/pools/p1",
            "POST /v2/databases/c1/pools",
            "GET /v2/databases/c1/pools/p1"
        ]
    );
}

#[tokio::test]
async fn a_failed_lookup_returns_the_create_error_with_a_warning() {
    let server = TestServer::start(|r| match r.method.as_str() {
        "POST" => api_error(500, "server_error", "boom"),
        _ => api_error(401, "unauthorized", "Unable to authenticate you."),
    })
    .await;
    let error = server
        .client()
        .clusters()
        .create(&create_request("main"))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert!(
        error
            .message()
            .contains("the cluster may have been created anyway"),
        "{error}"
    );
    assert_eq!(server.count("POST", "/v2/databases"), 1);
}

// ---------------------------------------------------------------------------------------------
// Paths, bodies and envelopes of the typed calls
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn typed_calls_use_the_contract_paths_bodies_and_envelopes() {
    let server = TestServer::start(|r| {
        let pool = json!({"name": "my pool", "mode": "transaction", "size": 10, "db": "defaultdb", "user": "doadmin"});
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/v2/databases") => Reply::Json(200, json!({"databases": [cluster_json("c1", "main", "online")]})),
            ("GET", "/v2/databases/options") => {
                Reply::Json(200, json!({"options": {"pg": {"regions": ["nyc3"], "versions": ["16"]}}}))
            }
            ("POST", "/v2/databases/c1/pools") => Reply::Json(201, json!({"pool": pool})),
            ("GET", "/v2/databases/c1/pools/my%20pool") => Reply::Json(200, json!({"pool": pool})),
            ("GET", "/v2/databases/c1/pools") => Reply::Json(200, json!({"pools": [pool]})),
            ("POST", "/v2/databases/c1/topics") => {
                Reply::Json(202, json!({"id": "accepted", "message": "topic is still provisioning"}))
            }
            ("GET", "/v2/databases/c1/users") => Reply::Json(200, json!({"users": [{"name": "doadmin", "password": "pw"}]})),
            ("GET", "/v2/databases/c1/dbs") => Reply::Json(200, json!({"dbs": null})),
            ("GET", "/v2/databases/c1/config") => Reply::Json(200, json!({"config": {"sql_require_primary_key": true}})),
            ("PATCH", "/v2/databases/c1/config") => Reply::Empty(200),
            ("GET", "/v2/databases/c1/ca") => Reply::Json(200, json!({"ca": {"certificate": "LS0t"}})),
            ("GET", "/v2/databases/c1/autoscale") => {
                Reply::Json(200, json!({"autoscale": {"storage": {"enabled": true, "threshold_percent": 80}}}))
            }
            ("GET", "/v2/databases/c1/firewall") => {
                Reply::Json(200, json!({"rules": [{"uuid": "u1", "cluster_uuid": "c1", "type": "ip_addr", "value": "10.0.0.1", "created_at": "2019-11-14T20:30:28Z"}]}))
            }
            ("PUT", "/v2/databases/c1/resize") | ("PUT", "/v2/databases/c1/migrate") => Reply::Empty(202),
            _ => Reply::Empty(204),
        }
    })
    .await;
    let client = server.client();
    let clusters = client.clusters();

    assert_eq!(clusters.list(Some("prod")).await.unwrap()[0].id, "c1");
    assert_eq!(
        clusters.find_by_name("main").await.unwrap().map(|c| c.id),
        Some("c1".into())
    );
    assert_eq!(clusters.find_by_name("other").await.unwrap(), None);
    assert_eq!(
        client.options().await.unwrap().options["pg"].regions,
        ["nyc3"]
    );
    clusters
        .resize(
            "c1",
            &ResizeRequest {
                size: "db-s-2vcpu-4gb".into(),
                num_nodes: 2,
                storage_size_mib: None,
            },
        )
        .await
        .unwrap();
    clusters.upgrade("c1", "17").await.unwrap();
    clusters
        .set_maintenance_window(
            "c1",
            &MaintenanceWindowRequest {
                day: "tuesday".into(),
                hour: "14:00".into(),
            },
        )
        .await
        .unwrap();
    clusters
        .set_eviction_policy("c1", "allkeys_lru")
        .await
        .unwrap();
    let config = clusters.get_config("c1").await.unwrap();
    assert_eq!(config["sql_require_primary_key"], json!(true));
    clusters.patch_config("c1", &config).await.unwrap();
    assert_eq!(clusters.get_ca("c1").await.unwrap().certificate, "LS0t");
    let autoscale = clusters.get_autoscale("c1").await.unwrap();
    assert_eq!(
        autoscale.storage.as_ref().unwrap().threshold_percent,
        Some(80)
    );
    clusters.set_autoscale("c1", &autoscale).await.unwrap();
    clusters.delete("c1").await.unwrap();

    let pools = client.pools("c1");
    let create = CreatePoolRequest {
        name: "my pool".into(),
        mode: "transaction".into(),
        size: 10,
        db: "defaultdb".into(),
        user: None,
    };
    assert_eq!(pools.create(&create).await.unwrap().name, "my pool");
    assert_eq!(pools.get("my pool").await.unwrap().size, 10);
    assert_eq!(pools.list().await.unwrap().len(), 1);
    let update = UpdatePoolRequest {
        mode: "session".into(),
        size: 5,
        db: "defaultdb".into(),
        user: None,
    };
    pools.update("my pool", &update).await.unwrap();
    pools.delete("my pool").await.unwrap();

    let topic = CreateTopicRequest {
        name: "events".into(),
        partition_count: Some(3),
        ..Default::default()
    };
    assert_eq!(
        client.topics("c1").create(&topic).await.unwrap(),
        None,
        "a 202 without a topic is accepted"
    );
    client.topics("c1").delete("events").await.unwrap();

    let mut rules = client.firewall("c1").get().await.unwrap();
    rules.push(FirewallRule::new("tag", "backend"));
    client.firewall("c1").put(&rules).await.unwrap();
    assert_eq!(client.users("c1").list().await.unwrap()[0].name, "doadmin");
    assert!(
        client.dbs("c1").list().await.unwrap().is_empty(),
        "a null list reads as empty"
    );

    let requests = server.requests();
    let sent = |method: &str, path: &str| -> Recorded {
        requests
            .iter()
            .find(|r| r.is(method, path))
            .unwrap_or_else(|| panic!("no {method} {path}"))
            .clone()
    };
    assert_eq!(requests[0].query.as_deref(), Some("tag_name=prod"));
    assert_eq!(
        sent("PUT", "/v2/databases/c1/resize").json(),
        json!({"size": "db-s-2vcpu-4gb", "num_nodes": 2})
    );
    assert_eq!(
        sent("PUT", "/v2/databases/c1/upgrade").json(),
        json!({"version": "17"})
    );
    assert_eq!(
        sent("PUT", "/v2/databases/c1/maintenance").json(),
        json!({"day": "tuesday", "hour": "14:00"})
    );
    assert_eq!(
        sent("PUT", "/v2/databases/c1/eviction_policy").json(),
        json!({"eviction_policy": "allkeys_lru"})
    );
    assert_eq!(
        sent("PATCH", "/v2/databases/c1/config").json(),
        json!({"config": {"sql_require_primary_key": true}})
    );
    assert_eq!(
        sent("PUT", "/v2/databases/c1/autoscale").json(),
        json!({"storage": {"enabled": true, "threshold_percent": 80}})
    );
    assert_eq!(sent("DELETE", "/v2/databases/c1").body, b"");
    assert_eq!(
        sent("POST", "/v2/databases/c1/pools").json(),
        json!({"name": "my pool", "mode": "transaction", "size": 10, "db": "defaultdb"})
    );
    assert_eq!(
        sent("PUT", "/v2/databases/c1/pools/my%20pool").json(),
        json!({"mode": "session", "size": 5, "db": "defaultdb"})
    );
    sent("DELETE", "/v2/databases/c1/pools/my%20pool");
    assert_eq!(
        sent("POST", "/v2/databases/c1/topics").json(),
        json!({"name": "events", "partition_count": 3})
    );
    sent("DELETE", "/v2/databases/c1/topics/events");
    assert_eq!(
        sent("PUT", "/v2/databases/c1/firewall").json(),
        json!({"rules": [{"uuid": "u1", "type": "ip_addr", "value": "10.0.0.1"}, {"type": "tag", "value": "backend"}]}),
        "server-set fields are not sent back"
    );
}

#[tokio::test]
async fn tags_are_created_idempotently_and_untagged_with_a_json_body_on_delete() {
    let server = TestServer::start(|r| match (r.method.as_str(), r.path.as_str()) {
        ("POST", "/v2/tags") => {
            api_error(422, "unprocessable_entity", "tag production already exists")
        }
        _ => Reply::Empty(204),
    })
    .await;
    let client = server.client();
    let resources = [TagResource::database("c1")];
    client.tags().create("production").await.unwrap();
    client
        .tags()
        .tag_resources("production", &resources)
        .await
        .unwrap();
    client
        .tags()
        .untag_resources("env:old", &resources)
        .await
        .unwrap();
    client.tags().untag_resources("env:old", &[]).await.unwrap();

    assert_eq!(
        server.calls(),
        [
            "POST /v2/tags",
            "POST /v2/tags/production/resources",
            "DELETE /v2/tags/env:old/resources"
        ],
        "an empty untag sends nothing"
    );
    let requests = server.requests();
    assert_eq!(requests[0].json(), json!({"name": "production"}));
    let expected = json!({"resources": [{"resource_id": "c1", "resource_type": "database"}]});
    assert_eq!(requests[1].json(), expected);
    assert_eq!(requests[2].json(), expected);
    assert_eq!(requests[2].headers["content-type"], "application/json");
}

#[tokio::test]
async fn tagging_is_retried_after_a_server_error_because_it_is_idempotent() {
    let calls = Counter::default();
    let server = TestServer::start(move |_| match calls.next() {
        1 => api_error(500, "server_error", "boom"),
        _ => Reply::Empty(204),
    })
    .await;
    server
        .client()
        .tags()
        .tag_resources("prod", &[TagResource::database("c1")])
        .await
        .unwrap();
    assert_eq!(server.count("POST", "/v2/tags/prod/resources"), 2);
}

#[tokio::test]
async fn empty_ids_are_refused_before_any_request() {
    let server = TestServer::start(|_| Reply::Empty(204)).await;
    let client = server.client();
    assert_eq!(
        client.clusters().get("").await.unwrap_err().kind(),
        ErrorKind::Config
    );
    assert_eq!(
        client.pools("c1").delete("").await.unwrap_err().kind(),
        ErrorKind::Config
    );
    assert!(server.requests().is_empty());
}

// ---------------------------------------------------------------------------------------------
// poll_until and the waits
// ---------------------------------------------------------------------------------------------

fn fast_schedule() -> PollSchedule {
    PollSchedule {
        first: Duration::from_millis(2),
        max_interval: Duration::from_millis(10),
    }
}

fn far_deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

#[tokio::test]
async fn poll_until_times_out_with_the_last_state() {
    let cancel = CancellationToken::new();
    let checks = Counter::default();
    let deadline = Instant::now() + Duration::from_millis(60);
    let result: Result<(), _> = poll_until(&fast_schedule(), deadline, &cancel, true, || {
        let n = checks.next();
        async move { Ok(Poll::Pending(format!("creating ({n})"))) }
    })
    .await;
    match result {
        Err(WaitError::Timeout {
            last: Some(last), ..
        }) => assert!(last.starts_with("creating ("), "{last}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(checks.0.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn poll_until_times_out_without_a_state_when_no_check_fits() {
    let cancel = CancellationToken::new();
    let schedule = PollSchedule {
        first: Duration::from_secs(3600),
        max_interval: Duration::from_secs(3600),
    };
    let deadline = Instant::now() + Duration::from_millis(10);
    let result: Result<(), _> = poll_until(&schedule, deadline, &cancel, false, || async {
        panic!("no check may start after the deadline")
    })
    .await;
    assert!(
        matches!(result, Err(WaitError::Timeout { last: None, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn poll_until_stops_when_cancelled_during_a_sleep() {
    let cancel = CancellationToken::new();
    let schedule = PollSchedule {
        first: Duration::from_secs(3600),
        max_interval: Duration::from_secs(3600),
    };
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::task::yield_now().await;
        canceller.cancel();
    });
    let result: Result<(), _> = poll_until(&schedule, far_deadline(), &cancel, false, || async {
        Ok(Poll::Pending("x".into()))
    })
    .await;
    assert!(matches!(result, Err(WaitError::Cancelled)), "{result:?}");
}

#[tokio::test]
async fn a_wait_stops_when_cancelled_during_a_request() {
    let arrived = Arc::new(Notify::new());
    let server = TestServer::start({
        let arrived = Arc::clone(&arrived);
        move |_| {
            arrived.notify_one();
            Reply::Hang
        }
    })
    .await;
    let client = Client::new(ClientConfig {
        request_timeout: Duration::from_secs(120),
        ..server.config()
    })
    .unwrap();
    let cancel = CancellationToken::new();
    tokio::spawn({
        let cancel = cancel.clone();
        async move {
            arrived.notified().await;
            cancel.cancel();
        }
    });
    let result = client
        .clusters()
        .wait(
            "c1",
            conditions::online(),
            &fast_schedule(),
            far_deadline(),
            &cancel,
        )
        .await;
    assert!(matches!(result, Err(WaitError::Cancelled)), "{result:?}");
    assert_eq!(server.count("GET", "/v2/databases/c1"), 1);
}

#[tokio::test]
async fn poll_until_ends_on_a_permanent_error_and_rides_out_transient_ones() {
    let cancel = CancellationToken::new();
    let unauthorized = || {
        ApiError::from_status(
            "GET",
            "/v2/databases/c1",
            401,
            "unauthorized",
            "Unable to authenticate you.",
        )
    };
    let result: Result<(), _> =
        poll_until(&fast_schedule(), far_deadline(), &cancel, true, || async {
            Err(unauthorized())
        })
        .await;
    assert!(
        matches!(&result, Err(WaitError::Api(e)) if e.kind() == ErrorKind::Unauthorized),
        "{result:?}"
    );

    let checks = Counter::default();
    let value = poll_until(&fast_schedule(), far_deadline(), &cancel, true, || {
        let n = checks.next();
        async move {
            match n {
                1 => Err(ApiError::transport("GET", "/x", "reset")),
                2 => Ok(Poll::Pending("creating".into())),
                _ => Ok(Poll::Ready(n)),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(value, 3);
}

#[tokio::test]
async fn wait_online_treats_404_as_not_there_yet() {
    let gets = Counter::default();
    let server = TestServer::start(move |_| match gets.next() {
        1 | 2 => api_error(
            404,
            "not_found",
            "The resource you requested could not be found.",
        ),
        3 => Reply::Json(
            200,
            json!({"database": cluster_json("c1", "main", "creating")}),
        ),
        _ => Reply::Json(
            200,
            json!({"database": cluster_json("c1", "main", "online")}),
        ),
    })
    .await;
    let cancel = CancellationToken::new();
    let cluster = server
        .client()
        .clusters()
        .wait(
            "c1",
            conditions::online(),
            &fast_schedule(),
            far_deadline(),
            &cancel,
        )
        .await
        .unwrap();
    assert!(cluster.is_online());
    assert_eq!(
        server.calls(),
        vec!["GET /v2/databases/c1"; 4],
        "a single waiter reads its cluster by id"
    );
}

#[tokio::test]
async fn wait_online_times_out_reporting_the_status_it_last_saw() {
    let server = TestServer::start(|_| {
        Reply::Json(
            200,
            json!({"database": cluster_json("c1", "main", "creating")}),
        )
    })
    .await;
    let cancel = CancellationToken::new();
    let deadline = Instant::now() + Duration::from_millis(80);
    let error = server
        .client()
        .clusters()
        .wait(
            "c1",
            conditions::online(),
            &fast_schedule(),
            deadline,
            &cancel,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, WaitError::Timeout { last: Some(last), .. } if last == "creating"),
        "{error:?}"
    );
}

#[tokio::test]
async fn wait_deleted_ends_on_404() {
    let gets = Counter::default();
    let server = TestServer::start(move |_| match gets.next() {
        1 => Reply::Json(
            200,
            json!({"database": cluster_json("c1", "main", "online")}),
        ),
        _ => api_error(404, "not_found", "gone"),
    })
    .await;
    let cancel = CancellationToken::new();
    server
        .client()
        .clusters()
        .wait(
            "c1",
            conditions::gone(),
            &fast_schedule(),
            far_deadline(),
            &cancel,
        )
        .await
        .unwrap();
    assert_eq!(server.count("GET", "/v2/databases/c1"), 2);
}

#[tokio::test]
async fn concurrent_waiters_share_one_cluster_list_per_round() {
    let lists = Counter::default();
    let server = TestServer::start({
        let lists = lists.clone();
        move |r| {
            if r.is("GET", "/v2/databases") {
                let status = if lists.next() >= 3 {
                    "online"
                } else {
                    "creating"
                };
                let all: Vec<Value> = ["a", "b", "c"]
                    .iter()
                    .map(|id| cluster_json(id, id, status))
                    .collect();
                Reply::Json(200, json!({"databases": all}))
            } else {
                Reply::Json(200, json!({"database": cluster_json("x", "x", "online")}))
            }
        }
    })
    .await;
    let client = server.client();
    let cancel = CancellationToken::new();
    let schedule = PollSchedule {
        first: Duration::from_millis(100),
        max_interval: Duration::from_millis(400),
    };
    let deadline = far_deadline();
    let clusters = client.clusters();
    let (a, b, c) = tokio::join!(
        clusters.wait("a", conditions::online(), &schedule, deadline, &cancel),
        clusters.wait("b", conditions::online(), &schedule, deadline, &cancel),
        clusters.wait("c", conditions::online(), &schedule, deadline, &cancel),
    );
    for (id, result) in [("a", a), ("b", b), ("c", c)] {
        let cluster = result.unwrap();
        assert_eq!(
            (cluster.id.as_str(), cluster.status.as_deref()),
            (id, Some("online"))
        );
    }
    let calls = server.calls();
    assert!(
        calls.iter().all(|c| c == "GET /v2/databases"),
        "no per-cluster GETs: {calls:?}"
    );
    // Three rounds (creating, creating, online) for three waiters: one list each, with room
    // for one extra fetch should a waiter lag a whole round on a loaded machine.
    assert!((3..=4).contains(&calls.len()), "{calls:?}");
}

// ---------------------------------------------------------------------------------------------
// Rate-limit bookkeeping and pacing
// ---------------------------------------------------------------------------------------------

fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fixed-window limiter like the API's: `limit` requests per window; the budget headers on
/// every response; 429 with `retry-after` once the window's budget is spent.
struct Window {
    limit: u64,
    remaining: u64,
    reset: u64,
    rejected: usize,
}

#[tokio::test]
async fn a_low_budget_paces_concurrent_requests_instead_of_tripping_429s() {
    const LIMIT: u64 = 100;
    let window = Arc::new(Mutex::new(Window {
        limit: LIMIT,
        remaining: 4,
        reset: epoch_seconds() + 2,
        rejected: 0,
    }));
    let server = TestServer::start({
        let window = Arc::clone(&window);
        move |_| {
            let mut w = window.lock().unwrap();
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            if now.as_secs() >= w.reset {
                w.remaining = w.limit;
                w.reset = now.as_secs() + 60;
            }
            let headers = |remaining: u64, reset: u64| {
                vec![
                    ("ratelimit-limit", LIMIT.to_string()),
                    ("ratelimit-remaining", remaining.to_string()),
                    ("ratelimit-reset", reset.to_string()),
                ]
            };
            if w.remaining == 0 {
                w.rejected += 1;
                let mut h = headers(0, w.reset);
                h.push(("retry-after", (w.reset - now.as_secs()).to_string()));
                return Reply::WithHeaders(
                    h,
                    Box::new(api_error(
                        429,
                        "too_many_requests",
                        "API rate limit exceeded.",
                    )),
                );
            }
            w.remaining -= 1;
            Reply::WithHeaders(
                headers(w.remaining, w.reset),
                Box::new(Reply::Json(200, json!({"options": {}}))),
            )
        }
    })
    .await;
    let client = server.client();
    assert_eq!(client.rate_limit(), None);
    client.options().await.unwrap();
    let seen = client
        .clone()
        .rate_limit()
        .expect("clones share the bookkeeping");
    assert_eq!((seen.limit, seen.remaining), (Some(LIMIT), 3));

    let calls: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.options().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        server.count("GET", "/v2/databases/options"),
        7,
        "every call was sent exactly once"
    );
    assert_eq!(
        window.lock().unwrap().rejected,
        0,
        "the client never spent more than the budget"
    );
    assert!(
        client.rate_limit().unwrap().remaining > 90,
        "the fresh window's budget is known"
    );
}

#[tokio::test]
async fn the_budget_is_recorded_from_every_response_and_a_comfortable_one_is_not_paced() {
    let server = TestServer::start(|_| {
        Reply::WithHeaders(
            vec![
                ("ratelimit-limit", "5000".to_string()),
                ("ratelimit-remaining", "4816".to_string()),
                ("ratelimit-reset", (epoch_seconds() + 3600).to_string()),
            ],
            Box::new(Reply::Json(200, json!({"dbs": [{"name": "defaultdb"}]}))),
        )
    })
    .await;
    let client = server.client();
    let results = futures::future::join_all((0..10).map(|_| client.dbs("c1").list())).await;
    assert!(results
        .iter()
        .all(|r| r.as_ref().is_ok_and(|dbs| dbs[0].name == "defaultdb")));
    assert_eq!(server.count("GET", "/v2/databases/c1/dbs"), 10);
    let status = client.rate_limit().unwrap();
    assert_eq!(status.limit, Some(5000));
    assert!((4806..=4816).contains(&status.remaining), "{status:?}");
    assert!(status.resets_in.unwrap() > Duration::from_secs(3000));
}

// ---------------------------------------------------------------------------------------------
// Futures must be Send: the provider awaits them inside `async_trait` methods.
// ---------------------------------------------------------------------------------------------

fn assert_send<T: Send>(_: T) {}

#[test]
fn the_public_futures_are_send() {
    let client = Client::new(ClientConfig {
        token: TOKEN.into(),
        ..ClientConfig::default()
    })
    .unwrap();
    let (schedule, cancel, deadline) = (
        PollSchedule::default(),
        CancellationToken::new(),
        far_deadline(),
    );
    let request = create_request("main");
    assert_send(client.clusters().create(&request));
    assert_send(
        client
            .clusters()
            .wait("c1", conditions::online(), &schedule, deadline, &cancel),
    );
    assert_send(client.clusters().wait(
        "c1",
        conditions::online_and(|c| c.num_nodes == 3),
        &schedule,
        deadline,
        &cancel,
    ));
    assert_send(
        client
            .clusters()
            .wait("c1", conditions::gone(), &schedule, deadline, &cancel),
    );
    assert_send(client.topics("c1").wait(
        "events",
        conditions::active_and(|_| true),
        &schedule,
        deadline,
        &cancel,
    ));
    assert_send(client.pools("c1").create(&CreatePoolRequest::default()));
    assert_send(client.tags().untag_resources("t", &[]));
    assert_send(poll_until(&schedule, deadline, &cancel, true, || async {
        Ok(Poll::Ready(()))
    }));
}
