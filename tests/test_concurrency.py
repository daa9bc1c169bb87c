"""Deleting targets while dependents are inserted, from threads with their own
connections: the orphans that can appear, and weakrel_check finding every one.

The race (docs/integrity.md): the insert checks that the customer exists (in
``default``) and then writes the order (in ``orders``); a delete that runs between
the two finds no order to cascade to. No lock spans two databases, so the order is
committed pointing at a deleted customer.
"""

import random
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections, transaction
from django.db.models.signals import pre_save

from tests.shop.models import Customer, Order
from weakrel import DanglingReferenceError, RelatedDatabaseError
from weakrel.scanner import scan

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def orphan_count() -> int:
    """Ground truth, computed without weakrel: orders whose customer is gone."""
    customers = set(Customer.objects.values_list("pk", flat=True))
    return sum(
        1 for key in Order.objects.values_list("customer_id", flat=True) if key not in customers
    )


def in_thread(target, *args):
    """Run ``target`` in a thread with its own database connections."""
    errors = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def retry_locked(action):
    """SQLite's shared in-memory test database refuses concurrent writers at once
    ("table is locked") instead of waiting; wait for it as a server would. The
    existence check on save reports it as ``RelatedDatabaseError`` naming the alias."""
    for _ in range(200):
        try:
            return action()
        except (OperationalError, RelatedDatabaseError) as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.005)
    raise AssertionError("database stayed locked")


def test_delete_between_check_and_insert_leaves_one_orphan():
    """The interleaving made deterministic: the insert passes its existence check,
    the customer is deleted, then the insert commits."""
    customer = Customer.objects.create(name="Ada")
    checked, deleted = threading.Event(), threading.Event()

    def pause_after_check(sender, instance, **kwargs):
        # Connected after weakrel's own pre_save receiver, so the check has passed.
        if sender is Order:
            checked.set()
            assert deleted.wait(10)

    pre_save.connect(pause_after_check, weak=False)
    try:
        thread, errors = in_thread(lambda: Order.objects.create(customer_id=customer.pk))
        assert checked.wait(10)
        Customer.objects.filter(pk=customer.pk).delete()  # finds no order to cascade to
        deleted.set()
        thread.join(10)
    finally:
        pre_save.disconnect(pause_after_check)
    assert not errors
    assert orphan_count() == 1
    [finding] = scan("shop.Order.customer")
    assert finding.orphans == 1 and finding.sample == [customer.pk]
    # Every orphan found is repaired: the command exits 0 (no SystemExit).
    call_command("weakrel_check", "shop.Order.customer", fix="on-delete", stdout=StringIO())
    assert orphan_count() == 0


def race(customers: list[int], *, lock: bool, seed: int) -> dict[str, int]:
    """Two threads delete ``customers`` while two others add orders to them."""
    stats = {"inserted": 0, "refused": 0, "deleted": 0}
    guard = threading.Lock()

    def count(name):
        with guard:
            stats[name] += 1

    def insert(rng):
        for _ in range(len(customers)):
            pk = rng.choice(customers)

            def create(pk=pk):
                if lock:
                    with transaction.atomic(using="default"):
                        Customer.objects.select_for_update().get(pk=pk)
                        Order.objects.create(customer_id=pk)
                else:
                    Order.objects.create(customer_id=pk)

            try:
                retry_locked(create)
                count("inserted")
            except (DanglingReferenceError, Customer.DoesNotExist):
                count("refused")

    def delete(share):
        for pk in share:

            def remove(pk=pk):
                with transaction.atomic(using="default"):
                    qs = Customer.objects.filter(pk=pk)
                    if lock:
                        qs = qs.select_for_update()
                    list(qs)
                    qs.delete()

            retry_locked(remove)
            count("deleted")

    rng = random.Random(seed)
    shuffled = customers[:]
    rng.shuffle(shuffled)
    threads = [
        in_thread(delete, shuffled[0::2]),
        in_thread(delete, shuffled[1::2]),
        in_thread(insert, random.Random(seed + 1)),
        in_thread(insert, random.Random(seed + 2)),
    ]
    for thread, errors in threads:
        thread.join(120)
        assert not thread.is_alive()
        assert not errors, errors
    return stats


@pytest.mark.parametrize("lock", [False, True], ids=["plain", "select_for_update"])
def test_concurrent_deletes_and_inserts(lock):
    customers = [
        c.pk for c in Customer.objects.bulk_create(Customer(name=str(i)) for i in range(60))
    ]
    Order.objects.bulk_create(Order(customer_id=pk) for pk in customers[:20])
    stats = race(customers, lock=lock, seed=7)
    expected = orphan_count()
    pair = f"{connections['default'].vendor}/{connections['orders'].vendor}"
    print(f"\n{pair} lock={lock} {stats} orphans={expected}")
    assert stats["deleted"] == len(customers)
    assert Customer.objects.count() == 0
    [finding] = scan("shop.Order.customer")
    # weakrel_check finds exactly the orphans the race left, however many.
    assert finding.orphans == expected
    assert finding.scanned == Order.objects.count()
    if lock and connections["default"].features.has_select_for_update:
        # Both sides lock the customer row: the delete waits for the insert's
        # transaction and cascades to its order, or the insert finds no customer.
        assert expected == 0
    # The repair deletes them all, so the command exits 0 (no SystemExit) either way.
    call_command("weakrel_check", "shop.Order.customer", fix="delete", stdout=StringIO())
    assert orphan_count() == 0
