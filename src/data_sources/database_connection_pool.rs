//! `dbaas_database_connection_pool` data source (work in progress).
