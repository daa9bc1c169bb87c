"""Drives the example project (example_project/settings.py) in a process of its own:
migrates fresh SQLite files in WEAKREL_EXAMPLE_SQLITE_DIR, runs seed_demo, requests
the demo's pages with Django's test client and prints what tests/test_demo.py checks,
as JSON."""

import io
import json
import os
import re
import sys


def main() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "example_project.settings"
    os.environ["WEAKREL_DB"] = "sqlite"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # responses carry their template context
    settings.ALLOWED_HOSTS = ["testserver"]
    for alias in ("default", "orders"):
        call_command("migrate", database=alias, verbosity=0)
    out = io.StringIO()
    call_command("seed_demo", customers=6, stdout=out)
    password = re.search(r"password: (\S+)", out.getvalue()).group(1)

    from example_project.shop.models import Customer, Order, OrderLine

    client = Client()
    result = {"seed": out.getvalue()}
    home = client.get("/")
    result["home"] = {"status": home.status_code, "links": re.findall(r'href="([^"]+)"', home.text)}
    root = client.get("/api/", HTTP_ACCEPT="application/json")
    result["api_root"] = sorted(root.json())
    result["pages"] = {
        url: client.get(url).status_code
        for url in ("/api/schema/", "/api/schema/swagger-ui/", "/api/schema/redoc/")
    }
    result["login"] = client.login(username="admin", password=password)
    customer = Customer.objects.filter(orders__isnull=False).order_by("pk").first()
    order = customer.orders.order_by("pk").first()
    page = client.get(f"/admin/shop/customer/{customer.pk}/change/")
    result["customer_page"] = {
        "status": page.status_code,
        "order_rows": page.text.count('name="orders-') and page.text.count("-total"),
        "inline_prefixes": [f.formset.prefix for f in page.context["inline_admin_formsets"]],
    }
    page = client.get(f"/admin/shop/order/{order.pk}/change/")
    line = OrderLine.objects.filter(order=order).order_by("pk").first()
    result["order_page"] = {
        "status": page.status_code,
        "line_title": f"{line.quantity} x {line.product.name}",
        "has_line_title": f"{line.quantity} x {line.product.name}" in page.text,
    }
    country = customer.country
    page = client.get(f"/admin/shop/order/?customer__country={country}")
    expected = Order.objects.filter(customer__country=country).count()
    result["country_filter"] = {
        "status": page.status_code,
        "rows": page.context["cl"].result_count,
        "expected": expected,
        "customer_link": f'href="/admin/shop/customer/{customer.pk}/change/"' in page.text,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
