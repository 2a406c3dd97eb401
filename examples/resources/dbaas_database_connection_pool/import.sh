# A pool is imported by its cluster's UUID and its name, separated by a comma.
terraform import dbaas_database_connection_pool.app 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,app-pool
