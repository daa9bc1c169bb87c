"""Hostile ``?include=`` values: any string is a 2xx or a 4xx with a message."""

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product

pytestmark = pytest.mark.django_db(databases="__all__")

fuzz = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Strings built from the grammar's own pieces reach deep into the parser.
pieces = st.sampled_from(
    ["customer", "lines", "product", "orders", "profile", "region", ".", ",", " ", "", "x"]
)
grammar_strings = st.lists(pieces, max_size=40).map("".join)
any_strings = st.text(max_size=3000) | grammar_strings


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def order():
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada, total=1)
    OrderLine.objects.create(order=order, product=Product.objects.create(sku="p"))
    return order


def check(response):
    assert response.status_code < 500
    if response.status_code >= 400:
        body = response.json()
        assert body and all(body.values())


@fuzz
@given(value=any_strings)
def test_list_any_include(client, order, value):
    check(client.get("/orders/", {"include": value}))


@fuzz
@given(value=any_strings)
def test_retrieve_any_include(client, order, value):
    check(client.get(f"/customers/{order.customer_id}/", {"include": value}))


@fuzz
@given(values=st.lists(any_strings, max_size=5))
def test_repeated_any_include(client, order, values):
    check(client.get("/orders/", {"include": values}))


@fuzz
@given(value=any_strings)
def test_writes_with_any_include_change_nothing_on_4xx(client, order, value):
    before = sorted(Order.objects.values_list("id", "customer_id", "total"))
    response = client.patch(f"/orders/{order.pk}/?{urlencode({'include': value})}", {"total": 7})
    check(response)
    if response.status_code >= 400:
        assert sorted(Order.objects.values_list("id", "customer_id", "total")) == before
    else:
        assert Order.objects.get(pk=order.pk).total == 7
        Order.objects.filter(pk=order.pk).update(total=1)
