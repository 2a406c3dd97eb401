resource "dbaas_uncloud_database" "orders" {
  name    = "orders"
  db_type = "postgresql"
  plan_id = "db-s-1vcpu-1gb"
  region  = "nyc1"
}

# The connection details: never in the plan or the state file.
ephemeral "dbaas_uncloud_database_credentials" "orders" {
  database_id = dbaas_uncloud_database.orders.id
}

# A provisioner gets them for the length of the run.
resource "terraform_data" "schema" {
  triggers_replace = [dbaas_uncloud_database.orders.id]

  provisioner "local-exec" {
    command = "psql \"$DATABASE_URL\" -f schema.sql"
    environment = {
      DATABASE_URL = ephemeral.dbaas_uncloud_database_credentials.orders.connection_string
    }
  }
}
