import os

import pytest
from django.db import connections


def pytest_report_header(config):
    return f"weakrel database pair: {os.environ.get('WEAKREL_DB', 'sqlite')}"


def pytest_sessionstart(session):
    """Stop the whole run, loudly, when a database server of the pair is down."""
    for alias in connections:
        connection = connections[alias]
        if connection.vendor == "sqlite":
            continue
        try:
            with connection._nodb_cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # noqa: BLE001 - reported, then the run stops
            pytest.exit(
                f"Database alias {alias!r} ({connection.settings_dict['ENGINE']} at "
                f"{connection.settings_dict.get('HOST')}:{connection.settings_dict.get('PORT')}) "
                f"is unreachable: {exc}",
                returncode=3,
            )
