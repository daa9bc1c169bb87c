"""Section 7 of benchmarks/run.py: include scopes and sparse fieldsets over DRF.

One page of N customers (5 orders each, 3 lines per order), rendered to JSON:

* ``?include=orders&orders.limit=3`` against the unscoped ``?include=orders``: the
  limit is a window function in the same one query per level (target: at most 1.3x);
* ``?fields=id`` against the full representation of the same request, on
  ``/orders/?include=customer,lines.product`` and on plain ``/orders/`` (target: the
  sparse one at least 2x faster).
"""

from __future__ import annotations

import json
from collections.abc import Callable

TITLE = "7. include scopes and sparse fieldsets, DRF, one page"
HEADER = ["page", "request", "q", "ms", "baseline q", "baseline ms", "ratio"]


def get(view_name: str, path: str, params: dict) -> Callable[[], bytes]:
    """A callable that GETs ``path`` with ``params`` from a list view, rendered."""
    from benchapp import api
    from rest_framework.test import APIRequestFactory

    view = getattr(api, view_name).as_view({"get": "list"})
    request = APIRequestFactory().get(path, params)

    def call() -> bytes:
        response = view(request)
        response.render()
        assert response.status_code == 200, response.content[:300]
        return response.content

    return call


def scope_rows(seed, measure, page_sizes: list[int], runs: int) -> list[list]:
    rows = []
    seed(max(page_sizes))
    for page in page_sizes:
        cases = [
            (
                "customers ?include=orders&orders.limit=3",
                get(
                    "IncludeCustomers",
                    "/customers/",
                    {"page_size": page, "include": "orders", "orders.limit": 3},
                ),
                get("IncludeCustomers", "/customers/", {"page_size": page, "include": "orders"}),
            ),
            (
                "orders ?include=customer,lines.product&fields=id",
                get(
                    "IncludeOrders",
                    "/orders/",
                    {"page_size": page, "include": "customer,lines.product", "fields": "id"},
                ),
                get(
                    "IncludeOrders",
                    "/orders/",
                    {"page_size": page, "include": "customer,lines.product"},
                ),
            ),
            (
                "orders ?fields=id",
                get("IncludeOrders", "/orders/", {"page_size": page, "fields": "id"}),
                get("IncludeOrders", "/orders/", {"page_size": page}),
            ),
        ]
        for label, case, baseline in cases:
            body = json.loads(case())["results"]
            assert len(body) == page, (label, len(body))
            if "limit" in label:
                assert all(len(row["orders"]) == 3 for row in body)
            q, t = measure(case, runs)
            qb, tb = measure(baseline, runs)
            rows.append([page, label, q, f"{t:.1f}", qb, f"{tb:.1f}", f"{t / tb:.2f}"])
    return rows
