"""The local launcher: fetches, starts, checks and stops Kafka, Cassandra, FerretDB and the Spark
Connect server. It knows nothing of the product (the CLI hands it the bootstrap and the apps);
it may import `config` and `contracts` only."""
