//! `dbaas-mock --state-file` across crashes: every change the emulator answered is on disk when
//! it is killed with SIGKILL right after the answer; a journal line cut short is dropped; a
//! temporary file left by a crash is removed; the journal is compacted; and a clean SIGTERM
//! shutdown leaves one JSON document in the format the state file has always had.
//!
//! Each test drives the `dbaas-mock` binary over HTTP, as a client would, with the token it
//! was started with on every request (the `/_mock` controls included).

// The signal helper of the acceptance harness, without the rest of it.
#[path = "support/signal.rs"]
mod signal;

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

const TOKEN: &str = "persistence-test-token";
const LISTENING_PREFIX: &str = "dbaas-mock listening on ";

/// A `dbaas-mock` process on a state file, killed when dropped.
struct Emulator {
    child: Child,
    url: String,
    http: Client,
}

impl Emulator {
    /// Starts the binary on `state_file`, with lifecycles that end at once.
    fn start(state_file: &Path) -> Emulator {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
            .args(["--port", "0", "--token", TOKEN])
            .args(["--provision-delay-ms", "0", "--transition-delay-ms", "0"])
            .arg("--state-file")
            .arg(state_file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dbaas-mock starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (line_tx, line_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = line_tx.send(reader.read_line(&mut line).map(|_| line));
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let (stderr_tx, stderr_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            let _ = stderr_tx.send(text);
        });
        let line = match line_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) if !line.is_empty() => line,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr_rx
                    .recv_timeout(Duration::from_secs(10))
                    .unwrap_or_default();
                panic!(
                    "dbaas-mock did not start on {}: {stderr}",
                    state_file.display()
                );
            }
        };
        let url = line
            .trim_end()
            .strip_prefix(LISTENING_PREFIX)
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        let http = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Emulator { child, url, http }
    }

    /// A request with the token; the status and the body (null when it is not JSON).
    fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let text = response.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    fn expect(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let (answered, body) = self.call(method.clone(), path, body);
        assert_eq!(answered.as_u16(), status, "{method} {path}: {body}");
        body
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.expect(Method::POST, path, Some(body), 201)
    }

    fn create_cluster(&self, name: &str, engine: &str) -> Value {
        let (size, nodes) = match engine {
            "kafka" => ("gd-2vcpu-8gb", 3),
            _ => ("db-s-1vcpu-2gb", 1),
        };
        let body = json!({"name": name, "engine": engine, "region": "nyc3", "size": size, "num_nodes": nodes});
        self.post("/v2/databases", body)["database"].clone()
    }

    /// `GET /_mock/state` without the counters that are not part of the store.
    fn store(&self) -> Value {
        let mut state = self.expect(Method::GET, "/_mock/state", None, 200);
        let state = state.as_object_mut().expect("the state is an object");
        state.remove("overlapping_mutations");
        Value::Object(state.clone())
    }

    fn cluster_names(&self) -> Vec<String> {
        let listed = self.expect(Method::GET, "/v2/databases", None, 200);
        listed["databases"]
            .as_array()
            .map(|clusters| {
                clusters
                    .iter()
                    .map(|c| c["name"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// SIGKILL: the emulator gets no chance to write anything more.
    fn kill_9(mut self) {
        signal::to_child(&mut self.child, signal::SIGKILL).expect("SIGKILL is sent");
        self.child.wait().expect("the emulator is reaped");
    }

    fn terminate(mut self) -> ExitStatus {
        signal::to_child(&mut self.child, signal::SIGTERM).expect("SIGTERM is sent");
        self.child.wait().expect("the emulator exits")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn state_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("state.json")
}

/// The clusters of a `/_mock/state` dump by name.
fn by_name<'a>(store: &'a Value, name: &str) -> &'a Value {
    store["clusters"]
        .as_array()
        .and_then(|clusters| {
            clusters
                .iter()
                .find(|record| record["database"]["name"] == name)
        })
        .unwrap_or_else(|| panic!("no cluster {name} in the state"))
}

/// The snapshot at the start of a state file and the journal lines after it.
fn snapshot_and_journal(path: &Path) -> (Value, Vec<String>) {
    let text = fs::read_to_string(path).expect("the state file is readable");
    let mut values = serde_json::Deserializer::from_str(&text).into_iter::<Value>();
    let snapshot = values
        .next()
        .expect("a snapshot")
        .expect("the snapshot is JSON");
    let rest = &text[values.byte_offset()..];
    let lines = rest
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect();
    (snapshot, lines)
}

/// What emulators before the journal read: the whole file as one document of this shape.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read only to prove it parses
struct OldFormatState {
    account: Value,
    clusters: Vec<Value>,
    tags: Vec<String>,
    serial: u64,
}

#[test]
fn every_answered_change_survives_kill_9_with_its_children_and_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);

    let pg = emulator.create_cluster("durable-pg", "pg");
    let pg_id = pg["id"].as_str().unwrap().to_string();
    let kafka = emulator.create_cluster("durable-kafka", "kafka");
    let kafka_id = kafka["id"].as_str().unwrap().to_string();
    emulator.create_cluster("durable-valkey", "valkey");

    emulator.post(
        &format!("/v2/databases/{pg_id}/dbs"),
        json!({"name": "reports"}),
    );
    let reporter = emulator.post(
        &format!("/v2/databases/{pg_id}/users"),
        json!({"name": "reporter"}),
    );
    emulator.post(
        &format!("/v2/databases/{pg_id}/pools"),
        json!({"name": "reporting-pool", "mode": "session", "size": 5, "db": "reports", "user": "reporter"}),
    );
    emulator.expect(
        Method::PUT,
        &format!("/v2/databases/{pg_id}/firewall"),
        Some(json!({"rules": [{"type": "ip_addr", "value": "192.168.1.10"}]})),
        204,
    );
    emulator.post(
        &format!("/v2/databases/{kafka_id}/topics"),
        json!({"name": "orders", "partition_count": 3, "replication_factor": 2}),
    );
    emulator.post(
        &format!("/v2/databases/{kafka_id}/users"),
        json!({"name": "producer"}),
    );
    emulator.post("/v2/tags", json!({"name": "durable"}));
    emulator.expect(
        Method::POST,
        "/v2/tags/durable/resources",
        Some(json!({"resources": [{"resource_id": pg_id, "resource_type": "database"}]})),
        204,
    );
    emulator.expect(
        Method::PUT,
        &format!("/v2/databases/{kafka_id}/resize"),
        Some(json!({"size": "gd-4vcpu-16gb", "num_nodes": 3})),
        202,
    );
    let before = emulator.store();

    // The last change, and SIGKILL as soon as its answer is read.
    let last = emulator.post(
        &format!("/v2/databases/{pg_id}/pools"),
        json!({"name": "last-pool", "mode": "transaction", "size": 3, "db": "defaultdb", "user": "doadmin"}),
    );
    emulator.kill_9();

    let restarted = Emulator::start(&path);
    let mut after = restarted.store();
    let pools = after["clusters"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|record| record["database"]["id"] == pg_id.as_str())
        .expect("the PostgreSQL cluster is back")["pools"]
        .as_array_mut()
        .unwrap();
    let restored_last = pools.pop().expect("the last pool is back");
    assert_eq!(restored_last["name"], "last-pool");
    assert_eq!(
        restored_last["connection"]["password"], last["pool"]["connection"]["password"],
        "the pool's password is unchanged"
    );
    assert_eq!(
        restored_last["connection"]["uri"],
        last["pool"]["connection"]["uri"]
    );
    assert_eq!(
        after, before,
        "everything else is back as it was, secrets included"
    );

    let pg_record = by_name(&after, "durable-pg");
    assert_eq!(
        pg_record["database"]["connection"]["password"],
        pg["connection"]["password"]
    );
    let users = pg_record["users"].as_array().unwrap();
    let restored_reporter = users
        .iter()
        .find(|user| user["name"] == "reporter")
        .unwrap();
    assert_eq!(restored_reporter["password"], reporter["user"]["password"]);
    assert_eq!(pg_record["database"]["tags"], json!(["durable"]));
    assert_eq!(pg_record["firewall_rules"][0]["value"], "192.168.1.10");
    let kafka_record = by_name(&after, "durable-kafka");
    assert_eq!(kafka_record["topics"][0]["name"], "orders");
    assert_eq!(kafka_record["database"]["size"], "gd-4vcpu-16gb");
}

#[test]
fn deletes_and_resets_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);
    let kept = emulator.create_cluster("kept", "pg");
    let kept_id = kept["id"].as_str().unwrap().to_string();
    let doomed = emulator.create_cluster("doomed", "mysql");
    emulator.post(
        &format!("/v2/databases/{kept_id}/pools"),
        json!({"name": "doomed-pool", "mode": "session", "size": 2, "db": "defaultdb"}),
    );
    emulator.post(
        &format!("/v2/databases/{kept_id}/users"),
        json!({"name": "doomed-user"}),
    );
    emulator.post("/v2/tags", json!({"name": "doomed-tag"}));

    emulator.expect(
        Method::DELETE,
        &format!("/v2/databases/{kept_id}/pools/doomed-pool"),
        None,
        204,
    );
    emulator.expect(
        Method::DELETE,
        &format!("/v2/databases/{kept_id}/users/doomed-user"),
        None,
        204,
    );
    emulator.expect(Method::DELETE, "/v2/tags/doomed-tag", None, 204);
    emulator.expect(
        Method::DELETE,
        &format!("/v2/databases/{}", doomed["id"].as_str().unwrap()),
        None,
        204,
    );
    emulator.kill_9();

    let restarted = Emulator::start(&path);
    assert_eq!(restarted.cluster_names(), ["kept"]);
    let store = restarted.store();
    let record = by_name(&store, "kept");
    assert_eq!(record["pools"], json!([]));
    assert!(
        !record["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|user| user["name"] == "doomed-user"),
        "the deleted user stays deleted"
    );
    assert_eq!(store["tags"], json!([]));
    restarted.expect(Method::GET, "/v2/tags/doomed-tag", None, 404);

    restarted.expect(Method::POST, "/_mock/reset", None, 204);
    restarted.kill_9();
    let after_reset = Emulator::start(&path);
    assert!(after_reset.cluster_names().is_empty(), "the reset is kept");
}

#[test]
fn a_journal_line_cut_short_is_dropped_and_the_file_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);
    emulator.create_cluster("first", "pg");
    emulator.create_cluster("second", "valkey");
    emulator.kill_9();

    let whole = fs::read(&path).unwrap();
    let (_, lines) = snapshot_and_journal(&path);
    let last_line = lines.last().expect("the second create is a journal line");
    // A crash in the middle of writing another change: half of a line, no newline.
    let half = &last_line.as_bytes()[..last_line.len() / 2];
    fs::write(&path, [&whole[..], half].concat()).unwrap();

    let restarted = Emulator::start(&path);
    assert_eq!(restarted.cluster_names(), ["first", "second"]);
    assert_eq!(
        fs::read(&path).unwrap(),
        whole,
        "the cut-short line is truncated away"
    );
    restarted.create_cluster("third", "mysql");
    restarted.kill_9();

    // Garbage after the last good line, as a torn write of a longer change can leave.
    let mut torn = fs::read(&path).unwrap();
    torn.extend_from_slice(b"{\"serial\": 99, \"clusters\": [{\"id\": \n\x00\x00garbage");
    fs::write(&path, &torn).unwrap();
    let again = Emulator::start(&path);
    assert_eq!(again.cluster_names(), ["first", "second", "third"]);
    let store = again.store();
    assert_eq!(store["clusters"].as_array().unwrap().len(), 3);
}

#[test]
fn a_temporary_file_left_by_a_crash_is_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);
    emulator.create_cluster("survivor", "pg");
    emulator.kill_9();

    let leftover = dir.path().join("state.json.tmp-4242");
    fs::write(&leftover, b"{\"account\": {\"user_nu").unwrap();
    let unrelated = dir.path().join("notes.txt");
    fs::write(&unrelated, b"not the emulator's").unwrap();

    let restarted = Emulator::start(&path);
    assert!(!leftover.exists(), "the leftover is removed");
    assert!(unrelated.exists(), "other files are left alone");
    assert_eq!(restarted.cluster_names(), ["survivor"]);
}

#[test]
fn the_journal_is_compacted_and_sigterm_leaves_a_plain_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);
    let cluster = emulator.create_cluster("compacted", "pg");
    let id = cluster["id"].as_str().unwrap().to_string();
    let firewall = format!("/v2/databases/{id}/firewall");

    // Each change journals the whole cluster, its 40 rules included (a few KiB a line).
    const CHANGES: usize = 60;
    let mut largest = 0;
    for round in 0..CHANGES {
        let rules: Vec<Value> = (0..40)
            .map(|n| json!({"type": "ip_addr", "value": format!("10.{round}.{n}.1"), "description": format!("rule {n} of round {round}")}))
            .collect();
        emulator.expect(Method::PUT, &firewall, Some(json!({"rules": rules})), 204);
        largest = largest.max(fs::metadata(&path).unwrap().len());
    }
    let (_, lines) = snapshot_and_journal(&path);
    assert!(
        lines.len() < CHANGES,
        "the journal was folded into a snapshot: {} lines for {CHANGES} changes",
        lines.len()
    );
    assert!(
        largest < 512 * 1024,
        "the state file stays bounded: it reached {largest} bytes"
    );

    let status = emulator.terminate();
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    let bytes = fs::read(&path).unwrap();
    let old: OldFormatState = serde_json::from_slice(&bytes)
        .expect("after a clean shutdown the file is one document, as older emulators wrote");
    assert_eq!(old.clusters.len(), 1);
    let rules = old.clusters[0]["firewall_rules"].as_array().unwrap();
    assert_eq!(rules.len(), 40);
    assert_eq!(rules[0]["value"], format!("10.{}.0.1", CHANGES - 1));

    let restarted = Emulator::start(&path);
    let listed = restarted.expect(Method::GET, &firewall, None, 200);
    assert_eq!(listed["rules"].as_array().unwrap().len(), 40);
}

#[test]
fn a_state_file_in_the_older_format_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = state_path(&dir);
    let emulator = Emulator::start(&path);
    let cluster = emulator.create_cluster("from-before", "pg");
    assert!(emulator.terminate().success());
    // Older emulators wrote the pretty JSON without a newline at the end.
    let snapshot: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    fs::write(&path, serde_json::to_vec_pretty(&snapshot).unwrap()).unwrap();

    let restarted = Emulator::start(&path);
    let store = restarted.store();
    assert_eq!(
        by_name(&store, "from-before")["database"]["connection"]["password"],
        cluster["connection"]["password"]
    );
    restarted.create_cluster("after-upgrade", "valkey");
    restarted.kill_9();
    let again = Emulator::start(&path);
    assert_eq!(again.cluster_names(), ["from-before", "after-upgrade"]);
}
