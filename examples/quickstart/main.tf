# Quickstart: a PostgreSQL cluster managed through terraform-provider-dbaas.
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

resource "dbaas_database_cluster" "app" {
  name       = "quickstart-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = var.region
  node_count = 1
  tags       = ["quickstart", "env:demo"]

  maintenance_window = {
    day  = "sunday"
    hour = "02:00"
  }

  timeouts {
    create = "30m"
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
