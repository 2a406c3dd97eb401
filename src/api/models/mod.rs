//! Serde types for the `/v2/databases` API, one file per API object.
//!
//! Conventions shared by every model:
//! - Response fields are `Option` unless the contract marks them required, and unknown fields
//!   are ignored, so a new server-side field never breaks a read.
//! - Request structs skip `None` fields: the client never sends a zero value or a `null` the
//!   caller did not set.
//! - Types that carry credentials (`Connection`, `DatabaseUser`) have a hand-written `Debug`
//!   that redacts them, so a `{:?}` in a log line cannot leak a password.
//!
//! Response envelopes (`{"database": …}`, `{"pools": […]}`) are an implementation detail of
//! the client and are not modelled here.

pub mod cluster;
pub mod db;
pub mod firewall;
pub mod logsink;
pub mod metrics;
pub mod migration;
pub mod options;
pub mod pool;
pub mod replica;
pub mod schema_registry;
pub mod tag;
pub mod topic;
pub mod user;

mod lenient;
mod redact;

pub use cluster::{
    Autoscale, BackupRestore, Ca, Cluster, Connection, CreateClusterRequest, DoSettings,
    MaintenanceWindow, MaintenanceWindowRequest, MigrateRequest, ResizeRequest, ServiceEndpoint,
    StorageAutoscale,
};
pub use db::Db;
pub use firewall::FirewallRule;
pub use options::{EngineOptions, Layout, Options, VersionAvailability};
pub use pool::{CreatePoolRequest, Pool, UpdatePoolRequest};
pub use tag::TagResource;
pub use topic::{
    ConsumerGroup, CreateTopicRequest, Topic, TopicConfig, TopicPartition, TopicSummary,
    UpdateTopicRequest,
};
pub use user::{
    CreateUserRequest, DatabaseUser, KafkaAcl, MongoUserSettings, MysqlSettings, OpenSearchAcl,
    ResetUserAuthRequest, UpdateUserRequest, UserSettings,
};
