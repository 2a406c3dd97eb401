resource "dbaas_database_cluster" "mysql" {
  name       = "app-mysql"
  engine     = "mysql"
  version    = "8"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# A MySQL user for older clients: the plugin can change later in place (which also
# issues a new password).
resource "dbaas_database_user" "app" {
  cluster_id        = dbaas_database_cluster.mysql.id
  name              = "app"
  mysql_auth_plugin = "mysql_native_password"
}

resource "dbaas_database_cluster" "kafka" {
  name       = "app-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}

# A Kafka user that may produce to and consume from the `events-*` topics. Settings are
# read back on every refresh, so a change made elsewhere shows in the next plan.
resource "dbaas_database_user" "events" {
  cluster_id = dbaas_database_cluster.kafka.id
  name       = "events"

  settings {
    acl {
      topic      = "events-.*"
      permission = "produceconsume"
    }
    acl {
      topic      = "audit"
      permission = "consume"
    }
  }
}

output "app_password" {
  value     = dbaas_database_user.app.password
  sensitive = true
}
