"""Writable weak keys: a bad key is a 400 on the key field, never a 500."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def ada():
    return Customer.objects.create(name="Ada")


def test_create_with_existing_key(client, ada):
    response = client.post("/orders/", {"customer_id": ada.pk, "total": 5})
    assert response.status_code == 201, response.content
    assert response.json()["customer_id"] == ada.pk
    assert Order.objects.get().customer_id == ada.pk


def test_create_with_include_renders_included(client, ada):
    response = client.post("/orders/?include=customer", {"customer_id": ada.pk, "total": 5})
    assert response.status_code == 201
    assert response.json()["customer"]["name"] == "Ada"


def test_key_given_as_string_is_converted(client, ada):
    response = client.post("/orders/", {"customer_id": str(ada.pk), "total": 5})
    assert response.status_code == 201
    assert response.json()["customer_id"] == ada.pk


def test_missing_target_is_400_on_the_key(client, ada):
    response = client.post("/orders/", {"customer_id": 99999, "total": 5})
    assert response.status_code == 400
    assert response.json() == {"customer_id": ["customer instance with id 99999 does not exist."]}
    assert Order.objects.count() == 0


@pytest.mark.parametrize(
    "value, message",
    [
        ("abc", "“abc” value must be an integer."),
        (True, "Incorrect type. Expected pk value, received bool."),
        ([1], "Incorrect type. Expected pk value, received list."),
        ({"id": 1}, "Incorrect type. Expected pk value, received dict."),
        (1.5, "Incorrect type. Expected pk value, received float."),
        (None, "This field may not be null."),
        (2**70, "Ensure this value is less than or equal to 9223372036854775807."),
        ("1\x00", "Null characters are not allowed."),
    ],
)
def test_malformed_key_is_400(client, ada, value, message):
    response = client.post("/orders/", {"customer_id": value, "total": 5})
    assert response.status_code == 400
    assert response.json() == {"customer_id": [message]}
    assert Order.objects.count() == 0


def test_required_key(client):
    response = client.post("/orders/", {"total": 5})
    assert response.status_code == 400
    assert response.json() == {"customer_id": ["This field is required."]}


def test_nullable_key_accepts_null(client):
    response = client.post("/customers/", {"name": "Bob", "region_id": None})
    assert response.status_code == 201
    assert response.json()["region_id"] is None
    north = Region.objects.create(name="North")
    response = client.patch(f"/customers/{response.json()['id']}/", {"region_id": north.pk})
    assert response.status_code == 200
    assert Customer.objects.get(name="Bob").region_id == north.pk


def test_update_to_missing_key_is_400(client, ada):
    order = Order.objects.create(customer=ada, total=1)
    response = client.patch(f"/orders/{order.pk}/", {"customer_id": 4242})
    assert response.status_code == 400
    assert response.json() == {"customer_id": ["customer instance with id 4242 does not exist."]}
    order.refresh_from_db()
    assert order.customer_id == ada.pk


def test_one_to_one_key_is_unique(client, ada):
    Profile.objects.create(customer=ada)
    response = client.post("/profiles/", {"customer_id": ada.pk, "bio": "x"})
    assert response.status_code == 400
    assert response.json() == {"customer_id": ["profile with this customer already exists."]}
    assert Profile.objects.count() == 1


def test_key_validated_in_target_database(client, ada):
    # A product key that exists nowhere but is a valid id on OrderLine's database.
    order = Order.objects.create(customer=ada)
    line = OrderLine.objects.create(order=order, product=Product.objects.create(sku="a"))
    response = client.post("/lines/", {"order": order.pk, "product_id": line.pk + 1000})
    assert response.status_code == 400
    assert list(response.json()) == ["product_id"]


def post_json(client, url, body):
    # json.dumps, not the test client's strict encoder: NaN and Infinity get through.
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=json_values)
def test_any_json_key_is_2xx_or_4xx(client, ada, value):
    before = Order.objects.count()
    response = post_json(client, "/orders/", {"customer_id": value, "total": 1})
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()
        assert Order.objects.count() == before
    else:
        assert response.json()["customer_id"] == ada.pk


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=st.dictionaries(st.sampled_from(["customer_id", "total", "id"]), json_values))
def test_any_json_body_is_2xx_or_4xx(client, ada, body):
    before = Order.objects.count()
    response = post_json(client, "/orders/", body)
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()
        assert Order.objects.count() == before


@pytest.mark.django_db(databases="__all__")
def test_target_deleted_after_validation_is_still_a_validation_error():
    from rest_framework.exceptions import ValidationError

    from tests.api.serializers import OrderSerializer

    customer = Customer.objects.create(name="gone soon")
    serializer = OrderSerializer(data={"customer_id": customer.pk, "total": 1})
    assert serializer.is_valid(), serializer.errors
    Customer.objects.filter(pk=customer.pk).delete()
    with pytest.raises(ValidationError) as excinfo:
        serializer.save()
    assert "customer_id" in excinfo.value.detail
    assert Order.objects.count() == 0
