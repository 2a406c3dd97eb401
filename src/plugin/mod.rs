//! The Terraform plugin protocol, version 6 up to 6.9, written for this project on tonic and
//! prost: go-plugin's handshake and auto-mTLS, the tfplugin6 gRPC service, dynamic values in
//! msgpack and JSON, schemas and diagnostics. It knows nothing of databases: a provider plugs
//! in through [`service::ProviderHandler`].

pub mod codec_error;
pub mod diagnostics;
pub mod dynamic;
pub mod json;
pub mod msgpack;
pub mod proto;
pub mod schema;
pub mod serve;
pub mod server;
pub mod service;
pub mod tls;
pub mod value;

#[cfg(test)]
mod test_support;

pub use diagnostics::{AttributePath, AttributePathStep, Diagnostic, Diagnostics};
pub use dynamic::{Dynamic, Number, Type};
pub use value::{Value, ValueEmpty};
