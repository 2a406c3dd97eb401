resource "dbaas_database_cluster" "kafka" {
  name       = "app-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}

resource "dbaas_database_kafka_topic" "events" {
  cluster_id         = dbaas_database_cluster.kafka.id
  name               = "events"
  partition_count    = 6
  replication_factor = 2

  # Only the settings written here are managed; the others keep the topic's values.
  config {
    cleanup_policy      = "delete"
    compression_type    = "zstd"
    retention_ms        = 259200000 # 3 days
    min_insync_replicas = 2
  }
}
