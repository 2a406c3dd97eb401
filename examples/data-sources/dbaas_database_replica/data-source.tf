data "dbaas_database_cluster" "main" {
  name = "app-pg"
}

# A replica that another configuration manages: where it runs and how to reach it.
data "dbaas_database_replica" "reads" {
  cluster_id = data.dbaas_database_cluster.main.id
  name       = "app-pg-read-1"
}

output "replica_private_host" {
  value = data.dbaas_database_replica.reads.private_host
}

output "replica_private_uri" {
  value     = data.dbaas_database_replica.reads.private_uri
  sensitive = true
}
