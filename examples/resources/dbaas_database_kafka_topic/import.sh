# A topic is imported by its cluster's UUID and its name, separated by a comma.
terraform import dbaas_database_kafka_topic.events 9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,events
