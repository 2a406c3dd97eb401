# An engine configuration is imported by the cluster's UUID; the import reads every setting,
# so a configuration that writes the values the cluster has plans no changes.
terraform import dbaas_database_advanced_postgresql_config.main 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30
