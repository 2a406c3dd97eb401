# A highly available PostgreSQL cluster whose storage grows on its own.
resource "dbaas_database_cluster" "main" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-2vcpu-4gb"
  region     = "nyc1"
  node_count = 2
  tags       = ["app", "env:production"]

  # Without this block the API keeps the window it picked, untracked.
  maintenance_window {
    day  = "sunday"
    hour = "02:00"
  }

  storage_autoscale {
    enabled           = true
    threshold_percent = 80
    increment_gib     = 10
  }

  timeouts {
    create = "45m"
    update = "90m"
  }
}

# Valkey: what happens when memory is full.
resource "dbaas_database_cluster" "cache" {
  name            = "app-cache"
  engine          = "valkey"
  version         = "8"
  size            = "db-s-1vcpu-1gb"
  region          = "nyc1"
  node_count      = 1
  eviction_policy = "allkeys_lru"
}

# MySQL: the server's SQL modes.
resource "dbaas_database_cluster" "mysql" {
  name       = "app-mysql"
  engine     = "mysql"
  version    = "8"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
  sql_mode   = "ANSI,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_ZERO_DATE,NO_ZERO_IN_DATE,STRICT_ALL_TABLES"
}
