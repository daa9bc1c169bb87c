"""A cross-database on_delete that fails part-way leaves every database as it was;
an unreachable database is named in the error and corrupts nothing.

Failures are real: a trigger raising in the second database, a signal receiver
raising, a server session killed mid-delete, an alias pointed at a closed port.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models.signals import post_delete, pre_delete

import weakrel
from tests.integrity_helpers import (
    counts,
    database_down,
    fail_at_commit,
    failing_trigger,
    kill_session,
    restore_session,
    snapshot,
)
from tests.shop.models import Customer, Note, Order, OrderLine, Product, Profile, Region, Shipment

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


@pytest.fixture
def shop():
    """Two customers with orders, notes, shipments and profiles across all three aliases."""
    region = Region.objects.create(name="North")
    product = Product.objects.create(name="p", sku="P-1")
    customers = []
    for name in ("Ada", "Bob"):
        customer = Customer.objects.create(name=name, region=region)
        Profile.objects.create(customer=customer)
        for total in (1, 2):
            order = Order.objects.create(customer=customer, total=total)
            OrderLine.objects.create(order=order, product=product)
            Note.objects.create(order=order, text="n")
            Shipment.objects.create(order=order)
        customers.append(customer)
    return customers


@pytest.fixture
def raising_receiver():
    """Connect a receiver that raises, for one test."""
    connected = []

    def connect(signal, sender):
        def receiver(**kwargs):
            raise RuntimeError(f"injected failure in {signal is pre_delete and 'pre' or 'post'}")

        signal.connect(receiver, sender=sender, weak=False)
        connected.append((signal, receiver, sender))

    yield connect
    for signal, receiver, sender in connected:
        signal.disconnect(receiver, sender=sender)


def assert_unchanged(before):
    after = snapshot()
    assert counts(after) == counts(before)
    assert after == before


@pytest.mark.parametrize(
    "alias, table",
    [("orders", "shop_order"), ("orders", "shop_orderline"), ("third", "shop_shipment")],
)
def test_cascade_trigger_failure_in_another_database(shop, alias, table):
    before = snapshot()
    assert counts(before)["shop.Order"] == 4
    with failing_trigger(alias, table), pytest.raises(DatabaseError, match="injected failure"):
        shop[0].delete()
    assert_unchanged(before)
    # With the failure gone the same delete goes through, everywhere.
    Customer.objects.get(pk=shop[0].pk).delete()
    after = counts(snapshot())
    assert after["shop.Customer"] == 1
    assert after["shop.Order"] == after["shop.Shipment"] == 2
    assert after["shop.Profile"] == 1
    assert Note.objects.filter(order__isnull=True).count() == 2


@pytest.mark.parametrize(
    "signal, sender",
    [
        (pre_delete, Shipment),
        (post_delete, Shipment),
        (post_delete, Order),
        (post_delete, Customer),  # the root's own delete, the last one to run
    ],
)
def test_cascade_signal_failure(shop, raising_receiver, signal, sender):
    raising_receiver(signal, sender)
    before = snapshot()
    with pytest.raises(RuntimeError, match="injected failure"):
        Customer.objects.filter(name="Ada").delete()
    assert_unchanged(before)


def test_set_null_failure_in_another_database(shop):
    """Deleting orders (MariaDB/SQLite ``orders``) sets notes NULL in ``default``,
    cascades to shipments in ``third``; the update fails in ``default``."""
    before = snapshot()
    with (
        failing_trigger("default", "shop_note", "UPDATE"),
        pytest.raises(DatabaseError, match="injected failure"),
    ):
        Order.objects.filter(customer_id=shop[0].pk).delete()
    assert_unchanged(before)


def test_set_null_from_a_deleted_region_fails(shop):
    before = snapshot()
    with (
        failing_trigger("default", "shop_customer", "UPDATE"),
        pytest.raises(DatabaseError, match="injected failure"),
    ):
        Region.objects.all().delete()
    assert_unchanged(before)


def test_lost_connection_in_the_second_database(shop):
    """The ``orders`` session dies just before its DELETE runs."""

    def kill(**kwargs):
        kill_session("orders")

    pre_delete.connect(kill, sender=Order, weak=False)
    before = snapshot()
    try:
        with pytest.raises(DatabaseError):
            shop[0].delete()
    finally:
        pre_delete.disconnect(kill, sender=Order)
        restore_session("orders")
    assert_unchanged(before)


def test_failure_after_the_root_commit_leaves_only_orphans(shop):
    """The one window: the root database has committed, a dependent database then
    fails to commit. The dependents survive pointing at a deleted row (never the
    other way round), and weakrel_check finds and repairs exactly those."""
    before = counts(snapshot())

    def break_commit(**kwargs):
        fail_at_commit("orders")

    # Runs inside the root's delete: the root commits first, then COMMIT on
    # ``orders`` fails.
    post_delete.connect(break_commit, sender=Customer, weak=False)
    try:
        with pytest.raises(DatabaseError):
            shop[0].delete()
    finally:
        post_delete.disconnect(break_commit, sender=Customer)
        restore_session("orders")
    after = counts(snapshot())
    assert after["shop.Customer"] == before["shop.Customer"] - 1
    assert after["shop.Order"] == before["shop.Order"]
    assert after["shop.OrderLine"] == before["shop.OrderLine"]
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("weakrel_check", "shop.Order", fix="on-delete", stdout=out)
    assert exit_info.value.code == 1
    assert "orphans 2" in out.getvalue() and "deleted: 2" in out.getvalue()
    call_command("weakrel_check", stdout=StringIO())  # exits 0: clean again
    assert counts(snapshot())["shop.Order"] == before["shop.Order"] - 2


# -- an alias that is down --------------------------------------------------------


def test_forward_read_names_the_alias(shop):
    order = Order.objects.filter(customer_id=shop[0].pk).first()
    before = snapshot()
    with database_down("default"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        order.customer  # noqa: B018
    assert info.value.alias == "default"
    assert "'default'" in str(info.value)
    assert_unchanged(before)


def test_reverse_one_read_names_the_alias(shop):
    customer = Customer.objects.get(pk=shop[0].pk)
    with database_down("third"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        customer.profile  # noqa: B018
    assert info.value.alias == "third"


@pytest.mark.parametrize(
    "model, lookup, down",
    [
        (Order, "customer", "default"),
        (Customer, "orders", "orders"),
        (Customer, "profile", "third"),
        (Order, "shipments", "third"),
    ],
)
def test_prefetch_names_the_alias(shop, model, lookup, down):
    before = snapshot()
    with database_down(down), pytest.raises(weakrel.RelatedDatabaseError) as info:
        list(model.objects.prefetch_related(lookup))
    assert info.value.alias == down
    assert f"Database {down!r}" in str(info.value)
    assert_unchanged(before)
    # Other relations of the same rows still work while one alias is down.
    if down == "third" and model is Customer:
        with database_down("third"):
            customers = list(Customer.objects.prefetch_related("orders"))
        assert sum(len(c.orders.all()) for c in customers) == 4


def test_filter_through_relation_names_the_alias(shop):
    with database_down("default"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        list(Order.objects.filter(customer__name="Ada"))
    assert info.value.alias == "default"
    with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        list(Customer.objects.filter(orders__total=1))
    assert info.value.alias == "orders"


def test_check_names_the_alias(shop):
    before = snapshot()
    with database_down("default"), pytest.raises(Exception, match="'default'") as info:
        call_command("weakrel_check", "shop.Order", fix="delete", stdout=StringIO())
    assert "shop.Order.customer" in str(info.value)
    assert_unchanged(before)
