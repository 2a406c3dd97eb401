//! The emulator's data: the account, clusters and everything that hangs off them, and tags.
//!
//! Statuses are stored with the time they began; [`Store::settle`] moves anything whose delay
//! has passed to its end state. Every handler settles before it reads, so lifecycles need no
//! background task and survive a restart (the timestamps are persisted).

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::config::Settings;
use super::engine::Engine;
use super::error::{ApiError, ApiResult};

/// The account the emulated token belongs to. It shapes host names (`do-user-<n>`) and holds
/// the defaults the API assigns (project, per-region VPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_number: u64,
    pub host_suffix: String,
    pub project_id: String,
    /// The default VPC of each region, created on first use.
    pub default_vpcs: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterStatus {
    Creating,
    Online,
    Resizing,
    Migrating,
    Forking,
}

impl ClusterStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterStatus::Creating => "creating",
            ClusterStatus::Online => "online",
            ClusterStatus::Resizing => "resizing",
            ClusterStatus::Migrating => "migrating",
            ClusterStatus::Forking => "forking",
        }
    }
}

/// What a resize or migration changes once it completes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChange {
    pub size: Option<String>,
    pub num_nodes: Option<u32>,
    pub storage_size_mib: Option<u64>,
    pub region: Option<String>,
    pub private_network_uuid: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    Primary,
    Normal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DbUser {
    pub name: String,
    pub role: UserRole,
    pub password: String,
    pub mysql_auth_plugin: Option<String>,
    pub settings: Option<Value>,
    pub access_cert: Option<String>,
    pub access_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    pub mode: String,
    pub size: i64,
    pub db: String,
    pub user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicState {
    Configuring,
    Active,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Topic {
    pub name: String,
    pub state: TopicState,
    pub state_since_ms: u64,
    /// False when a `never_online` fault keeps the topic `configuring`.
    pub settles: bool,
    pub replication_factor: i64,
    pub partition_count: i64,
    /// Only the settings a request set; the rest are the server defaults.
    pub config: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirewallRule {
    pub uuid: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub created_at: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceWindow {
    pub day: String,
    pub hour: String,
    pub pending: bool,
    pub description: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub engine: Engine,
    pub version: String,
    pub num_nodes: u32,
    pub size: String,
    pub region: String,
    pub created_at: String,
    pub private_network_uuid: String,
    pub project_id: String,
    pub tags: Vec<String>,
    pub storage_size_mib: u64,
    pub status: ClusterStatus,
    pub status_since_ms: u64,
    /// False when a `never_online` fault keeps the current transition from ending.
    pub settles: bool,
    pub pending: Option<PendingChange>,
    /// The primary (admin) user first, then the users added through the API.
    pub users: Vec<DbUser>,
    pub dbs: Vec<String>,
    pub pools: Vec<Pool>,
    pub topics: Vec<Topic>,
    pub firewall_rules: Vec<FirewallRule>,
    pub maintenance: MaintenanceWindow,
    /// Only the settings a request (or creation) set; the rest are engine defaults.
    pub config: Map<String, Value>,
    pub autoscale: Value,
    pub service_cnames: Vec<String>,
}

impl Cluster {
    /// Starts a transition (`creating`, `resizing`, …) at `now_ms`.
    pub fn begin(&mut self, status: ClusterStatus, now_ms: u64, settles: bool) {
        self.status = status;
        self.status_since_ms = now_ms;
        self.settles = settles;
    }

    pub fn admin(&self) -> &DbUser {
        self.users
            .iter()
            .find(|u| u.role == UserRole::Primary)
            .expect("every cluster has a primary user")
    }

    pub fn user(&self, name: &str) -> Option<&DbUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The primary node's host name.
    pub fn host(&self, account: &Account) -> String {
        self.node_host(account, 0)
    }

    pub fn node_host(&self, account: &Account, node: u32) -> String {
        format!(
            "{}-do-user-{}-{node}.{}.db.ondigitalocean.com",
            self.name, account.user_number, account.host_suffix
        )
    }

    /// Fails with the real API's "busy" answer unless the cluster is `online`.
    pub fn require_online(&self, operation: &str) -> ApiResult<()> {
        if self.status == ClusterStatus::Online {
            Ok(())
        } else {
            Err(ApiError::new(
                axum::http::StatusCode::PRECONDITION_FAILED,
                format!(
                    "{operation} cannot be performed. Reason: cluster is {}",
                    self.status.as_str()
                ),
            ))
        }
    }

    fn settle(&mut self, now_ms: u64, settings: &Settings) {
        let delay = match self.status {
            ClusterStatus::Online => None,
            ClusterStatus::Creating | ClusterStatus::Forking => Some(settings.provision_delay_ms),
            ClusterStatus::Resizing | ClusterStatus::Migrating => {
                Some(settings.transition_delay_ms)
            }
        };
        if let Some(delay) = delay {
            if self.settles && now_ms.saturating_sub(self.status_since_ms) >= delay {
                if let Some(change) = self.pending.take() {
                    self.apply(change);
                }
                self.status = ClusterStatus::Online;
                self.status_since_ms = self.status_since_ms.saturating_add(delay);
            }
        }
        for topic in &mut self.topics {
            if topic.state == TopicState::Configuring
                && topic.settles
                && now_ms.saturating_sub(topic.state_since_ms) >= settings.transition_delay_ms
            {
                topic.state = TopicState::Active;
            }
        }
    }

    fn apply(&mut self, change: PendingChange) {
        if let Some(size) = change.size {
            self.size = size;
        }
        if let Some(num_nodes) = change.num_nodes {
            self.num_nodes = num_nodes;
        }
        if let Some(storage) = change.storage_size_mib {
            self.storage_size_mib = storage;
        }
        if let Some(region) = change.region {
            self.region = region;
        }
        if let Some(vpc) = change.private_network_uuid {
            self.private_network_uuid = vpc;
        }
    }
}

/// Everything that is persisted to the state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreData {
    pub account: Account,
    pub clusters: Vec<Cluster>,
    /// Tag names that exist, in creation order.
    pub tags: Vec<String>,
    /// Number of changes ever made; reseeds the ID source after a restart so that a seeded
    /// emulator never reissues an ID it handed out before.
    pub serial: u64,
}

/// Generates IDs, passwords and other random values.
pub struct Ids {
    rng: StdRng,
}

impl Ids {
    fn new(seed: Option<u64>, serial: u64) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ serial.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => StdRng::from_entropy(),
        };
        Ids { rng }
    }

    pub fn uuid(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.gen())
            .into_uuid()
            .to_string()
    }

    /// A password in the style of the contract's examples (16 lowercase alphanumerics).
    pub fn password(&mut self) -> String {
        const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        (0..16)
            .map(|_| char::from(ALPHABET[self.rng.gen_range(0..ALPHABET.len())]))
            .collect()
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.rng.gen_range(0..bound)
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        self.rng.fill(&mut out[..]);
        out
    }
}

pub struct Store {
    pub data: StoreData,
    pub ids: Ids,
    /// The time of the last [`Store::settle`], used as "now" by the handler that follows.
    pub now_ms: u64,
    generation: u64,
}

impl Store {
    /// An empty store with a fresh account.
    pub fn new(seed: Option<u64>) -> Self {
        let mut ids = Ids::new(seed, 0);
        const SUFFIXES: [&str; 6] = ["a", "b", "c", "d", "f", "k"];
        let suffix = SUFFIXES[ids.below(SUFFIXES.len() as u64) as usize];
        let account = Account {
            user_number: 10_000_000 + ids.below(90_000_000),
            host_suffix: suffix.to_string(),
            project_id: ids.uuid(),
            default_vpcs: BTreeMap::new(),
        };
        Store {
            data: StoreData {
                account,
                clusters: Vec::new(),
                tags: Vec::new(),
                serial: 0,
            },
            ids,
            now_ms: 0,
            generation: 0,
        }
    }

    /// A store loaded from a state file.
    pub fn from_data(data: StoreData, seed: Option<u64>) -> Self {
        let ids = Ids::new(seed, data.serial);
        Store {
            data,
            ids,
            now_ms: 0,
            generation: 0,
        }
    }

    /// Empties the store (fresh account, no clusters or tags) as a change, so that it is persisted.
    pub fn clear(&mut self, seed: Option<u64>) {
        let generation = self.generation;
        *self = Store::new(seed);
        self.generation = generation;
        self.touch();
    }

    /// Counts a change, so that it is persisted.
    pub fn touch(&mut self) {
        self.generation += 1;
        self.data.serial += 1;
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Ends every transition whose delay has passed.
    pub fn settle(&mut self, now_ms: u64, settings: &Settings) {
        self.now_ms = now_ms;
        for cluster in &mut self.data.clusters {
            cluster.settle(now_ms, settings);
        }
    }

    pub fn cluster(&self, id: &str) -> ApiResult<&Cluster> {
        self.data
            .clusters
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)
    }

    pub fn cluster_mut(&mut self, id: &str) -> ApiResult<&mut Cluster> {
        self.data
            .clusters
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(ApiError::not_found)
    }

    /// The account's default VPC in `region`, created on first use.
    pub fn default_vpc(&mut self, region: &str) -> String {
        if let Some(vpc) = self.data.account.default_vpcs.get(region) {
            return vpc.clone();
        }
        let vpc = self.ids.uuid();
        self.data
            .account
            .default_vpcs
            .insert(region.to_string(), vpc.clone());
        vpc
    }

    /// Records tag names (created implicitly when used, as the API does).
    pub fn register_tags<'a>(&mut self, names: impl IntoIterator<Item = &'a String>) {
        for name in names {
            if !self.data.tags.contains(name) {
                self.data.tags.push(name.clone());
            }
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 at whole seconds, as the API formats timestamps (`2019-01-11T18:37:36Z`).
pub fn timestamp(ms: u64) -> String {
    let seconds = i64::try_from(ms / 1000).unwrap_or(i64::MAX);
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::config::MockConfig;

    #[test]
    fn seeded_ids_are_reproducible_and_differ_after_changes() {
        let a = Store::new(Some(42));
        let b = Store::new(Some(42));
        assert_eq!(a.data.account, b.data.account);
        let mut first = Ids::new(Some(42), 0);
        let mut later = Ids::new(Some(42), 5);
        assert_ne!(first.uuid(), later.uuid());
        assert_eq!(first.password().len(), 16);
    }

    #[test]
    fn timestamps_are_rfc3339_seconds() {
        assert_eq!(timestamp(1_547_231_856_123), "2019-01-11T18:37:36Z");
    }

    #[test]
    fn settle_applies_pending_changes_after_the_delay() {
        let mut store = Store::new(Some(1));
        let settings = Settings::from_config(&MockConfig::default());
        let cluster = Cluster {
            id: "c".into(),
            name: "n".into(),
            engine: Engine::Pg,
            version: "16".into(),
            num_nodes: 1,
            size: "db-s-1vcpu-1gb".into(),
            region: "nyc3".into(),
            created_at: timestamp(0),
            private_network_uuid: String::new(),
            project_id: String::new(),
            tags: Vec::new(),
            storage_size_mib: 10240,
            status: ClusterStatus::Resizing,
            status_since_ms: 1_000,
            settles: true,
            pending: Some(PendingChange {
                size: Some("db-s-2vcpu-4gb".into()),
                ..Default::default()
            }),
            users: Vec::new(),
            dbs: Vec::new(),
            pools: Vec::new(),
            topics: Vec::new(),
            firewall_rules: Vec::new(),
            maintenance: MaintenanceWindow {
                day: "monday".into(),
                hour: "01:00:00".into(),
                pending: false,
                description: Vec::new(),
            },
            config: Map::new(),
            autoscale: Value::Null,
            service_cnames: Vec::new(),
        };
        store.data.clusters.push(cluster);
        store.settle(1_000 + settings.transition_delay_ms - 1, &settings);
        assert_eq!(store.data.clusters[0].status, ClusterStatus::Resizing);
        assert_eq!(store.data.clusters[0].size, "db-s-1vcpu-1gb");
        store.settle(1_000 + settings.transition_delay_ms, &settings);
        assert_eq!(store.data.clusters[0].status, ClusterStatus::Online);
        assert_eq!(store.data.clusters[0].size, "db-s-2vcpu-4gb");
    }
}
