//! Start-up: how long the provider takes from being spawned to its go-plugin handshake line,
//! and how much memory it holds at that moment. Terraform starts the provider for every
//! command (often more than once), so this is paid on every `plan` and `apply`.
//!
//! Each run starts the release binary the way Terraform's go-plugin client does: the magic
//! cookie, `PLUGIN_PROTOCOL_VERSIONS=6`, go-plugin's port range (unused by a Unix-socket
//! plugin, but Terraform sets it) and, for auto-mTLS, `PLUGIN_CLIENT_CERT` with a P-521
//! certificate like Terraform's ([`crate::client_cert`]), so the time includes parsing and
//! pinning it and making the provider's own certificate. The clock stops when the line
//! `1|6|unix|<socket>|grpc|<base64 cert>` has been read from the pipe; `VmRSS` is read from
//! `/proc` right then, while the provider waits for its client. The line is then checked
//! (protocol 6 over a Unix socket that exists, a certificate exactly when one was asked for)
//! and the child is killed with SIGKILL and reaped. A killed provider cannot remove its
//! socket file, so the sockets go to a directory of the benchmark's own
//! (`PLUGIN_UNIX_SOCKET_DIR`, which go-plugin also uses) and are removed after each run.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;

use crate::log;
use crate::proc_status::vm_rss_kib;
use crate::process::{scrubbed_command, tail, ChildGuard};
use crate::stats::Summary;

/// What Terraform (through go-plugin) gives every plugin it launches. The cookie is
/// Terraform's fixed handshake value; 10000-25000 is go-plugin's default port range.
const PLUGIN_ENV: [(&str, &str); 4] = [
    (
        "TF_PLUGIN_MAGIC_COOKIE",
        "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
    ),
    ("PLUGIN_PROTOCOL_VERSIONS", "6"),
    ("PLUGIN_MIN_PORT", "10000"),
    ("PLUGIN_MAX_PORT", "25000"),
];
/// Terraform always runs plugins with automatic mutual TLS: it passes its client certificate
/// here, and the provider makes a server key and certificate before it can answer.
const PLUGIN_CLIENT_CERT_ENV: &str = "PLUGIN_CLIENT_CERT";
/// Where go-plugin servers create their Unix socket.
const PLUGIN_SOCKET_DIR_ENV: &str = "PLUGIN_UNIX_SOCKET_DIR";
/// How long one provider start-up may take before the benchmark gives up on it.
const STARTUP_LIMIT: Duration = Duration::from_secs(30);

/// Both ways of starting the provider.
pub struct Startup {
    /// As Terraform starts it, with a client certificate.
    pub mtls: ModeResult,
    /// Plain gRPC, as a go-plugin client without auto-mTLS would.
    pub plain: ModeResult,
}

pub struct ModeResult {
    pub to_handshake: Summary<Duration>,
    /// `VmRSS` right after the handshake line, in KiB.
    pub rss_kib: Summary<u64>,
}

/// One timed start-up.
struct Run {
    to_handshake: Duration,
    rss_kib: u64,
}

/// Measures `runs` start-ups with a client certificate and `runs` without, each after one
/// untimed warm-up (which pays for the page cache).
pub fn measure(provider: &Path, runs: usize, work: &Path) -> Result<Startup> {
    let socket_dir = work.join("plugin-sockets");
    fs::create_dir(&socket_dir)
        .with_context(|| format!("cannot create {}", socket_dir.display()))?;
    // Made once, outside the timed runs: generating it is Terraform's work, not the plugin's.
    let client_cert = crate::client_cert::generate()?;
    let launch = |client_cert: Option<&str>, name: &str| Launch {
        provider: provider.to_path_buf(),
        client_cert: client_cert.map(str::to_string),
        socket_dir: socket_dir.clone(),
        stderr: work.join(format!("provider-startup-{name}.stderr")),
    };

    log(format!(
        "provider start-up, {runs} runs, with a P-521 client certificate (as Terraform starts it)"
    ));
    let mtls = launch(Some(&client_cert), "mtls").measure(runs)?;
    log(format!(
        "provider start-up, {runs} runs, without a client certificate"
    ));
    let plain = launch(None, "plain").measure(runs)?;
    Ok(Startup { mtls, plain })
}

/// How to start the provider for one series of runs.
struct Launch {
    provider: PathBuf,
    client_cert: Option<String>,
    socket_dir: PathBuf,
    /// The provider's stderr of the latest run, for the error message when it fails.
    stderr: PathBuf,
}

impl Launch {
    fn measure(&self, runs: usize) -> Result<ModeResult> {
        self.start_once().context("warm-up start-up")?;
        let runs = (1..=runs)
            .map(|run| {
                self.start_once()
                    .with_context(|| format!("start-up run {run}"))
            })
            .collect::<Result<Vec<Run>>>()?;
        let times: Vec<Duration> = runs.iter().map(|run| run.to_handshake).collect();
        let rss: Vec<u64> = runs.iter().map(|run| run.rss_kib).collect();
        Ok(ModeResult {
            to_handshake: Summary::of(&times),
            rss_kib: Summary::of(&rss),
        })
    }

    /// Spawns the provider, times it to its handshake line, reads its memory, checks the line
    /// and stops the provider.
    fn start_once(&self) -> Result<Run> {
        let stderr = fs::File::create(&self.stderr)
            .with_context(|| format!("cannot create {}", self.stderr.display()))?;
        let mut command = scrubbed_command(&self.provider);
        command
            .envs(PLUGIN_ENV)
            .env(PLUGIN_SOCKET_DIR_ENV, &self.socket_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some(cert) = &self.client_cert {
            command.env(PLUGIN_CLIENT_CERT_ENV, cert);
        }

        let started = Instant::now();
        let mut child = ChildGuard(
            command
                .spawn()
                .with_context(|| format!("cannot start {}", self.provider.display()))?,
        );
        let stdout = child.0.stdout.take().expect("stdout is piped");
        let (line_tx, line_rx) = mpsc::channel();
        // A thread, so that a provider that never answers meets the time limit instead of a
        // blocked read.
        let reader = thread::spawn(move || {
            let mut line = String::new();
            let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
            let _ = line_tx.send((read, Instant::now()));
        });
        let (line, read_at) = match line_rx.recv_timeout(STARTUP_LIMIT) {
            Ok((Ok(line), at)) => (line, at),
            Ok((Err(error), _)) => bail!("cannot read the provider's stdout: {error}"),
            Err(_) => bail!(
                "the provider printed no handshake within {}s; its stderr:\n{}",
                STARTUP_LIMIT.as_secs(),
                tail(&self.stderr)
            ),
        };
        // Right away, before anything else: this is the memory at the handshake.
        let rss_kib = vm_rss_kib(child.0.id());
        let to_handshake = read_at - started;
        let _ = reader.join();

        if line.is_empty() {
            let status = child.0.wait()?;
            bail!(
                "the provider exited ({status}) without a handshake; its stderr:\n{}",
                tail(&self.stderr)
            );
        }
        let handshake = Handshake::parse(&line)?;
        let checked = self.check(&handshake);
        // Stopped whether or not the line was right; SIGKILL, as a killed plugin is what
        // Terraform copes with too, and nothing of the provider's shutdown is measured here.
        child.0.kill().context("cannot kill the provider")?;
        child.0.wait().context("cannot reap the provider")?;
        remove_socket(Path::new(handshake.address))?;
        checked?;
        let rss_kib = rss_kib.ok_or_else(|| {
            anyhow!("the provider exited right after its handshake, before its memory was read")
        })?;
        Ok(Run {
            to_handshake,
            rss_kib,
        })
    }

    /// What this launch must see: a live socket in our directory, and a server certificate
    /// exactly when a client certificate was passed.
    fn check(&self, handshake: &Handshake<'_>) -> Result<()> {
        let socket = Path::new(handshake.address);
        if socket.parent() != Some(self.socket_dir.as_path()) {
            bail!(
                "the provider's socket {} is not in {PLUGIN_SOCKET_DIR_ENV} ({})",
                socket.display(),
                self.socket_dir.display()
            );
        }
        let kind = fs::symlink_metadata(socket)
            .with_context(|| format!("the announced socket {} is missing", socket.display()))?
            .file_type();
        if !kind.is_socket() {
            bail!("the announced address {} is not a socket", socket.display());
        }
        match (&self.client_cert, handshake.server_cert) {
            (Some(_), None) => {
                bail!("the handshake has no server certificate although a client one was passed")
            }
            (Some(_), Some(cert)) => {
                // go-plugin's client decodes it with RawStdEncoding (no padding).
                let der = base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(cert)
                    .context("the handshake's server certificate is not unpadded base64")?;
                if der.first() != Some(&0x30) {
                    bail!("the handshake's server certificate is not a DER certificate");
                }
            }
            (None, Some(_)) => {
                bail!("the handshake has a server certificate although no client one was passed")
            }
            (None, None) => {}
        }
        Ok(())
    }
}

/// The provider cannot remove its socket when killed; a socket it never made is not an error.
fn remove_socket(socket: &Path) -> Result<()> {
    match fs::remove_file(socket) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot remove {}", socket.display())),
    }
}

/// go-plugin's handshake line:
/// `CORE-PROTOCOL-VERSION|APP-PROTOCOL-VERSION|NETWORK|ADDRESS|PROTOCOL|SERVER-CERT`.
#[derive(Debug, PartialEq, Eq)]
struct Handshake<'a> {
    address: &'a str,
    /// Base64 DER; `None` when the field is empty or absent (plain gRPC).
    server_cert: Option<&'a str>,
}

impl<'a> Handshake<'a> {
    /// Accepts only what this provider announces: go-plugin 1, plugin protocol 6, gRPC over a
    /// Unix socket at an absolute path.
    fn parse(line: &'a str) -> Result<Handshake<'a>> {
        let fields: Vec<&str> = line.trim_end_matches(['\n', '\r']).split('|').collect();
        // Only the fields before the certificate: the point is the shape, not the bytes.
        let shape = || fields.iter().take(5).copied().collect::<Vec<_>>().join("|");
        let [core, app, network, address, protocol, rest @ ..] = fields.as_slice() else {
            bail!(
                "the provider's first line is not a plugin handshake: {:?}",
                shape()
            );
        };
        if rest.len() > 1 {
            bail!("the handshake has more than six fields: {:?}", shape());
        }
        if *core != "1" || *app != "6" || *protocol != "grpc" {
            bail!(
                "the handshake is not go-plugin 1, protocol 6 over gRPC: {:?}",
                shape()
            );
        }
        if *network != "unix" {
            bail!(
                "the handshake announces network {network:?}; the provider serves on a Unix \
                 socket (`unix`)"
            );
        }
        if !Path::new(address).is_absolute() {
            bail!("the handshake's socket path {address:?} is not absolute");
        }
        Ok(Handshake {
            address,
            server_cert: rest.first().copied().filter(|cert| !cert.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_unix_socket_handshake_with_and_without_a_certificate() {
        assert_eq!(
            Handshake::parse("1|6|unix|/tmp/plugin-dbaas-1-ab|grpc|MIIBkTCCATeg\n").unwrap(),
            Handshake {
                address: "/tmp/plugin-dbaas-1-ab",
                server_cert: Some("MIIBkTCCATeg"),
            }
        );
        for plain in ["1|6|unix|/tmp/p|grpc|\n", "1|6|unix|/tmp/p|grpc"] {
            assert_eq!(Handshake::parse(plain).unwrap().server_cert, None);
        }
    }

    #[test]
    fn rejects_other_handshakes() {
        for line in [
            "1|6|tcp|127.0.0.1:10000|grpc|MIIB",
            "1|5|unix|/tmp/p|grpc|",
            "1|6|unix|/tmp/p|netrpc|",
            "2|6|unix|/tmp/p|grpc|",
            "1|6|unix|relative/p|grpc|",
            "1|6|unix|/tmp/p|grpc|cert|extra",
            "starting provider",
        ] {
            assert!(Handshake::parse(line).is_err(), "{line}");
        }
        let error = Handshake::parse("1|6|tcp|127.0.0.1:1|grpc|").unwrap_err();
        assert!(error.to_string().contains("Unix socket"), "{error}");
    }
}
