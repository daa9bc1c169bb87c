#!/usr/bin/env bash
# Run Django's own relation tests against weakrel's fields, on one database and on two
# (docs/conformance.md). Fetches the Django sdist that matches the installed Django the
# first time (pip download; cached in ${WEAKREL_CONFORMANCE_CACHE:-~/.cache/weakrel-conformance}),
# rewrites the test apps' models to weakrel's fields and prints one line per mode:
#
#   one-database: N pass, N by-design, N divergence (N harness, N skipped)
#
# Exits 1 when a divergence remains (tests/conformance/divergences.txt lists them).
#
#   ./scripts/conformance.sh
#   ./scripts/conformance.sh --mode split -k prefetch_related
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

ensure_venv
python -c 'import django, weakrel' 2>/dev/null || pip install -q -e .
exec python -m tests.conformance "$@"
