#!/usr/bin/env bash
# The Cassandra container's entrypoint (docker/compose.yml): logins and permissions turned on in
# the image's cassandra.yaml (auth.awk), then the image's own entrypoint, as without us. Until
# cassandra-init has run, the only login is the default superuser cassandra/cassandra, and only
# this compose network can reach the server (its port is published on 127.0.0.1).
set -euo pipefail
yaml="${CASSANDRA_CONF:-/etc/cassandra}/cassandra.yaml"
edited="$(mktemp)"
awk -f /etc/tweektrend/auth.awk "$yaml" > "$edited"
cat "$edited" > "$yaml"
rm -f "$edited"
exec docker-entrypoint.sh "$@"
