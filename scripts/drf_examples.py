"""Print the example project's answers to the requests docs/drf.md shows.

    python scripts/drf_examples.py            # every example
    python scripts/drf_examples.py scopes     # the examples of one section

Runs the API in process (Django's test client) on fresh SQLite files seeded with
``seed_demo``, and prints each request as ``curl`` and its body as the server sends
it: docs/drf.md's outputs come from here, never from a hand.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "scopes": [
        (
            "GET",
            "/api/customers/1/?include=orders&orders.ordering=-total&orders.limit=2&fields=id,name,orders.id,orders.total",
        ),
        (
            "GET",
            "/api/customers/?page_size=3&include=orders&orders.total__gte=40&fields=name,orders.total",
        ),
        ("GET", "/api/customers/?page_size=3&count=orders&fields=name"),
        ("GET", "/api/customers/?page_size=3&count=orders&orders.total__gte=100&fields=name"),
        (
            "GET",
            "/api/orders/1/?include=customer,lines.product&fields=id,customer.name,lines.quantity,lines.product.name",
        ),
        (
            "GET",
            "/api/orders/1/?include=customer,lines&omit=created,customer.email,lines.order&count=lines",
        ),
        (
            "GET",
            "/api/physicians/?include=patients&patients.ordering=-name&patients.limit=1&count=patients&fields=name,patients.name",
        ),
    ],
    "scope-errors": [
        ("GET", "/api/customers/?include=orders&orders.limit=500"),
        ("GET", "/api/customers/?include=orders&orders.ordering=email"),
        ("GET", "/api/customers/?include=orders&orders.total__gte=lots"),
        ("GET", "/api/customers/?include=orders&orders.status=paid"),
        ("GET", "/api/customers/?orders.limit=2"),
        ("GET", "/api/customers/?count=profile"),
        ("GET", "/api/customers/?fields=id,emial"),
        ("GET", "/api/customers/?fields=id,orders.total"),
    ],
    "writes": [
        (
            "PATCH",
            "/api/orders/1/?include=customer&fields=id,customer_id,customer.name",
            '{"customer_id": 2}',
        ),
        ("PATCH", "/api/orders/1/?fields=id,customer_id", '{"customer_id": 1}'),
        ("DELETE", "/api/products/1/"),
    ],
}


def setup() -> None:
    directory = tempfile.mkdtemp(prefix="weakrel-docs-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        WEAKREL_DB="sqlite",
        WEAKREL_EXAMPLE_SQLITE_DIR=directory,
    )
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # 4xx are examples here
    for alias in ("default", "orders"):
        call_command("migrate", database=alias, verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def show(client, method: str, url: str, body: str | None = None) -> None:
    from urllib.parse import quote

    shown = quote(url, safe="/?&=,.-_")
    options = "" if method == "GET" else f" -X {method}"
    if body:
        options += f" -H 'Content-Type: application/json' -d '{body}'"
    if method == "DELETE":
        options = " -w '\\n%{http_code}\\n'" + options
    print(f"$ curl -s{options} 'http://localhost:8000{shown}'")
    response = getattr(client, method.lower())(
        url, data=body, content_type="application/json", HTTP_HOST="localhost:8000"
    )
    print(response.content.decode())
    if method == "DELETE":
        print(response.status_code)
    print()


def main(sections: list[str]) -> None:
    setup()
    from django.test import Client

    client = Client()
    for section in sections or list(EXAMPLES):
        print(f"## {section}\n")
        for method, url, *body in EXAMPLES[section]:
            show(client, method, url, *body)


if __name__ == "__main__":
    main(sys.argv[1:])
