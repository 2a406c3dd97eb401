# The resources as they were, with `digitalocean_` renamed to `dbaas_`.
resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
  tags       = ["production"]

  maintenance_window {
    day  = "sunday"
    hour = "02:00:00"
  }
}

resource "dbaas_database_connection_pool" "pool" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "app-pool"
  mode       = "transaction"
  size       = 10
  db_name    = "defaultdb"
  user       = "doadmin"
}

resource "dbaas_database_firewall" "pg" {
  cluster_id = dbaas_database_cluster.pg.id

  rule {
    type  = "ip_addr"
    value = "192.0.2.0/24"
  }
}

resource "dbaas_database_cluster" "kafka" {
  name       = "app-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "db-s-2vcpu-2gb"
  region     = "nyc1"
  node_count = 3
}

resource "dbaas_database_kafka_topic" "events" {
  cluster_id         = dbaas_database_cluster.kafka.id
  name               = "events"
  partition_count    = 3
  replication_factor = 2

  config {
    cleanup_policy = "compact"
  }
}

# One `moved` block per resource: from the old address to the new one.
moved {
  from = digitalocean_database_cluster.pg
  to   = dbaas_database_cluster.pg
}

moved {
  from = digitalocean_database_connection_pool.pool
  to   = dbaas_database_connection_pool.pool
}

moved {
  from = digitalocean_database_firewall.pg
  to   = dbaas_database_firewall.pg
}

moved {
  from = digitalocean_database_cluster.kafka
  to   = dbaas_database_cluster.kafka
}

moved {
  from = digitalocean_database_kafka_topic.events
  to   = dbaas_database_kafka_topic.events
}
