import {
  to = dbaas_database_advanced_postgresql_config.main
  id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
}
