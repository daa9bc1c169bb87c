"""Weak keys through Django's serializers: dumpdata and loaddata, natural keys too."""

import pytest
from django.core import serializers

from tests.shop.models import Currency, Price
from weakrel import DanglingReferenceError

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.parametrize("fmt", ["json", "python", "xml"])
def test_round_trip(fmt):
    eur = Currency.objects.create(code="EUR")
    price = Price.objects.create(currency=eur, amount=3)
    data = serializers.serialize(fmt, [price])
    Price.objects.all().delete()
    (loaded,) = serializers.deserialize(fmt, data)
    loaded.save()
    assert Price.objects.get(pk=price.pk).currency == eur


@pytest.mark.parametrize("fmt", ["json", "python"])
def test_natural_foreign_keys_are_resolved_in_the_targets_database(fmt):
    eur = Currency.objects.create(code="EUR")
    price = Price.objects.create(currency=eur, amount=3)
    data = serializers.serialize(fmt, [price], use_natural_foreign_keys=True)
    assert "EUR" in str(data)
    Price.objects.all().delete()
    # Loaded into the prices' database; the currency is looked up in its own.
    (loaded,) = serializers.deserialize(fmt, data, using="orders")
    loaded.save()
    assert Price.objects.get(pk=price.pk).currency_id == eur.pk


def test_a_natural_key_that_names_nothing_is_refused():
    data = '[{"model": "shop.price", "pk": 1, "fields": {"currency": ["XXX"], "amount": 1}}]'
    with pytest.raises(serializers.base.DeserializationError, match="XXX"):
        list(serializers.deserialize("json", data))


def test_fixtures_load_raw_as_djangos_do_and_saves_are_checked():
    data = '[{"model": "shop.price", "pk": 1, "fields": {"currency": 999, "amount": 1}}]'
    (loaded,) = serializers.deserialize("json", data)
    # Fixtures load raw, as Django's do: weakrel_check finds such keys afterwards.
    loaded.save()
    assert Price.objects.get(pk=1).currency_id == 999
    with pytest.raises(DanglingReferenceError):
        Price.objects.create(currency_id=999)


@pytest.mark.parametrize("fmt", ["json", "python", "xml"])
def test_key_lists_round_trip(fmt):
    from tests.shop.models import UUIDTarget, Wallet

    eur, usd = Currency.objects.create(code="EUR"), Currency.objects.create(code="USD")
    first, second = UUIDTarget.objects.create(), UUIDTarget.objects.create()
    wallet = Wallet.objects.create(currencies=[usd, eur], targets=[second, first])
    data = serializers.serialize(fmt, [Wallet.objects.get(pk=wallet.pk)])
    Wallet.objects.all().delete()
    (loaded,) = serializers.deserialize(fmt, data)
    loaded.save()
    wallet = Wallet.objects.get(pk=wallet.pk)
    assert wallet.currencies_ids == [usd.pk, eur.pk]
    assert wallet.targets_ids == [second.pk, first.pk]


@pytest.mark.parametrize("fmt", ["json", "python"])
def test_key_lists_with_natural_foreign_keys(fmt):
    from tests.shop.models import Wallet

    eur, usd = Currency.objects.create(code="EUR"), Currency.objects.create(code="USD")
    wallet = Wallet.objects.create(currencies=[usd, eur])
    data = serializers.serialize(fmt, [wallet], use_natural_foreign_keys=True)
    assert "USD" in str(data)
    Wallet.objects.all().delete()
    (loaded,) = serializers.deserialize(fmt, data)
    loaded.save()
    assert Wallet.objects.get(pk=wallet.pk).currencies_ids == [usd.pk, eur.pk]
