//! Signals for the processes a test started, sent with `kill(2)` from Rust rather than through
//! the `kill` program: minimal images (Debian's minbase, slim containers) have no procps.
//!
//! Shared by the acceptance harness (`support::signal`) and by `tests/mock_process.rs`, which
//! includes this file on its own (`#[path = "support/signal.rs"]`).

// Each test crate uses a different part of it.
#![allow(dead_code)]

use std::io;
use std::process::Child;

/// Interrupt: what Ctrl-C sends.
pub const SIGINT: libc::c_int = libc::SIGINT;
/// Polite termination: what `kill PID` sends.
pub const SIGTERM: libc::c_int = libc::SIGTERM;
/// The end, no questions asked.
pub const SIGKILL: libc::c_int = libc::SIGKILL;

/// Who receives a signal.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// One process.
    Process(u32),
    /// Every process of a process group, by the group's ID (its leader's PID): what a
    /// terminal's Ctrl-C does.
    Group(u32),
}

/// Sends `signal` to `target`. Fails for an ID that `kill(2)` would read as "several
/// processes" (0, or too large for `pid_t`, which would wrap to a negative value such as -1,
/// "every process you may signal"), and with the OS error when `kill(2)` fails (e.g. ESRCH
/// when no such process exists).
///
/// Only signal a child that has not been waited for: until it is reaped its PID cannot be
/// reused, so the signal cannot reach an unrelated process. [`to_child`] ensures that much.
pub fn send(target: Target, signal: libc::c_int) -> io::Result<()> {
    let (id, group) = match target {
        Target::Process(pid) => (pid, false),
        Target::Group(pgid) => (pgid, true),
    };
    let id = libc::pid_t::try_from(id)
        .ok()
        .filter(|&id| id > 0)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{target:?} is not a single process or process group"),
            )
        })?;
    let pid = if group { -id } else { id };
    // SAFETY: kill(2) takes two integers and touches no memory of ours; `pid` is a positive
    // PID or the negation of one, never 0 or -1.
    if unsafe { libc::kill(pid, signal) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Sends `signal` to `child`, which must still be running (or a zombie): a child that has
/// already been waited for is an error here rather than a signal to a recycled PID.
pub fn to_child(child: &mut Child, signal: libc::c_int) -> io::Result<()> {
    if let Some(status) = child.try_wait()? {
        return Err(io::Error::other(format!(
            "process {} has already exited ({status})",
            child.id()
        )));
    }
    send(Target::Process(child.id()), signal)
}
