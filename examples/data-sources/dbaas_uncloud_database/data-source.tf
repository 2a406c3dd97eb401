# By name, in the default project (or set project_id) ...
data "dbaas_uncloud_database" "orders" {
  name = "orders"
}

# ... or by ID.
data "dbaas_uncloud_database" "cache" {
  id = "db_3f9a1c2b7d4e5f60"
}

output "orders_endpoint" {
  value = "${data.dbaas_uncloud_database.orders.host}:${data.dbaas_uncloud_database.orders.port}"
}
