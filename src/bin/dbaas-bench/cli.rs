//! The command line: what a run measures and where the report goes. Kept apart from the
//! measurements so that the defaults (which the README's figures were taken with) are in one
//! place.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "usage: dbaas-bench [options]

Measures the release provider next to this binary (start-up to handshake and its memory at
that point, binary size) and drives Terraform against dbaas-mock (plan, apply, refresh plan and
destroy of N clusters), then writes a Markdown report to --out and prints it.

  --counts LIST             cluster counts to run, comma-separated (default 10,100,300)
  --provision-delay-ms MS   the emulator's creating -> online delay (default 2000)
  --startup-runs N          provider start-ups to time per mode (default 30, after one warm-up)
  --terraform PATH          Terraform CLI (default: $TERRAFORM_BIN, else terraform on PATH)
  --out FILE                where to write the report (default target/bench/results.md)
  --command-limit-secs S    kill a Terraform command that runs longer (default 1800)
  --digitalocean PATH       also run the same scenarios with DigitalOcean's provider binary
                            (digitalocean_database_cluster, same emulator, same counts), add a
                            side-by-side table and write an SVG chart to --chart
  --chart FILE              where the comparison chart goes (default: comparison.svg next to
                            --out)
  -h, --help                this text

dbaas-bench persistence --help describes the emulator's state-file benchmark.";

pub const PERSISTENCE_USAGE: &str = "usage: dbaas-bench persistence [options]

Measures what dbaas-mock's --state-file costs: fills the emulator with --stored clusters, then
times --creates sequential creates from one keep-alive client, with a state file (then kills
the emulator with SIGKILL and counts the clusters that come back) and without one. Prints a
Markdown table.

  --stored N                clusters created before the timed ones (default 2000)
  --creates N               creates timed (default 1000)
  --mock PATH               the dbaas-mock to measure (default: the one next to this binary)
  -h, --help                this text";

#[derive(Debug)]
pub struct Options {
    pub counts: Vec<usize>,
    pub provision_delay_ms: u64,
    pub startup_runs: usize,
    pub terraform: Option<PathBuf>,
    pub out: PathBuf,
    pub command_limit: Duration,
    pub digitalocean: Option<PathBuf>,
    pub chart: Option<PathBuf>,
}

impl Options {
    /// `Ok(None)` means help was asked for.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Option<Options>, String> {
        let mut options = Options {
            counts: vec![10, 100, 300],
            provision_delay_ms: 2000,
            // 30 runs make the p90 the 27th sample rather than an outlier's neighbour.
            startup_runs: 30,
            terraform: None,
            out: PathBuf::from("target/bench/results.md"),
            command_limit: Duration::from_secs(1800),
            digitalocean: None,
            chart: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(None);
            }
            let value = match inline {
                Some(value) => value.to_string(),
                None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--counts" => {
                    options.counts = value
                        .split(',')
                        .map(|count| parse_positive(&flag, count.trim()))
                        .collect::<Result<_, _>>()?;
                }
                "--provision-delay-ms" => {
                    options.provision_delay_ms = value.parse().map_err(|_| {
                        format!("{flag}: {value:?} is not a number of milliseconds")
                    })?;
                }
                "--startup-runs" => options.startup_runs = parse_positive(&flag, &value)?,
                "--terraform" => options.terraform = Some(PathBuf::from(value)),
                "--out" => options.out = PathBuf::from(value),
                "--digitalocean" => options.digitalocean = Some(PathBuf::from(value)),
                "--chart" => options.chart = Some(PathBuf::from(value)),
                "--command-limit-secs" => {
                    options.command_limit =
                        Duration::from_secs(parse_positive(&flag, &value)? as u64);
                }
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Some(options))
    }
}

/// `dbaas-bench persistence`: the state-file benchmark ([`crate::persistence`]).
#[derive(Debug)]
pub struct PersistenceOptions {
    pub stored: usize,
    pub creates: usize,
    pub mock: Option<PathBuf>,
}

impl PersistenceOptions {
    /// The arguments after `persistence`; `Ok(None)` means help was asked for.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
    ) -> Result<Option<PersistenceOptions>, String> {
        let mut options = PersistenceOptions {
            stored: 2000,
            creates: 1000,
            mock: None,
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
                _ => (arg.clone(), None),
            };
            if flag == "-h" || flag == "--help" {
                return Ok(None);
            }
            let value = match inline {
                Some(value) => value.to_string(),
                None => args.next().ok_or_else(|| format!("{flag} needs a value"))?,
            };
            match flag.as_str() {
                "--stored" => options.stored = parse_positive(&flag, &value)?,
                "--creates" => options.creates = parse_positive(&flag, &value)?,
                "--mock" => options.mock = Some(PathBuf::from(value)),
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(Some(options))
    }
}

fn parse_positive(flag: &str, value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(number) if number > 0 => Ok(number),
        _ => Err(format!("{flag}: {value:?} is not a positive whole number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_default_and_parse_both_flag_spellings() {
        let options = Options::parse(Vec::<String>::new()).unwrap().unwrap();
        assert_eq!(options.counts, [10, 100, 300]);
        assert_eq!(options.provision_delay_ms, 2000);
        assert_eq!(options.startup_runs, 30);
        let options = Options::parse(
            [
                "--counts=1,2",
                "--startup-runs",
                "3",
                "--provision-delay-ms=0",
            ]
            .map(String::from),
        )
        .unwrap()
        .unwrap();
        assert_eq!(options.counts, [1, 2]);
        assert_eq!(options.startup_runs, 3);
        assert_eq!(options.provision_delay_ms, 0);
        assert!(options.digitalocean.is_none());
        let options = Options::parse(
            [
                "--digitalocean=/do/terraform-provider-digitalocean",
                "--chart",
                "c.svg",
            ]
            .map(String::from),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            options.digitalocean,
            Some(PathBuf::from("/do/terraform-provider-digitalocean"))
        );
        assert_eq!(options.chart, Some(PathBuf::from("c.svg")));
        assert!(Options::parse(["--counts", "0"].map(String::from)).is_err());
        assert!(Options::parse(["--bogus"].map(String::from)).is_err());
        assert!(Options::parse(["--help"].map(String::from))
            .unwrap()
            .is_none());
    }

    #[test]
    fn persistence_options_default_and_parse() {
        let options = PersistenceOptions::parse(Vec::<String>::new())
            .unwrap()
            .unwrap();
        assert_eq!((options.stored, options.creates), (2000, 1000));
        assert!(options.mock.is_none());
        let options = PersistenceOptions::parse(
            ["--stored=10", "--creates", "5", "--mock", "/x/dbaas-mock"].map(String::from),
        )
        .unwrap()
        .unwrap();
        assert_eq!((options.stored, options.creates), (10, 5));
        assert_eq!(options.mock, Some(PathBuf::from("/x/dbaas-mock")));
        assert!(PersistenceOptions::parse(["--creates", "0"].map(String::from)).is_err());
        assert!(PersistenceOptions::parse(["--counts", "1"].map(String::from)).is_err());
        assert!(PersistenceOptions::parse(["-h"].map(String::from))
            .unwrap()
            .is_none());
    }
}
