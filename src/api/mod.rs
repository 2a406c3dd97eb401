//! HTTP client for the DigitalOcean Managed Databases API (`/v2/databases`).
//!
//! Knows nothing of Terraform. [`Client`] (`client.rs`) is the client value and its
//! configuration. Every request goes through the one send path (`send.rs`: URLs, JSON, error
//! bodies) and the retry loop (`retry.rs`: backoff with jitter, server hints, the rate-limit
//! pacing of `ratelimit.rs`); creates never orphan an object (`safe_create.rs`); changes to one
//! cluster take turns and ride out "busy" answers (`cluster_changes.rs`). Typed sub-APIs
//! (`client.clusters().get(id)`, `client.pools(cluster_id).create(&req)`, …) sit on top, and
//! [`wait`] polls for states. Every failure is one [`ApiError`] with an [`ErrorKind`]. Models
//! live in [`models`], one file per API object.

mod children;
mod client;
mod cluster_changes;
mod clusters;
pub mod deadline;
pub mod engine_config;
mod error;
mod found;
pub mod logsinks;
pub mod metrics;
pub mod models;
pub mod online_migration;
mod ratelimit;
pub mod replicas;
mod retry;
mod safe_create;
pub mod schema_registry;
mod send;
pub(crate) use send::is_tls_to_plain_http;
mod tags;
pub mod wait;

pub use children::{Dbs, Firewall, Pools, Topics, Users};
pub use client::{Client, ClientConfig};
pub use cluster_changes::{retry_while_busy, ClusterTurn};
pub use clusters::Clusters;
pub use error::{ApiError, ErrorKind};
pub use found::Found;
pub use ratelimit::RateLimitStatus;
pub use retry::RetryPolicy;
pub use tags::Tags;
