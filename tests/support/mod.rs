//! The shared acceptance harness: every acceptance test drives the real `terraform` CLI against
//! its own `dbaas-mock` on 127.0.0.1, through a `dev_overrides` CLI configuration that points
//! Terraform at the freshly built provider binary (so no `terraform init` and no registry).
//!
//! - [`mock::Mock`]: one emulator process per test, with its `/_mock/` controls.
//! - [`terraform::Terraform`]: one Terraform working directory per test.
//! - [`cluster`]: catalogue values, HCL and state helpers for `dbaas_database_cluster`, and the
//!   lifecycle scenario that the acceptance suite and the Terraform 1.0 compatibility run share.
//!
//! Nothing here prints secrets: failure messages carry Terraform's human-readable output
//! (which masks sensitive values) and the emulator's request log without bodies, never
//! `terraform show -json` or `/_mock/state`.

// Every test crate compiles this module and uses a different subset of it.
#![allow(dead_code)]

pub mod cluster;
pub mod mock;
pub mod signal;
pub mod terraform;
pub mod text;

#[allow(unused_imports)] // not every test crate uses both
pub use mock::Mock;
#[allow(unused_imports)]
pub use terraform::Terraform;
