import {
  to = dbaas_database_kafka_schema_registry.customer
  identity = {
    cluster_id   = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30"
    subject_name = "customer-value"
  }
}
