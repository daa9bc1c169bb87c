"""A cross-database on_delete that fails part-way leaves every database as it was;
an unreachable database is named in the error and corrupts nothing.

Failures are real: a trigger raising in the second database, a signal receiver
raising, a server session killed mid-delete, an alias pointed at a closed port.
"""

from datetime import datetime, timezone
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.db.models import TextField
from django.db.models.functions import Cast
from django.db.models.signals import post_delete, pre_delete

import weakrel
from tests.blog.models import Article, Pinboard, Tag
from tests.clinic.models import Appointment, Patient, Physician, Record
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


def test_failure_after_the_root_commit_is_finished_by_resume(shop):
    """The one window: the root database has committed, a dependent database then
    fails to commit. The dependents survive pointing at a deleted row (never the
    other way round), the journal holds the work left, and ``--resume`` does it."""
    before = counts(snapshot())

    def break_commit(**kwargs):
        fail_at_commit("orders")

    # Runs inside the root's delete: the root commits first, then COMMIT on
    # ``orders`` fails and ``third`` rolls back with it.
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
    assert after["shop.Profile"] == before["shop.Profile"]
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("weakrel_check", stdout=out, stderr=err)
    assert exit_info.value.code == 1
    assert "cascade(s) pending" in err.getvalue()
    assert "shop.order.customer in 'orders'" in err.getvalue()

    out, err = StringIO(), StringIO()
    try:
        call_command("weakrel_check", resume=True, stdout=out, stderr=err)
    except SystemExit:
        raise AssertionError(err.getvalue()) from None
    assert "pending cascade(s) finished" in out.getvalue()
    after = counts(snapshot())
    assert after["shop.Order"] == after["shop.Shipment"] == before["shop.Order"] - 2
    assert after["shop.OrderLine"] == before["shop.OrderLine"] - 2
    assert after["shop.Profile"] == before["shop.Profile"] - 1
    call_command("weakrel_check", stdout=StringIO())  # exits 0: clean again


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


def test_related_manager_reads_name_the_alias(shop):
    customer = Customer.objects.get(pk=shop[0].pk)
    before = snapshot()
    for read in (list, len, bool):
        with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError) as info:
            read(customer.orders.all())
        assert info.value.alias == "orders"
    with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError):
        customer.orders.filter(total__gt=0).count()
    with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError):
        customer.orders.exists()
    assert_unchanged(before)
    assert customer.orders.count() == Order.objects.filter(customer_id=customer.pk).count()


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


# -- PULL (ReferencesMany) and HasManyThrough deletes across databases ---------------


@pytest.fixture
def blog():
    """Tags in ``orders``; articles and a pinboard in ``default`` holding their keys."""
    python, django, sql = (Tag.objects.create(name=n) for n in ("python", "django", "sql"))
    Article.objects.create(title="a", tags=[python, django])
    Article.objects.create(title="b", tags=[django, python, sql])
    Article.objects.create(title="c", tags=[sql])
    Pinboard.objects.create(repeated=[python, sql, python])
    return python, django, sql


def blog_state():
    state = snapshot("blog")
    # The stored JSON text too, so "as before" means byte for byte, not equal lists.
    state["raw"] = list(Article.objects.order_by("pk").values_list(RawText("tags_ids"), flat=True))
    return state


class RawText(Cast):
    """A JSON column as the text the database holds."""

    def __init__(self, column):
        super().__init__(column, output_field=TextField())


def assert_blog_unchanged(before, python):
    after = blog_state()
    assert counts(after) == counts(before)
    assert after == before
    assert Tag.objects.filter(pk=python.pk).exists()


@pytest.mark.parametrize(
    "alias, table, event",
    [
        # The lists are rewritten in default, then the tag's DELETE fails in orders.
        ("orders", "blog_tag", "DELETE"),
        # The rewrite of the lists itself fails, in the second database.
        ("default", "blog_article", "UPDATE"),
        ("default", "blog_pinboard", "UPDATE"),
    ],
)
def test_pull_trigger_failure(blog, alias, table, event):
    python = blog[0]
    before = blog_state()
    assert counts(before)["blog.Article"] == 3
    with failing_trigger(alias, table, event), pytest.raises(DatabaseError, match="injected"):
        python.delete()
    assert_blog_unchanged(before, python)
    # Without the failure the same delete pulls the key from every list.
    Tag.objects.filter(pk=python.pk).delete()
    assert list(Article.objects.order_by("pk").values_list("tags_ids", flat=True)) == [
        [blog[1].pk],
        [blog[1].pk, blog[2].pk],
        [blog[2].pk],
    ]
    assert Pinboard.objects.get().repeated_ids == [blog[2].pk]


@pytest.mark.parametrize("signal", [pre_delete, post_delete])
def test_pull_signal_failure(blog, raising_receiver, signal):
    """The receivers of the tag's own delete run after the lists were rewritten."""
    python = blog[0]
    raising_receiver(signal, Tag)
    before = blog_state()
    with pytest.raises(RuntimeError, match="injected failure"):
        Tag.objects.filter(name__in=["python", "sql"]).delete()
    assert_blog_unchanged(before, python)


def test_pull_lost_connection_after_the_lists_were_rewritten(blog):
    """The ``orders`` session dies after ``default`` rewrote the lists, before the
    tag's DELETE: both roll back."""
    python = blog[0]

    def kill(**kwargs):
        kill_session("orders")

    pre_delete.connect(kill, sender=Tag, weak=False)
    before = blog_state()
    try:
        with pytest.raises(DatabaseError):
            python.delete()
    finally:
        pre_delete.disconnect(kill, sender=Tag)
        restore_session("orders")
    assert_blog_unchanged(before, python)


def test_pull_failure_after_the_root_commit_leaves_only_orphans(blog):
    """The window: ``orders`` committed the tag's delete, then ``default`` could not
    commit the rewritten lists. The lists keep the key of a deleted tag, and
    ``weakrel_check --fix=on-delete`` pulls it."""
    python, django, sql = blog
    python_pk = python.pk

    def break_commit(**kwargs):
        fail_at_commit("default")

    # Runs inside the root's delete: orders commits first, then COMMIT on default fails.
    post_delete.connect(break_commit, sender=Tag, weak=False)
    try:
        with pytest.raises(DatabaseError):
            python.delete()
    finally:
        post_delete.disconnect(break_commit, sender=Tag)
        restore_session("default")
    assert not Tag.objects.filter(pk=python_pk).exists()
    assert Article.objects.filter(tags=python_pk).count() == 2
    out = StringIO()
    # Every orphan is pulled: the command exits 0 (no SystemExit).
    call_command("weakrel_check", "blog", fix="on-delete", verbosity=0, stdout=out)
    assert "blog.Article.tags  default -> orders  scanned 3  orphans 2" in out.getvalue()
    assert list(Article.objects.order_by("pk").values_list("tags_ids", flat=True)) == [
        [django.pk],
        [django.pk, sql.pk],
        [sql.pk],
    ]
    assert Pinboard.objects.get().repeated_ids == [sql.pk]
    call_command("weakrel_check", "blog", stdout=StringIO())  # exits 0: clean again


@pytest.fixture
def clinic():
    """Physicians (default), appointments (orders), patients (third), records (default)."""
    at = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
    ann, ben = (Physician.objects.create(name=n) for n in ("Ann", "Ben"))
    bo, cy = (Patient.objects.create(name=n) for n in ("Bo", "Cy"))
    ann.patients.add(bo, cy, through_defaults={"at": at})
    ben.patients.add(cy, through_defaults={"at": at})
    Record.objects.create(patient=cy, text="x")
    return ann, ben, bo, cy


@pytest.mark.parametrize(
    "alias, table",
    [("orders", "clinic_appointment"), ("default", "clinic_record"), ("third", "clinic_patient")],
)
def test_through_delete_trigger_failure(clinic, alias, table):
    """Deleting a patient (third) cascades to its appointments (orders) and records
    (default); a failure in any of the three leaves all three as they were."""
    cy = clinic[3]
    before = snapshot("clinic")
    assert counts(before)["clinic.Appointment"] == 3
    with failing_trigger(alias, table), pytest.raises(DatabaseError, match="injected"):
        cy.delete()
    assert snapshot("clinic") == before
    Patient.objects.filter(pk=cy.pk).delete()
    after = counts(snapshot("clinic"))
    assert (after["clinic.Appointment"], after["clinic.Record"], after["clinic.Patient"]) == (
        1,
        0,
        1,
    )


def test_through_delete_signal_failure(clinic, raising_receiver):
    raising_receiver(post_delete, Appointment)
    before = snapshot("clinic")
    with pytest.raises(RuntimeError, match="injected failure"):
        Physician.objects.all().delete()
    assert snapshot("clinic") == before


def test_through_remove_failure(clinic):
    """``physician.patients.remove()`` deletes through rows only; a failing DELETE
    leaves them."""
    ann, _, bo, cy = clinic
    before = snapshot("clinic")
    with (
        failing_trigger("orders", "clinic_appointment"),
        pytest.raises(DatabaseError, match="injected"),
    ):
        ann.patients.remove(bo, cy)
    assert snapshot("clinic") == before


def test_save_check_names_the_alias(shop):
    """The existence check on save reads the target's database: when it is down the
    error names it, and nothing is written."""
    before = snapshot("shop", "blog")
    with database_down("default"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        Order.objects.create(customer_id=shop[0].pk)
    assert info.value.alias == "default"
    with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        Article.objects.create(title="x", tags_ids=[1])
    assert info.value.alias == "orders"
    assert "'orders'" in str(info.value)
    assert snapshot("shop", "blog") == before


def test_check_references_names_the_alias(shop):
    with database_down("orders"), pytest.raises(weakrel.RelatedDatabaseError) as info:
        weakrel.check_references([Article(tags_ids=[1])])
    assert info.value.alias == "orders"
