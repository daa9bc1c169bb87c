"""What does crossing databases cost? Prints query counts, median milliseconds and ratios.

    python benchmarks/run.py                    # SQLite files, N = 100, 1,000, 10,000
    python benchmarks/run.py --pair postgres-mariadb
    python benchmarks/run.py --sizes 100 1000 --runs 7

Cases for "prefetch" (N customers x 5 orders x 3 lines):
  (a) weakrel: customers in one database, orders and lines in another, weak keys
  (b) native: the same rows in one database with ForeignKey and prefetch_related()
  (c) naive: weakrel models read in a loop (N+1 queries)
  (d) floor: the same three SELECTs through a raw cursor, fetchall(), no model instances
"DRF": GET /orders/?include=customer,lines.product with weakrel.rest_framework, versus the
best hand-written endpoint (nested serializers, select_related/prefetch_related in one
database) and the same nested serializers without prefetching (N+1).
"cascade": deleting N customers with their orders and lines, weakrel across databases
versus Django's own cascade in one database (benchmarks/cascade.py).
"filter": Order.objects.filter(customer__name__startswith=...) through a weak key versus a
native join in one database.
"polymorphic": prefetching a WeakGenericForeignKey over 2 target types versus a plain
WeakForeignKey (benchmarks/polymorphic.py).
"scopes": ?include=orders&orders.limit=3 versus ?include=orders, and ?fields=id versus the
full representation, one DRF page (benchmarks/scopes.py).

Not a test: figures vary with the machine. docs/performance.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]


import cascade  # noqa: E402
import polymorphic  # noqa: E402
import scopes  # noqa: E402

PRODUCTS = 50


def configure(pair: str, directory: str) -> None:
    import django
    from django.conf import settings

    if pair == "sqlite":
        databases = {
            alias: {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{directory}/{alias}.db"}
            for alias in ("default", "orders", "native")
        }
    else:
        pg = {"ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1", "USER": "postgres"}
        maria = {
            "ENGINE": "django.db.backends.mysql",
            "HOST": "127.0.0.1",
            "USER": "root",
            "OPTIONS": {"charset": "utf8mb4"},
        }
        databases = {
            "default": {**pg, "NAME": "weakrel_bench_default"},
            "orders": {**maria, "NAME": "weakrel_bench_orders"},
            "native": {**pg, "NAME": "weakrel_bench_native"},
        }
    settings.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "weakrel",
            "benchapp",
        ],
        REST_FRAMEWORK={"DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]},
        DATABASES=databases,
        DATABASE_ROUTERS=["benchapp.routers.BenchRouter"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
    )
    if pair != "sqlite":
        create_server_databases(databases)
    django.setup()


def create_server_databases(databases: dict) -> None:
    """Start from empty server databases on every run."""
    import MySQLdb
    import psycopg

    for settings in databases.values():
        name = settings["NAME"]
        if "postgresql" in settings["ENGINE"]:
            with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres") as conn:
                conn.autocommit = True
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
                conn.execute(f'CREATE DATABASE "{name}"')
        else:
            conn = MySQLdb.connect(host="127.0.0.1", user="root")
            cursor = conn.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            conn.close()


def create_tables() -> None:
    from django.core.management import call_command

    for alias in ("default", "orders", "native"):
        call_command("migrate", run_syncdb=True, database=alias, verbosity=0)


def seed(n_customers: int) -> None:
    from benchapp.models import (
        NCustomer,
        NLine,
        NOrder,
        NProduct,
        WCustomer,
        WLine,
        WOrder,
        WProduct,
    )

    for model in (WLine, WOrder, WCustomer, WProduct, NLine, NOrder, NCustomer, NProduct):
        model._base_manager.all()._raw_delete(model._base_manager.db)
    products = [(i + 1, f"p{i}") for i in range(PRODUCTS)]
    customers = [(i + 1, f"c{i:06d}") for i in range(n_customers)]
    orders = [(c * 5 + k + 1, c + 1, k) for c in range(n_customers) for k in range(5)]
    lines = [
        (o * 3 + k + 1, o + 1, (o * 3 + k) % PRODUCTS + 1, k + 1)
        for o in range(len(orders))
        for k in range(3)
    ]
    batch = 2000
    for product, cust, order, line in (
        (WProduct, WCustomer, WOrder, WLine),
        (NProduct, NCustomer, NOrder, NLine),
    ):
        product.objects.bulk_create([product(id=i, name=n) for i, n in products])
        cust.objects.bulk_create([cust(id=i, name=n) for i, n in customers], batch_size=batch)
        order.objects.bulk_create(
            [order(id=i, customer_id=c, total=t) for i, c, t in orders], batch_size=batch
        )
        line.objects.bulk_create(
            [line(id=i, order_id=o, product_id=p, quantity=q) for i, o, p, q in lines],
            batch_size=batch,
        )


class Counter:
    """Counts the queries each alias runs, through Django's execute wrappers."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self):
        from django.db import connections

        self._stack = ExitStack()
        for alias in connections:
            self._stack.enter_context(connections[alias].execute_wrapper(self))
        return self

    def __exit__(self, *exc):
        self._stack.close()


def measure(fn, runs: int) -> tuple[int, float]:
    """(queries of one run, median milliseconds over ``runs`` runs)."""
    with Counter() as counter:
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return counter.count, statistics.median(times)


def prefetch_weak():
    from benchapp.models import WCustomer

    total = 0
    for customer in WCustomer.objects.prefetch_related("orders__lines"):
        for order in customer.orders.all():
            for line in order.lines.all():
                total += line.quantity
    return total


def prefetch_native():
    from benchapp.models import NCustomer

    total = 0
    for customer in NCustomer.objects.prefetch_related("orders__lines"):
        for order in customer.orders.all():
            for line in order.lines.all():
                total += line.quantity
    return total


def naive_loop():
    from benchapp.models import WCustomer

    total = 0
    for customer in WCustomer.objects.all():
        for order in customer.orders.all():
            for line in order.lines.all():
                total += line.quantity
    return total


def raw_floor():
    from django.db import connections

    from weakrel.routing import chunks, key_chunk_size

    def select_in(alias, sql, keys):
        rows = []
        with connections[alias].cursor() as cursor:
            for chunk in chunks(keys, key_chunk_size(alias)):
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(sql % placeholders, chunk)
                rows.extend(cursor.fetchall())
        return rows

    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT id, name FROM benchapp_wcustomer")
        customers = cursor.fetchall()
    orders = select_in(
        "orders",
        "SELECT id, customer_id, total FROM benchapp_worder WHERE customer_id IN (%s)",
        [c[0] for c in customers],
    )
    lines = select_in(
        "orders",
        "SELECT id, order_id, quantity FROM benchapp_wline WHERE order_id IN (%s)",
        [o[0] for o in orders],
    )
    return sum(line[2] for line in lines)


def drf_list(view_name: str, page_size: int, include: str | None = None):
    """A callable that GETs one page of the orders endpoint and renders it to JSON."""
    from benchapp import api
    from rest_framework.test import APIRequestFactory

    view = getattr(api, view_name).as_view({"get": "list"})
    params = {"page_size": page_size}
    if include:
        params["include"] = include
    request = APIRequestFactory().get("/orders/", params)

    def call() -> bytes:
        response = view(request)
        response.render()
        assert response.status_code == 200, response.content[:300]
        return response.content

    return call


def filter_weak():
    from benchapp.models import WOrder

    return len(list(WOrder.objects.filter(customer__name__startswith="c0001")))


def filter_native():
    from benchapp.models import NOrder

    return len(list(NOrder.objects.filter(customer__name__startswith="c0001")))


def check_throughput(rows: int) -> tuple[float, float, int]:
    """Fill WOrder with ``rows`` rows (one in 1,000 dangling), run ``weakrel_check``.

    Returns (seconds, peak Python memory in MiB, orphans found).
    """
    import io
    import tracemalloc

    from benchapp.models import WCustomer, WOrder
    from django.core.management import call_command

    seed(1000)
    WOrder.objects.all()._raw_delete(WOrder.objects.db)
    for start in range(0, rows, 10_000):
        WOrder.objects.bulk_create(
            WOrder(id=i + 1, customer_id=(i % 1000) + 1 if i % 1000 else -i, total=0)
            for i in range(start, min(start + 10_000, rows))
        )
    assert WCustomer.objects.count() == 1000

    def scan() -> dict:
        out = io.StringIO()
        try:
            call_command(
                "weakrel_check",
                "benchapp.WOrder.customer",
                format="json",
                verbosity=0,
                stdout=out,
                stderr=io.StringIO(),
            )
        except SystemExit:
            pass  # exit status 1: orphans were found, as seeded
        return json.loads(out.getvalue())

    start = time.perf_counter()
    report = scan()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    scan()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    orphans = sum(r["orphans"] for r in report["relations"])
    return seconds, peak, orphans


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", choices=["sqlite", "postgres-mariadb"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--filter-orders", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--check-rows", type=int, nargs="+", default=[200_000])
    parser.add_argument("--page-sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--cascade-sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--comment-sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--scope-pages", type=int, nargs="+", default=[1000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive-max", type=int, default=10000, help="skip N+1 above this N")
    args = parser.parse_args()

    directory = tempfile.mkdtemp(prefix="weakrel-bench-")
    configure(args.pair, directory)
    create_tables()
    import django

    print(f"weakrel benchmarks: pair={args.pair}, runs={args.runs} (median)")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Django {django.get_version()}"
    )

    rows = []
    for n in args.sizes:
        seed(n)
        runs = args.runs if n < 10000 else max(3, args.runs // 2)
        assert prefetch_weak() == prefetch_native() == raw_floor()
        qa, ta = measure(prefetch_weak, runs)
        qb, tb = measure(prefetch_native, runs)
        qd, td = measure(raw_floor, runs)
        if n <= args.naive_max:
            qc, tc = measure(naive_loop, 1 if n >= 1000 else runs)
            naive = [qc, f"{tc:.1f}", f"{tc / ta:.1f}"]
        else:
            naive = ["-", "-", "-"]
        rows.append(
            [
                n,
                qa,
                f"{ta:.1f}",
                qb,
                f"{tb:.1f}",
                naive[0],
                naive[1],
                qd,
                f"{td:.1f}",
                f"{ta / tb:.2f}",
                f"{ta / td:.2f}",
                naive[2],
            ]
        )
    table(
        "1. prefetch_related('orders__lines'): N customers x 5 orders x 3 lines",
        [
            "N",
            "(a)q",
            "(a)ms",
            "(b)q",
            "(b)ms",
            "(c)q",
            "(c)ms",
            "(d)q",
            "(d)ms",
            "a/b",
            "a/d",
            "c/a",
        ],
        rows,
    )

    rows = []
    seed(max(args.page_sizes) // 5 + 1)
    for page_size in args.page_sizes:
        include = drf_list("IncludeOrders", page_size, "customer,lines.product")
        native = drf_list("NativeOrders", page_size)
        naive = drf_list("NaiveOrders", page_size)
        results = [json.loads(call())["results"] for call in (include, native, naive)]
        assert results[0] == results[1] == results[2]
        qa, ta = measure(include, args.runs)
        qb, tb = measure(native, args.runs)
        qc, tc = measure(naive, max(1, args.runs // 2))
        rows.append(
            [
                page_size,
                qa,
                f"{ta:.1f}",
                qb,
                f"{tb:.1f}",
                qc,
                f"{tc:.1f}",
                f"{ta / tb:.2f}",
                f"{tc / ta:.1f}",
            ]
        )
    table(
        "2. DRF list GET /orders/?include=customer,lines.product",
        [
            "page",
            "include q",
            "include ms",
            "native q",
            "native ms",
            "N+1 q",
            "N+1 ms",
            "incl/native",
            "N+1/incl",
        ],
        rows,
    )

    rows = []
    for n_orders in args.filter_orders:
        seed(n_orders // 5)
        assert filter_weak() == filter_native()
        qa, ta = measure(filter_weak, args.runs)
        qb, tb = measure(filter_native, args.runs)
        rows.append([n_orders, filter_weak(), qa, f"{ta:.1f}", qb, f"{tb:.1f}", f"{ta / tb:.2f}"])
    table(
        "3. Order.objects.filter(customer__name__startswith='c0001')",
        ["orders", "matched", "weak q", "weak ms", "join q", "join ms", "weak/join"],
        rows,
    )

    rows = []
    for n_rows in args.check_rows:
        seconds, peak, orphans = check_throughput(n_rows)
        rows.append([n_rows, orphans, f"{seconds:.2f}", f"{n_rows / seconds:,.0f}", f"{peak:.1f}"])
    table(
        "4. weakrel_check benchapp.WOrder.customer (one row in 1,000 dangling)",
        ["rows", "orphans", "seconds", "rows/s", "peak MiB"],
        rows,
    )

    table(
        cascade.TITLE,
        cascade.HEADER,
        cascade.cascade_rows(seed, args.cascade_sizes, args.runs, Counter),
    )

    seed(PRODUCTS)
    table(
        polymorphic.TITLE,
        polymorphic.HEADER,
        polymorphic.polymorphic_rows(args.comment_sizes, args.runs, measure),
    )
    table(
        scopes.TITLE, scopes.HEADER, scopes.scope_rows(seed, measure, args.scope_pages, args.runs)
    )


if __name__ == "__main__":
    main()
