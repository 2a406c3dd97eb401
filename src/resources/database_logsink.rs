//! Log sinks, `dbaas_database_logsink_<type>`: where a cluster forwards its logs
//! (`/v2/databases/{id}/logsink`). One resource type per sink type, all four from one
//! implementation (`database_logsink/sink.rs`) that each type fills in with its settings:
//!
//! | resource | sink type | DigitalOcean counterpart | file |
//! |---|---|---|---|
//! | `dbaas_database_logsink_rsyslog` | `rsyslog` | `digitalocean_database_logsink_rsyslog` | `rsyslog.rs` |
//! | `dbaas_database_logsink_opensearch` | `opensearch` | `digitalocean_database_logsink_opensearch` | `search.rs` |
//! | `dbaas_database_logsink_elasticsearch` | `elasticsearch` | none (shaped as OpenSearch's) | `search.rs` |
//! | `dbaas_database_logsink_datadog` | `datadog` (MongoDB only) | none | `datadog.rs` |
//!
//! What they share:
//! - DigitalOcean's shape: `cluster_id` and `name` (either replaces the sink), the settings
//!   under DigitalOcean's names, computed `logsink_id` and `id` = `<cluster_id>,<logsink_id>`,
//!   which is also the import ID and (as `cluster_id` + `logsink_id`) the identity.
//! - Every setting changes in place: the API's `PUT` replaces the sink's configuration as a
//!   whole, so every update sends all of it, secrets included.
//! - Secrets the API takes (the rsyslog client key, a search endpoint that carries
//!   credentials, the Datadog API key) come as a sensitive attribute under DigitalOcean's name
//!   plus a write-only `<name>_wo` (Terraform ≥ 1.11) with `<name>_wo_version`
//!   (`secret.rs`). The API answers secrets as they were sent; a refresh compares them only
//!   when state holds one (the plain attribute), so a write-only secret never reaches state.
//! - Plan-time checks: each type's settings (named, with what is allowed), and that the
//!   cluster exists and its engine takes the sink type (Datadog needs MongoDB).

mod datadog;
mod rsyslog;
mod search;
mod secret;
mod sink;

use crate::framework::host::Host;
use crate::framework::resource::Adapter;
use crate::provider::DbaasProvider;

pub use datadog::{Datadog, DatadogModel};
pub use rsyslog::{Rsyslog, RsyslogModel};
pub use search::{Elasticsearch, Opensearch, SearchModel};
pub use sink::{LogSinkResource, SinkKind};

/// Adds the four log sink resources to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host.resource(Adapter::boxed(LogSinkResource::<Rsyslog>::default()))
        .resource(Adapter::boxed(LogSinkResource::<Opensearch>::default()))
        .resource(Adapter::boxed(LogSinkResource::<Elasticsearch>::default()))
        .resource(Adapter::boxed(LogSinkResource::<Datadog>::default()))
}
