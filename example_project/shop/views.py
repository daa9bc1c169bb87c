from contextlib import ExitStack

from django.db import connections
from django.shortcuts import render
from django.test.utils import CaptureQueriesContext

from example_project.shop.models import Customer


def home(request):
    """Customers (``default``) with their orders, lines and profile (``orders``) and
    each line's product (``default`` again): one query per level, per database.
    """
    captured = {}
    with ExitStack() as stack:
        for alias in connections:
            captured[alias] = stack.enter_context(CaptureQueriesContext(connections[alias]))
        customers = list(Customer.objects.prefetch_related("orders__lines__product", "profile"))
    queries = [
        {"alias": alias, "vendor": connections[alias].vendor, "count": len(ctx.captured_queries)}
        for alias, ctx in captured.items()
    ]
    return render(request, "shop/home.html", {"customers": customers, "queries": queries})
