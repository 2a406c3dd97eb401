resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# Clients connect to a pool by using its name as the database name, on the pool's
# host and port. `mode`, `size`, `db_name` and `user` can change later without
# recreating the pool.
resource "dbaas_database_connection_pool" "app" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "app-pool"
  mode       = "transaction"
  size       = 20
  db_name    = "defaultdb"
  user       = dbaas_database_cluster.pg.user

  timeouts {
    create = "30m"
  }
}

# Without `user`, each client logs in with its own credentials (the inbound user).
resource "dbaas_database_connection_pool" "reporting" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "reporting"
  mode       = "session"
  size       = 5
  db_name    = "defaultdb"
}

output "app_pool_uri" {
  value     = dbaas_database_connection_pool.app.uri
  sensitive = true
}
