resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# A database of its own for the application, beside the cluster's `defaultdb`.
resource "dbaas_database_db" "orders" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "orders"
}
