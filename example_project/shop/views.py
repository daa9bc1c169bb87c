from contextlib import ExitStack

from django.db import connections
from django.shortcuts import render
from django.test.utils import CaptureQueriesContext

from example_project.blog.models import Article
from example_project.clinic.models import Physician
from example_project.shop.models import Customer


def home(request):
    """The demo's front page: links to the API, its schema and the admin, then the
    shop, the clinic and the blog, each read with one query per level, per database.

    The queries counted at the top are the shop's: customers (``default``) with their
    orders, lines and profile (``orders``) and each line's product (``default`` again).
    """
    captured = {}
    with ExitStack() as stack:
        for alias in connections:
            captured[alias] = stack.enter_context(CaptureQueriesContext(connections[alias]))
        customers = list(Customer.objects.prefetch_related("orders__lines__product", "profile"))
    # Physicians with their patients through the appointments; articles with their tags.
    physicians = list(Physician.objects.prefetch_related("patients"))
    articles = list(Article.objects.order_by("pk").prefetch_related("tags"))
    queries = [
        {"alias": alias, "vendor": connections[alias].vendor, "count": len(ctx.captured_queries)}
        for alias, ctx in captured.items()
    ]
    context = {
        "customers": customers,
        "physicians": physicians,
        "articles": articles,
        "queries": queries,
    }
    return render(request, "shop/home.html", context)
