resource "dbaas_database_cluster" "main" {
  name       = "app-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_kafka_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  auto_create_topics_enable = false
  log_retention_hours       = 168
  # 64-bit settings are numbers, not strings as in DigitalOcean's provider.
  log_retention_bytes = -1
  log_roll_ms         = 604800000
}
