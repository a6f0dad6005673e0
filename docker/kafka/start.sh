#!/usr/bin/env bash
# The Kafka container's start (docker/compose.yml). Clients must log in with SASL/SCRAM-SHA-256
# on 9092; the SCRAM user is written into the metadata when the storage is formatted, at the
# first start (KIP-900: `kafka-storage format --add-scram`). The broker talks to itself over
# PLAINTEXT on listeners bound to 127.0.0.1 inside this container, which nothing else reaches.
set -euo pipefail
: "${SCRAM_USERNAME:?set TWEEKTREND_KAFKA_USERNAME in docker/.env}"
: "${SCRAM_PASSWORD:?set TWEEKTREND_KAFKA_PASSWORD in docker/.env}"
if [ "$SCRAM_PASSWORD" = "change-me" ]; then
  echo "TWEEKTREND_KAFKA_PASSWORD is still the placeholder of .env.example: set a real one" >&2
  exit 1
fi

# the image's paths and ports; the project's integration test runs this script with its own
KAFKA="${KAFKA_HOME:-/opt/kafka}"
DATA="${KAFKA_DATA:-/var/lib/kafka/data}"
CONFIG="${KAFKA_CONFIG:-$KAFKA/config/tweektrend-server.properties}"
LISTEN_HOST="${KAFKA_LISTEN_HOST:-0.0.0.0}"  # in the container; compose publishes on 127.0.0.1
PORT="${KAFKA_PORT:-9092}"  # clients, SASL
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
INTERNAL_PORT="${KAFKA_INTERNAL_PORT:-9094}"  # the broker to itself
umask 077  # the config names no password, but the data and logs are nobody else's business
cat > "$CONFIG" <<PROPERTIES
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=SASL_PLAINTEXT://$LISTEN_HOST:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:$PORT,INTERNAL://127.0.0.1:$INTERNAL_PORT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-256
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$DATA
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPERTIES

if [ ! -f "$DATA/meta.properties" ]; then
  cluster_id="$("$KAFKA/bin/kafka-storage.sh" random-uuid)"
  "$KAFKA/bin/kafka-storage.sh" format -t "$cluster_id" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-256=[name=${SCRAM_USERNAME},password=${SCRAM_PASSWORD}]"
fi
unset SCRAM_PASSWORD
exec "$KAFKA/bin/kafka-server-start.sh" "$CONFIG"
