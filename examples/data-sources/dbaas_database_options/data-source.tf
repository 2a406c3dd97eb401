# What the API offers for one-node PostgreSQL clusters in nyc1.
data "dbaas_database_options" "pg" {
  engine     = "pg"
  region     = "nyc1"
  node_count = 1
}

locals {
  pg = data.dbaas_database_options.pg.engines[0]
}

output "pg_default_version" {
  value = local.pg.default_version
}

output "pg_versions" {
  value = local.pg.versions[*].version
}

output "pg_single_node_sizes" {
  value = local.pg.layouts[0].sizes
}
