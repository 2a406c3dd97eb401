resource "dbaas_database_cluster" "main" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# The whole list of sources allowed to connect; anything else is refused.
resource "dbaas_database_firewall" "main" {
  cluster_id = dbaas_database_cluster.main.id

  # An office network.
  rule {
    type  = "ip_addr"
    value = "203.0.113.0/24"
  }

  # Every Droplet and Kubernetes node tagged "backend".
  rule {
    type  = "tag"
    value = "backend"
  }
}
