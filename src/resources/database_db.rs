//! `dbaas_database_db` (work in progress).
