#!/usr/bin/env bash
# Lint, then run the test suite on both database pairs. Extra arguments go to pytest:
#
#   ./scripts/test.sh
#   ./scripts/test.sh -x -k prefetch
#
# WEAKREL_DB_PREFIX (default "weakrel") goes into every test database name; set it to
# keep two checkouts that test against the same servers apart.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

ensure_venv
ensure_mariadb_headers
pip install -q -e '.[dev]'

echo "==> ruff check ."
ruff check .
echo "==> ruff format --check ."
ruff format --check .

failed=()
for pair in sqlite postgres-mariadb; do
    echo
    echo "=================================================================="
    echo "  pytest on WEAKREL_DB=$pair (WEAKREL_DB_PREFIX=${WEAKREL_DB_PREFIX:-weakrel})"
    echo "=================================================================="
    if ! WEAKREL_DB="$pair" python -m pytest "$@"; then
        failed+=("$pair")
    fi
done

echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED on: ${failed[*]}" >&2
    exit 1
fi
echo "Tests passed on sqlite and postgres-mariadb."
