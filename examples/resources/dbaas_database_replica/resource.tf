resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

# A read-only replica in another region. Without `region` and `size` it takes the
# primary's. `size` and `storage_size_mib` can grow later in place (a resize);
# a new `name`, `region`, `private_network_uuid` or `tags` recreates the replica.
resource "dbaas_database_replica" "reads" {
  cluster_id       = dbaas_database_cluster.pg.id
  name             = "app-pg-read-1"
  region           = "nyc3"
  size             = "db-s-2vcpu-4gb"
  storage_size_mib = 61440
  tags             = ["reads"]

  timeouts {
    create = "45m"
  }
}

output "replica_host" {
  value = dbaas_database_replica.reads.host
}

output "replica_uri" {
  value     = dbaas_database_replica.reads.uri
  sensitive = true
}
