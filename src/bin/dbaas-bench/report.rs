//! The Markdown report (`target/bench/results.md`, also what the README's benchmark section
//! is copied from): every figure with the conditions it was taken under, nothing judged.

use std::fmt::Write as _;
use std::time::Duration;

use crate::binary::BinarySize;
use crate::handshake::{ModeResult, Startup};
use crate::machine::Machine;
use crate::requests::RequestKind;
use crate::scenario::{Phase, PhaseResult};

pub struct Report {
    pub machine: Machine,
    pub provision_delay_ms: u64,
    pub startup_runs: usize,
    pub startup: Startup,
    pub size: BinarySize,
    pub phases: Vec<PhaseResult>,
    /// The same scenarios with DigitalOcean's provider, when it was given (else empty).
    pub digitalocean: Vec<PhaseResult>,
}

impl Report {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Benchmark results\n");
        self.render_machine(&mut out);
        self.render_provider(&mut out);
        self.render_phases(&mut out);
        self.render_requests(&mut out);
        self.render_timeline(&mut out);
        self.render_comparison(&mut out);
        self.render_notes(&mut out);
        out
    }

    fn render_machine(&self, out: &mut String) {
        let m = &self.machine;
        let mut machine = format!("{} CPUs", m.cpus);
        if let Some(model) = &m.cpu_model {
            let _ = write!(machine, " ({model})");
        }
        if let Some(kernel) = &m.kernel {
            let _ = write!(machine, ", {kernel}");
        }
        let _ = writeln!(out, "- Machine: {machine}");
        let _ = writeln!(out, "- Terraform {}", m.terraform_version);
        if let Some(rustc) = &m.rustc_version {
            let _ = writeln!(out, "- Built with {rustc}, `--release`");
        }
        if let Some(commit) = &m.commit {
            let _ = writeln!(out, "- Commit: {commit}");
        }
        let _ = writeln!(out, "- Date: {}", m.date);
        let mut counts: Vec<String> = Vec::new();
        for result in &self.phases {
            let count = result.clusters.to_string();
            if counts.last() != Some(&count) {
                counts.push(count);
            }
        }
        let _ = writeln!(
            out,
            "- Command: `./scripts/bench.sh` (dbaas-bench `--counts {} --provision-delay-ms {} \
             --startup-runs {}`)\n",
            counts.join(","),
            self.provision_delay_ms,
            self.startup_runs
        );
    }

    fn render_provider(&self, out: &mut String) {
        let _ = writeln!(out, "### Provider binary and start-up\n");
        let stripped = match self.size.sections {
            Some(sections) if sections.stripped() => {
                "stripped (no symbol table, no debug info)".to_string()
            }
            Some(sections) => {
                let mut has = Vec::new();
                if sections.symbol_table {
                    has.push("a symbol table");
                }
                if sections.debug_info {
                    has.push("debug info");
                }
                format!("not stripped: it has {}", has.join(" and "))
            }
            None => "stripping not checked (not an ELF64 little-endian file)".to_string(),
        };
        let _ = writeln!(
            out,
            "- Release binary: {} ({} bytes), {stripped}",
            mib(self.size.bytes),
            self.size.bytes
        );
        let Startup { mtls, plain } = &self.startup;
        let _ = writeln!(
            out,
            "- Start-up to plugin handshake, as Terraform starts it (auto-mTLS, P-521 client \
             certificate): {}",
            describe_time(mtls)
        );
        let _ = writeln!(
            out,
            "- Start-up to plugin handshake without a client certificate (plain gRPC): {}",
            describe_time(plain)
        );
        let _ = writeln!(
            out,
            "- Provider RSS right after the handshake: {} with auto-mTLS, {} without",
            describe_rss(mtls),
            describe_rss(plain)
        );
        let _ = writeln!(
            out,
            "  ({} timed runs each, after one warm-up; from spawn until the \
             `1|6|unix|<socket>|grpc|<cert>` line is read, `VmRSS` read at that moment, then \
             SIGKILL)",
            self.startup_runs
        );
        if let Some(largest_apply) = self
            .phases
            .iter()
            .filter(|result| result.phase == Phase::Apply)
            .max_by_key(|result| result.clusters)
        {
            let _ =
                writeln!(
                out,
                "- Provider peak RSS during the apply of {} clusters: {} (highest VmHWM of the {} \
                 provider processes Terraform started)",
                largest_apply.clusters,
                largest_apply.peak_rss_kib.map_or("not measured".into(), kib),
                largest_apply.provider_processes
            );
        }
    }

    fn render_phases(&self, out: &mut String) {
        let _ = writeln!(out, "\n### Terraform with N clusters\n");
        let _ = writeln!(
            out,
            "One `dbaas_database_cluster` with `count = N` (pg, 1 node) against `dbaas-mock` on \
             127.0.0.1 with a provisioning delay of {} ms; Terraform's default parallelism (10); \
             provider settings at their defaults. `plan` writes a plan file that `apply` applies; \
             `plan (no changes)` is the refresh plan after the apply. One run each.\n",
            self.provision_delay_ms
        );
        let _ = writeln!(
            out,
            "| clusters | phase | wall time | API requests | requests/cluster | provider peak RSS |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|");
        for result in &self.phases {
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} s | {} | {:.2} | {} |",
                result.clusters,
                result.phase.label(),
                result.wall.as_secs_f64(),
                result.requests.total,
                result.requests.total as f64 / result.clusters as f64,
                result.peak_rss_kib.map_or("–".into(), kib)
            );
        }
    }

    fn render_requests(&self, out: &mut String) {
        let _ = writeln!(out, "\n### API requests by kind\n");
        let _ = writeln!(
            out,
            "When several cluster waits are in progress, the client serves them from one shared \
             `GET /v2/databases` list per polling round instead of one `GET /v2/databases/{{id}}` \
             per cluster (`src/api/wait.rs`). \"GET below id\" is a read under one cluster \
             (e.g. `/autoscale`); \"other\" is everything else (e.g. `/v2/databases/options`). \
             \"not 2xx\" counts answers such as the 404 that ends a delete wait.\n"
        );
        let _ = writeln!(
            out,
            "| clusters | phase | POST create | GET list | GET by id | GET below id | DELETE | other | not 2xx |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for result in &self.phases {
            let r = &result.requests;
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                result.clusters,
                result.phase.label(),
                r.kind(RequestKind::Create),
                r.kind(RequestKind::List),
                r.kind(RequestKind::GetById),
                r.kind(RequestKind::GetChild),
                r.kind(RequestKind::Delete),
                r.kind(RequestKind::Other),
                r.not_2xx
            );
        }
    }

    /// Where each apply's time went: when the first request and the creates went out.
    fn render_timeline(&self, out: &mut String) {
        let applies: Vec<&PhaseResult> = self
            .phases
            .iter()
            .filter(|r| r.phase == Phase::Apply)
            .collect();
        if applies.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n### Where the apply's time goes\n");
        let _ = writeln!(
            out,
            "From the emulator's request log: Terraform starts at most 10 creates at once, so \
             they go out in waves (creates less than half the provisioning delay apart are one \
             wave) and the next wave starts as the previous one is seen online. \"wave period\" \
             is the mean time from one wave's last create to the next one's; it cannot be \
             shorter than the provisioning delay ({} ms), and \"beyond the delay\" is what it \
             adds. \"widest wave\" is the longest time between a wave's first and last create. \
             \"first request\" is the time from starting Terraform to the first API request, \
             \"after the last request\" from the last one to Terraform's exit.\n",
            self.provision_delay_ms
        );
        let _ = writeln!(
            out,
            "| clusters | wall time | first request | waves (creates each) | widest wave | wave period | beyond the delay | after the last request |"
        );
        let _ = writeln!(out, "|---:|---:|---:|---|---:|---:|---:|---:|");
        let seconds =
            |d: Option<Duration>| d.map_or("–".into(), |d| format!("{:.2} s", d.as_secs_f64()));
        for result in applies {
            let t = &result.timeline;
            let sizes: Vec<String> = t.waves.iter().map(|w| w.creates.to_string()).collect();
            let period = t.wave_period();
            let beyond =
                period.map(|p| p.saturating_sub(Duration::from_millis(self.provision_delay_ms)));
            let after = t.last_request.map(|last| result.wall.saturating_sub(last));
            let _ = writeln!(
                out,
                "| {} | {:.2} s | {} | {} ({}) | {} | {} | {} | {} |",
                result.clusters,
                result.wall.as_secs_f64(),
                seconds(t.first_request),
                t.waves.len(),
                sizes.join(", "),
                seconds(t.widest_wave()),
                seconds(period),
                seconds(beyond),
                seconds(after)
            );
        }
    }

    /// This provider next to DigitalOcean's, phase by phase.
    fn render_comparison(&self, out: &mut String) {
        if self.digitalocean.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n### Next to DigitalOcean's provider\n");
        let _ = writeln!(
            out,
            "The same scenarios with `digitalocean_database_cluster` and DigitalOcean's \
             provider (`--digitalocean`), on the same emulator, one after the other for each \
             count. DigitalOcean's provider polls a new cluster every 15 s and does not wait \
             for a delete to finish.\n"
        );
        let _ = writeln!(
            out,
            "| clusters | phase | wall time, this provider | wall time, DigitalOcean | ratio | \
             requests/cluster, this provider | requests/cluster, DigitalOcean |"
        );
        let _ = writeln!(out, "|---:|---|---:|---:|---:|---:|---:|");
        for ours in &self.phases {
            let Some(theirs) = self
                .digitalocean
                .iter()
                .find(|r| r.clusters == ours.clusters && r.phase == ours.phase)
            else {
                continue;
            };
            let per = |r: &PhaseResult| r.requests.total as f64 / r.clusters as f64;
            let _ = writeln!(
                out,
                "| {} | {} | {:.2} s | {:.2} s | {:.2}× | {:.2} | {:.2} |",
                ours.clusters,
                ours.phase.label(),
                ours.wall.as_secs_f64(),
                theirs.wall.as_secs_f64(),
                ours.wall.as_secs_f64() / theirs.wall.as_secs_f64().max(1e-9),
                per(ours),
                per(theirs)
            );
        }
    }

    fn render_notes(&self, out: &mut String) {
        let notes: Vec<String> = self
            .phases
            .iter()
            .chain(&self.digitalocean)
            .flat_map(|result| {
                let mut notes = Vec::new();
                if result.plan_not_empty {
                    notes.push(format!(
                        "{}, {} clusters: the plan after apply was not empty",
                        result.subject.label(),
                        result.clusters
                    ));
                }
                if result.unreported_processes > 0 {
                    notes.push(format!(
                        "{}, {} clusters, {}: {} provider process(es) ended without reporting \
                         memory",
                        result.subject.label(),
                        result.clusters,
                        result.phase.label(),
                        result.unreported_processes
                    ));
                }
                notes
            })
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(out, "\n### Notes\n");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
    }
}

fn describe_time(mode: &ModeResult) -> String {
    let summary = &mode.to_handshake;
    format!(
        "median {}, p90 {} (min {}, max {})",
        millis(summary.median),
        millis(summary.p90),
        millis(summary.min),
        millis(summary.max)
    )
}

fn describe_rss(mode: &ModeResult) -> String {
    let summary = &mode.rss_kib;
    format!(
        "median {} (p90 {}, max {})",
        kib(summary.median),
        kib(summary.p90),
        kib(summary.max)
    )
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn kib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}
