"""Weak relations and model inheritance, in both declaration orders.

``Restaurant`` (multi-table child) and ``PlaceProxy`` are declared before the weak
keys to ``Place``; ``Landmark`` and ``PlaceAlias`` after them. Django cascades and
protects through every one of these shapes; so must weakrel, across databases.
"""

from datetime import datetime, timezone

import pytest
from django.apps import apps
from django.core import checks
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.state import ModelState, ProjectState
from django.db.models import ProtectedError

from tests.clinic.models import Appointment, Locum, Patient, Surgeon
from tests.shop.models import (
    Landmark,
    Listing,
    Permit,
    Place,
    PlaceAlias,
    PlaceProxy,
    Restaurant,
    Review,
)

# Django 6.1's system checks open every database (JSONField asks the backend whether
# it supports JSON), so the tests that run all of them may use the databases.
RUNS_ALL_CHECKS = pytest.mark.django_db(databases="__all__")

AT = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
CHILDREN = [Restaurant, Landmark]
PROXIES = [PlaceProxy, PlaceAlias]
SUBCLASSES = CHILDREN + PROXIES


@RUNS_ALL_CHECKS
def test_subclasses_of_a_weak_target_pass_the_checks():
    errors = [e for e in checks.run_checks() if e.level >= checks.ERROR]
    assert errors == []


@pytest.mark.parametrize("model", [Place, *SUBCLASSES])
def test_migrations_leave_the_reverse_sides_out(model):
    state = ModelState.from_model(model)
    assert not {"reviews", "permits", "listings"} & set(state.fields)
    changes = MigrationAutodetector(ProjectState(), ProjectState.from_apps(apps))._detect_changes()
    created = {
        op.name.lower(): dict(op.fields)
        for migration in changes["shop"]
        for op in migration.operations
        if op.__class__.__name__ == "CreateModel"
    }
    assert "reviews" not in created.get(model._meta.model_name, {})


def _place(model, **kwargs):
    place = model.objects.create(name="p", **kwargs)
    Review.objects.create(place_id=place.pk)
    Review.objects.create(place_id=place.pk)
    Listing.objects.create(place_id=place.pk)
    return place


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("model", SUBCLASSES, ids=lambda m: m.__name__)
@pytest.mark.parametrize("how", ["instance", "queryset"])
def test_deleting_through_a_subclass_cascades(model, how):
    place = _place(model)
    other = _place(Place)
    if how == "instance":
        model.objects.get(pk=place.pk).delete()
    else:
        model.objects.filter(pk=place.pk).delete()
    assert not Place.objects.filter(pk=place.pk).exists()
    assert not Review.objects.filter(place_id=place.pk).exists()
    assert not Listing.objects.filter(place_id=place.pk).exists()
    assert Review.objects.filter(place_id=other.pk).count() == 2


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("model", SUBCLASSES, ids=lambda m: m.__name__)
def test_deleting_through_a_subclass_is_protected(model):
    place = _place(model)
    permit = Permit.objects.create(place_id=place.pk)
    with pytest.raises(ProtectedError) as caught:
        model.objects.get(pk=place.pk).delete()
    assert caught.value.protected_objects == {permit}
    assert Place.objects.filter(pk=place.pk).exists()
    assert Review.objects.filter(place_id=place.pk).count() == 2


@pytest.mark.django_db(databases="__all__")
def test_a_key_to_a_proxy_is_followed_from_the_concrete_model():
    place = _place(Place)
    listing = Listing.objects.get(place_id=place.pk)
    assert listing.place == PlaceProxy.objects.get(pk=place.pk)
    assert isinstance(listing.place, PlaceProxy)
    assert list(PlaceProxy.objects.get(pk=place.pk).listings.all()) == [listing]
    Place.objects.get(pk=place.pk).delete()
    assert not Listing.objects.filter(pk=listing.pk).exists()


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("model", SUBCLASSES, ids=lambda m: m.__name__)
def test_subclasses_reach_their_parents_reverse_relations(model):
    place = _place(model)
    _place(Place)
    Review.objects.filter(place_id=place.pk).update(stars=5)
    assert list(model.objects.filter(reviews__stars=5)) == [model.objects.get(pk=place.pk)]
    assert model.objects.filter(reviews__isnull=True).count() == 0
    loaded = model.objects.prefetch_related("reviews").get(pk=place.pk)
    assert [r.stars for r in loaded.reviews.all()] == [5, 5]


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("model", [Surgeon, Locum], ids=lambda m: m.__name__)
def test_subclasses_of_a_many_to_many_source(model):
    doctor = model.objects.create(name="Ann")
    bo = Patient.objects.create(name="Bo")
    doctor.patients.add(bo, through_defaults={"at": AT})
    assert list(model.objects.get(pk=doctor.pk).patients.all()) == [bo]
    assert [p.pk for p in bo.physicians.all()] == [doctor.pk]
    assert list(model.objects.filter(patients__name="Bo")) == [doctor]
    model.objects.get(pk=doctor.pk).delete()
    assert not Appointment.objects.filter(patient_id=bo.pk).exists()


@RUNS_ALL_CHECKS
def test_proxies_of_a_model_with_a_weak_key_render_in_migration_states():
    from tests.shop.models import OrderProxyProxy

    state_apps = ProjectState.from_apps(apps).apps  # renders every model, proxies too
    rendered = state_apps.get_model("shop", "OrderProxyProxy")
    assert rendered._meta.proxy
    assert not OrderProxyProxy._meta.local_fields
    assert [e for e in checks.run_checks() if e.level >= checks.ERROR] == []


@pytest.mark.django_db(databases="__all__")
def test_refresh_from_db_through_a_proxy_forgets_the_cached_target():
    from tests.shop.models import Customer, Order, OrderProxyProxy

    ada = Customer.objects.create(name="Ada")
    order = OrderProxyProxy.objects.get(pk=Order.objects.create(customer=ada).pk)
    assert order.customer.name == "Ada"
    Customer.objects.filter(pk=ada.pk).update(name="Ada L.")
    order.refresh_from_db()
    assert order.customer.name == "Ada L."
