# Shared by demo.sh and test.sh; sourced from the repository root.

# Create .venv (Python 3.11 when available) unless it exists, and activate it.
ensure_venv() {
    if [ ! -x .venv/bin/python ]; then
        local python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
        echo "==> Creating .venv with $python"
        "$python" -m venv .venv
    fi
    # shellcheck disable=SC1091
    . .venv/bin/activate
}

# mysqlclient compiles against libmariadb; install its headers on Debian if missing.
ensure_mariadb_headers() {
    if pkg-config --exists libmariadb 2>/dev/null; then
        return
    fi
    if [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
        echo "==> Installing libmariadb-dev and pkg-config (needed to build mysqlclient)"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            libmariadb-dev pkg-config
    else
        echo "mysqlclient needs the MariaDB client headers and pkg-config; install them first." >&2
        exit 1
    fi
}

# The browser tests drive Debian's headless Chromium; install it on Debian if missing.
ensure_chromium() {
    if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
        return
    fi
    if [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then
        echo "==> Installing chromium and chromium-driver (for the browser tests)"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            chromium chromium-driver
    else
        echo "The browser tests need chromium and chromedriver (or: pytest -m 'not browser')." >&2
        exit 1
    fi
}
