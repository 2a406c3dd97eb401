# The basic-auth pair of every cluster's Prometheus metrics endpoints.
data "dbaas_database_metrics_credentials" "prometheus" {}

output "metrics_username" {
  value = data.dbaas_database_metrics_credentials.prometheus.username
}

output "metrics_password" {
  value     = data.dbaas_database_metrics_credentials.prometheus.password
  sensitive = true
}
