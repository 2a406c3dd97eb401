//! HTTP client for the Databases API of the self-hosted Uncloud platform (`/api/v1/databases`,
//! seed 002; what is known of it is in `shared/reference/uncloud-api.md`).
//!
//! The same discipline as the DigitalOcean client in [`crate::api`], in a module of its own
//! because the platform differs in every wire detail: one send path ([`UncloudClient`]'s
//! `send`), retries with backoff and jitter for idempotent requests only (the same
//! [`RetryPolicy`](crate::api::RetryPolicy) and operation deadline), a create that is never
//! re-sent blindly (an ambiguous failure is followed by a lookup by name), the platform's
//! `{"error": "…"}` bodies turned into the typed [`ApiError`](crate::api::ApiError), and lists
//! that are bare JSON arrays. Knows nothing of Terraform.

mod client;
pub mod models;

pub use client::{UncloudClient, UncloudConfig, API_PREFIX};
