data "dbaas_database_cluster" "main" {
  name = "app-pg"
}

# A pool that another configuration manages, for an application to connect through.
data "dbaas_database_connection_pool" "app" {
  cluster_id = data.dbaas_database_cluster.main.id
  name       = "app-pool"
}

output "pool_host" {
  value = data.dbaas_database_connection_pool.app.host
}

output "pool_uri" {
  value     = data.dbaas_database_connection_pool.app.uri
  sensitive = true
}
