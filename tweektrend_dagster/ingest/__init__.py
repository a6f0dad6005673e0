"""Sources into Kafka, Kafka into Cassandra."""
