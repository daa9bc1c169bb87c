"""Sparse fieldsets: ``?fields=`` and ``?omit=``, rendered and selected."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product, Region

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def shop():
    north = Region.objects.create(name="North")
    ada = Customer.objects.create(name="Ada", region=north)
    order = Order.objects.create(customer=ada, total=10)
    pen = Product.objects.create(name="Pen", sku="P1")
    OrderLine.objects.create(order=order, product=pen, quantity=2)
    return {"ada": ada, "order": order, "pen": pen, "north": north}


def get(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json()


def selects(queries, alias):
    """The SELECT lists of the queries run on ``alias``."""
    return [q["sql"].split(" FROM ")[0] for q in queries[alias].captured_queries]


def capture():
    return {alias: CaptureQueriesContext(connections[alias]) for alias in connections}


def test_fields_on_the_root(client, shop):
    contexts = capture()
    with contexts["default"]:
        body = get(client, f"/customers/{shop['ada'].pk}/?fields=id")
    assert body == {"id": shop["ada"].pk}
    (select,) = selects(contexts, "default")
    assert '"name"' not in select.replace("`", '"')
    assert '"id"' in select.replace("`", '"')


def test_fields_on_an_included_path_keep_the_link_keys_in_sql(client, shop):
    contexts = capture()
    with contexts["orders"]:
        body = get(client, f"/customers/{shop['ada'].pk}/?include=orders&fields=id,orders.total")
    assert body == {"id": shop["ada"].pk, "orders": [{"total": 10}]}
    (select,) = selects(contexts, "orders")
    select = select.replace("`", '"')
    assert '"customer_id"' in select and '"total"' in select


def test_dotted_fields_render_the_relation(client, shop):
    body = get(client, f"/orders/{shop['order'].pk}/?include=customer.region&fields=customer.name")
    assert body == {"customer": {"name": "Ada"}}
    url = f"/orders/{shop['order'].pk}/?include=customer.region&fields=customer.region.name"
    assert get(client, url) == {"customer": {"region": {"name": "North"}}}


def test_fields_leaving_out_an_include_do_not_read_it(client, shop, django_assert_num_queries):
    with django_assert_num_queries(0, using="orders"):
        body = get(client, f"/customers/{shop['ada'].pk}/?include=orders&fields=id,name")
    assert body == {"id": shop["ada"].pk, "name": "Ada"}


def test_omit(client, shop):
    omit = "total,lines.product,customer.region_id"
    url = f"/orders/{shop['order'].pk}/?include=customer,lines.product&omit={omit}"
    body = get(client, url)
    assert body == {
        "id": shop["order"].pk,
        "customer_id": shop["ada"].pk,
        "customer": {"id": shop["ada"].pk, "name": "Ada"},
        "lines": [
            {
                "id": body["lines"][0]["id"],
                "order": shop["order"].pk,
                "product_id": shop["pen"].pk,
                "quantity": 2,
            }
        ],
    }


def test_omit_an_include_does_not_read_it(client, shop, django_assert_num_queries):
    with django_assert_num_queries(0, using="third"):
        body = get(client, f"/orders/{shop['order'].pk}/?include=lines.product&omit=lines.product")
    assert "product" not in body["lines"][0]


def test_fields_with_count(client, shop):
    body = get(client, "/customers/?fields=id&count=orders")
    assert body["results"] == [{"id": shop["ada"].pk, "orders_count": 1}]


def test_list_of_many_keeps_every_link(client, shop):
    from tests.clinic.models import Patient, Physician

    ann = Physician.objects.create(name="Ann")
    ann.patients.add(
        Patient.objects.create(name="Bo"), through_defaults={"at": "2020-01-01T00:00Z"}
    )
    body = get(client, "/clinic-physicians/?include=patients&fields=patients_ids,patients.name")
    assert body["results"] == [
        {"patients_ids": [ann.patients.get().pk], "patients": [{"name": "Bo"}]}
    ]
    from tests.blog.models import Article, Tag

    tag = Tag.objects.create(name="t")
    Article.objects.create(title="a", tags=[tag.pk])
    body = get(client, "/tags/?include=articles&fields=name,articles.title")
    assert body["results"] == [{"name": "t", "articles": [{"title": "a"}]}]
    body = get(client, "/articles/?include=tags&fields=title,tags.name")
    assert body["results"] == [{"title": "a", "tags": [{"name": "t"}]}]


@pytest.mark.parametrize(
    "query, param, message",
    [
        (
            "fields=id,emial",
            "fields",
            "Unknown field 'emial' on Customer; allowed: id, name, region_id",
        ),
        ("fields=orders.total", "fields", "'orders' is not included; add include=orders"),
        ("fields=orders", "fields", "'orders' is not included; add include=orders"),
        ("include=orders&fields=orders.colour", "fields", "Unknown field 'colour' on Order"),
        ("omit=nope", "omit", "Unknown field 'nope' on Customer"),
        ("fields=id,,name", "fields", "Unknown field ''"),
    ],
)
def test_sparse_errors_are_400(client, shop, query, param, message):
    body = get(client, f"/customers/?{query}", status=400)
    assert list(body) == [param]
    assert message in body[param][0]


def test_fields_do_not_narrow_writes(client, shop):
    response = client.patch(f"/customers/{shop['ada'].pk}/?fields=id", {"name": "Ada L."})
    assert response.status_code == 200, response.content
    assert response.json() == {"id": shop["ada"].pk}
    assert Customer.objects.get().name == "Ada L."
