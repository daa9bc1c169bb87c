"""django-filter through weak relations (resolved in the target's database)."""

import pytest
from django_filters import rest_framework as filters
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product, Region
from tests.test_drf_include import QueryCounter
from weakrel.rest_framework.filters import WeakFilterSet, get_weak_model_field

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def orders():
    north = Region.objects.create(name="North")
    ada = Customer.objects.create(name="Ada", region=north)
    adam = Customer.objects.create(name="Adam")
    bob = Customer.objects.create(name="Bob")
    return [Order.objects.create(customer=c, total=t) for c, t in ((ada, 1), (adam, 2), (bob, 3))]


def totals(response):
    assert response.status_code == 200, response.content
    return [o["total"] for o in response.json()["results"]]


def test_exact_through_weak_relation(client, orders):
    with QueryCounter() as queries:
        response = client.get("/orders/?customer__name=Ada")
    assert totals(response) == [1]
    # The count and the page each resolve the customer keys afresh in default.
    assert (queries["default"], queries["orders"]) == (2, 2)


def test_icontains_through_weak_relation(client, orders):
    assert totals(client.get("/orders/?customer__name__icontains=ada")) == [1, 2]


def test_combined_with_local_filter_and_include(client, orders):
    response = client.get("/orders/?customer__name__icontains=ad&total__gte=2&include=customer")
    assert totals(response) == [2]
    assert response.json()["results"][0]["customer"]["name"] == "Adam"


def test_no_match(client, orders):
    assert totals(client.get("/orders/?customer__name=Nobody")) == []


def test_bad_filter_value_is_400(client, orders):
    response = client.get("/orders/?total=abc")
    assert response.status_code == 400
    assert "total" in response.json()


def test_plain_filterset_rejects_weak_path():
    with pytest.raises(TypeError, match="customer__name"):

        class Plain(filters.FilterSet):
            class Meta:
                model = Order
                fields = ["customer__name"]


def test_filterset_two_levels_and_reverse(orders):
    class OrderFilter(WeakFilterSet):
        class Meta:
            model = Order
            fields = {"customer__region__name": ["exact"], "customer_id": ["exact"]}

    qs = Order.objects.order_by("id")
    assert [o.total for o in OrderFilter({"customer__region__name": "North"}, qs).qs] == [1]
    ada = orders[0].customer_id
    assert [o.total for o in OrderFilter({"customer_id": ada}, qs).qs] == [1]
    assert not OrderFilter({"customer_id": "x"}, qs).is_valid()

    pen = Product.objects.create(sku="pen", name="Pen")
    OrderLine.objects.create(order=orders[2], product=pen)

    class CustomerFilter(WeakFilterSet):
        class Meta:
            model = Customer
            fields = {"orders__total": ["gte"], "orders__lines__product__sku": ["exact"]}

    cqs = Customer.objects.order_by("id")
    assert [c.name for c in CustomerFilter({"orders__total__gte": 2}, cqs).qs] == ["Adam", "Bob"]
    got = CustomerFilter({"orders__lines__product__sku": "pen"}, cqs).qs
    assert [c.name for c in got] == ["Bob"]


def test_get_weak_model_field():
    assert get_weak_model_field(Order, "customer__name") is Customer._meta.get_field("name")
    assert get_weak_model_field(Order, "customer__nope") is None
    assert get_weak_model_field(Customer, "orders__total") is Order._meta.get_field("total")
