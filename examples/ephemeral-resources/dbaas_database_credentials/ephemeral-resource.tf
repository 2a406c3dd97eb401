resource "dbaas_database_cluster" "main" {
  name       = "app-db"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# The admin user's credentials: never in the plan or the state file.
ephemeral "dbaas_database_credentials" "admin" {
  cluster_id = dbaas_database_cluster.main.id
}

# A provisioner gets them for the length of the run.
resource "terraform_data" "schema" {
  triggers_replace = [dbaas_database_cluster.main.id]

  provisioner "local-exec" {
    command = "psql \"$DATABASE_URL\" -f schema.sql"
    environment = {
      DATABASE_URL = ephemeral.dbaas_database_credentials.admin.uri
    }
  }
}
