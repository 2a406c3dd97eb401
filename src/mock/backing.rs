//! `--real-engines`: keeps the real servers of [`super::real`] in step with the store.
//!
//! The store stays the one source of truth. After every request that changed it (and once at
//! start), [`Backing::reconcile`] describes each cluster that has a real server as a
//! [`ClusterSpec`] and brings its server there:
//! - a cluster new to the backing and still `creating`/`forking` gets its server started in
//!   the background; the cluster turns `online` only once the server accepts connections
//!   with the cluster's users and databases (see [`Store::set_server_ready`]);
//! - a cluster new to the backing and already `online` (a promoted replica, or every cluster
//!   after a restart with `--state-file`) gets its server started before the answer, so that
//!   `online` always means reachable;
//! - a known cluster whose users, databases or pools changed is synced before the request is
//!   answered, so that the role exists when the API says the user does;
//! - a cluster gone from the store has its server stopped and its data deleted.
//!
//! Reconciles run one at a time: each reads the store under the same lock, so a later
//! change is never overtaken by an earlier one.
//!
//! [`Store::set_server_ready`]: super::store::Store::set_server_ready

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;

use super::app::App;
use super::engine::Engine;
use super::error::ApiError;
use super::real::{ClusterSpec, PoolSpec, RealEngine, RealEngines, RealEnginesOptions, UserSpec};
use super::store::{Cluster, ClusterStatus, RealServer, UserRole};

/// The real server that backs clusters of `engine`, if any: Kafka, MongoDB and OpenSearch stay
/// simulated.
pub fn real_engine_of(engine: Engine) -> Option<RealEngine> {
    match engine {
        Engine::Pg | Engine::AdvancedPg => Some(RealEngine::Postgres),
        Engine::Mysql | Engine::AdvancedMysql => Some(RealEngine::MySql),
        Engine::Redis | Engine::Valkey => Some(RealEngine::Redis),
        Engine::Mongodb | Engine::Kafka | Engine::Opensearch => None,
    }
}

impl RealEngine {
    /// What runs behind the cluster, as the dashboard names it.
    pub fn program(self) -> &'static str {
        match self {
            RealEngine::Postgres => "PostgreSQL 15",
            RealEngine::MySql => "MariaDB 10.11",
            RealEngine::Redis => "Redis 7",
        }
    }
}

/// What the cluster's server should hold, or `None` for a cluster without a real server.
pub fn spec_of(cluster: &Cluster) -> Option<ClusterSpec> {
    let server = cluster.real_server?;
    let engine = real_engine_of(cluster.engine)?;
    let mut users: Vec<UserSpec> = cluster
        .users
        .iter()
        .map(|user| UserSpec {
            name: user.name.clone(),
            password: user.password.clone(),
            mysql_auth_plugin: user.mysql_auth_plugin.clone(),
            admin: user.role == UserRole::Primary,
        })
        .collect();
    // The admin first, as the spec promises.
    users.sort_by_key(|user| !user.admin);
    let pools = cluster
        .pools
        .iter()
        .map(|pool| PoolSpec {
            name: pool.name.clone(),
            mode: pool.mode.clone(),
            size: u32::try_from(pool.size).unwrap_or(u32::MAX),
            db: pool.db.clone(),
            user: pool.user.clone(),
        })
        .collect();
    Some(ClusterSpec {
        id: cluster.id.clone(),
        engine,
        port: server.port,
        pool_port: server.pool_port,
        users,
        dbs: if cluster.engine.supports_dbs() {
            cluster.dbs.clone()
        } else {
            Vec::new()
        },
        pools,
    })
}

/// Where one cluster's server is, as the backing last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerState {
    /// Starting in the background (the cluster is `creating`).
    Starting,
    /// Holds this spec.
    Synced(ClusterSpec),
    /// The last start or sync failed; the next reconcile tries again.
    Failed(String),
}

/// The real servers of this run and what each was last brought to.
pub struct Backing {
    engines: RealEngines,
    servers: tokio::sync::Mutex<HashMap<String, ServerState>>,
    /// A copy of the states for synchronous readers (the dashboard).
    snapshot: std::sync::Mutex<HashMap<String, ServerState>>,
}

impl Backing {
    /// Opens the servers' manager: with a state file, their data lives beside it
    /// (`PATH.engines/`) and outlives the run.
    pub fn open(state_file: Option<&std::path::Path>) -> anyhow::Result<Backing> {
        let data_dir = state_file.map(|path| {
            let mut dir = path.as_os_str().to_os_string();
            dir.push(".engines");
            PathBuf::from(dir)
        });
        let engines = RealEngines::open(RealEnginesOptions { data_dir })?;
        Ok(Backing {
            engines,
            servers: tokio::sync::Mutex::default(),
            snapshot: std::sync::Mutex::default(),
        })
    }

    /// The CA certificate (PEM) that signs every server's certificate.
    pub fn ca_certificate(&self) -> &str {
        self.engines.ca_certificate()
    }

    /// Where the servers' data lives (this run's directory, or `PATH.engines/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.engines.data_dir()
    }

    /// Ports for a new cluster's server, or `None` when its engine stays simulated.
    pub fn allocate(&self, engine: Engine) -> Result<Option<RealServer>, ApiError> {
        let Some(real) = real_engine_of(engine) else {
            return Ok(None);
        };
        let port = self.free_port()?;
        let pool_port = match real {
            RealEngine::Postgres => Some(loop {
                let candidate = self.free_port()?;
                if candidate != port {
                    break candidate;
                }
            }),
            RealEngine::MySql | RealEngine::Redis => None,
        };
        Ok(Some(RealServer { port, pool_port }))
    }

    fn free_port(&self) -> Result<u16, ApiError> {
        self.engines.free_port().map_err(|error| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("dbaas-mock --real-engines: no free port for a new server: {error:#}"),
            )
        })
    }

    /// The state of every server, by cluster ID.
    pub fn states(&self) -> HashMap<String, ServerState> {
        super::app::lock(&self.snapshot).clone()
    }

    /// A cluster's server for `/_mock/state` and the dashboard: where it listens and how it
    /// is (`starting`, `ready`, `failed` with the reason). Never a secret.
    pub fn describe(&self, cluster: &Cluster) -> Option<serde_json::Value> {
        let server = cluster.real_server?;
        let (state, error) = match self.states().get(&cluster.id) {
            None => ("stopped", None),
            Some(ServerState::Starting) => ("starting", None),
            Some(ServerState::Synced(_)) => ("ready", None),
            Some(ServerState::Failed(message)) => ("failed", Some(message.clone())),
        };
        Some(serde_json::json!({
            "engine": real_engine_of(cluster.engine).map(RealEngine::program),
            "host": super::store::REAL_SERVER_HOST,
            "port": server.port,
            "pool_port": server.pool_port,
            "state": state,
            "error": error,
        }))
    }

    fn publish(&self, servers: &HashMap<String, ServerState>) {
        *super::app::lock(&self.snapshot) = servers.clone();
    }

    /// Brings every server to what the store holds (see the module docs). A failed sync is
    /// answered as a 500 that names the cluster and what failed; the store keeps the change
    /// and the next reconcile tries again.
    pub async fn reconcile(self: &Arc<Self>, app: &Arc<App>) -> Result<(), ApiError> {
        let mut servers = self.servers.lock().await;
        let wanted: Vec<(ClusterSpec, ClusterStatus)> = app.read(|store| {
            store
                .data
                .clusters
                .iter()
                .filter_map(|cluster| spec_of(cluster).map(|spec| (spec, cluster.status)))
                .collect()
        });
        let gone: Vec<String> = servers
            .keys()
            .filter(|id| !wanted.iter().any(|(spec, _)| &spec.id == *id))
            .cloned()
            .collect();
        for id in gone {
            servers.remove(&id);
            self.engines.remove(&id).await;
            tracing::info!(cluster = %id, "dbaas-mock --real-engines: server stopped and removed");
        }
        let mut failure = None;
        for (spec, status) in wanted {
            let id = spec.id.clone();
            match servers.get(&id) {
                Some(ServerState::Starting) => continue,
                Some(ServerState::Synced(applied)) if *applied == spec => continue,
                None if matches!(status, ClusterStatus::Creating | ClusterStatus::Forking) => {
                    servers.insert(id, ServerState::Starting);
                    self.start_in_background(app, spec);
                    continue;
                }
                _ => {}
            }
            match self.engines.sync(spec.clone()).await {
                Ok(()) => {
                    servers.insert(id.clone(), ServerState::Synced(spec));
                    app.set_server_ready(&id, true);
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    tracing::warn!(cluster = %id, error = %message, "dbaas-mock --real-engines: sync failed");
                    servers.insert(id.clone(), ServerState::Failed(message.clone()));
                    failure.get_or_insert(ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        format!(
                            "dbaas-mock --real-engines: the server of cluster {id} could not apply the change: {message}"
                        ),
                    ));
                }
            }
        }
        self.publish(&servers);
        failure.map_or(Ok(()), Err)
    }

    fn start_in_background(self: &Arc<Self>, app: &Arc<App>, spec: ClusterSpec) {
        let backing = Arc::clone(self);
        let app = Arc::clone(app);
        tokio::spawn(async move {
            let id = spec.id.clone();
            let result = backing.engines.sync(spec.clone()).await;
            let mut servers = backing.servers.lock().await;
            // Deleted while it started: the reconcile that saw it gone removed the server.
            if servers.get(&id) != Some(&ServerState::Starting) {
                return;
            }
            match result {
                Ok(()) => {
                    tracing::info!(cluster = %id, port = spec.port, "dbaas-mock --real-engines: server ready");
                    servers.insert(id.clone(), ServerState::Synced(spec));
                    app.set_server_ready(&id, true);
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    tracing::error!(cluster = %id, error = %message, "dbaas-mock --real-engines: the server did not start; the cluster stays creating");
                    servers.insert(id, ServerState::Failed(message));
                }
            }
            backing.publish(&servers);
        });
    }

    /// Stops every server (their data stays when it lives beside a state file).
    pub async fn shutdown(&self) {
        self.engines.shutdown().await;
    }
}
