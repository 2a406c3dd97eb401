resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# An OpenSearch cluster to keep the logs in.
resource "dbaas_database_cluster" "logs" {
  name       = "app-logs"
  engine     = "opensearch"
  version    = "2"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# The endpoint carries the credentials, so it is write-only (Terraform >= 1.11): it
# never reaches plan or state. Bump the version to send a new one. With older Terraform,
# use the (sensitive) `endpoint` attribute instead.
resource "dbaas_database_logsink_opensearch" "logs" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "opensearch-logs"

  endpoint_wo         = dbaas_database_cluster.logs.uri
  endpoint_wo_version = 1

  index_prefix    = "app-pg"
  index_days_max  = 14
  timeout_seconds = 20
}
