"""What the project fetches and builds for its servers, cached under TWEEKTREND_CACHE: jars from
Maven Central (Kafka, Cassandra, the Spark Cassandra Connector, the Spark Connect server),
FerretDB from the Go module proxy, and the tools that do it (java 17, mvn, go). Used by the
launcher (`stack/`) and by a Spark started inside a process (`resources/spark.py`); it may
import `config` and `contracts` only."""
