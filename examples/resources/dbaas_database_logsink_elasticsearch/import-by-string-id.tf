import {
  to = dbaas_database_logsink_elasticsearch.logs
  id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,50484ec3-19d6-4cd3-b56f-3b0381c289a6"
}
