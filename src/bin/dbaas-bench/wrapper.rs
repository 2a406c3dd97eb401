//! Wrapper mode: how the benchmark learns the peak memory of the providers Terraform starts.
//!
//! The benchmark copies itself into the `dev_overrides` directory as
//! `terraform-provider-dbaas` (or `terraform-provider-digitalocean` for the comparison); Terraform starts that copy, and the copy runs the real
//! provider as a child with inherited stdio (so Terraform reads the real handshake and talks
//! to the real provider directly) while sampling the child's `VmHWM`, the kernel's high-water
//! mark of its RSS. The high-water mark only grows, so sampling loses nothing but the last
//! few milliseconds before exit. Each wrapper writes what it saw into the phase's record
//! directory, which [`WrapperRecords`] reads back.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result};

use crate::proc_status::vm_hwm_kib;
use crate::{DIGITALOCEAN_BINARY, PROVIDER_BINARY};

/// The wrapper mode's inputs, set by the benchmark on every Terraform command it runs.
pub const WRAPPER_REAL_PROVIDER_ENV: &str = "DBAAS_BENCH_REAL_PROVIDER";
pub const WRAPPER_RECORD_DIR_ENV: &str = "DBAAS_BENCH_RSS_DIR";
/// How often the wrapper samples its child's high-water mark.
const WRAPPER_SAMPLE_INTERVAL: Duration = Duration::from_millis(10);

pub fn invoked_as_provider() -> bool {
    std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|argv0| {
            argv0
                .file_name()
                .map(|name| name == PROVIDER_BINARY || name == DIGITALOCEAN_BINARY)
        })
        .unwrap_or(false)
}

/// Runs the real provider with this process's arguments and stdio, records the child's peak
/// RSS, and exits as it did.
pub fn run() -> ExitCode {
    let (Some(real), Some(record_dir)) = (
        std::env::var_os(WRAPPER_REAL_PROVIDER_ENV),
        std::env::var_os(WRAPPER_RECORD_DIR_ENV),
    ) else {
        eprintln!(
            "dbaas-bench: started as {PROVIDER_BINARY} without {WRAPPER_REAL_PROVIDER_ENV} and \
             {WRAPPER_RECORD_DIR_ENV}; this copy is only meant to be started by the benchmark"
        );
        return ExitCode::FAILURE;
    };
    let record_dir = PathBuf::from(record_dir);
    let me = std::process::id();
    let mut child = match Command::new(&real)
        .args(std::env::args_os().skip(1))
        .env_remove(WRAPPER_REAL_PROVIDER_ENV)
        .env_remove(WRAPPER_RECORD_DIR_ENV)
        .spawn()
    {
        Ok(child) => child,
        Err(error) => {
            eprintln!(
                "dbaas-bench: cannot start {}: {error}",
                Path::new(&real).display()
            );
            return ExitCode::FAILURE;
        }
    };
    // Written first, so that a wrapper killed before it can report is noticed, not ignored.
    record(&record_dir, &format!("{me}.started"), child.id());
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak_kib = peak_kib.max(kib);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => thread::sleep(WRAPPER_SAMPLE_INTERVAL),
            Err(error) => {
                eprintln!("dbaas-bench: cannot wait for the provider: {error}");
                return ExitCode::FAILURE;
            }
        }
    };
    if peak_kib > 0 {
        record(&record_dir, &format!("{me}.peak-kib"), peak_kib);
    }
    exit_code_of(status)
}

fn record(dir: &Path, name: &str, value: impl std::fmt::Display) {
    if let Err(error) = fs::write(dir.join(name), format!("{value}\n")) {
        eprintln!("dbaas-bench: cannot record {name}: {error}");
    }
}

/// The wrapper exits like its child; a signal becomes 128 + its number, as in a shell.
fn exit_code_of(status: ExitStatus) -> ExitCode {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        (None, Some(signal)) => ExitCode::from(u8::try_from(128 + signal).unwrap_or(1)),
        (None, None) => ExitCode::FAILURE,
    }
}

/// What the wrappers of one phase wrote.
pub struct WrapperRecords {
    pub started: usize,
    pub reported: usize,
    pub peak_kib: Option<u64>,
}

impl WrapperRecords {
    pub fn read(dir: &Path) -> Result<WrapperRecords> {
        let mut records = WrapperRecords {
            started: 0,
            reported: 0,
            peak_kib: None,
        };
        for entry in fs::read_dir(dir)? {
            let path = entry?.path();
            match path.extension().and_then(OsStr::to_str) {
                Some("started") => records.started += 1,
                Some("peak-kib") => {
                    let text = fs::read_to_string(&path)?;
                    let kib: u64 = text
                        .trim()
                        .parse()
                        .with_context(|| format!("{} holds {text:?}", path.display()))?;
                    records.reported += 1;
                    records.peak_kib = Some(records.peak_kib.map_or(kib, |peak| peak.max(kib)));
                }
                _ => {}
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_the_wrappers_of_a_phase_recorded() {
        let dir = tempfile::tempdir().unwrap();
        record(dir.path(), "11.started", 12);
        record(dir.path(), "11.peak-kib", 2048);
        record(dir.path(), "13.started", 14);
        record(dir.path(), "13.peak-kib", 4096);
        record(dir.path(), "15.started", 16);
        fs::write(dir.path().join("terraform.stdout"), "noise").unwrap();
        let records = WrapperRecords::read(dir.path()).unwrap();
        assert_eq!((records.started, records.reported), (3, 2));
        assert_eq!(records.peak_kib, Some(4096));
    }

    #[test]
    fn exits_like_the_child() {
        assert_eq!(
            exit_code_of(ExitStatus::from_raw(3 << 8)),
            ExitCode::from(3)
        );
        assert_eq!(exit_code_of(ExitStatus::from_raw(9)), ExitCode::from(137));
    }
}
