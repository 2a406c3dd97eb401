# A replica is imported by its primary cluster's UUID and its name, joined by a
# comma (the same string as the resource's `id`).
terraform import dbaas_database_replica.reads 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,app-pg-read-1
