"""Relation endpoints: /customers/{pk}/orders/ and /physicians/{pk}/patients/."""

import pytest
from rest_framework.test import APIClient

from tests.api.models import Patient, Physician
from tests.shop.models import Customer, Order, OrderLine, Product
from tests.test_drf_include import QueryCounter

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def customers():
    ada = Customer.objects.create(name="Ada")
    bob = Customer.objects.create(name="Bob")
    pen = Product.objects.create(name="Pen", sku="P")
    for total in (1, 2, 3):
        order = Order.objects.create(customer=ada, total=total)
        OrderLine.objects.create(order=order, product=pen)
    Order.objects.create(customer=bob, total=9)
    return ada, bob


def test_list_is_scoped_to_the_parent(client, customers):
    ada, bob = customers
    response = client.get(f"/customers/{ada.pk}/orders/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [o["total"] for o in body["results"]] == [1, 2, 3]
    assert {o["customer_id"] for o in body["results"]} == {ada.pk}


def test_list_with_include_filter_and_pagination(client, customers):
    ada, _ = customers
    with QueryCounter() as queries:
        response = client.get(
            f"/customers/{ada.pk}/orders/?include=customer,lines.product&total=2&page_size=1"
        )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (order,) = body["results"]
    assert order["total"] == 2
    assert order["customer"]["name"] == "Ada"
    assert order["lines"][0]["product"]["name"] == "Pen"
    # default: parent + included customer; orders: count + page + lines; third: products.
    assert (queries["default"], queries["orders"], queries["third"]) == (2, 3, 1)


def test_create_takes_the_key_from_the_url(client, customers):
    ada, bob = customers
    response = client.post(f"/customers/{ada.pk}/orders/", {"total": 42, "customer_id": bob.pk})
    assert response.status_code == 201, response.content
    assert response.json()["customer_id"] == ada.pk
    assert Order.objects.get(total=42).customer_id == ada.pk


def test_create_with_a_bad_key_in_the_body_is_ignored(client, customers):
    ada, _ = customers
    response = client.post(f"/customers/{ada.pk}/orders/", {"total": 5, "customer_id": "abc"})
    assert response.status_code == 201
    assert response.json()["customer_id"] == ada.pk


def test_detail_is_scoped(client, customers):
    ada, bob = customers
    bobs = Order.objects.get(customer_id=bob.pk)
    assert client.get(f"/customers/{ada.pk}/orders/{bobs.pk}/").status_code == 404
    assert client.get(f"/customers/{bob.pk}/orders/{bobs.pk}/").json()["total"] == 9


def test_delete_of_a_dependent_deletes_it(client, customers):
    _, bob = customers
    bobs = Order.objects.get(customer_id=bob.pk)
    assert client.delete(f"/customers/{bob.pk}/orders/{bobs.pk}/").status_code == 204
    assert not Order.objects.filter(pk=bobs.pk).exists()


def test_link_is_not_allowed_on_one_to_many(client, customers):
    ada, _ = customers
    order = Order.objects.filter(customer_id=ada.pk).first()
    response = client.post(f"/customers/{ada.pk}/orders/{order.pk}/")
    assert response.status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("parent", ["999999", "abc"])
def test_missing_parent_is_404(client, customers, method, parent):
    response = getattr(client, method)(f"/customers/{parent}/orders/", {"total": 1})
    assert response.status_code == 404
    assert Order.objects.count() == 4


@pytest.fixture
def physicians():
    house = Physician.objects.create(name="House")
    wilson = Physician.objects.create(name="Wilson")
    p1, p2, p3 = (Patient.objects.create(name=n) for n in ("P1", "P2", "P3"))
    house.patients.add(p1, p2)
    wilson.patients.add(p3)
    return house, wilson, (p1, p2, p3)


def test_through_list_create_link_unlink(client, physicians):
    house, wilson, (p1, p2, p3) = physicians
    url = f"/physicians/{house.pk}/patients/"
    assert [p["name"] for p in client.get(url).json()] == ["P1", "P2"]

    response = client.post(url, {"name": "P4"})
    assert response.status_code == 201
    assert set(house.patients.values_list("name", flat=True)) == {"P1", "P2", "P4"}

    response = client.post(f"{url}{p3.pk}/")
    assert response.status_code == 201
    assert response.json() == {"id": p3.pk, "name": "P3"}
    assert set(p3.physicians.all()) == {house, wilson}

    response = client.delete(f"{url}{p1.pk}/")
    assert response.status_code == 204
    assert Patient.objects.filter(pk=p1.pk).exists()  # unlinked, not deleted
    assert not house.patients.filter(pk=p1.pk).exists()
    # Unlinking a row that is not linked: 404, like any row outside the relation.
    assert client.delete(f"{url}{p1.pk}/").status_code == 404


def test_through_link_missing_rows(client, physicians):
    house, _, _ = physicians
    assert client.post(f"/physicians/{house.pk}/patients/999999/").status_code == 404
    assert client.post(f"/physicians/{house.pk}/patients/abc/").status_code == 404
    assert client.post("/physicians/999999/patients/1/").status_code == 404


def test_through_include(client, physicians):
    house, _, (p1, p2, p3) = physicians
    response = client.get(f"/physicians/{house.pk}/patients/?include=physicians")
    assert response.status_code == 200
    assert [[d["name"] for d in p["physicians"]] for p in response.json()] == [
        ["House"],
        ["House"],
    ]
    response = client.get("/physicians/?include=patients.physicians")
    assert response.status_code == 200
    assert [len(p["patients"]) for p in response.json()] == [2, 1]


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize(
    "url", ["/physicians/1/patients/0.5/", "/physicians/0.5/patients/", "/orders/6.1e-05/"]
)
def test_a_key_with_a_dot_is_a_json_404(url):
    response = APIClient().get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db(databases="__all__")
def test_format_suffix_still_works():
    order = Order.objects.create(customer=Customer.objects.create(name="Ada"))
    response = APIClient().get(f"/orders/{order.pk}.json")
    assert response.status_code == 200
    assert response.json()["id"] == order.pk
