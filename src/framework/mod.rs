//! What every resource needs and none should repeat: the adapter traits for managed
//! resources, data sources and ephemeral resources, the request context (API, deadline,
//! cancellation), diagnostics without backtraces, validators that skip unknown values, plan
//! helpers, the `timeouts` block, Go-style durations, import-ID parsing and the stop signal.

pub mod child;
pub mod context;
pub mod data_source;
pub mod diag;
pub mod duration;
pub mod ephemeral;
pub mod host;
pub mod import;
pub mod normalize;
pub mod plan;
pub mod resource;
pub mod run;
pub mod secrets;
pub mod stop;
pub mod timeouts;
pub mod validate;
pub mod values;
pub mod write_only;

pub use context::{ApiContext, ProviderData, RequestContext};
pub use diag::{attr, DiagExt};
