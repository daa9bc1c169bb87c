"""prefetch_related() on weak relations: one query per relation level, never per row."""

import math

import pytest
from django.db.models import Prefetch, prefetch_related_objects

from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region
from weakrel.routing import key_chunk_size

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def shop():
    products = Product.objects.bulk_create([Product(name=f"p{i}", sku=f"S{i}") for i in range(3)])
    customers = Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(5)])
    for customer in customers:
        for n in range(2):
            order = Order.objects.create(customer=customer, total=n)
            for product in products:
                OrderLine.objects.create(order=order, product=product)
    return customers


def per_alias(django_assert_num_queries, counts):
    """Nested context managers asserting the query count of each alias."""
    from contextlib import ExitStack

    stack = ExitStack()
    for alias, n in counts.items():
        stack.enter_context(django_assert_num_queries(n, using=alias))
    return stack


@pytest.mark.parametrize("n_customers", [1, 5])
def test_nested_prefetch_across_three_databases(shop, n_customers, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"default": 1, "orders": 2, "third": 1}):
        customers = list(
            Customer.objects.order_by("pk")[:n_customers].prefetch_related("orders__lines__product")
        )
        names = [
            line.product.name
            for customer in customers
            for order in customer.orders.all()
            for line in order.lines.all()
        ]
    assert len(names) == n_customers * 2 * 3
    assert set(names) == {"p0", "p1", "p2"}


def test_forward_prefetch(shop, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"orders": 1, "default": 1}):
        orders = list(Order.objects.prefetch_related("customer"))
        assert {o.customer.name for o in orders} == {f"c{i}" for i in range(5)}


def test_forward_prefetch_with_null_keys(django_assert_num_queries):
    region = Region.objects.create(name="north")
    Customer.objects.create(name="a", region=region)
    Customer.objects.create(name="b")
    with per_alias(django_assert_num_queries, {"default": 1, "third": 1}):
        customers = list(Customer.objects.order_by("name").prefetch_related("region"))
        assert [c.region for c in customers] == [region, None]


def test_prefetch_object_with_queryset_and_to_attr(shop, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"default": 1, "orders": 1}):
        customers = list(
            Customer.objects.order_by("pk").prefetch_related(
                Prefetch("orders", queryset=Order.objects.filter(total=1), to_attr="big")
            )
        )
        assert [len(c.big) for c in customers] == [1] * 5
        assert all(o.customer is c for c in customers for o in c.big)


def test_prefetch_object_filters_the_manager_cache(shop, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"default": 1, "orders": 1}):
        customers = list(
            Customer.objects.prefetch_related(
                Prefetch("orders", queryset=Order.objects.filter(total=0))
            )
        )
        assert all(c.orders.count() == 1 for c in customers)


def test_prefetch_then_nested_prefetch_on_custom_queryset(shop, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"default": 1, "orders": 2, "third": 1}):
        customers = list(
            Customer.objects.prefetch_related(
                Prefetch(
                    "orders",
                    queryset=Order.objects.prefetch_related("lines__product"),
                )
            )
        )
        assert sum(len(o.lines.all()) for c in customers for o in c.orders.all()) == 30


def test_reverse_prefetch_from_the_forward_target(shop, django_assert_num_queries):
    with per_alias(django_assert_num_queries, {"third": 1, "orders": 1}):
        products = list(Product.objects.prefetch_related("lines"))
        assert [len(p.lines.all()) for p in products] == [10, 10, 10]


def test_profile_and_orders_together(shop, django_assert_num_queries):
    Profile.objects.create(customer=shop[0], bio="x")
    with per_alias(django_assert_num_queries, {"default": 1, "orders": 1, "third": 1}):
        customers = list(Customer.objects.order_by("pk").prefetch_related("orders", "profile"))
        assert customers[0].profile.bio == "x"
        assert len(customers[1].orders.all()) == 2


def _orders_pointing_at(keys):
    return [Order(customer_id=key) for key in keys]


def test_key_lists_split_only_past_the_parameter_limit(django_assert_num_queries):
    size = key_chunk_size("default")
    real = Customer.objects.create(name="real")
    orders = _orders_pointing_at([real.pk, *range(10**6, 10**6 + size - 1)])
    with django_assert_num_queries(1, using="default"):
        prefetch_related_objects(orders, "customer")
    assert orders[0].customer == real


def test_one_hundred_thousand_keys_work(django_assert_num_queries):
    real = Customer.objects.create(name="real")
    keys = [real.pk, *range(10**6, 10**6 + 99_999)]
    orders = _orders_pointing_at(keys)
    expected = math.ceil(len(keys) / key_chunk_size("default"))
    with django_assert_num_queries(expected, using="default"):
        prefetch_related_objects(orders, "customer")
    assert orders[0].customer == real
    assert Order.customer.is_cached(orders[0])


def test_forward_prefetch_drops_the_targets_default_ordering_as_django_does():
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    from tests.clinic.models import Patient, Record  # Patient: Meta.ordering = ["name"]

    bo = Patient.objects.create(name="Bo")
    Record.objects.create(patient=bo)
    with CaptureQueriesContext(connections["third"]) as captured:
        (record,) = Record.objects.prefetch_related("patient")
    assert record.patient == bo
    (query,) = captured.captured_queries
    assert "ORDER BY" not in query["sql"]
