resource "dbaas_database_cluster" "main" {
  name       = "app-advanced-pg"
  engine     = "advanced_pg"
  version    = "17"
  size       = "gd-2vcpu-8gb-intel"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_advanced_postgresql_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  jit      = false
  work_mem = 32
  timezone = "UTC"

  # DigitalOcean's map of settings as strings also works (so its modules run unchanged); it is
  # converted to the typed settings and checked the same way. Write each setting once.
  pg_parameters = {
    max_prepared_transactions = "10"
  }
}
