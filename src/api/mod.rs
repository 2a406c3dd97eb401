//! HTTP client for the DigitalOcean Managed Databases API (`/v2/databases`).
//!
//! Knows nothing of Terraform. [`Client`] owns the one send path (auth, JSON, error parsing,
//! retries, rate-limit bookkeeping); typed sub-APIs (`client.clusters().get(id)`) sit on top,
//! and [`wait`] polls for states. Models live in [`models`], one file per API object.

mod client;
mod error;
pub mod models;

pub use error::ApiError;
