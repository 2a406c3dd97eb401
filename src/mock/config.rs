//! Start-up configuration (command line or [`MockConfig`]) and the run-time [`Settings`] that
//! `PATCH /_mock/settings` changes.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value as Json;

/// The command line, as printed by `dbaas-mock --help`.
pub const USAGE: &str = "\
usage: dbaas-mock [--host 127.0.0.1] [--port 8080|0] [--token TOKEN]...
                  [--provision-delay-ms 3000] [--transition-delay-ms 2000]
                  [--rate-limit-per-minute N] [--rate-limit-per-hour N]
                  [--state-file PATH] [--seed N] [--real-engines]

A local emulator of the DigitalOcean Managed Databases API (/v2/databases).
  --host                  address to listen on (default 127.0.0.1). An address outside
                          127.0.0.0/8 and ::1 (e.g. 0.0.0.0) makes the emulator reachable
                          from other machines, and then --token is required
  --port                  port to listen on; 0 picks a free one (default 8080)
  --token                 accepted bearer token, repeatable (default: any non-empty token)
  --provision-delay-ms    time a new cluster stays `creating` (default 3000)
  --transition-delay-ms   time a resize/migration (and a topic change) takes (default 2000)
  --rate-limit-per-minute requests per token per sliding minute (default unlimited)
  --rate-limit-per-hour   requests per token per sliding hour (default unlimited)
  --state-file            keep the store in PATH: loaded at start, each change appended
                          and flushed to disk before it is answered
  --seed                  seed for generated IDs and passwords (reproducible runs)
  --real-engines          back pg clusters with real PostgreSQL 15 (pools with PgBouncer),
                          mysql with MariaDB 10.11, redis/valkey with Redis 7, one server per
                          cluster on 127.0.0.1 with TLS; their connection details really
                          connect. Kafka, MongoDB and OpenSearch stay simulated. Needs the
                          Debian packages (./scripts/mock.sh --real-engines installs them);
                          with --state-file their data lives in PATH.engines/
Every request, to /v2 and to the test controls under /_mock alike, needs an accepted bearer
token (`Authorization: Bearer TOKEN`). /_mock/state returns every cluster's password and
/_mock/reset wipes the store: whoever holds a token holds every credential in the emulator.
The first line on stdout is `dbaas-mock listening on http://HOST:PORT`.";

/// How the emulator starts. `Default` is the command line's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockConfig {
    pub host: IpAddr,
    /// `0` picks a free port; read the result from [`crate::mock::MockServer::addr`].
    pub port: u16,
    /// Accepted bearer tokens; empty means any non-empty token is accepted.
    pub tokens: Vec<String>,
    pub provision_delay_ms: u64,
    pub transition_delay_ms: u64,
    pub rate_limit_per_minute: Option<u32>,
    pub rate_limit_per_hour: Option<u32>,
    pub state_file: Option<PathBuf>,
    /// Seed for IDs and passwords; `None` draws one from the OS.
    pub seed: Option<u64>,
    /// `--real-engines`: real servers behind pg, mysql, redis and valkey clusters.
    pub real_engines: bool,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            tokens: Vec::new(),
            provision_delay_ms: 3000,
            transition_delay_ms: 2000,
            rate_limit_per_minute: None,
            rate_limit_per_hour: None,
            state_file: None,
            seed: None,
            real_engines: false,
        }
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliCommand {
    Run(MockConfig),
    Help,
}

impl MockConfig {
    /// Parses the arguments after the program name. Accepts `--flag value` and `--flag=value`.
    pub fn from_args<I, S>(args: I) -> Result<CliCommand, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut config = MockConfig::default();
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            if flag == "--help" || flag == "-h" {
                return Ok(CliCommand::Help);
            }
            if flag == "--real-engines" {
                if inline.is_some() {
                    return Err("--real-engines takes no value".into());
                }
                config.real_engines = true;
                continue;
            }
            let mut value = || -> Result<String, String> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => args.next().ok_or_else(|| format!("{flag} needs a value")),
                }
            };
            match flag.as_str() {
                "--host" => {
                    let v = value()?;
                    config.host = v
                        .parse()
                        .map_err(|_| format!("--host: {v:?} is not an IP address"))?;
                }
                "--port" => config.port = parse_number(&flag, &value()?)?,
                "--token" => {
                    let v = value()?;
                    if v.is_empty() {
                        return Err("--token must not be empty".into());
                    }
                    config.tokens.push(v);
                }
                "--provision-delay-ms" => {
                    config.provision_delay_ms = parse_number(&flag, &value()?)?
                }
                "--transition-delay-ms" => {
                    config.transition_delay_ms = parse_number(&flag, &value()?)?
                }
                "--rate-limit-per-minute" => {
                    config.rate_limit_per_minute = Some(parse_number(&flag, &value()?)?)
                }
                "--rate-limit-per-hour" => {
                    config.rate_limit_per_hour = Some(parse_number(&flag, &value()?)?)
                }
                "--state-file" => config.state_file = Some(PathBuf::from(value()?)),
                "--seed" => config.seed = Some(parse_number(&flag, &value()?)?),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        config.check_exposure()?;
        Ok(CliCommand::Run(config))
    }

    /// Whether only this machine can reach the listener: `--host` in 127.0.0.0/8 or `::1`.
    pub fn is_loopback_only(&self) -> bool {
        self.host.to_canonical().is_loopback()
    }

    /// Refuses to listen beyond this machine without `--token`: with any token accepted,
    /// anybody who can connect could read every cluster's credentials from `/_mock/state`.
    pub fn check_exposure(&self) -> Result<(), String> {
        if self.is_loopback_only() || !self.tokens.is_empty() {
            return Ok(());
        }
        Err(format!(
            "--host {} is reachable from other machines, so --token is required: without it \
             any bearer token is accepted, and /_mock/state would give every cluster's \
             credentials to anyone who can connect (use --host 127.0.0.1, or pass --token)",
            self.host
        ))
    }

    /// The warning to print when the listener is reachable from other machines.
    pub fn exposure_warning(&self) -> Option<String> {
        (!self.is_loopback_only()).then(|| {
            format!(
                "warning: listening on {}, reachable from other machines; /_mock/ exposes \
                 every cluster's credentials (and can reset the store) to whoever has the token",
                self.host
            )
        })
    }
}

fn parse_number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

/// Behaviour that tests change at run time through `/_mock/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// How long a new (or restored) cluster stays `creating` (`forking`).
    pub provision_delay_ms: u64,
    /// How long `resizing`/`migrating` last, and how long a Kafka topic stays `configuring`.
    pub transition_delay_ms: u64,
    /// Requests per token per sliding minute; `None` is unlimited.
    pub rate_limit_per_minute: Option<u32>,
    /// Requests per token per sliding hour; `None` is unlimited.
    pub rate_limit_per_hour: Option<u32>,
    /// The `retry-after` value sent with a 429.
    pub retry_after_secs: u64,
    /// Answer 412 to a mutation of a cluster (or its children) while another mutation of the
    /// same cluster is still being handled, as the real API does for a busy cluster. Overlaps
    /// are counted in `/_mock/state` either way.
    pub reject_concurrent_mutations: bool,
}

impl Settings {
    pub fn from_config(config: &MockConfig) -> Self {
        Settings {
            provision_delay_ms: config.provision_delay_ms,
            transition_delay_ms: config.transition_delay_ms,
            rate_limit_per_minute: config.rate_limit_per_minute,
            rate_limit_per_hour: config.rate_limit_per_hour,
            retry_after_secs: 1,
            reject_concurrent_mutations: false,
        }
    }

    /// Applies a JSON merge patch. Either every key applies or none does.
    pub fn merge_patch(&mut self, patch: &Json) -> Result<(), String> {
        let Some(patch) = patch.as_object() else {
            return Err("the settings patch must be a JSON object".into());
        };
        let mut next = self.clone();
        for (key, value) in patch {
            match key.as_str() {
                "provision_delay_ms" => next.provision_delay_ms = required_u64(key, value)?,
                "transition_delay_ms" => next.transition_delay_ms = required_u64(key, value)?,
                "retry_after_secs" => next.retry_after_secs = required_u64(key, value)?,
                "rate_limit_per_minute" => next.rate_limit_per_minute = optional_u32(key, value)?,
                "rate_limit_per_hour" => next.rate_limit_per_hour = optional_u32(key, value)?,
                "reject_concurrent_mutations" => {
                    next.reject_concurrent_mutations = value
                        .as_bool()
                        .ok_or_else(|| format!("{key} must be a boolean"))?
                }
                other => {
                    return Err(format!(
                        "unknown setting {other:?}; known settings: provision_delay_ms, \
                         transition_delay_ms, rate_limit_per_minute, rate_limit_per_hour, \
                         retry_after_secs, reject_concurrent_mutations"
                    ))
                }
            }
        }
        *self = next;
        Ok(())
    }
}

fn required_u64(key: &str, value: &Json) -> Result<u64, String> {
    value
        .as_u64()
        .ok_or_else(|| format!("{key} must be a non-negative integer"))
}

fn optional_u32(key: &str, value: &Json) -> Result<Option<u32>, String> {
    if value.is_null() {
        return Ok(None);
    }
    value
        .as_u64()
        .and_then(|v| u32::try_from(v).ok())
        .map(Some)
        .ok_or_else(|| format!("{key} must be null (unlimited) or a non-negative integer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_flag_in_both_spellings() {
        let parsed = MockConfig::from_args([
            "--host",
            "127.0.0.1",
            "--port=0",
            "--token",
            "a",
            "--token=b",
            "--provision-delay-ms",
            "10",
            "--transition-delay-ms=20",
            "--rate-limit-per-minute",
            "5",
            "--rate-limit-per-hour=50",
            "--state-file",
            "/tmp/x.json",
            "--seed",
            "7",
            "--real-engines",
        ])
        .unwrap();
        let CliCommand::Run(config) = parsed else {
            panic!("expected a run command")
        };
        assert_eq!(config.port, 0);
        assert_eq!(config.tokens, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(config.provision_delay_ms, 10);
        assert_eq!(config.transition_delay_ms, 20);
        assert_eq!(config.rate_limit_per_minute, Some(5));
        assert_eq!(config.rate_limit_per_hour, Some(50));
        assert_eq!(config.state_file, Some(PathBuf::from("/tmp/x.json")));
        assert_eq!(config.seed, Some(7));
        assert!(config.real_engines);
        let CliCommand::Run(default) = MockConfig::from_args(Vec::<String>::new()).unwrap() else {
            panic!("expected a run command")
        };
        assert!(
            !default.real_engines,
            "the simulated emulator is the default"
        );
    }

    #[test]
    fn rejects_unknown_flags_and_bad_values() {
        assert!(MockConfig::from_args(["--bogus"]).is_err());
        assert!(MockConfig::from_args(["--port", "http"]).is_err());
        assert!(MockConfig::from_args(["--port"]).is_err());
        assert!(MockConfig::from_args(["--token="]).is_err());
        assert!(MockConfig::from_args(["--real-engines=yes"]).is_err());
        assert_eq!(MockConfig::from_args(["--help"]).unwrap(), CliCommand::Help);
    }

    #[test]
    fn a_host_beyond_loopback_needs_a_token() {
        for host in ["0.0.0.0", "192.168.1.10", "::", "2001:db8::1"] {
            let error = MockConfig::from_args(["--host", host]).unwrap_err();
            assert!(
                error.contains("--host") && error.contains("--token"),
                "{error}"
            );
            let CliCommand::Run(config) =
                MockConfig::from_args(["--host", host, "--token", "t"]).unwrap()
            else {
                panic!("expected a run command")
            };
            assert!(config.exposure_warning().unwrap().contains("/_mock/"));
        }
        for host in ["127.0.0.1", "127.10.0.3", "::1", "::ffff:127.0.0.1"] {
            let CliCommand::Run(config) = MockConfig::from_args(["--host", host]).unwrap() else {
                panic!("expected a run command")
            };
            assert_eq!(config.exposure_warning(), None, "{host}");
        }
    }

    #[test]
    fn merge_patch_is_all_or_nothing() {
        let mut settings = Settings::from_config(&MockConfig::default());
        settings
            .merge_patch(&json!({"provision_delay_ms": 5, "rate_limit_per_minute": 3}))
            .unwrap();
        assert_eq!(settings.provision_delay_ms, 5);
        assert_eq!(settings.rate_limit_per_minute, Some(3));
        let before = settings.clone();
        assert!(settings
            .merge_patch(&json!({"transition_delay_ms": 1, "nope": true}))
            .is_err());
        assert_eq!(settings, before);
        settings
            .merge_patch(&json!({"rate_limit_per_minute": null}))
            .unwrap();
        assert_eq!(settings.rate_limit_per_minute, None);
        assert!(settings
            .merge_patch(&json!({"provision_delay_ms": null}))
            .is_err());
    }
}
