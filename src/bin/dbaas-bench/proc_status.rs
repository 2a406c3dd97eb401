//! Memory figures from `/proc/<pid>/status`, read by both memory measurements: the resident
//! set right after the handshake ([`crate::handshake`]) and the high-water mark over a whole
//! Terraform command ([`crate::wrapper`]).

use std::fs;

/// The `VmRSS` line (resident memory now) in KiB; `None` once the process has exited.
pub fn vm_rss_kib(pid: u32) -> Option<u64> {
    field_kib(&read(pid)?, "VmRSS")
}

/// The `VmHWM` line (the kernel's high-water mark of the resident set) in KiB; `None` once
/// the process has exited.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    field_kib(&read(pid)?, "VmHWM")
}

fn read(pid: u32) -> Option<String> {
    fs::read_to_string(format!("/proc/{pid}/status")).ok()
}

/// A `Name:   1234 kB` line of a status file. A zombie has no memory lines at all.
pub fn field_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|number| number.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_memory_lines_from_proc_status() {
        let status = "Name:\tx\nVmPeak:\t  900 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 100 kB\n";
        assert_eq!(field_kib(status, "VmHWM"), Some(12345));
        assert_eq!(field_kib(status, "VmRSS"), Some(100));
        // `VmRSS` must not match a longer name that starts the same way.
        assert_eq!(field_kib("VmRSSx:\t 7 kB\n", "VmRSS"), None);
        assert_eq!(field_kib("Name:\tzombie\nState:\tZ\n", "VmHWM"), None);
        let me = std::process::id();
        assert!(vm_hwm_kib(me).is_some_and(|kib| kib > 0));
        assert!(vm_rss_kib(me).is_some_and(|kib| kib > 0));
    }
}
