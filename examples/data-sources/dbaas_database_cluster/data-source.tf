# A cluster managed elsewhere, looked up by its name.
data "dbaas_database_cluster" "main" {
  name = "app-pg"
}

output "host" {
  value = data.dbaas_database_cluster.main.host
}

output "connection_uri" {
  value     = data.dbaas_database_cluster.main.uri
  sensitive = true
}
