//! Shared helpers for the emulator's tests (`tests/mock_*.rs`): an in-process emulator, a small
//! HTTP client around it, polling, and validation against the API's JSON Schemas.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use dbaas::mock::{MockConfig, MockServer};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token";

/// A running in-process emulator and a client for it.
pub struct Mock {
    pub server: MockServer,
    pub http: reqwest::Client,
    pub url: String,
}

/// A response, fully read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, printing the body on failure.
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}

/// Settings that make lifecycles quick but still observable.
pub fn quick_config() -> MockConfig {
    MockConfig {
        port: 0,
        provision_delay_ms: 200,
        transition_delay_ms: 200,
        seed: Some(7),
        ..MockConfig::default()
    }
}

impl Mock {
    pub async fn start() -> Mock {
        Mock::start_with(quick_config()).await
    }

    pub async fn start_with(config: MockConfig) -> Mock {
        let server = MockServer::start(config).await.expect("emulator starts");
        let url = server.url();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client builds");
        Mock { server, http, url }
    }

    /// An authenticated API request.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.try_call(method, path, body, Some(TOKEN))
            .await
            .expect("request completes")
    }

    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "response body is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, None).await
    }

    /// A `/_mock` control request (with the token: the controls need one, like `/v2`).
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.try_call(method, path, body, Some(TOKEN))
            .await
            .expect("control request completes")
    }

    pub async fn settings(&self, patch: Value) -> Value {
        self.control(Method::PATCH, "/_mock/settings", Some(patch))
            .await
            .expect(200)
            .body
    }

    pub async fn fault(&self, fault: Value) -> Value {
        self.control(Method::POST, "/_mock/faults", Some(fault))
            .await
            .expect(201)
            .body
    }

    pub async fn requests(&self) -> Vec<Value> {
        let log = self
            .control(Method::GET, "/_mock/requests", None)
            .await
            .expect(200)
            .body;
        log["requests"]
            .as_array()
            .expect("requests is an array")
            .clone()
    }

    /// Creates a cluster and returns it (the `database` object of the 201).
    pub async fn create_cluster(&self, body: Value) -> Value {
        let reply = self.post("/v2/databases", body).await.expect(201);
        assert_valid("cluster", &reply.body);
        reply.body["database"].clone()
    }

    /// A small PostgreSQL cluster, waited for until online.
    pub async fn online_cluster(&self, name: &str, engine: &str) -> Value {
        let body = match engine {
            "kafka" => {
                json!({"name": name, "engine": "kafka", "region": "nyc3", "size": "gd-2vcpu-8gb", "num_nodes": 3})
            }
            "opensearch" => {
                json!({"name": name, "engine": "opensearch", "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1})
            }
            other => {
                json!({"name": name, "engine": other, "region": "nyc3", "size": "db-s-1vcpu-2gb", "num_nodes": 1})
            }
        };
        let cluster = self.create_cluster(body).await;
        self.wait_for_status(cluster["id"].as_str().unwrap(), "online")
            .await
    }

    /// Polls the cluster until it reports `status` (generous deadline; never a timing assertion).
    pub async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let path = format!("/v2/databases/{id}");
        poll(|| async {
            let reply = self.get(&path).await.expect(200);
            (reply.body["database"]["status"] == status).then(|| reply.body["database"].clone())
        })
        .await
        .unwrap_or_else(|| panic!("cluster {id} never became {status}"))
    }
}

/// Calls `check` until it yields a value, for up to 30 seconds.
pub async fn poll<F, Fut, T>(mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Validates `instance` against `schemas/api/<name>.json`, panicking with every error.
pub fn assert_valid(name: &str, instance: &Value) {
    let path = format!("{}/schemas/api/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let compiled = jsonschema::JSONSchema::options()
        .should_validate_formats(true)
        .compile(&schema)
        .unwrap_or_else(|e| panic!("schema {name} does not compile: {e}"));
    let errors: Vec<String> = match compiled.validate(instance) {
        Ok(()) => return,
        Err(errors) => errors
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect(),
    };
    panic!(
        "response does not match schema {name}:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// Asserts a contract error body with the given status id.
pub fn assert_error(reply: &Reply, status: u16, id: &str) {
    assert_eq!(reply.status.as_u16(), status, "body: {}", reply.body);
    assert_valid("error", &reply.body);
    assert_eq!(reply.body["id"], id);
    assert!(
        reply.body["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "error bodies carry a request_id: {}",
        reply.body
    );
}
