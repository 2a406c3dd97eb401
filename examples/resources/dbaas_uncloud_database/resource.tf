# The provider needs the platform's URL and a token for the Uncloud types:
#   provider "dbaas" {
#     uncloud_endpoint = "http://uncloud.internal:8080"   # or UNCLOUD_API_URL
#     # uncloud_token from UNCLOUD_TOKEN
#   }

resource "dbaas_uncloud_database" "orders" {
  name       = "orders"
  db_type    = "postgresql"
  version    = "16"
  plan_id    = "db-s-2vcpu-4gb"
  region     = "nyc1"
  storage_gb = 50
  replicas   = 2 # high availability

  # Every argument above replaces the database when changed (the platform cannot update
  # one in place); this refuses such a plan, and destroy, until it is set back to false.
  deletion_protection = true
}

output "orders_host" {
  value = dbaas_uncloud_database.orders.host
}
