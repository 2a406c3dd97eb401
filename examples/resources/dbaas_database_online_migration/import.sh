# An online migration is imported by its cluster's UUID: the cluster's most recent
# migration is adopted. The API never returns the source, so the first apply after the
# import records the configured `source` without calling the API.
terraform import dbaas_database_online_migration.from_old_server 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
