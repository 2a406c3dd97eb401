//! `dbaas_database_logsink_*` (work in progress): registration hook, nothing served yet.

use crate::framework::host::Host;
use crate::provider::DbaasProvider;

/// Adds this file's types to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host
}
