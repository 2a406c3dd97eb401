resource "dbaas_database_cluster" "main" {
  name       = "app-advanced-mysql"
  engine     = "advanced_mysql"
  version    = "8.4.8"
  size       = "gd-2vcpu-8gb-intel"
  region     = "nyc1"
  node_count = 1
}

# Settings left out are read but never changed. Destroying this resource changes nothing
# on the cluster: the settings stay as they are.
resource "dbaas_database_advanced_mysql_config" "main" {
  cluster_id = dbaas_database_cluster.main.id

  slow_query_log  = true
  long_query_time = 1
  wait_timeout    = 600

  # DigitalOcean's map of settings as strings also works (so its modules run unchanged); it is
  # converted to the typed settings and checked the same way. Write each setting once.
  mysql_parameters = {
    innodb_lock_wait_timeout = "60"
  }
}
