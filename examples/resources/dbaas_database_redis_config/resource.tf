resource "dbaas_database_cluster" "main" {
  name       = "app-redis"
  engine     = "redis"
  version    = "7"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_redis_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  # DigitalOcean's names: the API's `redis_` prefix is left out.
  maxmemory_policy       = "allkeys-lru"
  notify_keyspace_events = "KEA"
  timeout                = 0
  ssl                    = true
}
