//! `--real-engines`: real database servers behind the emulated clusters.
//!
//! The emulator describes each cluster it wants backed by a real server as a [`ClusterSpec`]
//! (the whole desired state: port, users, databases, pools) and calls [`RealEngines::sync`]
//! after every change; the manager brings the server to exactly that state.
//!
//! # Decisions
//!
//! - **One server process per cluster** (plus one PgBouncer per PostgreSQL cluster that has
//!   pools): clusters are isolated like on DigitalOcean — a user of one cluster cannot see
//!   another's data — and removing a cluster is stopping a process and deleting a directory.
//! - **Engines**: `pg` is PostgreSQL 15, `mysql` is MariaDB 10.11, `redis` and `valkey` are
//!   Redis 7.0 — all from Debian packages (`postgresql`, `pgbouncer`, `mariadb-server`,
//!   `mariadb-client`, `redis-server`, `redis-tools`, `openssl`; `./scripts/mock.sh
//!   --real-engines` installs them). [`RealEngines::open`] requires all of them, even when a
//!   run uses only one engine: one clear error up front beats a cluster failing later.
//! - **Declarative sync**: every [`RealEngines::sync`] reads what the server really has
//!   (roles/users and databases that are not the server's own) and creates, changes and drops
//!   to match the spec; passwords are always re-set (cheap, and right after a restart).
//!   System objects are never touched: PostgreSQL's `postgres` role and database,
//!   `template0/1` and `pg_*` roles; MariaDB's `mysql`, `sys`, `information_schema`,
//!   `performance_schema` and its `localhost` accounts; Redis' manager user.
//! - **PostgreSQL**: users are roles with `LOGIN` and a SCRAM-SHA-256 password; the admin
//!   (`doadmin`) gets `CREATEDB CREATEROLE` (not `SUPERUSER`, like DigitalOcean) and owns every
//!   database the spec creates (`defaultdb` included), so it can create tables in `public`;
//!   a normal user can connect to every database but, as PostgreSQL 15 has it, cannot create
//!   in `public` unless granted. Dropping a user first reassigns what it owns to the admin in
//!   every database. The manager connects as the superuser `postgres` over the Unix socket in
//!   the server's directory (mode 0700, `trust`); over TCP only `hostssl … scram-sha-256`
//!   lines exist, so a plain connection is refused. Failing statements are never logged
//!   (`log_min_error_statement=panic`): they may carry a password.
//! - **Pools**: a PgBouncer 1.18 per PostgreSQL cluster with pools, on the cluster's pool port,
//!   TLS required of clients with the same certificate, `auth_type = scram-sha-256` with the
//!   users' passwords in its `auth_file` (mode 0600); each pool is a `[databases]` entry with
//!   its database, user (none for an inbound pool: clients use their own), size and mode. A
//!   change rewrites the files and reloads PgBouncer (SIGHUP); without pools it is stopped.
//!   Pool, database and user names in pools are limited to letters, digits, `_`, `-`, `.`
//!   (PgBouncer's ini syntax has no general quoting).
//! - **MariaDB instead of MySQL 8**: users are `'name'@'%'`. MariaDB 10.11 has no
//!   `caching_sha2_password` server plugin, and nothing compatible with it (its `ed25519` is
//!   a different protocol MySQL 8 clients lack): every user, whatever plugin the API asked
//!   for, authenticates with `mysql_native_password`, which every MySQL and MariaDB client
//!   speaks. The admin gets `ALL PRIVILEGES ON *.* WITH GRANT OPTION`; a normal user gets
//!   `ALL PRIVILEGES` on every database of the spec (the reference is silent on what
//!   DigitalOcean grants). Other differences a client may notice: `SELECT VERSION()` says
//!   `10.11.x-MariaDB-…`, not `8.0.x`; `SHOW` output and `information_schema` differ in places
//!   (no `SHOW REPLICAS` before 10.5 naming, different `SHOW GRANTS` wording, `IDENTIFIED VIA`);
//!   MySQL 8-only syntax (roles `DEFAULT ROLE` semantics, `caching_sha2_password`, some JSON
//!   functions) may be refused. TLS is required (`require_secure_transport=ON`).
//! - **Redis for Redis and Valkey**: Valkey 7.2/8 is protocol-compatible with Redis 7.0 for
//!   what clients of a managed cluster do; `INFO` says `redis_version:7.0.15`, not Valkey.
//!   The admin is ACL user `default` (off until the spec gives it a password); other users are
//!   `ACL SETUSER name reset on >password ~* &* +@all`. The manager has its own ACL user
//!   (`dbaas-mock-manager`, random password only in `redis.conf`, mode 0600), visible in
//!   `ACL LIST`. Data is in memory only, unless `data_dir` is given: then `appendonly yes`.
//! - **TLS like the real service**: at [`RealEngines::open`] the `openssl` CLI makes a CA
//!   (EC P-256; its key stays in `<data>/tls/ca.key`, mode 0600) and one server certificate
//!   signed by it with `IP:127.0.0.1` and `DNS:localhost`, shared by every server. With a
//!   persistent `data_dir` both are kept, so a client's saved CA file stays valid.
//!   [`RealEngines::ca_certificate`] returns the CA (`GET /v2/databases/{id}/ca`). Clients:
//!   `psql "…?sslmode=verify-full&sslrootcert=ca.pem"`, `mariadb --ssl-ca=ca.pem
//!   --ssl-verify-server-cert`, `redis-cli --tls --cacert ca.pem`.
//! - **Where data lives**: without `data_dir`, in `$TMPDIR/dbaas-mock-real/<pid>-<n>/`,
//!   deleted at [`RealEngines::shutdown`]; with it, in `data_dir`, kept (a restart and a sync
//!   bring every cluster back from its directory, with its data). Layout: `owner`, `tls/`,
//!   `templates/{pg,mysql}` (made once by `initdb` / `mariadb-install-db`, copied per
//!   cluster: a start is a copy, not an initialisation), `c/<cluster id>/{pg,pgbouncer,mysql,
//!   redis}/` with each server's data, log, certificate and pid file.
//! - **Processes**: servers listen on 127.0.0.1 only, on the spec's port (an error names the
//!   port when it is taken); they are direct children of the emulator, each in its own process
//!   group (a Ctrl-C in the terminal reaches only the emulator, which stops them in order), with
//!   `PR_SET_PDEATHSIG=SIGKILL` so that a killed emulator takes them down. Stop: SIGINT for
//!   PostgreSQL (fast shutdown), SIGTERM for the others, SIGKILL to the group after 5 s.
//! - **Root**: PostgreSQL, PgBouncer and MariaDB refuse to run as root. When the emulator runs
//!   as root (CI), servers run as the Debian service users `postgres`, `mysql` and `redis`,
//!   which own their directories; otherwise as the current user.
//! - **Crash cleanup**: each data directory has an `owner` file (pid and start time) and each
//!   server a `server.pid`. [`RealEngines::open`] removes every per-run directory whose owner is
//!   dead, after killing the servers still running from it (only processes that `/proc` shows
//!   as started for that directory). With `data_dir`, a dead owner's servers are stopped and
//!   the directory is reused; a live owner is an error.
//! - **Readiness**: [`Readiness::Ready`] once the server accepts connections *and* the spec
//!   has been applied (the users of the spec can log in).
//! - **Secrets**: passwords go to the servers only as SQL or commands on a client's stdin,
//!   or in files of mode 0600; never on a command line, never in a log line or error (client
//!   errors are redacted). Log lines carry cluster ids, engines and ports.

mod cleanup;
mod mysql;
mod pgbouncer;
mod postgres;
mod process;
mod quote;
mod redis;
mod tls;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;

use process::RunAs;

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

/// The programs the servers need, found at open.
#[derive(Debug)]
struct Tools {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_isready: PathBuf,
    psql: PathBuf,
    pgbouncer: PathBuf,
    mariadb_install_db: PathBuf,
    mariadbd: PathBuf,
    mariadb: PathBuf,
    redis_server: PathBuf,
    redis_cli: PathBuf,
    openssl: PathBuf,
    cp: PathBuf,
}

impl Tools {
    fn find() -> anyhow::Result<Tools> {
        let mut missing = Vec::new();
        let mut find = |name: &str, package: &'static str| -> PathBuf {
            let mut dirs: Vec<PathBuf> = vec![PathBuf::from("/usr/lib/postgresql/15/bin")];
            if let Some(path) = std::env::var_os("PATH") {
                dirs.extend(std::env::split_paths(&path));
            }
            dirs.extend(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from));
            match dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p)) {
                Some(path) => path,
                None => {
                    missing.push(format!("{name} (Debian package {package})"));
                    PathBuf::from(name)
                }
            }
        };
        let tools = Tools {
            initdb: find("initdb", "postgresql"),
            postgres: find("postgres", "postgresql"),
            pg_isready: find("pg_isready", "postgresql"),
            psql: find("psql", "postgresql"),
            pgbouncer: find("pgbouncer", "pgbouncer"),
            mariadb_install_db: find("mariadb-install-db", "mariadb-server"),
            mariadbd: find("mariadbd", "mariadb-server"),
            mariadb: find("mariadb", "mariadb-client"),
            redis_server: find("redis-server", "redis-server"),
            redis_cli: find("redis-cli", "redis-tools"),
            openssl: find("openssl", "openssl"),
            cp: find("cp", "coreutils"),
        };
        if !missing.is_empty() {
            anyhow::bail!(
                "--real-engines needs PostgreSQL 15, PgBouncer, MariaDB, Redis and OpenSSL from \
                 the Debian packages postgresql, pgbouncer, mariadb-server, mariadb-client, \
                 redis-server, redis-tools and openssl (./scripts/mock.sh --real-engines installs \
                 them); missing: {}",
                missing.join(", ")
            );
        }
        Ok(tools)
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// What the drivers share: programs, certificates, users, templates.
struct Ctx {
    tools: Tools,
    tls: tls::Tls,
    base: PathBuf,
    persistent: bool,
    pg_user: RunAs,
    my_user: RunAs,
    redis_user: RunAs,
    pg_template: tokio::sync::OnceCell<PathBuf>,
    my_template: tokio::sync::OnceCell<PathBuf>,
}

/// A cluster's running servers.
enum Running {
    Postgres(Box<postgres::Postgres>),
    MySql(mysql::MySql),
    Redis(redis::Redis),
}

impl Running {
    fn engine(&self) -> RealEngine {
        match self {
            Running::Postgres(_) => RealEngine::Postgres,
            Running::MySql(_) => RealEngine::MySql,
            Running::Redis(_) => RealEngine::Redis,
        }
    }

    fn port(&self) -> u16 {
        match self {
            Running::Postgres(s) => s.port(),
            Running::MySql(s) => s.port(),
            Running::Redis(s) => s.port(),
        }
    }

    fn running(&mut self) -> bool {
        match self {
            Running::Postgres(s) => s.running(),
            Running::MySql(s) => s.running(),
            Running::Redis(s) => s.running(),
        }
    }

    async fn stop(self) {
        match self {
            Running::Postgres(s) => s.stop().await,
            Running::MySql(s) => s.stop().await,
            Running::Redis(s) => s.stop().await,
        }
    }
}

struct ClusterState {
    running: Option<Running>,
    /// Set by remove/shutdown: a start still queued behind them must not bring it back.
    removed: bool,
}

struct Cluster {
    readiness: Mutex<Readiness>,
    state: tokio::sync::Mutex<ClusterState>,
}

struct Inner {
    ctx: Ctx,
    clusters: Mutex<HashMap<String, Arc<Cluster>>>,
    ports: Mutex<HashSet<u16>>,
}

/// The servers of one emulator run. Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct RealEngines {
    inner: Arc<Inner>,
}

/// Per-run directories of this process (several managers may live in one test process).
static RUN_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The parent of the per-run directories.
fn runs_root() -> PathBuf {
    std::env::temp_dir().join("dbaas-mock-real")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl RealEngines {
    /// Prepares the manager: checks that the servers' programs are installed (a clear error
    /// naming the Debian packages when not), cleans up what a crashed earlier run left, and
    /// makes the certificate authority. Blocks for a moment (it may wait for stale servers to
    /// die and runs `openssl`).
    pub fn open(options: RealEnginesOptions) -> anyhow::Result<RealEngines> {
        let tools = Tools::find()?;
        let pg_user = RunAs::for_service("postgres")?;
        let my_user = RunAs::for_service("mysql")?;
        let redis_user = RunAs::for_service("redis")?;
        let (base, persistent) = match &options.data_dir {
            Some(dir) => {
                process::make_dir(dir, 0o755)?;
                let dir = dir
                    .canonicalize()
                    .with_context(|| format!("could not open {}", dir.display()))?;
                if let Some(pid) = cleanup::live_owner(&dir) {
                    anyhow::bail!(
                        "the real engines' data directory {} is in use by another dbaas-mock \
                         (pid {pid}); stop it or use another --state-file",
                        dir.display()
                    );
                }
                let killed = cleanup::kill_servers(&dir);
                if killed > 0 {
                    tracing::warn!(dir = %dir.display(), killed, "stopped database servers left by a crashed dbaas-mock run");
                }
                (dir, true)
            }
            None => {
                let root = runs_root();
                process::make_dir(&root, 0o755)?;
                cleanup::sweep(&root);
                let n = RUN_COUNTER.fetch_add(1, Ordering::Relaxed);
                let dir = root.join(format!("{}-{n}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                process::make_dir(&dir, 0o755)?;
                (dir, false)
            }
        };
        cleanup::claim(&base)?;
        let prepared = (|| -> anyhow::Result<Inner> {
            process::make_dir(&base.join("c"), 0o755)?;
            process::make_dir(&base.join("templates"), 0o755)?;
            let tls = tls::prepare(&tools.openssl, &base.join("tls"))?;
            Ok(Inner {
                ctx: Ctx {
                    tools,
                    tls,
                    base: base.clone(),
                    persistent,
                    pg_user,
                    my_user,
                    redis_user,
                    pg_template: tokio::sync::OnceCell::new(),
                    my_template: tokio::sync::OnceCell::new(),
                },
                clusters: Mutex::new(HashMap::new()),
                ports: Mutex::new(HashSet::new()),
            })
        })();
        match prepared {
            Ok(inner) => {
                tracing::info!(dir = %base.display(), persistent, "real engines ready to start servers");
                Ok(RealEngines {
                    inner: Arc::new(inner),
                })
            }
            Err(error) => {
                if persistent {
                    cleanup::release(&base);
                } else {
                    let _ = std::fs::remove_dir_all(&base);
                }
                Err(error)
            }
        }
    }

    /// The CA certificate (PEM) that signs every server's certificate.
    pub fn ca_certificate(&self) -> &str {
        &self.inner.ctx.tls.ca_pem
    }

    /// The directory this manager keeps its servers in (`data_dir`, or the per-run one).
    pub fn data_dir(&self) -> &Path {
        &self.inner.ctx.base
    }

    /// A free TCP port on 127.0.0.1 for a new server (never the same one twice per manager).
    pub fn free_port(&self) -> anyhow::Result<u16> {
        for _ in 0..64 {
            let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
                .context("could not find a free port on 127.0.0.1")?;
            let port = listener.local_addr()?.port();
            if lock(&self.inner.ports).insert(port) {
                return Ok(port);
            }
        }
        anyhow::bail!(
            "could not find a free port on 127.0.0.1 that this emulator has not handed out"
        )
    }

    fn cluster(&self, id: &str) -> Arc<Cluster> {
        lock(&self.inner.clusters)
            .entry(id.to_string())
            .or_insert_with(|| {
                Arc::new(Cluster {
                    readiness: Mutex::new(Readiness::Unknown),
                    state: tokio::sync::Mutex::new(ClusterState {
                        running: None,
                        removed: false,
                    }),
                })
            })
            .clone()
    }

    /// Starts the server in the background if it is not running; [`RealEngines::readiness`]
    /// tells when it accepts connections and the spec is applied. Must be called within a
    /// tokio runtime.
    pub fn start(&self, spec: ClusterSpec) {
        let cluster = self.cluster(&spec.id);
        {
            let mut readiness = lock(&cluster.readiness);
            if matches!(*readiness, Readiness::Unknown | Readiness::Failed(_)) {
                *readiness = Readiness::Starting;
            }
        }
        let this = self.clone();
        tokio::spawn(async move {
            // The outcome is in the readiness (and the log); the caller does not wait.
            let _ = this.sync_cluster(&cluster, &spec).await;
        });
    }

    /// Brings the server to `spec`: starts it if needed (from its existing data, if any),
    /// waits until it accepts connections, then creates, changes and drops users, databases
    /// and pools so that the server holds exactly what the spec says. Calls for one cluster
    /// run one at a time, in order.
    pub async fn sync(&self, spec: ClusterSpec) -> anyhow::Result<()> {
        let cluster = self.cluster(&spec.id);
        self.sync_cluster(&cluster, &spec).await
    }

    async fn sync_cluster(&self, cluster: &Cluster, spec: &ClusterSpec) -> anyhow::Result<()> {
        let mut state = cluster.state.lock().await;
        if state.removed {
            anyhow::bail!("cluster {} was removed", spec.id);
        }
        let ctx = &self.inner.ctx;
        let dir = ctx.base.join("c").join(dir_name(&spec.id));
        let mut restart = false;
        if let Some(running) = state.running.as_mut() {
            if running.engine() != spec.engine {
                anyhow::bail!(
                    "cluster {} runs {:?} and cannot become {:?}",
                    spec.id,
                    running.engine(),
                    spec.engine
                );
            }
            if !running.running() {
                tracing::warn!(cluster = %spec.id, engine = ?spec.engine, "a real engine exited; restarting it");
                restart = true;
            } else if running.port() != spec.port {
                restart = true;
            }
        }
        if restart {
            if let Some(running) = state.running.take() {
                running.stop().await;
            }
        }
        let started = Instant::now();
        let fresh = state.running.is_none();
        if fresh {
            *lock(&cluster.readiness) = Readiness::Starting;
            process::make_dir(&dir, 0o755)?;
            let outcome = match spec.engine {
                RealEngine::Postgres => postgres::Postgres::start(ctx, &dir, spec)
                    .await
                    .map(|server| Running::Postgres(Box::new(server))),
                RealEngine::MySql => mysql::MySql::start(ctx, &dir, spec)
                    .await
                    .map(Running::MySql),
                RealEngine::Redis => redis::Redis::start(ctx, &dir, spec)
                    .await
                    .map(Running::Redis),
            };
            match outcome {
                Ok(running) => state.running = Some(running),
                Err(error) => {
                    let error = error.context(format!(
                        "the {:?} server of cluster {} could not start",
                        spec.engine, spec.id
                    ));
                    tracing::error!(cluster = %spec.id, engine = ?spec.engine, port = spec.port, error = format!("{error:#}"), "real engine failed to start");
                    *lock(&cluster.readiness) = Readiness::Failed(format!("{error:#}"));
                    return Err(error);
                }
            }
        }
        let applied = match state.running.as_mut() {
            Some(Running::Postgres(server)) => server.apply(ctx, &dir, spec).await,
            Some(Running::MySql(server)) => server.apply(ctx, spec).await,
            Some(Running::Redis(server)) => server.apply(ctx, spec).await,
            None => Ok(()),
        };
        let applied = applied.with_context(|| {
            format!(
                "could not apply the spec of cluster {} to its {:?} server",
                spec.id, spec.engine
            )
        });
        match &applied {
            Ok(()) if fresh => {
                tracing::info!(cluster = %spec.id, engine = ?spec.engine, port = spec.port, pool_port = ?spec.pool_port, millis = started.elapsed().as_millis() as u64, "real engine ready");
                *lock(&cluster.readiness) = Readiness::Ready;
            }
            Ok(()) => {}
            Err(error) => {
                tracing::warn!(cluster = %spec.id, engine = ?spec.engine, error = format!("{error:#}"), "real engine sync failed");
                if fresh {
                    *lock(&cluster.readiness) = Readiness::Failed(format!("{error:#}"));
                }
            }
        }
        applied
    }

    pub fn readiness(&self, id: &str) -> Readiness {
        lock(&self.inner.clusters)
            .get(id)
            .map(|cluster| lock(&cluster.readiness).clone())
            .unwrap_or(Readiness::Unknown)
    }

    /// Stops the cluster's servers and deletes their data.
    pub async fn remove(&self, id: &str) {
        let cluster = lock(&self.inner.clusters).remove(id);
        if let Some(cluster) = cluster {
            let mut state = cluster.state.lock().await;
            state.removed = true;
            if let Some(running) = state.running.take() {
                let port = running.port();
                running.stop().await;
                lock(&self.inner.ports).remove(&port);
            }
        }
        let dir = self.inner.ctx.base.join("c").join(dir_name(id));
        if let Err(error) = std::fs::remove_dir_all(&dir) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(cluster = %id, error = %error, "could not delete a real engine's data");
            }
        }
        tracing::info!(cluster = %id, "real engine removed");
    }

    /// Stops every server; deletes their data unless `data_dir` was given.
    pub async fn shutdown(&self) {
        let clusters: Vec<Arc<Cluster>> =
            lock(&self.inner.clusters).drain().map(|(_, c)| c).collect();
        futures::future::join_all(clusters.into_iter().map(|cluster| async move {
            let mut state = cluster.state.lock().await;
            state.removed = true;
            if let Some(running) = state.running.take() {
                running.stop().await;
            }
        }))
        .await;
        let base = &self.inner.ctx.base;
        if self.inner.ctx.persistent {
            cleanup::release(base);
        } else if let Err(error) = std::fs::remove_dir_all(base) {
            tracing::warn!(dir = %base.display(), error = %error, "could not delete the real engines' data");
        }
        tracing::info!("real engines shut down");
    }
}

/// A cluster id as a directory name: ids are UUIDs; anything else is hex-encoded.
fn dir_name(id: &str) -> String {
    let plain = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if plain {
        id.to_string()
    } else {
        let hex: String = id.bytes().take(48).map(|b| format!("{b:02x}")).collect();
        format!("x{hex}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_ids_become_safe_directory_names() {
        assert_eq!(
            dir_name("9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"),
            "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
        );
        assert_eq!(dir_name("../x"), "x2e2e2f78");
        assert_eq!(dir_name(""), "x");
        assert!(!dir_name("a/b").contains('/'));
    }
}
