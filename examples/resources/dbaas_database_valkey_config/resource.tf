resource "dbaas_database_cluster" "main" {
  name       = "app-valkey"
  engine     = "valkey"
  version    = "8"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_valkey_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  # DigitalOcean's names: most settings leave the API's `valkey_` prefix out.
  valkey_maxmemory_policy = "allkeys_lru"
  timeout                 = 0
  ssl                     = true
  frequent_snapshots      = false
}
