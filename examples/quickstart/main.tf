# Quickstart: a PostgreSQL cluster with a connection pool and firewall rules, and a Kafka
# cluster with a topic, sized from the live options catalogue.
#
# Against the emulator (what ./scripts/demo.sh does):
#   terraform apply -var api_endpoint=http://127.0.0.1:<port> -var token=<any token the emulator accepts>
# Against DigitalOcean: omit both variables and export DIGITALOCEAN_TOKEN instead.

terraform {
  required_version = ">= 1.0"
  required_providers {
    dbaas = {
      source = "dbaas/dbaas"
    }
  }
}

variable "api_endpoint" {
  description = "Base URL of the API; null means the provider's default (DBAAS_API_URL or https://api.digitalocean.com)."
  type        = string
  default     = null
}

variable "token" {
  description = "API token; null means the provider reads DBAAS_TOKEN / DIGITALOCEAN_TOKEN."
  type        = string
  default     = null
  sensitive   = true
}

variable "region" {
  type    = string
  default = "nyc1"
}

provider "dbaas" {
  api_endpoint = var.api_endpoint
  token        = var.token
}

# What the API offers right now for single-node PostgreSQL in the chosen region.
data "dbaas_database_options" "pg" {
  engine     = "pg"
  region     = var.region
  node_count = 1
}

locals {
  pg_offer = data.dbaas_database_options.pg.engines[0]
}

resource "dbaas_database_cluster" "app" {
  name       = "quickstart-pg"
  engine     = "pg"
  version    = local.pg_offer.default_version
  size       = local.pg_offer.layouts[0].sizes[0]
  region     = var.region
  node_count = 1
  tags       = ["quickstart", "env:demo"]

  maintenance_window {
    day  = "sunday"
    hour = "02:00"
  }

  timeouts {
    create = "30m"
  }
}

resource "dbaas_database_connection_pool" "app" {
  cluster_id = dbaas_database_cluster.app.id
  name       = "app-pool"
  mode       = "transaction"
  size       = 10
  db_name    = "defaultdb"
  user       = dbaas_database_cluster.app.user
}

resource "dbaas_database_firewall" "app" {
  cluster_id = dbaas_database_cluster.app.id

  rule {
    type  = "ip_addr"
    value = "203.0.113.0/24"
  }

  rule {
    type  = "tag"
    value = "backend"
  }
}

resource "dbaas_database_cluster" "events" {
  name       = "quickstart-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = var.region
  node_count = 3
}

resource "dbaas_database_kafka_topic" "orders" {
  cluster_id         = dbaas_database_cluster.events.id
  name               = "orders"
  partition_count    = 6
  replication_factor = 2

  config {
    cleanup_policy = "delete"
    retention_ms   = 604800000 # 7 days
  }
}

output "cluster_id" {
  value = dbaas_database_cluster.app.id
}

output "urn" {
  value = dbaas_database_cluster.app.urn
}

output "host" {
  value = dbaas_database_cluster.app.host
}

output "port" {
  value = dbaas_database_cluster.app.port
}

output "user" {
  value = dbaas_database_cluster.app.user
}

output "password" {
  value     = dbaas_database_cluster.app.password
  sensitive = true
}

output "uri" {
  value     = dbaas_database_cluster.app.uri
  sensitive = true
}

output "pool_uri" {
  value     = dbaas_database_connection_pool.app.uri
  sensitive = true
}

output "kafka_topic" {
  value = dbaas_database_kafka_topic.orders.id
}
