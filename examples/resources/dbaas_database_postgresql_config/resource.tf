resource "dbaas_database_cluster" "main" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_postgresql_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  # Only the settings written here are sent and managed; `false` and `0` included.
  jit                                 = false
  idle_in_transaction_session_timeout = 0
  work_mem                            = 16
  timezone                            = "UTC"
  pg_stat_statements_track            = "all"

  # Nested settings are blocks, as in DigitalOcean's provider.
  pgbouncer {
    server_idle_timeout       = 600
    ignore_startup_parameters = ["extra_float_digits", "search_path"]
  }

  timescaledb {
    max_background_workers = 8
  }
}
