"""Routers decide every read and write; an explicit using() wins."""

import pytest
from django.db import DatabaseError, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.blog.models import Article, Tag
from tests.routers import RecordingRouter
from tests.shop.models import Customer, Order, Profile

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def recorded():
    RecordingRouter.calls = []
    with override_settings(
        DATABASE_ROUTERS=["tests.routers.RecordingRouter", "tests.routers.ModelRouter"]
    ):
        yield RecordingRouter.calls


def asked(calls, method, label, instance):
    return any(c == (method, label, instance) for c in calls)


def test_forward_access_asks_db_for_read_with_the_instance(recorded):
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.get(pk=Order.objects.create(customer=ada).pk)
    recorded.clear()
    assert order.customer == ada
    assert asked(recorded, "read", "shop.Customer", order)


def test_save_check_asks_db_for_read_of_the_target(recorded):
    ada = Customer.objects.create(name="Ada")
    order = Order(customer_id=ada.pk)
    recorded.clear()
    order.save()
    assert asked(recorded, "read", "shop.Customer", order)
    assert asked(recorded, "write", "shop.Order", order)


def test_related_manager_routes_reads_and_writes(recorded):
    ada = Customer.objects.create(name="Ada")
    recorded.clear()
    ada.orders.create(total=1)
    assert asked(recorded, "write", "shop.Order", ada)
    recorded.clear()
    list(ada.orders.all())
    assert asked(recorded, "read", "shop.Order", ada)
    recorded.clear()
    Profile.objects.create(customer=ada)
    ada.refresh_from_db()
    recorded.clear()
    ada.profile  # noqa: B018
    assert asked(recorded, "read", "shop.Profile", ada)


def test_cascade_asks_db_for_write_of_the_dependents(recorded):
    ada = Customer.objects.create(name="Ada")
    Order.objects.create(customer=ada)
    recorded.clear()
    ada.delete()
    assert asked(recorded, "write", "shop.Order", ada)


def test_prefetch_asks_db_for_read(recorded):
    ada = Customer.objects.create(name="Ada")
    Order.objects.create(customer=ada)
    recorded.clear()
    customers = list(Customer.objects.prefetch_related("orders"))
    assert any(c[:2] == ("read", "shop.Order") and c[2] in customers for c in recorded)


def test_list_writes_lock_the_row_where_the_router_puts_it(recorded):
    """``article.tags.add()`` reads the list locked and saves it in the database the
    routers choose for writing the article (as its ``save()`` does)."""
    tag = Tag.objects.create(name="orm")
    article = Article.objects.create()
    recorded.clear()
    with CaptureQueriesContext(connections["default"]) as default:
        article.tags.add(tag)
    assert asked(recorded, "write", "blog.Article", article)
    locked = [q["sql"] for q in default.captured_queries if '"blog_article"' in q["sql"]]
    if connections["default"].features.has_select_for_update:
        assert "FOR UPDATE" in locked[0]
    else:
        assert locked[0].startswith("UPDATE")  # SQLite: the write lock, before the read
    assert Article.objects.get(pk=article.pk).tags_ids == [tag.pk]


def test_allow_migrate_puts_each_table_in_one_database():
    tables = {alias: set(connections[alias].introspection.table_names()) for alias in connections}
    assert "shop_order" in tables["orders"] and "shop_order" not in tables["default"]
    assert "shop_customer" in tables["default"] and "shop_customer" not in tables["orders"]
    assert "shop_profile" in tables["third"] and "shop_profile" not in tables["default"]


def test_explicit_using_beats_the_router():
    ada = Customer.objects.create(name="Ada")
    Order.objects.create(customer=ada)
    assert ada.orders.db_manager("orders").count() == 1
    with pytest.raises(DatabaseError):  # the table only exists in "orders"
        list(ada.orders.using("default").all())


@pytest.fixture
def orders_only():
    """Customer is read from ``default`` because no router has an opinion about it,
    as ``Customer.objects.get()`` would be: not from the order's database."""
    with override_settings(DATABASE_ROUTERS=["tests.routers.OrdersOnlyRouter"]):
        yield


def test_a_target_no_router_places_is_read_from_default(orders_only):
    ada = Customer.objects.create(name="Ada")
    assert ada._state.db == "default"
    order = Order.objects.create(customer=ada)  # no false DanglingReferenceError
    assert order._state.db == "orders"
    order = Order.objects.get(pk=order.pk)
    assert order.customer == ada
    Order.objects.create(customer_id=ada.pk)
    (loaded, _second) = Order.objects.prefetch_related("customer").order_by("pk")
    assert loaded.customer == ada
    assert [o.pk for o in ada.orders.all()] == list(
        Order.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert list(
        Order.objects.filter(customer__name="Ada").values_list("customer_id", flat=True)
    ) == [
        ada.pk,
        ada.pk,
    ]
    (prefetched,) = Customer.objects.prefetch_related("orders")
    assert len(prefetched.orders.all()) == 2
