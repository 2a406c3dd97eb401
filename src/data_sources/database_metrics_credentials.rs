//! `dbaas_database_metrics_credentials` data source (work in progress).
