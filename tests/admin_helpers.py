"""Helpers of the admin tests (tests/test_admin*.py); their fixtures (``admin``,
``admin_urls``, ``customer``) are in tests/conftest.py."""

from contextlib import ExitStack

from django.db import connections
from django.test.utils import CaptureQueriesContext

NO_LINES = {"lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"}
# The customer page's inlines: its orders and its profile.
NO_ORDERS = {
    "orders-TOTAL_FORMS": "0",
    "orders-INITIAL_FORMS": "0",
    "profile-TOTAL_FORMS": "0",
    "profile-INITIAL_FORMS": "0",
}


def change_url(obj):
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def get_with_queries(client, url, **kwargs):
    """(response, {alias: [sql, ...]}) of one request."""
    with ExitStack() as stack:
        contexts = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        response = client.get(url, **kwargs)
    captured = {alias: [q["sql"] for q in c.captured_queries] for alias, c in contexts.items()}
    return response, captured
