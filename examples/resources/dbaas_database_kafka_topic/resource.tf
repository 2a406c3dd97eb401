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
  partition_count    = 6 # can grow in place, never shrink
  replication_factor = 2

  # Only the settings written here are sent and managed; the others keep the topic's
  # values and never show as diffs. Removing a setting restores Kafka's default.
  config {
    cleanup_policy      = "delete"
    compression_type    = "zstd"
    retention_ms        = 259200000 # 3 days
    min_insync_replicas = 2
  }
}

# A compacted topic keeping the latest value per key.
resource "dbaas_database_kafka_topic" "profiles" {
  cluster_id = dbaas_database_cluster.kafka.id
  name       = "user-profiles"

  config {
    cleanup_policy            = "compact"
    min_cleanable_dirty_ratio = 0.1
    max_compaction_lag_ms     = 86400000 # 1 day
  }

  timeouts {
    create = "10m"
  }
}
