"""Database pairs the suite runs on, chosen by the WEAKREL_DB environment variable.

``sqlite`` (the default) gives every alias its own SQLite database; ``postgres-mariadb``
puts ``default`` and ``third`` on PostgreSQL and ``orders`` on MariaDB, so every
relation in the suite crosses two different servers. WEAKREL_DB_PREFIX keeps the
database names of two checkouts apart when both run their tests at once.
"""

import json
import os
import subprocess
import sys

PAIRS = ("sqlite", "postgres-mariadb")
ALIASES = ("default", "orders", "third")


def database_settings(pair: str | None = None, prefix: str | None = None) -> dict:
    pair = pair or os.environ.get("WEAKREL_DB", "sqlite")
    prefix = prefix or os.environ.get("WEAKREL_DB_PREFIX", "weakrel")
    if pair == "sqlite":
        return {
            alias: {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{prefix}_{alias}.sqlite3"}
            for alias in ALIASES
        }
    if pair == "postgres-mariadb":
        postgres = {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": os.environ.get("WEAKREL_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("WEAKREL_PG_PORT", "5432"),
            "USER": os.environ.get("WEAKREL_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("WEAKREL_PG_PASSWORD", ""),
        }
        mariadb = {
            "ENGINE": "django.db.backends.mysql",
            "HOST": os.environ.get("WEAKREL_MARIADB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("WEAKREL_MARIADB_PORT", "3306"),
            "USER": os.environ.get("WEAKREL_MARIADB_USER", "root"),
            "PASSWORD": os.environ.get("WEAKREL_MARIADB_PASSWORD", ""),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
        return {
            "default": {**postgres, "NAME": f"{prefix}_default"},
            "orders": {**mariadb, "NAME": f"{prefix}_orders"},
            "third": {**postgres, "NAME": f"{prefix}_third"},
        }
    raise ValueError(f"WEAKREL_DB must be one of {', '.join(PAIRS)}, not {pair!r}")


def create_databases() -> None:
    """Create and migrate every alias's database when it does not exist yet: for the
    drivers that run in processes of their own (tests/crash_driver.py,
    tests/worker_driver.py), outside pytest-django's test databases."""
    from django.core.management import call_command
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        name = connection.settings_dict["NAME"]
        if connection.vendor == "postgresql":
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if not cursor.fetchone():
                    cursor.execute(f'CREATE DATABASE "{name}"')
        elif connection.vendor == "mysql":
            with connection._nodb_cursor() as cursor:
                cursor.execute(
                    f"CREATE DATABASE IF NOT EXISTS `{name}` "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        call_command("migrate", database=alias, run_syncdb=True, verbosity=0)


def run_driver(module: str, *args: object, suffix: str, timeout: int, **env: str) -> dict:
    """Run ``python -m <module> <args>`` in databases of its own (the prefix plus
    ``suffix``), where its processes see each other's commits; return the JSON
    document it prints. Its stderr is in the error when it fails."""
    prefix = os.environ.get("WEAKREL_DB_PREFIX", "weakrel") + suffix
    done = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "WEAKREL_DB_PREFIX": prefix, **env},
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{module} {args}: {done.stderr[-3000:]}"
    return json.loads(done.stdout)
