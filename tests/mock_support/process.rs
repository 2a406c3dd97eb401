//! A `dbaas-mock` process on a state file, for tests that kill and restart the emulator
//! (`tests/mock_contract_ops.rs`). Include it with `#[path = "mock_support/process.rs"]`, next
//! to `#[path = "support/signal.rs"] mod signal;`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::signal;

pub const TOKEN: &str = "contract-ops-token";
const LISTENING_PREFIX: &str = "dbaas-mock listening on ";

/// The binary on `state_file`, killed when dropped.
pub struct Process {
    child: Child,
    url: String,
    http: Client,
}

impl Process {
    /// Starts the binary with lifecycles of `delay_ms` each.
    pub fn start(state_file: &Path, delay_ms: u64) -> Process {
        let delay = delay_ms.to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_dbaas-mock"))
            .args(["--port", "0", "--token", TOKEN])
            .args([
                "--provision-delay-ms",
                &delay,
                "--transition-delay-ms",
                &delay,
            ])
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
        thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
        });
        let line = match line_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) if !line.is_empty() => line,
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("dbaas-mock did not start on {}", state_file.display());
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
        Process { child, url, http }
    }

    /// A request with the token: the status and the body (`null` when it is not JSON).
    pub fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
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

    /// A request that must answer `status`; its body.
    pub fn expect(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let (answered, body) = self.call(method.clone(), path, body);
        assert_eq!(answered.as_u16(), status, "{method} {path}: {body}");
        body
    }

    /// SIGKILL: the emulator gets no chance to write anything more.
    pub fn kill_9(mut self) {
        signal::to_child(&mut self.child, signal::SIGKILL).expect("SIGKILL is sent");
        self.child.wait().expect("the emulator is reaped");
    }

    /// SIGTERM: a clean stop, which leaves the state file as one snapshot.
    pub fn terminate(mut self) {
        signal::to_child(&mut self.child, signal::SIGTERM).expect("SIGTERM is sent");
        let status = self.child.wait().expect("the emulator exits");
        assert!(status.success(), "SIGTERM is a clean exit: {status:?}");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
