#!/usr/bin/env bash
# The example project's API against its own OpenAPI schema, with schemathesis: every
# check (no server error, responses that match the schema, ...), stateless and
# stateful, on both database pairs, bounded in examples and time, with a fixed seed.
# All but positive_data_acceptance: parameters that depend on each other (orders.limit
# needs include=orders) cannot be said in OpenAPI, so a schema-valid request may
# rightly be a 400; every other check holds, no 5xx and no response off its schema.
#
#   ./scripts/schemathesis.sh                 # both pairs
#   ./scripts/schemathesis.sh sqlite          # one pair
#   ST_STATELESS_TIME=60 ST_STATEFUL_TIME=60 ./scripts/schemathesis.sh  # seconds per pair
#
# Each pair gets fresh databases (SQLite files in a temporary folder; on the servers,
# <WEAKREL_DB_PREFIX>_st_default and _orders, dropped afterwards), seeded with
# seed_demo, served by runserver on a free port of 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh
ensure_venv

pairs=("$@")
[ "${#pairs[@]}" -gt 0 ] || pairs=(sqlite postgres-mariadb)
prefix="${WEAKREL_DB_PREFIX:-weakrel}_st"
export DJANGO_SETTINGS_MODULE=example_project.settings
export WEAKREL_EXAMPLE_PG_NAME="${prefix}_default" WEAKREL_EXAMPLE_MARIADB_NAME="${prefix}_orders"
workdir="$(mktemp -d)"
server=""

cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    server=""
}
trap 'cleanup; rm -rf "$workdir"' EXIT

drop_server_databases() {
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${prefix}_default" >/dev/null
    mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ${prefix}_orders"
}

# st_run PORT PHASES SECONDS: one bounded schemathesis run.
st_run() {
    st run "http://127.0.0.1:$1/api/schema/" \
        --checks all \
        --exclude-checks positive_data_acceptance \
        --phases "$2" \
        --max-time "$3" \
        --max-examples "${ST_MAX_EXAMPLES:-10}" \
        --seed "${ST_SEED:-20260101}" \
        --wait-for-schema 30 \
        --request-timeout 10 \
        --no-color
}

failed=()
for pair in "${pairs[@]}"; do
    echo "==> schemathesis on WEAKREL_DB=$pair"
    export WEAKREL_DB="$pair" WEAKREL_EXAMPLE_SQLITE_DIR="$workdir/$pair"
    mkdir -p "$WEAKREL_EXAMPLE_SQLITE_DIR"
    if [ "$pair" = postgres-mariadb ]; then
        drop_server_databases
        createdb -h 127.0.0.1 -U postgres "${prefix}_default"
        mariadb -h127.0.0.1 -uroot -e "CREATE DATABASE ${prefix}_orders CHARACTER SET utf8mb4"
    fi
    python manage.py migrate --database default -v 0
    python manage.py migrate --database orders -v 0
    python manage.py seed_demo -v 0 >/dev/null
    port="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    python manage.py runserver "127.0.0.1:$port" --noreload >"$workdir/server-$pair.log" 2>&1 &
    server=$!
    if st_run "$port" coverage,fuzzing "${ST_STATELESS_TIME:-10}" \
        && st_run "$port" stateful "${ST_STATEFUL_TIME:-8}"; then
        :
    else
        failed+=("$pair")
        echo "--- server log ($pair), last lines:"
        tail -n 40 "$workdir/server-$pair.log"
    fi
    cleanup
    [ "$pair" = postgres-mariadb ] && drop_server_databases
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "schemathesis FAILED on: ${failed[*]}" >&2
    exit 1
fi
echo "schemathesis passed on: ${pairs[*]}"
