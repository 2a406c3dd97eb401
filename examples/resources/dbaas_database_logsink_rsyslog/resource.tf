resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# Plain syslog to a server on the private network.
resource "dbaas_database_logsink_rsyslog" "syslog" {
  cluster_id = dbaas_database_cluster.pg.id
  name       = "syslog"
  server     = "192.168.10.1"
  port       = 514
  format     = "rfc5424"
}

variable "ca_cert" {
  description = "The CA certificate (PEM) of the rsyslog server."
  type        = string
}

variable "client_cert" {
  description = "The client certificate (PEM) the cluster presents."
  type        = string
}

variable "client_key" {
  type      = string
  sensitive = true
  ephemeral = true
}

# Mutual TLS with a custom line format. The client key is write-only (Terraform >= 1.11):
# it is sent to the API and never stored; bump the version to send a new one.
resource "dbaas_database_logsink_rsyslog" "mtls" {
  cluster_id  = dbaas_database_cluster.pg.id
  name        = "central-logs"
  server      = "logs.example.com"
  port        = 6514
  tls         = true
  format      = "custom"
  logline     = "<%pri%>1 %timestamp:::date-rfc3339% %HOSTNAME% %app-name% - - - %msg%"
  ca_cert     = var.ca_cert
  client_cert = var.client_cert

  client_key_wo         = var.client_key
  client_key_wo_version = 1
}
