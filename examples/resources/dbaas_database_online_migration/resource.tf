resource "dbaas_database_cluster" "pg" {
  name       = "app-pg"
  engine     = "pg"
  version    = "16"
  size       = "db-s-1vcpu-2gb"
  region     = "nyc1"
  node_count = 1
}

variable "source_password" {
  type      = string
  sensitive = true
}

# Copies the old server into the cluster and keeps replicating from it. The apply returns
# once the migration is `syncing`; destroying the resource stops it.
resource "dbaas_database_online_migration" "from_old_server" {
  cluster_id = dbaas_database_cluster.pg.id

  source {
    host     = "old-db.example.com"
    port     = 5432
    db_name  = "defaultdb"
    username = "doadmin"

    # Write-only (Terraform 1.11 or newer): never stored in plan or state. Bump the
    # version to start a new migration with a new password. With older Terraform, use
    # `password = var.source_password` instead.
    password_wo         = var.source_password
    password_wo_version = 1
  }

  ignore_dbs = ["scratch"]
}
