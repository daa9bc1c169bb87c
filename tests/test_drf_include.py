"""``?include=`` on list and retrieve: shapes, to-one/to-many, query budget."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def shop():
    north = Region.objects.create(name="North")
    ada = Customer.objects.create(name="Ada", region=north)
    bob = Customer.objects.create(name="Bob")
    pen = Product.objects.create(name="Pen", sku="P1")
    ink = Product.objects.create(name="Ink", sku="I1")
    o1 = Order.objects.create(customer=ada, total=10)
    o2 = Order.objects.create(customer=bob, total=20)
    OrderLine.objects.create(order=o1, product=pen, quantity=2)
    OrderLine.objects.create(order=o1, product=ink, quantity=1)
    Profile.objects.create(customer=ada, bio="mathematician")
    return {"ada": ada, "bob": bob, "pen": pen, "ink": ink, "o1": o1, "o2": o2, "north": north}


class QueryCounter:
    """Queries per alias during a block."""

    def __init__(self):
        self.contexts = {alias: CaptureQueriesContext(connections[alias]) for alias in connections}

    def __enter__(self):
        for ctx in self.contexts.values():
            ctx.__enter__()
        return self

    def __exit__(self, *exc):
        for ctx in self.contexts.values():
            ctx.__exit__(*exc)

    def __getitem__(self, alias):
        return len(self.contexts[alias].captured_queries)

    @property
    def total(self):
        return sum(len(ctx.captured_queries) for ctx in self.contexts.values())


def test_list_without_include_has_keys_only(client, shop):
    response = client.get("/orders/")
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first == {"id": shop["o1"].pk, "customer_id": shop["ada"].pk, "total": 10}


def test_list_with_nested_include(client, shop):
    response = client.get("/orders/?include=customer,lines.product")
    assert response.status_code == 200, response.content
    first, second = response.json()["results"]
    assert first["customer_id"] == shop["ada"].pk
    assert first["customer"] == {"id": shop["ada"].pk, "name": "Ada", "region_id": shop["north"].pk}
    assert [line["product"]["name"] for line in first["lines"]] == ["Pen", "Ink"]
    assert first["lines"][0]["quantity"] == 2
    assert "lines" not in first["lines"][0]["product"]
    assert second["customer"]["name"] == "Bob"
    assert second["lines"] == []


def test_repeated_include_parameters(client, shop):
    response = client.get("/orders/?include=customer&include=lines")
    assert response.status_code == 200
    first = response.json()["results"][0]
    assert first["customer"]["name"] == "Ada"
    assert len(first["lines"]) == 2
    assert "product" not in first["lines"][0]


def test_retrieve_with_include(client, shop):
    response = client.get(f"/orders/{shop['o1'].pk}/?include=customer.profile,customer.region")
    assert response.status_code == 200
    customer = response.json()["customer"]
    assert customer["profile"]["bio"] == "mathematician"
    assert customer["region"] == {"id": shop["north"].pk, "name": "North"}


def test_to_one_null_when_key_null(client, shop):
    response = client.get(f"/customers/{shop['bob'].pk}/?include=region,profile")
    assert response.status_code == 200
    body = response.json()
    assert body["region_id"] is None
    assert body["region"] is None
    assert body["profile"] is None


def test_reverse_to_many_and_reverse_one(client, shop):
    response = client.get("/customers/?include=orders.lines.product,profile")
    assert response.status_code == 200
    ada, bob = response.json()["results"]
    assert [o["total"] for o in ada["orders"]] == [10]
    assert {line["product"]["sku"] for line in ada["orders"][0]["lines"]} == {"P1", "I1"}
    assert ada["profile"]["customer_id"] == shop["ada"].pk
    assert bob["profile"] is None
    assert [o["total"] for o in bob["orders"]] == [20]


def test_dangling_key_renders_null(client, shop):
    Order.objects.filter(pk=shop["o2"].pk).update(customer_id=999_999)
    response = client.get(f"/orders/{shop['o2'].pk}/?include=customer")
    assert response.status_code == 200
    assert response.json()["customer"] is None
    assert response.json()["customer_id"] == 999_999


@pytest.mark.parametrize("url", ["/lo-orders/?limit=50", "/all-orders/?"])
def test_other_paginations(client, shop, url):
    response = client.get(url + "&include=customer,lines.product")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if "results" in body else body
    assert [row["customer"]["name"] for row in rows] == ["Ada", "Bob"]
    assert rows[0]["lines"][0]["product"]["name"] == "Pen"


def make_orders(n):
    customers = Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(n)])
    products = Product.objects.bulk_create([Product(name=f"p{i}", sku=f"s{i}") for i in range(n)])
    orders = Order.objects.bulk_create(
        [Order(customer_id=c.pk, total=i) for i, c in enumerate(customers)]
    )
    OrderLine.objects.bulk_create(
        [OrderLine(order_id=o.pk, product_id=p.pk) for o, p in zip(orders, products, strict=True)]
    )


@pytest.mark.parametrize("size", [1, 10, 500])
def test_query_budget_is_independent_of_page_size(client, size):
    make_orders(500)
    with QueryCounter() as queries:
        response = client.get(f"/orders/?page_size={size}&include=customer,lines.product")
    assert response.status_code == 200
    assert len(response.json()["results"]) == size
    # orders: count + page + lines; default: customers; third: products.
    assert (queries["orders"], queries["default"], queries["third"]) == (3, 1, 1)


@pytest.mark.parametrize("size", [1, 10, 500])
def test_query_budget_with_assert_num_queries(client, size, django_assert_num_queries):
    make_orders(500)
    with django_assert_num_queries(1, using="default"):
        with django_assert_num_queries(3, using="orders"):
            response = client.get(f"/orders/?page_size={size}&include=customer,lines.product")
    assert len(response.json()["results"]) == size


def test_query_budget_without_include(client):
    make_orders(20)
    with QueryCounter() as queries:
        response = client.get("/orders/?page_size=20")
    assert response.status_code == 200
    assert queries.total == 2


def test_retrieve_query_budget(client, shop):
    with QueryCounter() as queries:
        response = client.get(f"/customers/{shop['ada'].pk}/?include=orders.lines.product,profile")
    assert response.status_code == 200
    # customer, its orders, their lines, their products, its profile.
    assert (queries["default"], queries["orders"], queries["third"]) == (1, 2, 2)


def test_keys_are_chunked_only_past_the_parameter_limit(client, monkeypatch):
    from weakrel import routing

    make_orders(10)
    with QueryCounter() as queries:
        client.get("/orders/?page_size=10&include=customer")
    assert queries["default"] == 1
    # Pretend "default" binds only 3 keys per statement: 10 customers take 4 queries.
    monkeypatch.setitem(routing._limits, "default", routing.RESERVED_PARAMS + 3)
    with QueryCounter() as queries:
        response = client.get("/orders/?page_size=10&include=customer")
    assert queries["default"] == 4
    assert [o["customer"]["name"] for o in response.json()["results"]] == [
        f"c{i}" for i in range(10)
    ]


def test_serializer_alone_prefetches_per_level(shop, django_assert_num_queries):
    from tests.api.serializers import OrderSerializer
    from weakrel.rest_framework.include import parse_include

    tree = parse_include("customer,lines.product", OrderSerializer)
    orders = list(Order.objects.order_by("id"))
    with django_assert_num_queries(1, using="third"), django_assert_num_queries(1, using="default"):
        data = OrderSerializer(orders, many=True, context={"include": tree}).data
    assert data[0]["customer"]["name"] == "Ada"
    assert data[0]["lines"][0]["product"]["name"] == "Pen"
    single = OrderSerializer(orders[1], context={"include": tree}).data
    assert single["customer"]["name"] == "Bob"
