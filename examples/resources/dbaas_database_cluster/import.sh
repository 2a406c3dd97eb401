# A cluster is imported by its UUID (the `id` shown by `doctl databases list`).
terraform import dbaas_database_cluster.main 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
