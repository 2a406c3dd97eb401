# A log sink is imported by its cluster's UUID and its `logsink_id`, joined by a comma
# (the same string as the resource's `id`).
terraform import dbaas_database_logsink_opensearch.logs 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,77b28fc8-19ff-11eb-8c9c-c68e24557488
