#!/usr/bin/env bash
# Run the example project: install, migrate both databases, seed, serve.
#
#   ./scripts/demo.sh                              # two SQLite files
#   WEAKREL_DB=postgres-mariadb ./scripts/demo.sh  # PostgreSQL + MariaDB at 127.0.0.1
#   PORT=8001 ./scripts/demo.sh                    # another port (default 8000)
#
# The servers of the PostgreSQL + MariaDB demo come from WEAKREL_PG_HOST, _PORT, _USER,
# _PASSWORD and WEAKREL_MARIADB_HOST, _PORT, _USER, _PASSWORD; the database names from
# WEAKREL_EXAMPLE_PG_NAME and WEAKREL_EXAMPLE_MARIADB_NAME (example_project/settings.py).
# seed_demo creates the admin user "admin" and prints its password the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

pair="${WEAKREL_DB:-sqlite}"
export WEAKREL_DB="$pair"

ensure_venv
if [ "$pair" = "postgres-mariadb" ]; then
    ensure_mariadb_headers
    pip install -q -e '.[drf,postgres,mysql]'
    pg_name="${WEAKREL_EXAMPLE_PG_NAME:-weakrel_example_default}"
    mariadb_name="${WEAKREL_EXAMPLE_MARIADB_NAME:-weakrel_example_orders}"
    export PGHOST="${WEAKREL_PG_HOST:-127.0.0.1}" PGPORT="${WEAKREL_PG_PORT:-5432}"
    export PGUSER="${WEAKREL_PG_USER:-postgres}" PGPASSWORD="${WEAKREL_PG_PASSWORD:-}"
    export MYSQL_PWD="${WEAKREL_MARIADB_PASSWORD:-}"
    echo "==> Creating databases $pg_name (PostgreSQL at $PGHOST:$PGPORT), $mariadb_name (MariaDB)"
    if ! psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$pg_name'" | grep -q 1; then
        createdb "$pg_name"
    fi
    mariadb -h"${WEAKREL_MARIADB_HOST:-127.0.0.1}" -P"${WEAKREL_MARIADB_PORT:-3306}" \
        -u"${WEAKREL_MARIADB_USER:-root}" -e \
        "CREATE DATABASE IF NOT EXISTS \`$mariadb_name\` CHARACTER SET utf8mb4"
else
    pip install -q -e '.[drf]'
fi

echo "==> Migrating database 'default'"
python manage.py migrate --database default
echo "==> Migrating database 'orders'"
python manage.py migrate --database orders
python manage.py seed_demo

echo "==> Serving on http://127.0.0.1:${PORT:-8000}/"
exec python manage.py runserver "127.0.0.1:${PORT:-8000}"
