"""Kill a process in the middle of a cascade, again and again; run by test_crashes.py.

``python -m tests.crash_driver RUNS SEED`` works on its own databases (the pair named
by WEAKREL_DB, with WEAKREL_DB_PREFIX in their names). For each run it seeds
customers with orders, lines, shipments, notes and profiles in three databases, then
forks a child that deletes some customers and calls ``os._exit`` at a randomly chosen
point of the cascade. The driver then checks the invariant (a customer that still
exists has all its dependents), runs ``weakrel_check --resume``'s work, and checks
that no orphan remains. It prints one JSON document with what it saw.
"""

import json
import os
import random
import sys
from collections import Counter

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models.signals import post_delete, pre_delete  # noqa: E402

from tests.databases import create_databases  # noqa: E402
from tests.shop.models import Customer, Note, Order, OrderLine, Product, Profile, Shipment  # noqa: E402
from weakrel import journal  # noqa: E402
from weakrel.conf import weakrel_settings  # noqa: E402
from weakrel.deletion import resume  # noqa: E402

BATCH = 2  # customers' keys per journal entry: a cascade of 3+ customers has chunks
MODELS = [Note, Shipment, Profile, OrderLine, Order, Product, Customer]
POINTS = [
    "after_root_commit",
    "pre_delete_order",
    "post_delete_order",
    "pre_delete_shipment",
    "post_delete_shipment",
    "between_chunks",
]


def kill(*args, **kwargs):
    os._exit(17)


def empty() -> None:
    for model in MODELS:
        model._base_manager.all()._raw_delete(model._base_manager.db)
    for alias in journal.journal_aliases():
        journal.pending(alias)._raw_delete(alias)


def seed(rng: random.Random) -> dict[int, dict[str, int]]:
    """A few customers with 1 to 3 orders each, written in bulk (one query per table)."""
    product = Product.objects.create(name="p", sku="P")
    customers = Customer.objects.bulk_create(
        [Customer(name=f"c{i}") for i in range(rng.randint(3, 6))]
    )
    sizes = {customer.pk: rng.randint(1, 3) for customer in customers}
    Profile.objects.bulk_create([Profile(customer_id=pk) for pk in sizes])
    Order.objects.bulk_create(
        [Order(customer_id=pk, total=t) for pk, n in sizes.items() for t in range(n)]
    )
    orders = list(Order.objects.values_list("pk", flat=True))
    OrderLine.objects.bulk_create([OrderLine(order_id=pk, product=product) for pk in orders])
    Shipment.objects.bulk_create([Shipment(order_id=pk) for pk in orders])
    Note.objects.bulk_create([Note(order_id=pk, text="n") for pk in orders])
    return {pk: {"profile": 1, "orders": n, "lines": n, "shipments": n} for pk, n in sizes.items()}


def state(pk: int) -> dict[str, int]:
    orders = list(Order.objects.filter(customer_id=pk).values_list("pk", flat=True))
    return {
        "profile": Profile.objects.filter(customer_id=pk).count(),
        "orders": len(orders),
        "lines": OrderLine.objects.filter(order_id__in=orders).count(),
        "shipments": Shipment.objects.filter(order_id__in=orders).count(),
    }


def orphans() -> dict[str, int]:
    customers = set(Customer.objects.values_list("pk", flat=True))
    orders = set(Order.objects.values_list("pk", flat=True))
    return {
        "orders": Order.objects.exclude(customer_id__in=customers).count(),
        "profiles": Profile.objects.exclude(customer_id__in=customers).count(),
        "shipments": Shipment.objects.exclude(order_id__in=orders).count(),
        "notes": Note.objects.exclude(order_id=None).exclude(order_id__in=orders).count(),
        "lines": OrderLine.objects.exclude(order_id__in=orders).count(),
    }


def arm(point: str, doomed: list[int]) -> None:
    """Connect the kill for ``point`` (in the child, which dies with it)."""
    if point == "after_root_commit":
        # The root's commit is the first one: die in its on_commit, before the others.
        post_delete.connect(
            lambda **kw: transaction.on_commit(kill, using="default"),
            sender=Customer,
            weak=False,
        )
    elif point == "between_chunks":
        first = set(sorted(doomed, key=str)[:BATCH])

        def between(instance, **kwargs):
            if instance.customer_id not in first:
                kill()

        pre_delete.connect(between, sender=Order, weak=False)
    else:
        when, _, name = point.partition("_delete_")
        signal = pre_delete if when == "pre" else post_delete
        signal.connect(kill, sender={"order": Order, "shipment": Shipment}[name], weak=False)


def child(point: str, doomed: list[int], in_atomic: bool, one_by_one: bool) -> None:
    arm(point, doomed)
    if point == "after_root_commit" and in_atomic:
        with transaction.atomic(using="default"):
            transaction.on_commit(kill, using="default")
            Customer.objects.filter(pk__in=doomed).delete()
    elif in_atomic:
        with transaction.atomic(using="default"):
            if one_by_one:
                for customer in Customer.objects.filter(pk__in=doomed):
                    customer.delete()
            else:
                Customer.objects.filter(pk__in=doomed).delete()
    else:
        Customer.objects.filter(pk__in=doomed).delete()
    os._exit(0)


def run(rng: random.Random, point: str) -> dict:
    empty()
    expected = seed(rng)
    # Between chunks needs more than one chunk of customers' keys.
    least = BATCH + 1 if point == "between_chunks" else 1
    doomed = rng.sample(sorted(expected), rng.randint(least, len(expected)))
    # Chunks exist only where the journal's entries run one by one: after the commit.
    in_atomic = point == "between_chunks" or rng.random() < 0.5
    one_by_one = rng.random() < 0.3
    connections.close_all()
    pid = os.fork()
    if pid == 0:
        try:
            child(point, doomed, in_atomic, one_by_one)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    problems = []
    for pk, counts in expected.items():
        exists = Customer.objects.filter(pk=pk).exists()
        if (exists or pk not in doomed) and state(pk) != counts:
            problems.append(f"customer {pk} exists={exists} but {state(pk)} != {counts}")
    pending = sum(journal.pending(alias).count() for alias in journal.journal_aliases())
    done, failed = resume()
    problems += [f"resume failed: {entry}: {error}" for _alias, entry, error in failed]
    left = orphans()
    if any(left.values()):
        problems.append(f"orphans after resume: {left}")
    for pk in doomed:
        if not Customer.objects.filter(pk=pk).exists() and any(state(pk).values()):
            problems.append(f"customer {pk} deleted but {state(pk)} left after resume")
    return {
        "point": point,
        "in_atomic": in_atomic,
        "killed": code == 17,
        "exit": code,
        "pending": pending,
        "resumed": len(done),
        "problems": problems,
    }


def main() -> None:
    runs, seed_value = int(sys.argv[1]), int(sys.argv[2])
    for alias in connections:
        if connections.settings[alias]["ENGINE"].endswith("sqlite3"):
            # A killed process loses nothing the OS already has: no fsync needed.
            connections.settings[alias].setdefault("OPTIONS", {})["init_command"] = (
                "PRAGMA synchronous=OFF"
            )
    settings.WEAKREL = {"CASCADE_BATCH_SIZE": BATCH}
    weakrel_settings.reload()
    create_databases()
    rng = random.Random(seed_value)
    results = [run(rng, POINTS[i % len(POINTS)]) for i in range(runs)]
    empty()
    print(
        json.dumps(
            {
                "results": results,
                "kills": Counter(r["point"] for r in results if r["killed"]),
            }
        )
    )


if __name__ == "__main__":
    main()
