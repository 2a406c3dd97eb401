# A module that creates an application database and proves it can be used: a PostgreSQL
# cluster, an application user, its database and a transaction pool, then a smoke test that
# connects with `psql` through the pool. The credentials come from the ephemeral
# `dbaas_database_credentials` and `secrets_in_state = false`: no password is in the state.
#
# Test it without a paid account, against real servers in the emulator (what
# `./scripts/demo.sh --real-engines` does):
#   dbaas-mock --real-engines --port 8080 &
#   TF_VAR_api_endpoint=http://127.0.0.1:8080 TF_VAR_token=any terraform test
# Needs Terraform >= 1.10 (ephemeral resources) and `psql` on PATH.

terraform {
  required_version = ">= 1.10"
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

variable "name" {
  description = "The cluster's name."
  type        = string
  default     = "module-test-pg"
}

provider "dbaas" {
  api_endpoint     = var.api_endpoint
  token            = var.token
  secrets_in_state = false
}

resource "dbaas_database_cluster" "app" {
  name       = var.name
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

resource "dbaas_database_user" "app" {
  cluster_id = dbaas_database_cluster.app.id
  name       = "app"
}

resource "dbaas_database_db" "app" {
  cluster_id = dbaas_database_cluster.app.id
  name       = "appdb"
}

resource "dbaas_database_connection_pool" "app" {
  cluster_id = dbaas_database_cluster.app.id
  name       = "app-pool"
  mode       = "transaction"
  size       = 5
  db_name    = dbaas_database_db.app.name
  user       = dbaas_database_user.app.name
}

# Read at apply time, never stored.
ephemeral "dbaas_database_credentials" "app" {
  cluster_id = dbaas_database_cluster.app.id
  user       = dbaas_database_user.app.name
}

ephemeral "dbaas_database_credentials" "pool" {
  cluster_id = dbaas_database_cluster.app.id
  pool       = dbaas_database_connection_pool.app.name
}

# The smoke test: fails the apply unless the user logs in and the pool reaches its database.
resource "terraform_data" "smoke_test" {
  triggers_replace = [
    dbaas_database_user.app.id,
    dbaas_database_connection_pool.app.id,
  ]

  provisioner "local-exec" {
    command = <<-EOT
      set -eu
      test "$(psql "$APP_URI" -XAtc 'select current_user')" = app
      test "$(psql "$POOL_URI" -XAtc 'select current_user || current_database()')" = appappdb
    EOT
    environment = {
      APP_URI  = ephemeral.dbaas_database_credentials.app.uri
      POOL_URI = ephemeral.dbaas_database_credentials.pool.uri
    }
  }
}

output "host" {
  value = dbaas_database_cluster.app.host
}

output "pool_port" {
  value = dbaas_database_connection_pool.app.port
}
