terraform {
  required_providers {
    dbaas = {
      source = "dbaas/dbaas"
    }
  }
}

# No password and no URI that carries one is written to plan or state.
provider "dbaas" {
  secrets_in_state = false
}

resource "dbaas_database_cluster" "main" {
  name       = "app-db"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

resource "dbaas_database_connection_pool" "app" {
  cluster_id = dbaas_database_cluster.main.id
  name       = "app"
  mode       = "transaction"
  size       = 10
  db_name    = "defaultdb"
  user       = "doadmin"
}

# Opened during each plan and apply, closed at the end of it; never stored.
ephemeral "dbaas_database_credentials" "admin" {
  cluster_id = dbaas_database_cluster.main.id
}

ephemeral "dbaas_database_credentials" "app" {
  cluster_id = dbaas_database_cluster.main.id
  pool       = dbaas_database_connection_pool.app.name
}

# A provisioner: runs the schema migration with the admin credentials.
resource "terraform_data" "schema" {
  triggers_replace = [dbaas_database_cluster.main.id]

  provisioner "local-exec" {
    command = "psql \"$DATABASE_URL\" -f schema.sql"
    environment = {
      DATABASE_URL = ephemeral.dbaas_database_credentials.admin.uri
    }
  }
}
