data "dbaas_database_cluster" "main" {
  name = "app-pg"
}

# The CA that signed the cluster's server certificate, for clients that verify it.
data "dbaas_database_ca" "main" {
  cluster_id = data.dbaas_database_cluster.main.id
}

output "ca_pem" {
  value = data.dbaas_database_ca.main.certificate_pem
}
