"""Polymorphic HasOne: WeakGenericHasOne and its discriminator column.

Consignment (orders) has one delivery: a CertifiedDelivery (third) or an
ExpressDelivery (default), as ``delivery_type`` says; each holds a WeakOneToOneField
back.
"""

import pytest
from django.db import models
from django.test.utils import isolate_apps

import weakrel
from tests.queries import count_queries
from tests.shop.models import CertifiedDelivery, Consignment, ExpressDelivery, Product

pytestmark = pytest.mark.django_db(databases="__all__")


def _consignment(kind):
    consignment = Consignment.objects.create()
    if kind == "certified":
        delivery = CertifiedDelivery(signed_by="Ann")
    elif kind == "express":
        delivery = ExpressDelivery(hours=4)
    else:
        return consignment
    consignment.delivery = delivery
    delivery.save()
    consignment.save()
    return consignment


def test_the_discriminator_picks_the_type_and_its_database():
    certified, express = _consignment("certified"), _consignment("express")
    assert (certified.delivery_type, express.delivery_type) == (
        "shop.certifieddelivery",
        "shop.expressdelivery",
    )
    fresh = Consignment.objects.get(pk=certified.pk)
    with count_queries() as counts:
        assert fresh.delivery.signed_by == "Ann"
        assert fresh.delivery.signed_by == "Ann"
    assert counts == {"default": 0, "orders": 0, "third": 1}
    fresh = Consignment.objects.get(pk=express.pk)
    with count_queries() as counts:
        assert fresh.delivery.hours == 4
    assert counts == {"default": 1, "orders": 0, "third": 0}
    assert fresh.delivery._state.db == "default"


def test_no_type_is_none_without_a_query_and_a_missing_row_raises():
    plain = _consignment(None)
    with count_queries() as counts:
        assert plain.delivery is None
    assert sum(counts.values()) == 0
    plain.delivery_type = "shop.expressdelivery"
    with pytest.raises(ExpressDelivery.DoesNotExist):
        plain.delivery  # noqa: B018


def test_a_changed_discriminator_drops_the_cached_row():
    consignment = _consignment("certified")
    assert isinstance(consignment.delivery, CertifiedDelivery)
    ExpressDelivery.objects.create(consignment=consignment)
    consignment.delivery_type = "shop.expressdelivery"
    assert isinstance(consignment.delivery, ExpressDelivery)


def test_an_unknown_type_or_model_is_refused():
    consignment = _consignment(None)
    consignment.delivery_type = "shop.product"
    with pytest.raises(ValueError, match="is not one of the models"):
        consignment.delivery  # noqa: B018
    with pytest.raises(ValueError, match="Cannot assign"):
        consignment.delivery = Product(name="x")


@pytest.mark.parametrize("n", [3, 12])
def test_prefetch_costs_one_query_per_type(n):
    kinds = ["certified", "express", None]
    made = [_consignment(kinds[i % 3]) for i in range(n)]
    with count_queries() as counts:
        fetched = list(Consignment.objects.order_by("pk").prefetch_related("delivery"))
        types = [type(c.delivery).__name__ for c in fetched]
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert types == [
        {"certified": "CertifiedDelivery", "express": "ExpressDelivery", None: "NoneType"}[
            kinds[i % 3]
        ]
        for i in range(n)
    ]
    assert [c.pk for c in fetched] == [c.pk for c in made]


def test_deleting_the_source_cascades_through_the_targets_keys():
    consignment = _consignment("certified")
    consignment.delete()
    assert CertifiedDelivery.objects.count() == 0


def test_the_test_models_are_clean():
    assert Consignment._meta.get_field("delivery").check() == []


@isolate_apps("tests.shop")
def test_misdeclarations():
    class Source(models.Model):
        kind = models.CharField(max_length=100)
        no_column = weakrel.WeakGenericHasOne(to=["shop.Back"], discriminator="nowhere")
        unknown = weakrel.WeakGenericHasOne(to=["shop.Nowhere"], discriminator="kind")
        no_key = weakrel.WeakGenericHasOne(to=["shop.Loose"], discriminator="kind")

        class Meta:
            app_label = "shop"

    class Back(models.Model):
        source = weakrel.WeakOneToOneField(Source, on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "shop"

    class Loose(models.Model):
        class Meta:
            app_label = "shop"

    found = {
        name: [e.id for e in Source._meta.get_field(name).check()]
        for name in ("no_column", "unknown", "no_key")
    }
    assert found == {
        "no_column": ["weakrel.E234"],
        "unknown": ["weakrel.E235"],
        "no_key": ["weakrel.E236"],
    }


def test_deconstruct():
    name, path, args, kwargs = Consignment._meta.get_field("delivery").deconstruct()
    assert (name, path, args) == ("delivery", "weakrel.WeakGenericHasOne", [])
    assert kwargs == {
        "to": ["shop.CertifiedDelivery", "shop.ExpressDelivery"],
        "discriminator": "delivery_type",
    }
