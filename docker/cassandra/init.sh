#!/usr/bin/env bash
# One-shot service cassandra-init (docker/compose.yml), safe to run at every `up`:
#  - first start: the default superuser cassandra/cassandra creates the admin superuser from
#    docker/.env, which then takes away the default one's login and superuser status;
#  - every start: the project's role exists with the password in docker/.env, may create
#    keyspaces (a role owns what it creates) and has no other rights.
set -euo pipefail
: "${CASSANDRA_ADMIN_USERNAME:?}" "${CASSANDRA_ADMIN_PASSWORD:?}"
: "${APP_USERNAME:?set TWEEKTREND_CASSANDRA_USERNAME in docker/.env}"
: "${APP_PASSWORD:?set TWEEKTREND_CASSANDRA_PASSWORD in docker/.env}"
for value in "$CASSANDRA_ADMIN_PASSWORD" "$APP_PASSWORD"; do
  if [ "$value" = "change-me" ]; then
    echo "a Cassandra password is still the placeholder of .env.example: set a real one" >&2
    exit 1
  fi
done
if [ "$CASSANDRA_ADMIN_USERNAME" = cassandra ] || [ "$APP_USERNAME" = cassandra ]; then
  echo "choose names other than the default superuser 'cassandra'" >&2
  exit 1
fi
HOST="${CASSANDRA_HOST:-cassandra}"
literal() { printf "%s" "$1" | sed "s/'/''/g"; }  # inside a CQL string literal
name() { printf '"%s"' "$(printf "%s" "$1" | sed 's/"/""/g')"; }  # a quoted CQL identifier
as() { local user="$1" password="$2"; shift 2; cqlsh "$HOST" -u "$user" -p "$password" -e "$*"; }
can_login() { as "$1" "$2" "SELECT release_version FROM system.local" >/dev/null 2>&1; }

admin=""
for _ in $(seq 1 60); do  # the server, then its default superuser, take a while at first start
  if can_login "$CASSANDRA_ADMIN_USERNAME" "$CASSANDRA_ADMIN_PASSWORD"; then admin=ready; break; fi
  if can_login cassandra cassandra; then admin=missing; break; fi
  sleep 5
done
case "$admin" in
  missing)
    as cassandra cassandra "CREATE ROLE IF NOT EXISTS $(name "$CASSANDRA_ADMIN_USERNAME") WITH \
      PASSWORD = '$(literal "$CASSANDRA_ADMIN_PASSWORD")' AND SUPERUSER = true AND LOGIN = true"
    ;;
  ready) ;;
  *) echo "cannot log in to Cassandra at $HOST as $CASSANDRA_ADMIN_USERNAME nor as the default \
superuser: was the admin password in docker/.env changed after the first start?" >&2; exit 1 ;;
esac
app="$(name "$APP_USERNAME")"
as "$CASSANDRA_ADMIN_USERNAME" "$CASSANDRA_ADMIN_PASSWORD" "
  CREATE ROLE IF NOT EXISTS $app WITH PASSWORD = '$(literal "$APP_PASSWORD")' AND LOGIN = true;
  ALTER ROLE $app WITH PASSWORD = '$(literal "$APP_PASSWORD")' AND SUPERUSER = false;
  GRANT CREATE ON ALL KEYSPACES TO $app;
  ALTER ROLE cassandra WITH SUPERUSER = false AND LOGIN = false;"
echo "Cassandra: role $APP_USERNAME ready; the default superuser cannot log in"
