resource "dbaas_database_cluster" "main" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-1gb"
  region     = "nyc1"
  node_count = 1
}

# The whole list of sources allowed to connect; anything else is refused.
# Declare one such resource per cluster: it owns all of the cluster's rules.
resource "dbaas_database_firewall" "main" {
  cluster_id = dbaas_database_cluster.main.id

  # An office network (IPv4 address or CIDR block).
  rule {
    type  = "ip_addr"
    value = "203.0.113.0/24"
  }

  # Every Droplet and Kubernetes node tagged "backend".
  rule {
    type  = "tag"
    value = "backend"
  }

  # One Droplet, by ID.
  rule {
    type  = "droplet"
    value = "163973392"
  }

  # A Kubernetes cluster, by UUID.
  rule {
    type  = "k8s"
    value = "ff2a6c52-5a44-4b63-b99c-0e98e7a63d61"
  }
}

# The UUIDs the API gave the rules, keyed by "<type>:<value>".
output "office_rule_uuid" {
  value = dbaas_database_firewall.main.rule_details["ip_addr:203.0.113.0/24"].uuid
}
