//! Users and databases of a cluster: `dbaas_database_user`, `dbaas_database_db` and the data
//! sources that read them (work in progress; registered through [`register`]).

use crate::framework::host::Host;
use crate::provider::DbaasProvider;

/// Adds this group's resources and data sources to the provider.
pub fn register(host: Host<DbaasProvider>) -> Host<DbaasProvider> {
    host
}
