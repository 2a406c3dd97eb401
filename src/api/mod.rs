//! HTTP client for the DigitalOcean Managed Databases API (`/v2/databases`).
//!
//! Knows nothing of Terraform. [`Client`] owns the one send path (auth, JSON, error parsing,
//! retries, rate-limit bookkeeping); typed sub-APIs (`client.clusters().get(id)`,
//! `client.pools(cluster_id).create(&req)`, …) sit on top, and [`wait`] polls for states.
//! Models live in [`models`], one file per API object.

mod children;
mod client;
mod clusters;
mod error;
pub mod models;
mod ratelimit;
mod tags;
pub mod wait;

pub use children::{Dbs, Firewall, Pools, Topics, Users};
pub use client::{Client, ClientConfig, RetryPolicy};
pub use clusters::Clusters;
pub use error::ApiError;
pub use ratelimit::RateLimitStatus;
pub use tags::Tags;
