resource "dbaas_database_cluster" "main" {
  name       = "app-mysql"
  engine     = "mysql"
  version    = "8"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_mysql_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  sql_require_primary_key = false
  connect_timeout         = 10
  default_time_zone       = "+00:00"
  long_query_time         = 2.5
  slow_query_log          = true
  sql_mode                = "ANSI,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,STRICT_ALL_TABLES"
}
