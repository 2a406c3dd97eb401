resource "dbaas_database_cluster" "kafka" {
  name       = "app-kafka"
  engine     = "kafka"
  version    = "3.8"
  size       = "gd-2vcpu-8gb"
  region     = "nyc1"
  node_count = 3
}

# A new `schema` is registered as the subject's next version, in place.
resource "dbaas_database_kafka_schema_registry" "customer" {
  cluster_id   = dbaas_database_cluster.kafka.id
  subject_name = "customer-value"
  schema_type  = "avro"
  schema = jsonencode({
    type   = "record"
    name   = "Customer"
    fields = [{ name = "id", type = "string" }]
  })
}
