//! Engine configuration resources, `dbaas_database_<engine>_config` (work in progress;
//! registered through [`register`]).

use crate::framework::host::Host;
use crate::provider::DbaasProvider;

/// Adds the engine configuration resources to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host
}
