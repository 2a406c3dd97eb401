//! `dbaas_database_user` data source (work in progress).
