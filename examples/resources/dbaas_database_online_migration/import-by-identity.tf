import {
  to = dbaas_database_online_migration.from_old_server
  identity = {
    cluster_id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
  }
}
