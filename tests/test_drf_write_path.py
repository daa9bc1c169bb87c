"""The write path: fresh includes after a write, refused deletes as 409, unique races
as 400, and the ``include`` parameters that ask for nothing."""

import threading

import pytest
from django.db import connections
from rest_framework.test import APIClient

from tests.api.serializers import ProfileSerializer
from tests.blog.models import Article, Tag
from tests.clinic.models import Patient, Physician
from tests.shop.models import A, Customer, Order, OrderLine, Product, Profile, R

AT = {"at": "2020-01-01T00:00Z"}


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def shop():
    ada, bob = Customer.objects.create(name="Ada"), Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=ada, total=10)
    Order.objects.create(customer=bob, total=20)
    return {"ada": ada, "bob": bob, "order": order}


# -- 1. the response after a write is read again -----------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_patch_renders_the_new_target(client, shop, django_assert_num_queries):
    url = f"/orders/{shop['order'].pk}/?include=customer.orders"
    with django_assert_num_queries(3, using="default"):  # the order's customer, checked
        response = client.patch(url, {"customer_id": shop["bob"].pk})  # read, and its orders'
    assert response.status_code == 200, response.content
    customer = response.json()["customer"]
    assert customer["name"] == "Bob"
    assert sorted(o["total"] for o in customer["orders"]) == [10, 20]


@pytest.mark.django_db(databases="__all__")
def test_patch_key_lists_render_the_new_rows(client):
    t1, t2 = Tag.objects.create(name="t1"), Tag.objects.create(name="t2")
    article = Article.objects.create(title="a", tags=[t1.pk])
    response = client.patch(f"/articles/{article.pk}/?include=tags", {"tags_ids": [t2.pk]})
    assert [t["name"] for t in response.json()["tags"]] == ["t2"]
    ann = Physician.objects.create(name="Ann")
    p1, p2 = Patient.objects.create(name="P1"), Patient.objects.create(name="P2")
    ann.patients.add(p1, through_defaults=AT)
    url = f"/clinic-physicians/{ann.pk}/?include=patients&count=patients"
    response = client.patch(url, {"patients_ids": [p1.pk, p2.pk]})
    assert response.status_code == 200, response.content
    assert [p["name"] for p in response.json()["patients"]] == ["P1", "P2"]
    assert response.json()["patients_count"] == 2


# -- 2. PROTECT and RESTRICT: 409, nothing deleted ----------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_protected_delete_is_409_naming_the_relation(client, shop):
    pen = Product.objects.create(name="Pen", sku="P1")
    lines = [OrderLine.objects.create(order=shop["order"], product=pen) for _ in range(12)]
    response = client.delete(f"/products/{pen.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "protected"
    assert body["relations"] == ["OrderLine.product"]
    assert body["objects"]["shop.orderline"]["count"] == 12
    assert body["objects"]["shop.orderline"]["sample"] == sorted(x.pk for x in lines)[:10]
    assert "OrderLine.product" in body["detail"]
    assert Product.objects.filter(pk=pen.pk).exists()
    assert OrderLine.objects.count() == 12


@pytest.mark.django_db(databases="__all__")
def test_restricted_delete_is_409(client):
    r = R.objects.create(name="r")
    a = A.objects.create(restrict=r)
    response = client.delete(f"/rs/{r.pk}/")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "restricted"
    assert body["relations"] == ["A.restrict"]
    assert body["objects"] == {"shop.a": {"count": 1, "sample": [a.pk]}}
    assert R.objects.filter(pk=r.pk).exists() and A.objects.filter(pk=a.pk).exists()


def test_exception_handler_covers_any_view():
    from django.db.models import ProtectedError

    from weakrel.rest_framework.exceptions import exception_handler

    exc = ProtectedError("... through protected foreign keys: 'OrderLine.product'.", set())
    response = exception_handler(exc, {})
    assert response.status_code == 409
    assert response.data["relations"] == ["OrderLine.product"]
    assert exception_handler(ValueError("x"), {}) is None


# -- 3. a unique weak key written twice at once -------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_unique_key_lost_between_validation_and_save_is_400(shop):
    data = {"customer_id": shop["ada"].pk, "bio": "x"}
    first, second = ProfileSerializer(data=data), ProfileSerializer(data=data)
    assert first.is_valid() and second.is_valid()  # both before either saves
    first.save()
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as raised:
        second.save()
    assert list(raised.value.detail) == ["customer_id"]
    assert "already exists" in str(raised.value.detail["customer_id"][0])
    assert Profile.objects.count() == 1


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_concurrent_posts_of_one_unique_key(shop):
    if connections["default"].vendor == "sqlite":
        pytest.skip("SQLite serializes writers: the race cannot happen (tested above)")
    width = 16
    barrier, statuses = threading.Barrier(width), [None] * width

    def post(i):
        try:
            barrier.wait(timeout=30)
            response = APIClient().post(
                "/profiles/", {"customer_id": shop["ada"].pk, "bio": str(i)}, format="json"
            )
            statuses[i] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(width)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201] + [400] * (width - 1)
    assert Profile.objects.count() == 1


# -- 5. include= that asks for nothing ------------------------------------------------------


@pytest.mark.django_db(databases="__all__")
def test_empty_include_parameters_do_not_count(client, shop):
    response = client.get("/orders/?" + "&".join(["include="] * 51) + "&include=customer")
    assert response.status_code == 200, response.content
    assert response.json()["results"][0]["customer"]["name"] == "Ada"
    response = client.get("/orders/?include=customer,,lines")
    assert response.status_code == 400
    assert "Empty relation name" in response.json()["include"][0]
