import {
  to = dbaas_database_opensearch_config.main
  identity = {
    cluster_id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
  }
}
