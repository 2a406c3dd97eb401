import {
  to = dbaas_uncloud_database.orders
  id = "db_3f9a1c2b7d4e5f60"
}
