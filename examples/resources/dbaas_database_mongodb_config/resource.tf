resource "dbaas_database_cluster" "main" {
  name       = "app-mongodb"
  engine     = "mongodb"
  version    = "7.0"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_mongodb_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  default_read_concern               = "majority"
  default_write_concern              = "majority"
  transaction_lifetime_limit_seconds = 60
  slow_op_threshold_ms               = 100
  verbosity                          = 0
}
