//! `--real-engines`: real database servers behind the emulated clusters (interface; the
//! drivers land in the next commits).
//!
//! The emulator describes each cluster it wants backed by a real server as a [`ClusterSpec`]
//! (the whole desired state: port, users, databases, pools) and calls [`RealEngines::sync`]
//! after every change; the manager diffs against what it last applied and changes only that.

use std::path::PathBuf;

/// Which real server backs a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RealEngine {
    /// Debian's `postgresql` (15), with `pgbouncer` for the pools.
    Postgres,
    /// Debian's `mariadb-server` (10.11).
    MySql,
    /// Debian's `redis-server` (7.0), protocol-compatible with Valkey.
    Redis,
}

/// One database user as the API has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSpec {
    pub name: String,
    pub password: String,
    /// MySQL only: `mysql_native_password` or `caching_sha2_password`.
    pub mysql_auth_plugin: Option<String>,
    /// The cluster's primary user (`doadmin`, or `default` on Redis/Valkey).
    pub admin: bool,
}

/// One PostgreSQL connection pool as the API has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSpec {
    pub name: String,
    /// `session`, `transaction` or `statement`.
    pub mode: String,
    pub size: u32,
    pub db: String,
    /// `None`: an inbound-user pool (clients log in with their own user).
    pub user: Option<String>,
}

/// Everything a cluster's server should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub id: String,
    pub engine: RealEngine,
    /// The port the server listens on (127.0.0.1), TLS.
    pub port: u16,
    /// PostgreSQL only: PgBouncer's port, for the pools.
    pub pool_port: Option<u16>,
    /// The admin first.
    pub users: Vec<UserSpec>,
    /// Databases (`defaultdb` first on PostgreSQL and MySQL; empty on Redis).
    pub dbs: Vec<String>,
    pub pools: Vec<PoolSpec>,
}

/// Whether a cluster's server accepts connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Not known to the manager (never started, or removed).
    Unknown,
    Starting,
    Ready,
    /// It could not start; the message says why (shown in the emulator's log).
    Failed(String),
}

/// Where the manager keeps its servers.
#[derive(Debug, Clone)]
pub struct RealEnginesOptions {
    /// With `--state-file`: a directory that outlives the emulator, so that a restart brings
    /// clusters back with their data. `None`: a directory of this run, removed at shutdown.
    pub data_dir: Option<PathBuf>,
}

/// The servers of one emulator run.
pub struct RealEngines {
    _options: RealEnginesOptions,
}

impl RealEngines {
    /// Prepares the manager: checks that the servers' programs are installed (a clear error
    /// naming the Debian packages when not), cleans up what a crashed earlier run left, and
    /// makes the certificate authority.
    pub fn open(options: RealEnginesOptions) -> anyhow::Result<RealEngines> {
        anyhow::bail!(
            "--real-engines is not available yet (options: {:?})",
            options.data_dir
        )
    }

    /// The CA certificate (PEM) that signs every server's certificate.
    pub fn ca_certificate(&self) -> &str {
        ""
    }

    /// A free TCP port on 127.0.0.1 for a new server.
    pub fn free_port(&self) -> anyhow::Result<u16> {
        anyhow::bail!("--real-engines is not available yet")
    }

    /// Starts the server in the background if it is not running; [`RealEngines::readiness`]
    /// tells when it accepts connections, then the spec is applied.
    pub fn start(&self, _spec: ClusterSpec) {}

    /// Brings the server to `spec`: starts it if needed (from its existing data, if any),
    /// waits until it accepts connections, then creates, changes and drops users, databases
    /// and pools so that the server holds exactly what the spec says. Calls for one cluster
    /// run one at a time, in order.
    pub async fn sync(&self, _spec: ClusterSpec) -> anyhow::Result<()> {
        anyhow::bail!("--real-engines is not available yet")
    }

    pub fn readiness(&self, _id: &str) -> Readiness {
        Readiness::Unknown
    }

    /// Stops the cluster's servers and deletes their data.
    pub async fn remove(&self, _id: &str) {}

    /// Stops every server; deletes their data unless `data_dir` was given.
    pub async fn shutdown(&self) {}
}
