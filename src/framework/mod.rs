//! Terraform semantics that tf-provider leaves to each provider, with no HTTP in sight:
//! diagnostics without backtraces, validators that skip unknown values, plan helpers,
//! the `timeouts` block, Go-style durations, import-ID parsing and the stop signal.

pub mod diag;
pub mod duration;
pub mod import;
pub mod normalize;
pub mod plan;
pub mod stop;
pub mod timeouts;
pub mod validate;
pub mod values;

pub use diag::{attr, DiagExt};
