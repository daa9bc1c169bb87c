"""Bad ``?include=`` values are 400s naming the path and the allowed relations."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product
from tests.test_drf_include import QueryCounter

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def order():
    ada = Customer.objects.create(name="Ada")
    return Order.objects.create(customer=ada, total=3)


@pytest.mark.parametrize(
    "value, message",
    [
        ("foo", "Unknown relation 'foo' on Order; allowed: customer, lines."),
        (
            "customer,foo",
            "Unknown relation 'foo' on Order; allowed: customer, lines.",
        ),
        (
            "lines.foo",
            "Unknown relation 'foo' in 'lines.foo' on OrderLine; allowed: product.",
        ),
        (
            "customer.orders.bar",
            "Unknown relation 'bar' in 'customer.orders.bar' on Order; allowed: customer, lines.",
        ),
        ("customer,,", "Empty relation name in 'customer,,'; allowed: customer, lines."),
        ("customer,", "Empty relation name in 'customer,'; allowed: customer, lines."),
        ("lines..product", "Empty relation name in 'lines..product'; allowed: product."),
        (".customer", "Empty relation name in '.customer'; allowed: customer, lines."),
        (
            "customer.orders.customer.orders",
            "Include path 'customer.orders.customer.orders' is deeper than 3 levels.",
        ),
        (
            "lines.product.lines.product",
            "Include path 'lines.product.lines.product' is deeper than 3 levels.",
        ),
    ],
)
@pytest.mark.parametrize("url", ["/orders/", "detail"])
def test_bad_include_is_400(client, order, value, message, url):
    url = f"/orders/{order.pk}/" if url == "detail" else url
    response = client.get(url, {"include": value})
    assert response.status_code == 400
    assert response.json() == {"include": [message]}


def test_every_bad_path_is_reported(client, order):
    response = client.get("/orders/?include=foo,lines.bar,customer&include=foo")
    assert response.status_code == 400
    assert response.json()["include"] == [
        "Unknown relation 'foo' on Order; allowed: customer, lines.",
        "Unknown relation 'bar' in 'lines.bar' on OrderLine; allowed: product.",
    ]


def test_empty_parameter_includes_nothing(client, order):
    response = client.get("/orders/?include=")
    assert response.status_code == 200
    assert "customer" not in response.json()["results"][0]


def test_whitespace_around_names_is_ignored(client, order):
    response = client.get("/orders/", {"include": " customer , lines "})
    assert response.status_code == 200
    assert response.json()["results"][0]["customer"]["name"] == "Ada"


def test_relation_not_in_meta_includes_is_refused(client):
    # Product's lines are a real relation, but ProductSerializer only declares "lines";
    # OrderLineSerializer does not declare "order", so it cannot be reached.
    response = client.get("/products/?include=lines.order")
    assert response.status_code == 400
    assert response.json() == {
        "include": ["Unknown relation 'order' in 'lines.order' on OrderLine; allowed: product."]
    }


@override_settings(WEAKREL={"MAX_INCLUDE_DEPTH": 1})
def test_depth_setting(client, order):
    response = client.get("/orders/?include=lines.product")
    assert response.status_code == 400
    assert response.json() == {"include": ["Include path 'lines.product' is deeper than 1 levels."]}
    assert client.get("/orders/?include=lines").status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "customer," * 1000,  # 1,000 comma-separated paths
        "x" * 10_000,  # a 10,000-character include
        ",".join(["customer"] * 10_000),  # a 10,000-item include
        "c" * 1_000_000,  # a 1 MB query string
    ],
)
def test_oversized_include_refused_before_any_query(client, order, value):
    with QueryCounter() as queries:
        response = client.get("/orders/", {"include": value})
    assert response.status_code == 400
    assert "include" in response.json()
    assert queries.total == 0


@override_settings(WEAKREL={"MAX_INCLUDE_PATHS": 2})
def test_paths_setting(client, order):
    response = client.get("/orders/?include=customer,lines,lines.product")
    assert response.status_code == 400
    assert response.json() == {"include": ["Ensure at most 2 relations are included (got 3)."]}


@override_settings(WEAKREL={"MAX_INCLUDE_LENGTH": 10})
def test_length_setting_counts_repeated_parameters(client, order):
    response = client.get("/orders/?include=customer&include=lines")
    assert response.status_code == 400
    assert response.json() == {
        "include": ["Ensure this value has at most 10 characters (it has 14)."]
    }


def test_too_many_parameters_is_400_not_500(client, order):
    response = client.get("/orders/?" + "&".join(["include=customer"] * 1500))
    assert response.status_code == 400


def test_bad_include_on_write_changes_nothing(client, order):
    response = client.post("/orders/?include=nope", {"customer_id": order.customer_id, "total": 1})
    assert response.status_code == 400
    assert Order.objects.count() == 1


# -- security: included rows go through get_include_queryset -------------------------


def test_scoped_rows_never_embedded(client):
    hidden = Customer.objects.create(name="Hidden Corp")
    seen = Customer.objects.create(name="Seen")
    public = Product.objects.create(name="Pen", sku="pen")
    secret = Product.objects.create(name="Plans", sku="secret-1")
    o1 = Order.objects.create(customer=hidden, total=1)
    o2 = Order.objects.create(customer=seen, total=2)
    OrderLine.objects.create(order=o1, product=secret)
    OrderLine.objects.create(order=o1, product=public)
    response = client.get("/scoped-orders/?include=customer,lines.product")
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["id"] == o1.pk
    assert first["customer"] is None
    assert first["customer_id"] == hidden.pk  # the key is the order's own column
    assert [line["product"] for line in first["lines"]] == [
        None,
        {"id": public.pk, "name": "Pen", "sku": "pen"},
    ]
    assert second["id"] == o2.pk
    assert second["customer"]["name"] == "Seen"
    assert "Hidden" not in response.content.decode()
    assert "Plans" not in response.content.decode()
    detail = client.get(f"/scoped-orders/{o1.pk}/?include=customer")
    assert detail.json()["customer"] is None
