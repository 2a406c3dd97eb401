//! Child processes and scratch space, shared by every measurement: a clean environment for
//! what the benchmark starts, a guard that never leaves a child running, and a private work
//! directory that takes Terraform state (with emulated passwords) with it when it goes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Inherited variables that would change what Terraform or the provider does (CLI argument
/// injection, logging, other credentials or endpoints), or that a global setup points at its
/// own CLI configuration. The benchmark sets the few it needs itself.
const SCRUBBED_PREFIXES: [&str; 4] = ["TF_", "DIGITALOCEAN_", "DBAAS_", "PLUGIN_"];

/// A command without the inherited variables of [`SCRUBBED_PREFIXES`].
pub fn scrubbed_command(program: &Path) -> Command {
    let mut command = Command::new(program);
    for (name, _) in std::env::vars_os() {
        let scrubbed = name
            .to_str()
            .is_some_and(|name| SCRUBBED_PREFIXES.iter().any(|p| name.starts_with(p)));
        if scrubbed {
            command.env_remove(&name);
        }
    }
    command
}

/// The standard output of a command that succeeded, `None` otherwise.
pub fn command_stdout(program: &Path, args: &[&str]) -> Option<String> {
    let output = scrubbed_command(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Kills (SIGKILL, through `Child::kill`) and reaps a child this program started when it goes
/// out of scope, so that no error path leaves a provider, Terraform or the emulator behind.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// A private temporary directory, removed with everything in it when dropped. It holds
/// Terraform state, which has the (emulated) clusters' passwords, and the provider sockets of
/// the start-up runs.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn create() -> anyhow::Result<WorkDir> {
        use anyhow::Context as _;
        let path = std::env::temp_dir().join(format!(
            "dbaas-bench-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(WorkDir(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_dir_all(&self.0) {
            eprintln!("dbaas-bench: cannot remove {}: {error}", self.0.display());
        }
    }
}

/// The last lines of a file, for error messages. Terraform's human output masks sensitive
/// values, and neither the emulator nor the provider prints secrets.
pub fn tail(path: &Path) -> String {
    const LINES: usize = 40;
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LINES)..].join("\n")
}
