data "dbaas_database_cluster" "main" {
  name = "app-kafka"
}

# A user that another configuration manages: its role, credentials and settings.
data "dbaas_database_user" "events" {
  cluster_id = data.dbaas_database_cluster.main.id
  name       = "events"
}

output "events_topics" {
  value = [for acl in data.dbaas_database_user.events.settings[0].acl : acl.topic]
}

output "events_access_cert" {
  value     = data.dbaas_database_user.events.access_cert
  sensitive = true
}
