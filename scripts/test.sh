#!/usr/bin/env bash
# Lint, then run the test suite on both database pairs with the main combination,
# Python 3.11 and Django 5.2 (the project's .venv), then schemathesis against the
# example project on both pairs (scripts/schemathesis.sh, about 80 seconds), then on
# SQLite with every other supported Python and Django (noxfile.py). Extra arguments
# go to pytest:
#
#   ./scripts/test.sh
#   ./scripts/test.sh -x -k prefetch
#   WEAKREL_MATRIX=0 ./scripts/test.sh -x    # the main combination only
#
# WEAKREL_DB_PREFIX (default "weakrel") goes into every test database name; set it to
# keep two checkouts that test against the same servers apart.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

ensure_venv
ensure_mariadb_headers
ensure_chromium
pip install -q -e '.[dev]'

echo "==> ruff check ."
ruff check .
echo "==> ruff format --check ."
ruff format --check .
echo "==> mkdocs build --strict"
mkdocs build --strict --quiet --site-dir "$(mktemp -d)"
# weakrel/ with django-stubs' plugin on tests.settings; the cache (.mypy_cache) makes
# a second run take seconds, and tests/test_typing.py reuses it.
echo "==> mypy (weakrel/)"
mypy

failed=()
passed=()
main="Python $(python -c 'import sys; print("%d.%d" % sys.version_info[:2])'), Django $(python -m django --version)"
# The two pairs side by side (one pytest process each), and the rest beside them; each
# one's output is shown whole when it ends.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
# schemathesis against the example project meanwhile: mostly waiting on its server.
./scripts/schemathesis.sh >"$logs/schemathesis.log" 2>&1 &
schemathesis=$!
# And the other Pythons and Djangos, two sessions at a time: every CPU stays busy
# until the end instead of waiting for the slowest pair.
if [ "${WEAKREL_MATRIX:-1}" != 0 ]; then
    WEAKREL_DB=sqlite nox -t others -j auto -- "$@" >"$logs/nox.log" 2>&1 &
    matrix=$!
fi
pids=()
pairs=(sqlite postgres-mariadb)
for pair in "${pairs[@]}"; do
    WEAKREL_DB="$pair" python -m pytest "$@" >"$logs/$pair.log" 2>&1 &
    pids+=($!)
done
for i in "${!pairs[@]}"; do
    pair="${pairs[$i]}"
    status=0
    wait "${pids[$i]}" || status=$?
    echo
    echo "=================================================================="
    echo "  pytest on WEAKREL_DB=$pair (WEAKREL_DB_PREFIX=${WEAKREL_DB_PREFIX:-weakrel})"
    echo "  $main"
    echo "=================================================================="
    cat "$logs/$pair.log"
    if [ "$status" -eq 0 ]; then
        passed+=("$pair ($main)")
    else
        failed+=("$pair ($main)")
    fi
done

echo
echo "=================================================================="
echo "  schemathesis: the example project's API against its schema"
echo "=================================================================="
status=0
wait "$schemathesis" || status=$?
cat "$logs/schemathesis.log"
if [ "$status" -eq 0 ]; then
    passed+=("schemathesis (sqlite, postgres-mariadb)")
else
    failed+=("schemathesis")
fi

if [ "${WEAKREL_MATRIX:-1}" != 0 ]; then
    echo
    echo "=================================================================="
    echo "  nox: every other Python and Django on WEAKREL_DB=sqlite"
    echo "=================================================================="
    status=0
    wait "$matrix" || status=$?
    cat "$logs/nox.log"
    if [ "$status" -eq 0 ]; then
        passed+=("sqlite (every other Python and Django in noxfile.py)")
    else
        failed+=("sqlite (a combination nox lists above as failed)")
    fi
fi

echo
if [ "${#failed[@]}" -gt 0 ]; then
    printf 'FAILED on: %s\n' "${failed[@]}" >&2
    exit 1
fi
printf 'Tests passed on %s\n' "${passed[@]}"
