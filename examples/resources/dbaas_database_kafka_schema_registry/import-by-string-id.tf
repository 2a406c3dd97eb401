import {
  to = dbaas_database_kafka_schema_registry.customer
  id = "9cc10173-e9ea-4176-9dbc-a4cee4c4ff30,customer-value"
}
