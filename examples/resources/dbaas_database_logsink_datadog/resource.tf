resource "dbaas_database_cluster" "mongo" {
  name       = "app-mongo"
  engine     = "mongodb"
  version    = "7.0"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

variable "datadog_api_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

# Datadog log sinks are for MongoDB clusters. The API key is write-only (Terraform >= 1.11):
# it is sent to the API and never stored; bump the version to send a new one. With older
# Terraform, set the (sensitive) `datadog_api_key` instead.
resource "dbaas_database_logsink_datadog" "datadog" {
  cluster_id = dbaas_database_cluster.mongo.id
  name       = "datadog"
  site       = "http-intake.logs.datadoghq.com"

  datadog_api_key_wo         = var.datadog_api_key
  datadog_api_key_wo_version = 1
}
