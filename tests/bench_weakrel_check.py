"""Throughput of ``weakrel_check`` on a large table (not collected by pytest).

    WEAKREL_DB=postgres-mariadb WEAKREL_DB_PREFIX=bench \\
        python -m tests.bench_weakrel_check --rows 200000

Creates throwaway test databases, fills ``shop.Order`` (in ``orders``) with
``--rows`` rows pointing at customers in ``default`` (one in 1,000 pointing at
nothing), runs the command and prints its closing line (rows per second).
"""

import argparse
import os
import time
import tracemalloc

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from django.core.management import call_command
    from django.test.utils import setup_databases, teardown_databases

    from tests.shop.models import Customer, Order

    config = setup_databases(verbosity=0, interactive=False, aliases={"default", "orders", "third"})
    try:
        customers = [c.pk for c in Customer.objects.bulk_create(Customer() for _ in range(1000))]
        started = time.monotonic()
        for start in range(0, args.rows, 10_000):
            Order.objects.bulk_create(
                Order(customer_id=customers[i % 1000] if i % 1000 else -i)
                for i in range(start, min(start + 10_000, args.rows))
            )
        print(f"filled {args.rows} rows in {time.monotonic() - started:.1f}s")
        tracemalloc.start()
        try:
            call_command(
                "weakrel_check", "shop.Order.customer", batch_size=args.batch_size, verbosity=1
            )
        except SystemExit as exc:
            print(f"exit status {exc.code}")
        _, peak = tracemalloc.get_traced_memory()
        print(f"peak Python memory during the scan: {peak / 2**20:.1f} MiB")
    finally:
        teardown_databases(config, verbosity=0)


if __name__ == "__main__":
    main()
