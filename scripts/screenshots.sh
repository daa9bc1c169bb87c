#!/usr/bin/env bash
# Refresh the admin screenshots in docs/images/ from the browser tests
# (tests/test_admin_browser.py, headless Chromium), on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_common.sh

ensure_venv
ensure_chromium
shots="$(mktemp -d)"
WEAKREL_DB=sqlite WEAKREL_SCREENSHOTS="$shots" python -m pytest -q -m browser \
    tests/test_admin_browser.py
# The login page illustrates nothing of weakrel's.
rm -f "$shots/admin-login.png"
cp "$shots"/*.png docs/images/
ls docs/images/
