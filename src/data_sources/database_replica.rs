//! `dbaas_database_replica` data source (work in progress).
