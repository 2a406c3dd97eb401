import {
  to = dbaas_database_replica.reads
  id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,app-pg-read-1"
}
