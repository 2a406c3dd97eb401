//! The machine and build a report was taken on: figures without their CPU, Terraform and
//! commit cannot be compared with anything.

use std::fs;
use std::path::Path;
use std::thread;

use crate::process::command_stdout;

pub struct Machine {
    pub cpus: usize,
    pub cpu_model: Option<String>,
    pub kernel: Option<String>,
    pub terraform_version: String,
    pub rustc_version: Option<String>,
    pub commit: Option<String>,
    pub date: String,
}

impl Machine {
    pub fn describe(terraform: &Path) -> Machine {
        let cpu_model = fs::read_to_string("/proc/cpuinfo").ok().and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        });
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|release| format!("Linux {}", release.trim()));
        let terraform_version = command_stdout(terraform, &["version", "-json"])
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .and_then(|json| json["terraform_version"].as_str().map(str::to_string))
            .unwrap_or_else(|| "(unknown version)".to_string());
        let commit = command_stdout(
            Path::new("git"),
            &[
                "-C",
                env!("CARGO_MANIFEST_DIR"),
                "rev-parse",
                "--short",
                "HEAD",
            ],
        )
        .map(|sha| {
            let dirty = command_stdout(
                Path::new("git"),
                &["-C", env!("CARGO_MANIFEST_DIR"), "status", "--porcelain"],
            )
            .is_some_and(|status| !status.trim().is_empty());
            let sha = sha.trim().to_string();
            if dirty {
                format!("{sha} + uncommitted changes")
            } else {
                sha
            }
        });
        let date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .unwrap_or_else(|_| "(unknown date)".to_string());
        Machine {
            cpus: thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_model,
            kernel,
            terraform_version,
            rustc_version: command_stdout(Path::new("rustc"), &["--version"])
                .map(|version| version.trim().to_string()),
            commit,
            date,
        }
    }
}
