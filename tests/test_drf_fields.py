"""WeakKeyField / WeakKeyListField used directly."""

import pytest
from rest_framework import serializers

from tests.shop.models import Customer, KeyHolder, Order, Product
from weakrel.rest_framework import WeakKeyField, WeakKeyListField

pytestmark = pytest.mark.django_db(databases="__all__")


class CustomersSerializer(serializers.Serializer):
    customer_ids = WeakKeyListField(Order._meta.get_field("customer"))


def test_key_list_checked_in_one_query(django_assert_num_queries):
    a, b = Customer.objects.create(name="a"), Customer.objects.create(name="b")
    serializer = CustomersSerializer(data={"customer_ids": [a.pk, str(b.pk), a.pk]})
    with django_assert_num_queries(1, using="default"):
        assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["customer_ids"] == [a.pk, b.pk, a.pk]

    serializer = CustomersSerializer(data={"customer_ids": [a.pk, 777, 778]})
    assert not serializer.is_valid()
    assert serializer.errors == {
        "customer_ids": ["customer instances with id 777, 778 do not exist."]
    }
    serializer = CustomersSerializer(data={"customer_ids": [a.pk, "x", None]})
    assert not serializer.is_valid()
    assert serializer.errors == {
        "customer_ids": {1: ["“x” value must be an integer."], 2: ["This field may not be null."]}
    }
    assert not CustomersSerializer(data={"customer_ids": "1"}).is_valid()


def test_to_field_key():
    class HolderSerializer(serializers.Serializer):
        product = WeakKeyField(KeyHolder._meta.get_field("product"))

    Product.objects.create(sku="SKU-1")
    assert HolderSerializer(data={"product": "SKU-1"}).is_valid()
    serializer = HolderSerializer(data={"product": "SKU-2"})
    assert not serializer.is_valid()
    assert serializer.errors == {"product": ["product instance with sku 'SKU-2' does not exist."]}
    assert not HolderSerializer(data={"product": "x" * 21}).is_valid()


def test_uuid_key():
    import uuid

    from tests.shop.models import UUIDTarget

    class HolderSerializer(serializers.Serializer):
        uuid_target_id = WeakKeyField(KeyHolder._meta.get_field("uuid_target"))

    target = UUIDTarget.objects.create()
    serializer = HolderSerializer(data={"uuid_target_id": str(target.pk)})
    assert serializer.is_valid()
    assert serializer.validated_data["uuid_target_id"] == target.pk
    assert not HolderSerializer(data={"uuid_target_id": "not-a-uuid"}).is_valid()
    assert not HolderSerializer(data={"uuid_target_id": str(uuid.uuid4())}).is_valid()
    rendered = WeakKeyField(KeyHolder._meta.get_field("uuid_target")).to_representation(target.pk)
    assert rendered == str(target.pk)
