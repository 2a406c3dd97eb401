//! The emulator as a process: the `dbaas-mock` binary's first line, signals, and the state file
//! surviving restarts (in-process and across processes).

mod mock_support;
// The signal helper of the acceptance harness, without the rest of it.
#[path = "support/signal.rs"]
mod signal;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use dbaas::mock::MockConfig;
use mock_support::{quick_config, Mock};
use serde_json::json;

#[tokio::test]
async fn state_file_survives_an_in_process_restart() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let config = MockConfig {
        state_file: Some(state_file.clone()),
        ..quick_config()
    };

    let first = Mock::start_with(config.clone()).await;
    let cluster = first.online_cluster("durable", "pg").await;
    let id = cluster["id"].as_str().unwrap().to_string();
    first
        .post(
            &format!("/v2/databases/{id}/pools"),
            json!({"name": "kept-pool", "mode": "session", "size": 3, "db": "defaultdb"}),
        )
        .await
        .expect(201);
    first
        .post("/v2/tags", json!({"name": "kept-tag"}))
        .await
        .expect(201);
    assert!(
        state_file.exists(),
        "the state file is written after each change"
    );
    first.server.shutdown().await;

    let second = Mock::start_with(config.clone()).await;
    let restored = second
        .get(&format!("/v2/databases/{id}"))
        .await
        .expect(200)
        .body["database"]
        .clone();
    assert_eq!(restored["name"], "durable");
    assert_eq!(restored["status"], "online");
    assert_eq!(
        restored["connection"]["password"],
        cluster["connection"]["password"]
    );
    second
        .get(&format!("/v2/databases/{id}/pools/kept-pool"))
        .await
        .expect(200);
    second.get("/v2/tags/kept-tag").await.expect(200);
    let another = second.create_cluster(json!({"name": "newer", "engine": "valkey", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1})).await;
    assert_ne!(
        another["id"], restored["id"],
        "a seeded emulator does not reissue IDs after a restart"
    );

    second
        .control(reqwest::Method::POST, "/_mock/reset", None)
        .await
        .expect(204);
    second.server.shutdown().await;
    let third = Mock::start_with(config).await;
    assert_eq!(
        third.get("/v2/databases").await.body["databases"],
        json!([]),
        "reset is persisted too"
    );
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_a_silent_reset() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    std::fs::write(&state_file, "{ not a state").unwrap();
    let config = MockConfig {
        state_file: Some(state_file),
        ..quick_config()
    };
    let error = dbaas::mock::MockServer::start(config)
        .await
        .err()
        .expect("start fails");
    assert!(format!("{error:#}").contains("state"), "{error:#}");
}

/// Kills the child on drop, so a failing test leaves no emulator behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_binary(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the first line arrives");
    (Running(child), line)
}

/// Sends SIGTERM to the emulator and waits for it to exit.
fn terminate(running: &mut Running) -> std::process::ExitStatus {
    signal::to_child(&mut running.0, signal::SIGTERM)
        .unwrap_or_else(|error| panic!("cannot send SIGTERM to dbaas-mock: {error}"));
    running.0.wait().expect("the emulator exits")
}

#[tokio::test]
async fn binary_announces_its_port_serves_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let state_arg = state_file.to_str().unwrap().to_string();
    let args = [
        "--port",
        "0",
        "--token",
        "secret-token",
        "--provision-delay-ms",
        "0",
        "--state-file",
        &state_arg,
    ];

    let (mut running, line) = spawn_binary(&args);
    let prefix = "dbaas-mock listening on http://127.0.0.1:";
    assert!(
        line.starts_with(prefix) && line.ends_with('\n'),
        "first line: {line:?}"
    );
    let port: u16 = line[prefix.len()..]
        .trim()
        .parse()
        .expect("the line ends with the port");
    assert_ne!(port, 0);
    let url = line["dbaas-mock listening on ".len()..].trim().to_string();

    let client = reqwest::Client::new();
    let unauthorized = client
        .get(format!("{url}/v2/databases"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let created = client
        .post(format!("{url}/v2/databases"))
        .bearer_auth("secret-token")
        .json(&json!({"name": "from-binary", "engine": "pg", "region": "nyc3", "size": "db-s-1vcpu-1gb", "num_nodes": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let status = terminate(&mut running);
    assert!(status.success(), "SIGTERM is a clean exit: {status:?}");

    let (mut restarted, line) = spawn_binary(&args);
    let url = line["dbaas-mock listening on ".len()..].trim().to_string();
    let listed: serde_json::Value = client
        .get(format!("{url}/v2/databases"))
        .bearer_auth("secret-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["databases"][0]["name"], "from-binary");
    assert!(terminate(&mut restarted).success());
}

#[test]
fn binary_rejects_bad_arguments_and_prints_help() {
    let bad = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--bogus"));
    let help = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--state-file"));
}
