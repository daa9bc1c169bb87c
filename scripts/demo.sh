#!/usr/bin/env bash
# Run the example project: install, migrate both databases, seed, serve.
#
#   ./scripts/demo.sh                              # two SQLite files
#   WEAKREL_DB=postgres-mariadb ./scripts/demo.sh  # PostgreSQL + MariaDB at 127.0.0.1
#   PORT=8001 ./scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

pair="${WEAKREL_DB:-sqlite}"
export WEAKREL_DB="$pair"

ensure_venv
if [ "$pair" = "postgres-mariadb" ]; then
    ensure_mariadb_headers
    pip install -q -e '.[drf,postgres,mysql]'
    echo "==> Creating databases weakrel_example_default (PostgreSQL), weakrel_example_orders (MariaDB)"
    if ! psql -h 127.0.0.1 -U postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'weakrel_example_default'" | grep -q 1; then
        createdb -h 127.0.0.1 -U postgres weakrel_example_default
    fi
    mariadb -h127.0.0.1 -uroot -e \
        "CREATE DATABASE IF NOT EXISTS weakrel_example_orders CHARACTER SET utf8mb4"
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
