//! One Terraform working directory per test, wired to the freshly built provider through
//! `dev_overrides` and to the test's own emulator through the environment.

use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::Value;
use tempfile::TempDir;

use super::mock::{summarize_requests, Mock};
use super::text::{flatten, hcl_string, strip_ansi};

/// The `terraform` block every test configuration starts with.
pub const REQUIRED_PROVIDERS: &str = r#"terraform {
  required_providers {
    dbaas = {
      source = "dbaas/dbaas"
    }
  }
}
"#;

/// The provider block of [`Terraform::write_config`]: token and endpoint come from
/// `DBAAS_TOKEN`/`DBAAS_API_URL`; polling and retry waits are short so tests do not idle.
pub const TEST_PROVIDER_BLOCK: &str = r#"provider "dbaas" {
  poll_interval       = "1s"
  http_retry_wait_min = "50ms"
  http_retry_wait_max = "500ms"
}
"#;

const PROVIDER_SOURCE: &str = "registry.terraform.io/dbaas/dbaas";
/// A safety net against a hung provider, far above any healthy command in these tests; it
/// only turns a hang into a failure with output instead of a CI job that never ends.
const COMMAND_LIMIT: Duration = Duration::from_secs(600);
/// Inherited variables that would change what Terraform or the provider does: CLI argument
/// injection, data dirs, workspaces, variables, and other credentials or endpoints. Logging
/// (`TF_LOG*`) is kept so that a developer can still debug a failing test.
const SCRUBBED_PREFIXES: [&str; 4] = ["TF_", "DIGITALOCEAN_", "DBAAS_", "UNCLOUD_"];

/// The Terraform CLI to test with: `$TERRAFORM_BIN`, else `terraform` from `PATH`.
pub fn default_terraform_binary() -> PathBuf {
    if let Some(configured) = std::env::var_os("TERRAFORM_BIN").filter(|v| !v.is_empty()) {
        let configured = PathBuf::from(configured);
        assert!(
            configured.is_file(),
            "TERRAFORM_BIN={} does not exist; unset it or run ./scripts/test.sh",
            configured.display()
        );
        return configured;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no Terraform CLI found: neither TERRAFORM_BIN is set nor `terraform` on PATH. \
                 Run the tests through ./scripts/test.sh, which installs Terraform when it is missing."
            )
        })
}

/// The directory holding the provider binary that cargo built for these tests.
pub fn provider_binary_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-dbaas"))
        .parent()
        .expect("the provider binary lives in a directory")
        .to_path_buf()
}

/// `cli.tfrc` in `dir`: `dev_overrides` for this provider and for `extra`, then `direct`.
fn write_cli_config(dir: &Path, extra: &[(&str, &Path)]) {
    let provider_dir = provider_binary_dir();
    let mut overrides = vec![(PROVIDER_SOURCE.to_string(), provider_dir)];
    overrides.extend(
        extra
            .iter()
            .map(|(source, dir)| (source.to_string(), dir.to_path_buf())),
    );
    let lines: String = overrides
        .iter()
        .map(|(source, dir)| {
            let dir = dir.to_str().expect("plugin directory paths are UTF-8");
            format!("    {} = {}\n", hcl_string(source), hcl_string(dir))
        })
        .collect();
    let cli_config =
        format!("provider_installation {{\n  dev_overrides {{\n{lines}  }}\n  direct {{}}\n}}\n");
    fs::write(dir.join("cli.tfrc"), cli_config).expect("write the CLI config");
}

/// What one CLI run produced.
#[derive(Debug)]
pub struct CommandOutput {
    pub command: String,
    /// `None` when the run was killed by the safety net.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }
}

/// What a failing command printed, for asserting on its diagnostics.
#[derive(Debug)]
pub struct ErrorOutput {
    pub stdout: String,
    pub stderr: String,
}

impl ErrorOutput {
    /// The diagnostics as one line, whatever Terraform's word wrapping did.
    pub fn flat(&self) -> String {
        flatten(&self.stderr)
    }

    /// Whether the diagnostics contain `needle`, ignoring line wrapping and case.
    pub fn mentions(&self, needle: &str) -> bool {
        self.flat()
            .to_lowercase()
            .contains(&flatten(needle).to_lowercase())
    }

    /// Requires [`ErrorOutput::mentions`].
    pub fn assert_mentions(&self, needle: &str) {
        assert!(
            self.mentions(needle),
            "expected the error output to mention {needle:?}; it was:\n{}",
            self.stderr
        );
    }

    /// Whether anything printed looks like a Rust backtrace, which users must never see.
    pub fn shows_backtrace(&self) -> bool {
        [&self.stdout, &self.stderr]
            .iter()
            .any(|text| text.to_lowercase().contains("backtrace"))
    }

    /// Requires the absence of [`ErrorOutput::shows_backtrace`].
    pub fn assert_no_backtrace(&self) {
        assert!(
            !self.shows_backtrace(),
            "the output shows a backtrace:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

/// The result of `terraform plan -detailed-exitcode -out`, with the plan as JSON.
pub struct PlanResult {
    pub has_changes: bool,
    /// The human-readable plan (sensitive values masked), safe to print.
    pub stdout: String,
    /// `terraform show -json` of the saved plan. Holds secrets: never print it.
    pub json: Value,
}

impl PlanResult {
    /// The `resource_changes` entry for `address`.
    pub fn resource_change(&self, address: &str) -> &Value {
        self.json
            .get("resource_changes")
            .and_then(Value::as_array)
            .and_then(|changes| {
                changes
                    .iter()
                    .find(|change| change.get("address").and_then(Value::as_str) == Some(address))
            })
            .unwrap_or_else(|| panic!("the plan has no change for {address}:\n{}", self.stdout))
    }

    /// The planned actions for `address`, e.g. `["update"]` or `["delete", "create"]`.
    pub fn actions(&self, address: &str) -> Vec<String> {
        self.resource_change(address)["change"]["actions"]
            .as_array()
            .unwrap_or_else(|| panic!("the change for {address} has no actions"))
            .iter()
            .map(|action| action.as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Requires the plan to update `address` in place.
    pub fn assert_update(&self, address: &str) {
        assert_eq!(
            self.actions(address),
            ["update"],
            "expected an in-place update of {address}; the plan was:\n{}",
            self.stdout
        );
    }

    /// Requires the plan to replace `address`, in either order.
    pub fn assert_replace(&self, address: &str) {
        let actions = self.actions(address);
        assert!(
            actions == ["delete", "create"] || actions == ["create", "delete"],
            "expected {address} to be replaced, got {actions:?}; the plan was:\n{}",
            self.stdout
        );
    }

    /// The planned value of one attribute, `Value::Null` when absent or unknown.
    pub fn planned(&self, address: &str, attribute: &str) -> Value {
        self.resource_change(address)["change"]["after"]
            .get(attribute)
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Whether the plan says an attribute is known only after apply.
    pub fn is_unknown(&self, address: &str, attribute: &str) -> bool {
        self.resource_change(address)["change"]["after_unknown"]
            .get(attribute)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// A Terraform working directory bound to one emulator.
pub struct Terraform {
    dir: TempDir,
    binary: PathBuf,
    mock_url: String,
    token: String,
    env: Vec<(String, Option<String>)>,
    http: Client,
}

impl Terraform {
    /// A workspace using the default CLI ([`default_terraform_binary`]).
    pub fn new(mock: &Mock) -> Terraform {
        Terraform::with_binary(mock, default_terraform_binary())
    }

    /// A workspace using a specific Terraform binary.
    pub fn with_binary(mock: &Mock, binary: impl Into<PathBuf>) -> Terraform {
        let dir = tempfile::Builder::new()
            .prefix("dbaas-acc-")
            .tempdir()
            .expect("temporary Terraform directory");
        write_cli_config(dir.path(), &[]);
        Terraform {
            dir,
            binary: binary.into(),
            mock_url: mock.url().to_string(),
            token: mock.token().to_string(),
            env: Vec::new(),
            http: Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("HTTP client for the request log"),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Rewrites the CLI configuration so that, besides this provider, each `(source, dir)`
    /// is served by the plugin in `dir` (an empty list goes back to this provider alone).
    pub fn set_extra_dev_overrides(&self, extra: &[(&str, &Path)]) {
        write_cli_config(self.dir.path(), extra);
    }

    pub fn binary(&self) -> &Path {
        &self.binary
    }

    /// Sets a variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), Some(value.to_string())));
    }

    /// Removes a variable (including the ones the harness sets) for every later command.
    pub fn unset_env(&mut self, key: &str) {
        self.env.push((key.to_string(), None));
    }

    /// The CLI's version, e.g. `1.0.3`.
    pub fn version(&self) -> String {
        let output = self.run_ok(&["version", "-json"]);
        let parsed: Value = serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("`terraform version -json` is not JSON ({e})"));
        parsed["terraform_version"]
            .as_str()
            .expect("terraform_version in `terraform version -json`")
            .to_string()
    }

    /// Whether the CLI is at least `major.minor` (features such as `ephemeral` blocks or
    /// `moved` across providers depend on it).
    pub fn version_at_least(&self, wanted: (u32, u32)) -> bool {
        let version = self.version();
        let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= wanted
    }

    /// Writes `main.tf`: the required_providers block, [`TEST_PROVIDER_BLOCK`], then `body`.
    pub fn write_config(&self, body: &str) {
        self.write_config_raw(&format!("{TEST_PROVIDER_BLOCK}\n{body}"));
    }

    /// Writes `main.tf`: the required_providers block, then `body`, which brings its own
    /// provider block (or none).
    pub fn write_config_raw(&self, body: &str) {
        fs::write(
            self.dir.path().join("main.tf"),
            format!("{REQUIRED_PROVIDERS}\n{body}"),
        )
        .expect("write main.tf");
    }

    /// `terraform plan -detailed-exitcode -out`, then `show -json` of that plan.
    pub fn plan(&self) -> PlanResult {
        let output = self.run(&[
            "plan",
            "-no-color",
            "-input=false",
            "-detailed-exitcode",
            "-out=tfplan",
        ]);
        let has_changes = match output.code() {
            Some(0) => false,
            Some(2) => true,
            _ => self.fail("terraform plan failed", &output),
        };
        let shown = self.run_ok(&["show", "-no-color", "-json", "tfplan"]);
        let json = serde_json::from_str(&shown.stdout)
            .unwrap_or_else(|e| panic!("`terraform show -json tfplan` is not JSON ({e})"));
        PlanResult {
            has_changes,
            stdout: output.stdout,
            json,
        }
    }

    /// `terraform plan` that must fail; returns what it printed.
    pub fn plan_expect_error(&self) -> ErrorOutput {
        self.expect_error(&["plan", "-no-color", "-input=false"])
    }

    /// `terraform apply -auto-approve`, which must succeed.
    pub fn apply(&self) -> CommandOutput {
        self.run_ok(&["apply", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform apply -auto-approve` that must fail; returns what it printed.
    pub fn apply_expect_error(&self) -> ErrorOutput {
        self.expect_error(&["apply", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform import ADDRESS ID`.
    pub fn import(&self, address: &str, id: &str) -> CommandOutput {
        self.run_ok(&["import", "-no-color", "-input=false", address, id])
    }

    /// `terraform state rm ADDRESS`.
    pub fn state_rm(&self, address: &str) -> CommandOutput {
        self.run_ok(&["state", "rm", address])
    }

    /// `terraform destroy -auto-approve`, which must succeed.
    pub fn destroy(&self) -> CommandOutput {
        self.run_ok(&["destroy", "-no-color", "-input=false", "-auto-approve"])
    }

    /// `terraform show -json` of the current state. Holds secrets: never print it.
    pub fn show_state(&self) -> Value {
        let output = self.run_ok(&["show", "-no-color", "-json"]);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("`terraform show -json` is not JSON ({e})"))
    }

    /// The local state file as Terraform wrote it (holds secrets: never print it).
    pub fn state_file(&self) -> Value {
        let path = self.dir.path().join("terraform.tfstate");
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the state file is not JSON ({e})"))
    }

    /// Requires `terraform plan -detailed-exitcode` to report no changes.
    pub fn assert_plan_empty(&self) {
        let output = self.run(&["plan", "-no-color", "-input=false", "-detailed-exitcode"]);
        match output.code() {
            Some(0) => {}
            Some(2) => self.fail("expected an empty plan, but there are changes", &output),
            _ => self.fail("terraform plan failed", &output),
        }
    }

    /// One acceptance step: write the configuration, apply it, require an empty plan, and
    /// return the resulting state (`terraform show -json`).
    pub fn step(&self, body: &str) -> Value {
        self.write_config(body);
        self.apply();
        self.assert_plan_empty();
        self.show_state()
    }

    /// Runs the CLI in this workspace with the harness environment.
    pub fn run(&self, args: &[&str]) -> CommandOutput {
        let command = format!("terraform {}", args.join(" "));
        let mut child = self
            .command(args)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.binary.display()));
        let stdout = capture(child.stdout.take());
        let stderr = capture(child.stderr.take());
        let status = wait_with_limit(&mut child, COMMAND_LIMIT);
        CommandOutput {
            command,
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
        }
    }

    /// Runs the CLI and requires success.
    pub fn run_ok(&self, args: &[&str]) -> CommandOutput {
        let output = self.run(args);
        if !output.success() {
            self.fail("command failed", &output);
        }
        output
    }

    fn expect_error(&self, args: &[&str]) -> ErrorOutput {
        let output = self.run(args);
        match output.code() {
            Some(0) => self.fail("expected this command to fail, but it succeeded", &output),
            Some(_) => ErrorOutput {
                stdout: output.stdout,
                stderr: output.stderr,
            },
            None => self.fail("command did not finish", &output),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if is_scrubbed(&key) {
                command.env_remove(key);
            }
        }
        command
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("DBAAS_TOKEN", &self.token)
            .env("DBAAS_API_URL", &self.mock_url)
            .env("UNCLOUD_API_URL", &self.mock_url)
            .env("UNCLOUD_TOKEN", &self.token)
            .env("RUST_BACKTRACE", "1");
        for (key, value) in &self.env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    fn fail(&self, problem: &str, output: &CommandOutput) -> ! {
        panic!(
            "{problem}\n{}\n--- emulator requests ---\n{}",
            Described {
                output,
                binary: &self.binary,
                dir: self.dir.path(),
            },
            summarize_requests(&self.mock_url, &self.http)
        )
    }
}

/// A command's outcome and output, laid out for a failure message.
struct Described<'a> {
    output: &'a CommandOutput,
    binary: &'a Path,
    dir: &'a Path,
}

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match self.output.status {
            Some(status) => format!("exited with {status}"),
            None => format!("was killed after {}s", COMMAND_LIMIT.as_secs()),
        };
        write!(
            f,
            "`{}` {outcome} ({} in {})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.output.command,
            self.binary.display(),
            self.dir.display(),
            strip_ansi(&self.output.stdout),
            strip_ansi(&self.output.stderr),
        )
    }
}

/// The resource with this address in a `terraform show -json` document (root module only).
pub fn state_resource<'a>(state: &'a Value, address: &str) -> Option<&'a Value> {
    state["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|resource| resource.get("address").and_then(Value::as_str) == Some(address))
}

/// The attribute values of the resource with this address; panics when it is not in state.
pub fn state_values<'a>(state: &'a Value, address: &str) -> &'a Value {
    match state_resource(state, address) {
        Some(resource) => &resource["values"],
        None => panic!("{address} is not in the state"),
    }
}

/// How many resources the root module of a `terraform show -json` document holds.
pub fn state_resource_count(state: &Value) -> usize {
    state["values"]["root_module"]["resources"]
        .as_array()
        .map_or(0, Vec::len)
}

fn is_scrubbed(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    SCRUBBED_PREFIXES
        .iter()
        .any(|prefix| key.starts_with(prefix))
        && !key.starts_with("TF_LOG")
}

fn capture(stream: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut stream) = stream {
            let _ = stream.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait_with_limit(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(25)),
            Err(e) => panic!("cannot wait for terraform: {e}"),
        }
    }
}
