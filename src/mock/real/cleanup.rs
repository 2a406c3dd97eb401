//! Who owns a data directory, and cleaning up after a run that crashed.
//!
//! Every data directory holds an `owner` file: the owning process' pid and its start time
//! (field 22 of `/proc/<pid>/stat`), so that a reused pid is not mistaken for a live owner.
//! Every server writes its pid to `server.pid` in its own directory. A server of a dead owner
//! is killed only once `/proc` confirms it is ours: its working directory or its command line
//! lies under the data directory, or its environment carries the directory marker.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use super::process::{DIR_MARKER, PID_FILE};

const OWNER_FILE: &str = "owner";

/// This process, as written in an `owner` file.
pub fn this_owner() -> String {
    let pid = std::process::id();
    format!("{pid} {}\n", start_time(pid).unwrap_or_default())
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// The live process that owns `dir`, if any (`None`: no owner file, or its owner is dead).
pub fn live_owner(dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(dir.join(OWNER_FILE)).ok()?;
    let mut fields = text.split_whitespace();
    let pid: u32 = fields.next()?.parse().ok()?;
    let started: u64 = fields.next()?.parse().ok()?;
    (start_time(pid) == Some(started)).then_some(pid)
}

pub fn claim(dir: &Path) -> anyhow::Result<()> {
    std::fs::write(dir.join(OWNER_FILE), this_owner())
        .with_context(|| format!("could not write the owner file in {}", dir.display()))
}

pub fn release(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(OWNER_FILE));
}

/// Kills every recorded server under `dir` that `/proc` confirms is ours, and waits until
/// they are gone (blocking, at most a few seconds: this runs in `open`). Returns how many it
/// killed.
pub fn kill_servers(dir: &Path) -> usize {
    let mut pids = Vec::new();
    collect_pids(dir, 0, &mut pids);
    let mut killed = 0;
    for pid in pids {
        if !belongs_to(pid, dir) {
            continue;
        }
        tracing::warn!(pid, dir = %dir.display(), "killing a database server left by a crashed dbaas-mock run");
        // SAFETY: kill has no memory effects; the pid was just confirmed to be ours. The
        // group goes too (PostgreSQL's backends share the postmaster's group).
        unsafe {
            libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
            libc::kill(pid as libc::pid_t, libc::SIGKILL);
        }
        killed += 1;
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while alive(pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    killed
}

/// A process that exists and is not a zombie waiting for its (live) parent to reap it.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next().map(|s| s != "Z"))
            .unwrap_or(false),
        Err(_) => false,
    }
}

fn collect_pids(dir: &Path, depth: usize, pids: &mut Vec<u32>) {
    if depth > 5 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_pids(&path, depth + 1, pids);
            continue;
        }
        let name = entry.file_name();
        if name == PID_FILE || name == "postmaster.pid" || name == "mariadbd.pid" {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(pid) = text
                .lines()
                .next()
                .and_then(|l| l.trim().parse::<u32>().ok())
            {
                if pid > 1 && !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
    }
}

/// Whether `/proc` shows `pid` as a server started for `dir`.
pub fn belongs_to(pid: u32, dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    if pid == std::process::id() {
        return false;
    }
    let proc = PathBuf::from(format!("/proc/{pid}"));
    if let Ok(cwd) = std::fs::read_link(proc.join("cwd")) {
        if cwd.starts_with(&dir) {
            return true;
        }
    }
    let dir_text = dir.display().to_string();
    if let Ok(cmdline) = std::fs::read(proc.join("cmdline")) {
        if String::from_utf8_lossy(&cmdline).contains(&dir_text) {
            return true;
        }
    }
    if let Ok(environ) = std::fs::read(proc.join("environ")) {
        let marker = format!("{DIR_MARKER}={dir_text}");
        if environ
            .split(|b| *b == 0)
            .any(|entry| String::from_utf8_lossy(entry).starts_with(&marker))
        {
            return true;
        }
    }
    false
}

/// Cleans `root` (the parent of the per-run directories): every directory whose owner is dead
/// loses its servers and is removed. A directory without an owner file is removed only when
/// it is older than a minute (a run may be creating it right now).
pub fn sweep(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() || live_owner(&path).is_some() {
            continue;
        }
        if !path.join(OWNER_FILE).exists() {
            let young = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .map_or(true, |age| age < Duration::from_secs(60));
            if young {
                continue;
            }
        }
        let killed = kill_servers(&path);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {
                tracing::info!(dir = %path.display(), killed, "removed the data of a crashed dbaas-mock run")
            }
            Err(error) => {
                tracing::warn!(dir = %path.display(), error = %error, "could not remove the data of a crashed dbaas-mock run")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_a_live_owner_and_a_dead_pid_is_not() {
        let dir = tempfile::tempdir().unwrap();
        claim(dir.path()).unwrap();
        assert_eq!(live_owner(dir.path()), Some(std::process::id()));
        // Same pid, another start time: a reused pid, not the owner.
        std::fs::write(
            dir.path().join(OWNER_FILE),
            format!("{} 1\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(live_owner(dir.path()), None);
        release(dir.path());
        assert_eq!(live_owner(dir.path()), None);
    }
}
