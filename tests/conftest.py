import os

import pytest
from django.contrib.auth import get_user_model
from django.db import connections


def pytest_report_header(config):
    return f"weakrel database pair: {os.environ.get('WEAKREL_DB', 'sqlite')}"


@pytest.fixture(scope="session", autouse=True)
def _servers_reachable(django_db_blocker):
    """Stop the whole run, loudly, when a database server of the pair is down."""
    with django_db_blocker.unblock():
        for alias in connections:
            connection = connections[alias]
            if connection.vendor == "sqlite":
                continue
            try:
                with connection._nodb_cursor() as cursor:
                    cursor.execute("SELECT 1")
            except Exception as exc:  # noqa: BLE001 - reported, then the run stops
                settings = connection.settings_dict
                pytest.exit(
                    f"Database alias {alias!r} ({settings['ENGINE']} at "
                    f"{settings.get('HOST')}:{settings.get('PORT')}) is unreachable: {exc}",
                    returncode=3,
                )


# The admin tests (tests/test_admin*.py, tests/admin_urls.py).


@pytest.fixture
def admin_urls(settings):
    """The admin site of tests/admin_urls.py at /admin/."""
    settings.ROOT_URLCONF = "tests.admin_urls"


@pytest.fixture
def admin(client, admin_urls):
    """A client logged in as a superuser, on tests/admin_urls.py."""
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def customer():
    from tests.shop.models import Customer

    return Customer.objects.create(name="Ada")
