//! The Terraform scenarios: for each cluster count, `plan`, `apply` of that plan, a refresh
//! `plan` that should find nothing to do, and `destroy`, with the real CLI against the
//! emulator. Terraform starts the provider through `dev_overrides` pointing at the wrapper
//! copy of this binary ([`crate::wrapper`]), which records each provider's peak memory.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};

use crate::emulator::Emulator;
use crate::process::{scrubbed_command, tail, ChildGuard};
use crate::requests::{RequestCounts, Timeline};
use crate::wrapper::{WrapperRecords, WRAPPER_REAL_PROVIDER_ENV, WRAPPER_RECORD_DIR_ENV};
use crate::{log, DIGITALOCEAN_BINARY, PROVIDER_BINARY};

/// Whose provider a run drives: this one, or DigitalOcean's (given its binary) on the same
/// emulator, with the same clusters in its own resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Dbaas,
    DigitalOcean,
}

impl Subject {
    pub fn label(self) -> &'static str {
        match self {
            Subject::Dbaas => "this provider",
            Subject::DigitalOcean => "DigitalOcean",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Subject::Dbaas => "dbaas",
            Subject::DigitalOcean => "digitalocean",
        }
    }

    fn address(self) -> &'static str {
        match self {
            Subject::Dbaas => "registry.terraform.io/dbaas/dbaas",
            Subject::DigitalOcean => "registry.terraform.io/digitalocean/digitalocean",
        }
    }

    /// The name Terraform looks for in the `dev_overrides` directory.
    fn binary_name(self) -> &'static str {
        match self {
            Subject::Dbaas => PROVIDER_BINARY,
            Subject::DigitalOcean => DIGITALOCEAN_BINARY,
        }
    }

    /// The token and endpoint, through the environment each provider reads.
    fn api_env(self, token: &str, url: &str) -> [(&'static str, OsString); 2] {
        match self {
            Subject::Dbaas => [("DBAAS_TOKEN", token.into()), ("DBAAS_API_URL", url.into())],
            Subject::DigitalOcean => [
                ("DIGITALOCEAN_TOKEN", token.into()),
                ("DIGITALOCEAN_API_URL", url.into()),
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Plan,
    Apply,
    Refresh,
    Destroy,
}

impl Phase {
    const ALL: [Phase; 4] = [Phase::Plan, Phase::Apply, Phase::Refresh, Phase::Destroy];

    pub fn label(self) -> &'static str {
        match self {
            Phase::Plan => "plan",
            Phase::Apply => "apply",
            Phase::Refresh => "plan (no changes)",
            Phase::Destroy => "destroy",
        }
    }

    fn args(self) -> &'static [&'static str] {
        match self {
            // The saved plan makes `apply` measure the apply alone, not a second plan.
            Phase::Plan => &["plan", "-input=false", "-no-color", "-out=bench.tfplan"],
            Phase::Apply => &["apply", "-input=false", "-no-color", "bench.tfplan"],
            Phase::Refresh => &["plan", "-input=false", "-no-color", "-detailed-exitcode"],
            Phase::Destroy => &["destroy", "-input=false", "-no-color", "-auto-approve"],
        }
    }

    /// `terraform plan -detailed-exitcode` exits 2 when the plan has changes.
    fn accepts(self, code: i32) -> bool {
        code == 0 || (self == Phase::Refresh && code == 2)
    }
}

pub struct PhaseResult {
    pub subject: Subject,
    pub clusters: usize,
    pub phase: Phase,
    pub wall: Duration,
    pub requests: RequestCounts,
    /// When the requests went out (the creates in waves), from the emulator's log.
    pub timeline: Timeline,
    /// Highest `VmHWM` of the provider processes Terraform started, in KiB.
    pub peak_rss_kib: Option<u64>,
    pub provider_processes: usize,
    /// Provider processes that ended without reporting their memory (killed by Terraform).
    pub unreported_processes: usize,
    /// For the refresh plan: whether it proposed changes (it should not).
    pub plan_not_empty: bool,
}

pub struct TerraformBench<'a> {
    subject: Subject,
    terraform: &'a Path,
    emulator: &'a Emulator,
    work: &'a Path,
    env: Vec<(&'static str, OsString)>,
    command_limit: Duration,
}

impl<'a> TerraformBench<'a> {
    /// Writes the CLI configuration that points Terraform at the wrapper copy of this binary,
    /// which runs `provider` (this provider's or DigitalOcean's, as `subject` says).
    pub fn prepare(
        subject: Subject,
        terraform: &'a Path,
        provider: &Path,
        emulator: &'a Emulator,
        token: &str,
        work: &'a Path,
        command_limit: Duration,
    ) -> Result<TerraformBench<'a>> {
        let overrides = work.join(format!("overrides-{}", subject.slug()));
        fs::create_dir(&overrides)?;
        let wrapper = overrides.join(subject.binary_name());
        let this = std::env::current_exe().context("cannot find this program's own path")?;
        fs::copy(&this, &wrapper)
            .with_context(|| format!("cannot copy {} to {}", this.display(), wrapper.display()))?;
        let cli_config = work.join(format!("cli-{}.tfrc", subject.slug()));
        fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"{}\" = {}\n  }}\n  direct {{}}\n}}\n",
                subject.address(),
                hcl_string(&overrides.to_string_lossy())
            ),
        )?;
        let mut env = vec![
            ("TF_CLI_CONFIG_FILE", cli_config.into_os_string()),
            ("TF_IN_AUTOMATION", "1".into()),
            ("TF_INPUT", "0".into()),
            ("CHECKPOINT_DISABLE", "1".into()),
            (WRAPPER_REAL_PROVIDER_ENV, provider.as_os_str().to_owned()),
        ];
        // Through the environment rather than -var: the token stays out of process lists.
        env.extend(subject.api_env(token, &emulator.url));
        Ok(TerraformBench {
            subject,
            terraform,
            emulator,
            work,
            env,
            command_limit,
        })
    }

    pub fn run_count(&self, clusters: usize) -> Result<Vec<PhaseResult>> {
        let dir = self
            .work
            .join(format!("{}-clusters-{clusters}", self.subject.slug()));
        fs::create_dir(&dir)?;
        fs::write(
            dir.join("main.tf"),
            cluster_configuration(self.subject, clusters),
        )?;
        self.emulator.reset()?;
        let who = self.subject.label();
        Phase::ALL
            .iter()
            .map(|&phase| {
                log(format!(
                    "{who}, {clusters} clusters: terraform {}",
                    phase.label()
                ));
                let result = self.run_phase(&dir, clusters, phase)?;
                log(format!(
                    "{who}, {clusters} clusters: {} took {:.2} s, {} API requests",
                    phase.label(),
                    result.wall.as_secs_f64(),
                    result.requests.total
                ));
                Ok(result)
            })
            .collect()
    }

    fn run_phase(&self, dir: &Path, clusters: usize, phase: Phase) -> Result<PhaseResult> {
        let record_dir = dir.join(format!("rss-{}", phase.label().replace(' ', "-")));
        fs::create_dir(&record_dir)?;
        let stdout_path = record_dir.join("terraform.stdout");
        let stderr_path = record_dir.join("terraform.stderr");
        self.emulator.clear_requests()?;

        let mut command = scrubbed_command(self.terraform);
        command
            .current_dir(dir)
            .args(phase.args())
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .env(WRAPPER_RECORD_DIR_ENV, &record_dir)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&stdout_path)?)
            .stderr(fs::File::create(&stderr_path)?);
        let started = Instant::now();
        let started_at_ms = epoch_ms();
        let mut child = ChildGuard(
            command
                .spawn()
                .with_context(|| format!("cannot start {}", self.terraform.display()))?,
        );
        let (status, wall) = wait_with_limit(&mut child.0, started, self.command_limit)?;
        let code = status.code().unwrap_or(-1);
        if !phase.accepts(code) {
            bail!(
                "terraform {} for {clusters} clusters failed ({status}):\n{}\n{}",
                phase.label(),
                tail(&stdout_path),
                tail(&stderr_path)
            );
        }
        let logged = self.emulator.requests()?;
        let requests = RequestCounts::of(&logged);
        let timeline = Timeline::of(&logged, started_at_ms, self.emulator.provision_delay_ms);
        let memory = WrapperRecords::read(&record_dir)?;
        Ok(PhaseResult {
            subject: self.subject,
            clusters,
            phase,
            wall,
            requests,
            timeline,
            peak_rss_kib: memory.peak_kib,
            provider_processes: memory.started,
            unreported_processes: memory.started - memory.reported,
            plan_not_empty: phase == Phase::Refresh && code == 2,
        })
    }
}

/// Now, in milliseconds since the Unix epoch (the emulator's log uses the same clock).
fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Waits for `child`, killing it past `limit`. The wall time ends when the exit is seen; the
/// few milliseconds of polling granularity are far below what the phases take.
fn wait_with_limit(
    child: &mut Child,
    started: Instant,
    limit: Duration,
) -> Result<(ExitStatus, Duration)> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, started.elapsed()));
        }
        if started.elapsed() > limit {
            bail!(
                "terraform ran longer than {}s (--command-limit-secs); stopped",
                limit.as_secs()
            );
        }
        thread::sleep(Duration::from_millis(2));
    }
}

fn cluster_configuration(subject: Subject, clusters: usize) -> String {
    let (name, source, comment) = match subject {
        Subject::Dbaas => (
            "dbaas",
            "dbaas/dbaas",
            "Token and endpoint come from DBAAS_TOKEN and DBAAS_API_URL",
        ),
        Subject::DigitalOcean => (
            "digitalocean",
            "digitalocean/digitalocean",
            "Token and endpoint come from DIGITALOCEAN_TOKEN and DIGITALOCEAN_API_URL",
        ),
    };
    format!(
        r#"terraform {{
  required_providers {{
    {name} = {{
      source = "{source}"
    }}
  }}
}}

# {comment}; every other setting is the default.
provider "{name}" {{}}

resource "{name}_database_cluster" "bench" {{
  count      = {clusters}
  name       = "bench-${{count.index}}"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}}
"#
    )
}

/// A string as an HCL literal (JSON escaping is valid HCL).
fn hcl_string(value: &str) -> String {
    serde_json::Value::String(value.to_string()).to_string()
}
