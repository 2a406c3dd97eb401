//! The data of the operations in [`super`], kept inside each cluster's record in the store
//! ([`Cluster`]) so that the state file's journal saves it with the cluster that owns it, and
//! the lifecycles of that data, ended by [`settle`] from the timestamps when the store is read.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mock::config::Settings;
use crate::mock::store::{timestamp, Cluster, ClusterStatus};

/// How many events a cluster keeps (the oldest are dropped first).
const MAX_EVENTS: usize = 100;

/// A read-only replica, listed under its primary (`…/replicas`). It is `forking` for the
/// provision delay, then `online`; promoting it makes it a cluster of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replica {
    pub id: String,
    pub name: String,
    pub region: String,
    pub size: String,
    pub storage_size_mib: u64,
    pub private_network_uuid: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub service_cnames: Vec<String>,
    pub created_at: String,
    pub status: ClusterStatus,
    pub status_since_ms: u64,
    /// False when a `never_online` fault keeps the replica `forking`.
    pub settles: bool,
}

/// A log sink (`…/logsink`): where the cluster's logs are forwarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogSink {
    pub id: String,
    pub name: String,
    /// `rsyslog`, `elasticsearch`, `opensearch` or `datadog`.
    pub sink_type: String,
    /// The configuration as it was sent (validated against the sink type's schema).
    pub config: Map<String, Value>,
    pub created_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationStatus {
    Running,
    Syncing,
    Canceled,
    Error,
    Done,
}

impl MigrationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationStatus::Running => "running",
            MigrationStatus::Syncing => "syncing",
            MigrationStatus::Canceled => "canceled",
            MigrationStatus::Error => "error",
            MigrationStatus::Done => "done",
        }
    }

    pub fn in_progress(self) -> bool {
        matches!(self, MigrationStatus::Running | MigrationStatus::Syncing)
    }
}

/// The most recent online migration into the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OnlineMigration {
    pub id: String,
    pub status: MigrationStatus,
    pub status_since_ms: u64,
    /// False when a `never_online` fault keeps the migration `running`.
    pub settles: bool,
    pub created_at: String,
    pub source: MigrationSource,
}

/// Where an online migration copies from. The source's password is used to connect and is
/// not kept: nothing in the contract returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationSource {
    pub host: String,
    pub port: Option<i64>,
    pub dbname: Option<String>,
    pub username: Option<String>,
    pub disable_ssl: bool,
    pub ignore_dbs: Vec<String>,
}

/// One entry of `…/events`. The `cluster_create` event is not stored: it follows from the
/// cluster's `created_at` (so clusters saved before events existed have it too).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterEvent {
    pub id: String,
    pub event_type: String,
    pub create_time: String,
}

/// A Kafka cluster's schema registry: subjects with their versions, and the compatibility
/// levels (the registry's, and each subject's own when one was set).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRegistry {
    #[serde(default)]
    pub subjects: Vec<Subject>,
    #[serde(default)]
    pub compatibility_level: Option<String>,
    /// The last schema ID handed out; IDs are never reused, as in a schema registry.
    #[serde(default)]
    pub last_schema_id: u64,
}

impl SchemaRegistry {
    pub fn is_empty(&self) -> bool {
        *self == SchemaRegistry::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: String,
    pub schema_type: String,
    #[serde(default)]
    pub compatibility_level: Option<String>,
    /// Oldest first; never empty.
    pub versions: Vec<SchemaVersion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaVersion {
    pub version: u32,
    pub schema_id: u64,
    pub schema: String,
}

/// The account's metrics endpoint credentials once a request set them; until then the
/// account's defaults (see [`super::metrics`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricsCredentials {
    pub basic_auth_username: String,
    pub basic_auth_password: String,
}

/// Ends the transitions of the cluster's replicas and online migration whose delay has passed.
pub fn settle(cluster: &mut Cluster, now_ms: u64, settings: &Settings) {
    for replica in &mut cluster.replicas {
        if replica.status != ClusterStatus::Online
            && replica.settles
            && now_ms.saturating_sub(replica.status_since_ms) >= settings.provision_delay_ms
        {
            replica.status_since_ms = replica
                .status_since_ms
                .saturating_add(settings.provision_delay_ms);
            replica.status = ClusterStatus::Online;
        }
    }
    if let Some(migration) = &mut cluster.online_migration {
        // running → syncing → done, one transition delay each.
        while migration.status.in_progress()
            && migration.settles
            && now_ms.saturating_sub(migration.status_since_ms) >= settings.transition_delay_ms
        {
            migration.status = match migration.status {
                MigrationStatus::Running => MigrationStatus::Syncing,
                _ => MigrationStatus::Done,
            };
            migration.status_since_ms = migration
                .status_since_ms
                .saturating_add(settings.transition_delay_ms);
        }
    }
}

/// Records an event of `event_type` at `now_ms` in the cluster's event log.
pub fn record_event(cluster: &mut Cluster, event_type: &str, now_ms: u64) {
    let serial = cluster.events.len() as u64 + 1;
    let id = short_id(&cluster.id, serial ^ now_ms);
    cluster.events.push(ClusterEvent {
        id,
        event_type: event_type.to_string(),
        create_time: timestamp(now_ms),
    });
    if cluster.events.len() > MAX_EVENTS {
        let excess = cluster.events.len() - MAX_EVENTS;
        cluster.events.drain(..excess);
    }
}

/// An 8-character lowercase ID in the style of the contract's event IDs (`pe8u2huh`), derived
/// from `seed` and `salt` (FNV-1a) so that recording an event draws nothing from the seeded ID
/// source: a seeded emulator keeps handing out the IDs it always did.
pub fn short_id(seed: &str, salt: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in seed.bytes().chain(salt.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..8)
        .map(|i| {
            let index = (hash >> (i * 7)) as usize % ALPHABET.len();
            char::from(ALPHABET[index])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::config::MockConfig;
    use crate::mock::store::sample_cluster;

    fn migration(status: MigrationStatus, since: u64) -> OnlineMigration {
        OnlineMigration {
            id: "m".into(),
            status,
            status_since_ms: since,
            settles: true,
            created_at: timestamp(since),
            source: MigrationSource {
                host: "h".into(),
                port: None,
                dbname: None,
                username: None,
                disable_ssl: false,
                ignore_dbs: Vec::new(),
            },
        }
    }

    #[test]
    fn migrations_sync_then_finish_and_a_late_read_skips_ahead() {
        let settings = Settings::from_config(&MockConfig::default());
        let delay = settings.transition_delay_ms;
        let mut cluster = sample_cluster("c");
        cluster.online_migration = Some(migration(MigrationStatus::Running, 1_000));
        settle(&mut cluster, 1_000 + delay - 1, &settings);
        let status = |c: &Cluster| c.online_migration.as_ref().unwrap().status;
        assert_eq!(status(&cluster), MigrationStatus::Running);
        settle(&mut cluster, 1_000 + delay, &settings);
        assert_eq!(status(&cluster), MigrationStatus::Syncing);
        settle(&mut cluster, 1_000 + 2 * delay, &settings);
        assert_eq!(status(&cluster), MigrationStatus::Done);

        cluster.online_migration = Some(migration(MigrationStatus::Running, 0));
        settle(&mut cluster, 10 * delay, &settings);
        assert_eq!(status(&cluster), MigrationStatus::Done);
        cluster.online_migration = Some(migration(MigrationStatus::Canceled, 0));
        settle(&mut cluster, 10 * delay, &settings);
        assert_eq!(status(&cluster), MigrationStatus::Canceled);
    }

    #[test]
    fn events_are_capped_and_ids_look_like_the_contracts() {
        let mut cluster = sample_cluster("c");
        for n in 0..(MAX_EVENTS as u64 + 5) {
            record_event(&mut cluster, "cluster_update", n * 1000);
        }
        assert_eq!(cluster.events.len(), MAX_EVENTS);
        assert_eq!(cluster.events[0].create_time, timestamp(5_000));
        let id = &cluster.events[0].id;
        assert_eq!(id.len(), 8);
        assert!(id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert_ne!(short_id("a", 1), short_id("a", 2));
    }
}
