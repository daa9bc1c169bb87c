"""One key codec for every relation: a weak key to a multi-table child.

The child's primary key is its link to the parent (a OneToOneField), so the key's
type, range and existence are those of the parent's primary key, on every backend.
"""

import pytest
from django.db import connections, models
from django.db.models import Prefetch
from rest_framework import serializers

from tests.shop.models import Booking, Place, Restaurant
from weakrel.exceptions import DanglingReferenceError
from weakrel.rest_framework import WeakKeyField

pytestmark = pytest.mark.django_db(databases="__all__")


class BookingSerializer(serializers.Serializer):
    restaurant_id = WeakKeyField(Booking._meta.get_field("restaurant"))


def test_the_key_takes_the_parent_key_type():
    field = Booking._meta.get_field("restaurant")
    assert isinstance(Restaurant._meta.pk, models.OneToOneField)
    assert field.target_key.value_field is Place._meta.pk
    assert field.get_internal_type() == "BigIntegerField"  # BigAutoField, as a plain integer
    # The range of a bigint column wherever the keys are compared.
    for alias in connections:
        assert field.target_key.column_range(alias) == (-(2**63), 2**63 - 1)


def test_drf_key_field_checks_a_key_to_a_child():
    place = Place.objects.create(name="only a place")
    restaurant = Restaurant.objects.create(name="Chez", seats=4)
    serializer = BookingSerializer(data={"restaurant_id": str(restaurant.pk)})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["restaurant_id"] == restaurant.pk

    # A place that is not a restaurant has no row in the child's table.
    serializer = BookingSerializer(data={"restaurant_id": place.pk})
    assert not serializer.is_valid()
    assert serializer.errors == {
        "restaurant_id": [f"restaurant instance with place_ptr {place.pk} does not exist."]
    }
    # Past the column's range: a 400 naming the key, not a database error.
    serializer = BookingSerializer(data={"restaurant_id": 2**64})
    assert not serializer.is_valid()
    assert "does not exist" in serializer.errors["restaurant_id"][0]


def test_save_check_and_prefetch_through_a_key_to_a_child():
    place = Place.objects.create(name="only a place")
    restaurant = Restaurant.objects.create(name="Chez", seats=4)
    with pytest.raises(DanglingReferenceError, match="no Restaurant with place_ptr="):
        Booking.objects.create(restaurant_id=place.pk)
    Booking.objects.create(restaurant_id=str(restaurant.pk))
    Booking.objects.create(restaurant=restaurant)

    bookings = list(Booking.objects.prefetch_related("restaurant"))
    assert [b.restaurant.seats for b in bookings] == [4, 4]
    assert Booking.objects.filter(restaurant__seats=4).count() == 2
    (loaded,) = Restaurant.objects.prefetch_related(
        Prefetch("bookings", queryset=Booking.objects.order_by("-pk")[:1], to_attr="last")
    )
    assert [b.pk for b in loaded.last] == [bookings[-1].pk]


def test_a_lookup_takes_the_parent_row_of_a_child_target():
    restaurant = Restaurant.objects.create(name="Chez", seats=4)
    booking = Booking.objects.create(restaurant=restaurant)
    as_place = Place.objects.get(pk=restaurant.pk)
    assert list(Booking.objects.filter(restaurant=as_place)) == [booking]
    assert list(Booking.objects.filter(restaurant__in=[as_place])) == [booking]


def test_the_related_manager_of_an_unsaved_row_refuses_even_with_a_to_field_key():
    from tests.shop.models import KeyHolder, Product

    product = Product(name="p", sku="SKU-NEW")  # its key (sku) is set, its pk is not
    assert product.holders.model is KeyHolder  # the manager exists, as Django's does
    message = "'Product' instance needs to have a primary key value before this relationship"
    with pytest.raises(ValueError, match=message):
        product.holders.all()
