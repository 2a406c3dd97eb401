//! The emulator's data: the account, clusters and everything that hangs off them, and tags.
//! What the operations of [`super::ops`] keep (replicas, log sinks, the latest online
//! migration, events, the schema registry, deleted indexes) is part of each cluster's record,
//! and the metrics credentials part of the account, so the journal saves them unchanged.
//!
//! Statuses are stored with the time they began; [`Store::settle`] moves anything whose delay
//! has passed to its end state. Every handler settles before it reads, so lifecycles need no
//! background task and survive a restart (the timestamps are persisted).
//!
//! With a state file, the store also knows what changed since it was last saved
//! ([`Store::take_changes`]): the clusters handed out for writing ([`Clusters`]), the account,
//! the tags and the serial. A change is then saved as one [`StoreDelta`], whose size is that of
//! the clusters it names, not of the store.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Deref;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::config::Settings;
use super::engine::Engine;
use super::error::{ApiError, ApiResult};
use super::ops::model::{
    self as ops, ClusterEvent, LogSink, MetricsCredentials, OnlineMigration, Replica,
    SchemaRegistry,
};

/// The account the emulated token belongs to. It shapes host names (`do-user-<n>`) and holds
/// the defaults the API assigns (project, per-region VPC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub user_number: u64,
    pub host_suffix: String,
    pub project_id: String,
    /// The default VPC of each region, created on first use.
    pub default_vpcs: BTreeMap<String, String>,
    /// The metrics endpoints' credentials, once a request set them (`None`: the defaults).
    /// Boxed: an account travels in every saved change that touches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_credentials: Option<Box<MetricsCredentials>>,
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
    // The operations of `ops` (absent from clusters saved before them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<Replica>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_sinks: Vec<LogSink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online_migration: Option<OnlineMigration>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ClusterEvent>,
    #[serde(default, skip_serializing_if = "SchemaRegistry::is_empty")]
    pub schema_registry: SchemaRegistry,
    /// OpenSearch indexes deleted through the API (see `ops::indexes`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted_indexes: Vec<String>,
    /// With `--real-engines`: the real server behind the cluster (see [`super::real`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_server: Option<RealServer>,
    /// Whether that server accepts connections with the cluster's users and databases. Not
    /// saved: after a restart the server is started again before the emulator listens.
    #[serde(skip)]
    pub server_ready: bool,
}

/// Where a cluster's real server listens (127.0.0.1), kept in the state file so that a
/// restart brings it back on the same ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealServer {
    pub port: u16,
    /// PostgreSQL: PgBouncer's port, for the pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_port: Option<u16>,
}

/// The host every connection of a cluster with a real server names.
pub const REAL_SERVER_HOST: &str = "127.0.0.1";

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

    /// The host of one of the cluster's connections, `prefix` saying which (`""`,
    /// `"private-"`, `"replica-"`, `"private-replica-"`). A real server answers all of them
    /// on 127.0.0.1: standby and private connections reach the same server.
    pub fn connection_host(&self, account: &Account, prefix: &str) -> String {
        if self.real_server.is_some() {
            REAL_SERVER_HOST.to_string()
        } else {
            format!("{prefix}{}", self.host(account))
        }
    }

    /// The port of the cluster's connections: its real server's, else the engine's.
    pub fn connection_port(&self) -> u16 {
        self.real_server
            .map_or_else(|| self.engine.port(), |server| server.port)
    }

    /// The port of the cluster's pools: PgBouncer's with a real server, else `default`.
    pub fn pool_port(&self, default: u16) -> u16 {
        self.real_server
            .and_then(|server| server.pool_port)
            .unwrap_or(default)
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
            // A real server ends `creating` only once it accepts connections.
            let server_waits = self.real_server.is_some()
                && !self.server_ready
                && matches!(
                    self.status,
                    ClusterStatus::Creating | ClusterStatus::Forking
                );
            if self.settles && !server_waits && now_ms.saturating_sub(self.status_since_ms) >= delay
            {
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
        ops::settle(self, now_ms, settings);
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
    pub clusters: Clusters,
    /// Tag names that exist, in creation order.
    pub tags: Vec<String>,
    /// Number of changes ever made; reseeds the ID source after a restart so that a seeded
    /// emulator never reissues an ID it handed out before.
    pub serial: u64,
}

/// The clusters in creation order. It reads like a slice; writing goes through [`Clusters::push`],
/// [`Clusters::retain`] and [`Clusters::iter_mut`], which remember which clusters were handed
/// out for writing, so that a state file saves only those (see [`Store::take_changes`]).
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    items: Vec<Cluster>,
    changed: ChangedIds,
}

/// IDs of the clusters that may have changed (created, written or deleted) since the store was
/// last saved. Recorded only once a state file asks for it.
#[derive(Debug, Clone, Default)]
struct ChangedIds {
    tracking: bool,
    ids: HashSet<String>,
}

impl ChangedIds {
    fn mark(&mut self, id: &str) {
        if self.tracking && !self.ids.contains(id) {
            self.ids.insert(id.to_string());
        }
    }
}

impl Clusters {
    pub fn push(&mut self, cluster: Cluster) {
        self.changed.mark(&cluster.id);
        self.items.push(cluster);
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&Cluster) -> bool) {
        let changed = &mut self.changed;
        self.items.retain(|cluster| {
            let kept = keep(cluster);
            if !kept {
                changed.mark(&cluster.id);
            }
            kept
        });
    }

    /// Every cluster handed out by the iterator counts as changed; its [`IterMut::find`] and
    /// [`IterMut::filter`] hand out only the clusters that match.
    pub fn iter_mut(&mut self) -> IterMut<'_> {
        IterMut {
            inner: self.items.iter_mut(),
            changed: &mut self.changed,
        }
    }

    fn get_mut(&mut self, id: &str) -> Option<&mut Cluster> {
        let cluster = self.items.iter_mut().find(|c| c.id == id)?;
        self.changed.mark(&cluster.id);
        Some(cluster)
    }
}

impl Deref for Clusters {
    type Target = [Cluster];

    fn deref(&self) -> &[Cluster] {
        &self.items
    }
}

impl<'a> IntoIterator for &'a mut Clusters {
    type Item = &'a mut Cluster;
    type IntoIter = IterMut<'a>;

    fn into_iter(self) -> IterMut<'a> {
        self.iter_mut()
    }
}

impl PartialEq for Clusters {
    fn eq(&self, other: &Clusters) -> bool {
        self.items == other.items
    }
}

impl From<Vec<Cluster>> for Clusters {
    fn from(items: Vec<Cluster>) -> Clusters {
        Clusters {
            items,
            changed: ChangedIds::default(),
        }
    }
}

/// A plain JSON array of clusters, as the state file has always had it.
impl Serialize for Clusters {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Clusters {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Clusters, D::Error> {
        Vec::<Cluster>::deserialize(deserializer).map(Clusters::from)
    }
}

/// Mutable iteration over [`Clusters`] that records each cluster it hands out as changed.
pub struct IterMut<'a> {
    inner: std::slice::IterMut<'a, Cluster>,
    changed: &'a mut ChangedIds,
}

impl<'a> Iterator for IterMut<'a> {
    type Item = &'a mut Cluster;

    fn next(&mut self) -> Option<&'a mut Cluster> {
        let cluster = self.inner.next()?;
        self.changed.mark(&cluster.id);
        Some(cluster)
    }
}

impl<'a> IterMut<'a> {
    /// [`Iterator::find`] that counts only the cluster found as changed: the predicate sees
    /// the others through a shared reference.
    pub fn find(
        mut self,
        mut predicate: impl FnMut(&&'a mut Cluster) -> bool,
    ) -> Option<&'a mut Cluster> {
        let found = self.inner.find(|cluster| predicate(cluster))?;
        self.changed.mark(&found.id);
        Some(found)
    }

    /// [`Iterator::filter`] that counts only the clusters that match as changed.
    pub fn filter<P>(self, predicate: P) -> Filter<'a, P>
    where
        P: FnMut(&&'a mut Cluster) -> bool,
    {
        Filter {
            iter: self,
            predicate,
        }
    }
}

/// See [`IterMut::filter`].
pub struct Filter<'a, P> {
    iter: IterMut<'a>,
    predicate: P,
}

impl<'a, P> Iterator for Filter<'a, P>
where
    P: FnMut(&&'a mut Cluster) -> bool,
{
    type Item = &'a mut Cluster;

    fn next(&mut self) -> Option<&'a mut Cluster> {
        let cluster = self.iter.inner.find(|cluster| (self.predicate)(cluster))?;
        self.iter.changed.mark(&cluster.id);
        Some(cluster)
    }
}

/// One saved change: the clusters created or changed (whole, with their users, pools, topics
/// and rules, in store order), the IDs of those deleted, and the account and tags when they
/// changed. Applied in order on top of a snapshot ([`Replay`]), the deltas give the store back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreDelta {
    pub serial: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<Cluster>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleted: Vec<String>,
}

/// What [`Store::take_changes`] found.
#[derive(Debug)]
pub enum Changes {
    Nothing,
    Delta(StoreDelta),
    /// The store was replaced as a whole (a reset): only a snapshot describes it.
    Everything,
}

/// Rebuilds a store from a snapshot and the deltas saved after it, in time linear in their size.
pub struct Replay {
    data: StoreData,
    /// The clusters by position; a deleted one leaves `None` until [`Replay::finish`].
    slots: Vec<Option<Cluster>>,
    positions: HashMap<String, usize>,
}

impl Replay {
    pub fn new(mut data: StoreData) -> Replay {
        let slots: Vec<Option<Cluster>> = std::mem::take(&mut data.clusters.items)
            .into_iter()
            .map(Some)
            .collect();
        let positions = slots
            .iter()
            .enumerate()
            .filter_map(|(i, slot)| slot.as_ref().map(|c| (c.id.clone(), i)))
            .collect();
        Replay {
            data,
            slots,
            positions,
        }
    }

    pub fn apply(&mut self, delta: StoreDelta) {
        self.data.serial = delta.serial;
        if let Some(account) = delta.account {
            self.data.account = account;
        }
        if let Some(tags) = delta.tags {
            self.data.tags = tags;
        }
        for id in &delta.deleted {
            if let Some(position) = self.positions.remove(id) {
                self.slots[position] = None;
            }
        }
        for cluster in delta.clusters {
            match self.positions.get(&cluster.id) {
                Some(&position) => self.slots[position] = Some(cluster),
                None => {
                    self.positions.insert(cluster.id.clone(), self.slots.len());
                    self.slots.push(Some(cluster));
                }
            }
        }
    }

    pub fn finish(mut self) -> StoreData {
        self.data.clusters = Clusters::from(self.slots.into_iter().flatten().collect::<Vec<_>>());
        self.data
    }
}

/// The account, tags and serial as last saved, to tell whether a change touched them.
#[derive(Debug, Clone)]
struct Saved {
    account: Account,
    tags: Vec<String>,
    serial: u64,
}

impl Saved {
    fn of(data: &StoreData) -> Saved {
        Saved {
            account: data.account.clone(),
            tags: data.tags.clone(),
            serial: data.serial,
        }
    }
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
    saved: Saved,
    /// Set by [`Store::clear`]: the next save must be a snapshot.
    replaced: bool,
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
            metrics_credentials: None,
        };
        let data = StoreData {
            account,
            clusters: Clusters::default(),
            tags: Vec::new(),
            serial: 0,
        };
        Store {
            saved: Saved::of(&data),
            data,
            ids,
            now_ms: 0,
            replaced: false,
        }
    }

    /// A store loaded from a state file.
    pub fn from_data(data: StoreData, seed: Option<u64>) -> Self {
        let ids = Ids::new(seed, data.serial);
        Store {
            saved: Saved::of(&data),
            data,
            ids,
            now_ms: 0,
            replaced: false,
        }
    }

    /// Starts recording what changes, for [`Store::take_changes`].
    pub fn track_changes(&mut self) {
        self.data.clusters.changed.tracking = true;
    }

    /// Empties the store (fresh account, no clusters or tags) as a change, so that it is persisted.
    pub fn clear(&mut self, seed: Option<u64>) {
        let tracking = self.data.clusters.changed.tracking;
        *self = Store::new(seed);
        self.data.clusters.changed.tracking = tracking;
        self.replaced = true;
        self.touch();
    }

    /// Counts a change: the serial reseeds the ID source after a restart.
    pub fn touch(&mut self) {
        self.data.serial += 1;
    }

    /// What changed since the last call, which is then taken as saved. A cluster counts when
    /// it was created, deleted, looked up with [`Store::cluster_mut`] or handed out by
    /// [`Clusters::iter_mut`]. Transitions that [`Store::settle`] ends are not changes: they
    /// follow from the timestamps saved with the cluster.
    pub fn take_changes(&mut self) -> Changes {
        let mut ids = std::mem::take(&mut self.data.clusters.changed.ids);
        if std::mem::take(&mut self.replaced) {
            self.saved = Saved::of(&self.data);
            return Changes::Everything;
        }
        let account_changed = self.data.account != self.saved.account;
        let tags_changed = self.data.tags != self.saved.tags;
        if ids.is_empty()
            && !account_changed
            && !tags_changed
            && self.data.serial == self.saved.serial
        {
            return Changes::Nothing;
        }
        let items = &self.data.clusters.items;
        // Few IDs (the usual one): look each up from the end, where new clusters are.
        let mut found: Vec<usize> = if ids.len() <= 8 {
            ids.iter()
                .filter_map(|id| items.iter().rposition(|c| &c.id == id))
                .collect()
        } else {
            (0..items.len())
                .filter(|&i| ids.contains(&items[i].id))
                .collect()
        };
        found.sort_unstable();
        let clusters: Vec<Cluster> = found
            .into_iter()
            .map(|i| {
                ids.remove(&items[i].id);
                items[i].clone()
            })
            .collect();
        let mut deleted: Vec<String> = ids.into_iter().collect();
        deleted.sort_unstable();
        let delta = StoreDelta {
            serial: self.data.serial,
            account: account_changed.then(|| self.data.account.clone()),
            tags: tags_changed.then(|| self.data.tags.clone()),
            clusters,
            deleted,
        };
        if let Some(account) = &delta.account {
            self.saved.account = account.clone();
        }
        if let Some(tags) = &delta.tags {
            self.saved.tags = tags.clone();
        }
        self.saved.serial = delta.serial;
        Changes::Delta(delta)
    }

    /// Ends every transition whose delay has passed.
    pub fn settle(&mut self, now_ms: u64, settings: &Settings) {
        self.now_ms = now_ms;
        for cluster in &mut self.data.clusters.items {
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

    /// Records whether a cluster's real server is ready. Not a change: readiness is not saved.
    pub fn set_server_ready(&mut self, id: &str, ready: bool) {
        if let Some(cluster) = self.data.clusters.items.iter_mut().find(|c| c.id == id) {
            cluster.server_ready = ready;
        }
    }

    pub fn cluster_mut(&mut self, id: &str) -> ApiResult<&mut Cluster> {
        self.data
            .clusters
            .get_mut(id)
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

/// A minimal online PostgreSQL cluster, for tests.
#[cfg(test)]
pub fn sample_cluster(id: &str) -> Cluster {
    Cluster {
        id: id.into(),
        name: format!("name-{id}"),
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
        status: ClusterStatus::Online,
        status_since_ms: 0,
        settles: true,
        pending: None,
        users: vec![DbUser {
            name: "doadmin".into(),
            role: UserRole::Primary,
            password: format!("secret-{id}"),
            mysql_auth_plugin: None,
            settings: None,
            access_cert: None,
            access_key: None,
        }],
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
        replicas: Vec::new(),
        log_sinks: Vec::new(),
        online_migration: None,
        events: Vec::new(),
        schema_registry: SchemaRegistry::default(),
        deleted_indexes: Vec::new(),
        real_server: None,
        server_ready: false,
    }
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
        let mut cluster = sample_cluster("c");
        cluster.status = ClusterStatus::Resizing;
        cluster.status_since_ms = 1_000;
        cluster.pending = Some(PendingChange {
            size: Some("db-s-2vcpu-4gb".into()),
            ..Default::default()
        });
        store.data.clusters.push(cluster);
        store.settle(1_000 + settings.transition_delay_ms - 1, &settings);
        assert_eq!(store.data.clusters[0].status, ClusterStatus::Resizing);
        assert_eq!(store.data.clusters[0].size, "db-s-1vcpu-1gb");
        store.settle(1_000 + settings.transition_delay_ms, &settings);
        assert_eq!(store.data.clusters[0].status, ClusterStatus::Online);
        assert_eq!(store.data.clusters[0].size, "db-s-2vcpu-4gb");
    }

    fn delta(changes: Changes) -> StoreDelta {
        match changes {
            Changes::Delta(delta) => delta,
            other => panic!("expected a delta, got {other:?}"),
        }
    }

    fn tracked_store(ids: &[&str]) -> Store {
        let mut store = Store::new(Some(1));
        store.track_changes();
        for id in ids {
            store.data.clusters.push(sample_cluster(id));
        }
        store.take_changes();
        store
    }

    #[test]
    fn only_the_clusters_handed_out_for_writing_are_changes() {
        let mut store = tracked_store(&["a", "b", "c"]);
        assert!(matches!(store.take_changes(), Changes::Nothing));

        store.cluster_mut("b").unwrap().num_nodes = 2;
        let found = store
            .data
            .clusters
            .iter_mut()
            .find(|c| c.id == "c")
            .unwrap();
        found.size = "db-s-2vcpu-4gb".into();
        store.touch();
        let changed = delta(store.take_changes());
        let ids: Vec<&str> = changed.clusters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "c"], "in store order, the rest left out");
        assert!(changed.account.is_none() && changed.tags.is_none());
        assert_eq!(changed.serial, store.data.serial);

        for cluster in store.data.clusters.iter_mut().filter(|c| c.id != "a") {
            cluster.tags.push("t".into());
        }
        store.register_tags([&"t".to_string()]);
        let changed = delta(store.take_changes());
        assert_eq!(changed.clusters.len(), 2);
        assert_eq!(changed.tags, Some(vec!["t".to_string()]));

        for cluster in &mut store.data.clusters {
            cluster.tags.clear();
        }
        assert_eq!(delta(store.take_changes()).clusters.len(), 3);

        store.data.clusters.retain(|c| c.id != "a");
        store.default_vpc("ams3");
        let changed = delta(store.take_changes());
        assert_eq!(changed.deleted, ["a"]);
        assert!(changed.clusters.is_empty());
        assert!(changed.account.is_some());

        store.clear(Some(1));
        assert!(matches!(store.take_changes(), Changes::Everything));
        assert!(matches!(store.take_changes(), Changes::Nothing));
    }

    #[test]
    fn settled_transitions_are_not_changes_and_untracked_stores_record_nothing() {
        let mut store = tracked_store(&["a"]);
        store
            .cluster_mut("a")
            .unwrap()
            .begin(ClusterStatus::Resizing, 0, true);
        store.take_changes();
        let settings = Settings::from_config(&MockConfig::default());
        store.settle(settings.transition_delay_ms, &settings);
        assert_eq!(store.data.clusters[0].status, ClusterStatus::Online);
        assert!(matches!(store.take_changes(), Changes::Nothing));

        let mut untracked = Store::new(Some(1));
        untracked.data.clusters.push(sample_cluster("a"));
        assert!(untracked.data.clusters.changed.ids.is_empty());
    }

    #[test]
    fn replay_applies_deltas_in_order() {
        let base = tracked_store(&["a", "b"]).data;
        let mut replay = Replay::new(base);
        let mut changed_b = sample_cluster("b");
        changed_b.num_nodes = 3;
        replay.apply(StoreDelta {
            serial: 5,
            account: None,
            tags: Some(vec!["x".into()]),
            clusters: vec![changed_b, sample_cluster("c")],
            deleted: vec!["a".into()],
        });
        replay.apply(StoreDelta {
            serial: 6,
            account: None,
            tags: None,
            clusters: vec![sample_cluster("d")],
            deleted: vec!["c".into(), "never-there".into()],
        });
        let data = replay.finish();
        let ids: Vec<&str> = data.clusters.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["b", "d"]);
        assert_eq!(data.clusters[0].num_nodes, 3);
        assert_eq!((data.serial, data.tags), (6, vec!["x".to_string()]));
    }
}
