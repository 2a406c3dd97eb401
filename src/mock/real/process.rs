//! Server processes and client programs: who they run as, how they start (direct children in
//! their own process group, taken down with the emulator), how they stop, and how the engines'
//! own clients are run with their input on stdin (never a secret on a command line).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

/// The file in a server's directory that holds its process id: what crash cleanup reads.
pub const PID_FILE: &str = "server.pid";

/// The user a server runs as: the Debian service user when the emulator runs as root
/// (PostgreSQL, PgBouncer and MariaDB refuse root), the current user otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunAs {
    pub uid: u32,
    pub gid: u32,
    /// Whether the emulator runs as root, so that `uid`/`gid` must be set on the child.
    pub switch: bool,
}

impl RunAs {
    /// `service_user` is the Debian account (`postgres`, `mysql`, `redis`).
    pub fn for_service(service_user: &str) -> anyhow::Result<RunAs> {
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        if uid != 0 {
            return Ok(RunAs {
                uid,
                gid,
                switch: false,
            });
        }
        let (uid, gid) = lookup_user(service_user).with_context(|| {
            format!(
                "the emulator runs as root, and the database servers refuse root: it runs them \
                 as the Debian service user `{service_user}`, which does not exist; install the \
                 Debian packages (./scripts/mock.sh --real-engines installs them)"
            )
        })?;
        Ok(RunAs {
            uid,
            gid,
            switch: true,
        })
    }

    /// Gives `path` (and everything under it) to this user, when running as root.
    pub fn own(&self, path: &Path) -> anyhow::Result<()> {
        if !self.switch {
            return Ok(());
        }
        chown_tree(path, self.uid, self.gid)
    }

    /// Gives only `path` itself to this user, when running as root.
    pub fn own_one(&self, path: &Path) -> anyhow::Result<()> {
        if !self.switch {
            return Ok(());
        }
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("could not give {} to uid {}", path.display(), self.uid))
    }

    fn apply(&self, command: &mut Command) {
        if self.switch {
            command.uid(self.uid).gid(self.gid);
        }
    }
}

/// Reads /etc/passwd (no NSS: the service users are local accounts).
fn lookup_user(name: &str) -> anyhow::Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("could not read /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 4 && fields[0] == name {
            let uid = fields[2].parse().context("a malformed /etc/passwd line")?;
            let gid = fields[3].parse().context("a malformed /etc/passwd line")?;
            return Ok((uid, gid));
        }
    }
    anyhow::bail!("no user `{name}` in /etc/passwd")
}

fn chown_tree(path: &Path, uid: u32, gid: u32) -> anyhow::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))
        .with_context(|| format!("could not give {} to uid {uid}", path.display()))?;
    let metadata = std::fs::symlink_metadata(path)?;
    if metadata.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// Creates `path` (and parents) with `mode`.
pub fn make_dir(path: &Path, mode: u32) -> anyhow::Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("could not set the mode of {}", path.display()))
}

/// Writes `contents` to `path` with `mode`, the mode set before anything is written.
pub fn write_private(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("could not create {}", path.display()))?;
    file.write_all(contents)
        .with_context(|| format!("could not write {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    Ok(())
}

/// Fails with a clear error when something already listens on `127.0.0.1:port`.
pub fn check_port_free(port: u16, what: &str) -> anyhow::Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .with_context(|| {
            format!(
                "{what} cannot listen on 127.0.0.1:{port}: the port is taken (another program \
                 listens there); pick another port"
            )
        })
}

/// A running server: a direct child of the emulator, leader of its own process group.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    pub pid: u32,
    /// The signal that stops it gracefully and quickly (SIGINT for PostgreSQL's fast shutdown).
    pub stop_signal: libc::c_int,
    pub log: PathBuf,
    pub dir: PathBuf,
    pub name: &'static str,
}

/// How to start one server.
pub struct Launch<'a> {
    pub name: &'static str,
    pub program: &'a Path,
    pub args: Vec<String>,
    /// The server's own directory: its working directory, its log and its pid file live here.
    pub dir: &'a Path,
    pub log_name: &'a str,
    pub run_as: RunAs,
    pub stop_signal: libc::c_int,
}

/// Starts a server: stdout/stderr to its log, its own process group (a Ctrl-C in the terminal
/// reaches only the emulator), and a parent-death signal so that a killed emulator takes it
/// down. Must be called from an async task (the fork happens on the calling runtime thread,
/// and the parent-death signal fires when that thread exits), never from `spawn_blocking`.
pub fn spawn_server(launch: Launch<'_>) -> anyhow::Result<Server> {
    let log = launch.dir.join(launch.log_name);
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("could not open {}", log.display()))?;
    let err = out.try_clone()?;
    let mut command = Command::new(launch.program);
    command
        .args(&launch.args)
        .current_dir(launch.dir)
        .env(DIR_MARKER, launch.dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0)
        .kill_on_drop(false);
    launch.run_as.apply(&mut command);
    // SAFETY: the closure runs between fork and exec and calls only async-signal-safe
    // functions (prctl, getppid); it runs after the uid change (which would clear the setting).
    let parent = std::process::id() as libc::pid_t;
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            // The emulator died between fork and prctl: the signal would never come.
            if libc::getppid() != parent {
                return Err(std::io::Error::other("the emulator exited"));
            }
            Ok(())
        });
    }
    let child = command.spawn().with_context(|| {
        format!(
            "could not start {} ({})",
            launch.name,
            launch.program.display()
        )
    })?;
    let pid = child
        .id()
        .context("the server exited before its pid was known")?;
    std::fs::write(launch.dir.join(PID_FILE), format!("{pid}\n"))
        .with_context(|| format!("could not write the pid file in {}", launch.dir.display()))?;
    tracing::debug!(server = launch.name, pid, "real engine process started");
    Ok(Server {
        child,
        pid,
        stop_signal: launch.stop_signal,
        log,
        dir: launch.dir.to_path_buf(),
        name: launch.name,
    })
}

/// The environment variable every server gets: its directory, so that crash cleanup can tell
/// a server of ours from an unrelated process that reuses a recorded pid.
pub const DIR_MARKER: &str = "DBAAS_MOCK_REAL_DIR";

impl Server {
    /// Whether it still runs (a server that exited on its own is reaped here).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last lines of its log, for an error message.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log)
    }

    /// Stops it: the graceful signal, SIGKILL to the whole group after a few seconds.
    pub async fn stop(mut self) {
        if !self.running() {
            let _ = std::fs::remove_file(self.dir.join(PID_FILE));
            return;
        }
        signal_group(self.pid, self.stop_signal);
        let exited = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        if exited.is_err() {
            tracing::warn!(
                server = self.name,
                pid = self.pid,
                "real engine did not stop in 5 s; killing it"
            );
            signal_group(self.pid, libc::SIGKILL);
            let _ = self.child.wait().await;
        }
        // Whatever the leader left in its group (PostgreSQL's backends notice the postmaster's
        // death on their own; this is for anything slower).
        signal_group(self.pid, libc::SIGKILL);
        let _ = std::fs::remove_file(self.dir.join(PID_FILE));
        tracing::debug!(
            server = self.name,
            pid = self.pid,
            "real engine process stopped"
        );
    }

    /// Sends a signal to the leader only (SIGHUP: reload).
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill has no memory effects; a stale pid is impossible while we hold the
        // unreaped child.
        unsafe {
            libc::kill(self.pid as libc::pid_t, signal);
        }
    }
}

fn signal_group(pid: u32, signal: libc::c_int) {
    // SAFETY: kill has no memory effects. The group id is the leader's pid (process_group(0)).
    unsafe {
        libc::kill(-(pid as libc::pid_t), signal);
    }
}

pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(8);
    lines[start..].join("\n")
}

/// A client program run to completion with `input` on stdin.
pub struct Client<'a> {
    pub program: &'a Path,
    pub args: Vec<String>,
    pub env: Vec<(&'static str, String)>,
    pub input: String,
    /// Secrets that may appear in the input: replaced in any error text.
    pub secrets: Vec<String>,
    pub run_as: Option<RunAs>,
}

/// Runs a client; its stdout on success, an error with its (redacted) stderr otherwise.
pub async fn run_client(client: Client<'_>) -> anyhow::Result<String> {
    let mut command = Command::new(client.program);
    command
        .args(&client.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (key, value) in &client.env {
        command.env(key, value);
    }
    if let Some(run_as) = client.run_as {
        run_as.apply(&mut command);
    }
    let name = client.program.display().to_string();
    let mut child = command
        .spawn()
        .with_context(|| format!("could not run {name}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(client.input.as_bytes())
            .await
            .with_context(|| format!("could not write to {name}"))?;
        drop(stdin);
    }
    let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .with_context(|| format!("{name} did not finish in 60 s"))?
        .with_context(|| format!("could not run {name}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let text = if stderr.trim().is_empty() {
            stdout.trim().to_string()
        } else {
            stderr.trim().to_string()
        };
        anyhow::bail!(
            "{name} failed ({}): {}",
            output.status,
            redact(&text, &client.secrets)
        );
    }
    Ok(stdout)
}

/// Replaces every secret in `text` (longest first, so that one secret inside another is
/// fully hidden).
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().filter(|s| !s.is_empty()).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_string();
    for secret in sorted {
        text = text.replace(secret.as_str(), "<redacted>");
    }
    text
}

/// Polls `probe` until it succeeds, the server exits, or `limit` passes.
pub async fn wait_ready<F, Fut>(
    server: &mut Server,
    limit: Duration,
    mut probe: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if !server.running() {
            anyhow::bail!(
                "{} exited while starting; the end of its log ({}):\n{}",
                server.name,
                server.log.display(),
                server.log_tail()
            );
        }
        if probe().await {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!(
                "{} did not accept connections within {} s; the end of its log ({}):\n{}",
                server.name,
                limit.as_secs(),
                server.log.display(),
                server.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_every_secret_even_nested() {
        let text = "ERROR near 'abc' and 'abcdef'";
        let out = redact(text, &["abc".into(), "abcdef".into(), String::new()]);
        assert_eq!(out, "ERROR near '<redacted>' and '<redacted>'");
    }
}
