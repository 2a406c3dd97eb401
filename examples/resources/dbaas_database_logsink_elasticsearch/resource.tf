resource "dbaas_database_cluster" "mysql" {
  name       = "app-mysql"
  engine     = "mysql"
  version    = "8"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

variable "elasticsearch_ca_cert" {
  description = "The CA certificate (PEM) of the Elasticsearch endpoint."
  type        = string
}

variable "elasticsearch_url" {
  description = "https://user:password@host:9200 of the Elasticsearch server"
  type        = string
  sensitive   = true
  ephemeral   = true
}

# The endpoint carries the credentials, so it is write-only (Terraform >= 1.11): it
# never reaches plan or state. Bump the version to send a new one.
resource "dbaas_database_logsink_elasticsearch" "logs" {
  cluster_id = dbaas_database_cluster.mysql.id
  name       = "elastic-logs"

  endpoint_wo         = var.elasticsearch_url
  endpoint_wo_version = 1

  index_prefix   = "app-mysql"
  index_days_max = 30
  ca_cert        = var.elasticsearch_ca_cert
}
