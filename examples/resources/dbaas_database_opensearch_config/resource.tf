resource "dbaas_database_cluster" "main" {
  name       = "app-opensearch"
  engine     = "opensearch"
  version    = "2"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_opensearch_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  ism_enabled                      = true
  ism_history_enabled              = false
  search_max_buckets               = 20000
  enable_security_audit            = false
  reindex_remote_whitelist         = ["203.0.113.10:9200"]
  knn_memory_circuit_breaker_limit = 60
}
