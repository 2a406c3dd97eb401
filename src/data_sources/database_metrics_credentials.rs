//! `dbaas_database_metrics_credentials` data source (work in progress): registration hook.

use crate::framework::host::Host;
use crate::provider::DbaasProvider;

/// Adds this file's types to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host
}
