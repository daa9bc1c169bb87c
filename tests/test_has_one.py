"""HasOne: WeakOneToOneField and its reverse accessor."""

import pytest
from django.db import IntegrityError

from tests.shop.models import Customer, Profile

pytestmark = pytest.mark.django_db(databases="__all__")


def test_reverse_returns_the_one_object(django_assert_num_queries):
    ada = Customer.objects.create(name="Ada")
    profile = Profile.objects.create(customer=ada, bio="hi")
    ada = Customer.objects.get(pk=ada.pk)
    with django_assert_num_queries(1, using="third"):
        assert ada.profile == profile
        assert ada.profile.bio == "hi"
    with django_assert_num_queries(0, using="default"):
        assert ada.profile.customer is ada


def test_missing_reverse_raises_dependent_does_not_exist():
    bob = Customer.objects.create(name="Bob")
    with pytest.raises(Profile.DoesNotExist, match="Customer has no profile"):
        bob.profile  # noqa: B018
    assert not hasattr(bob, "profile")


def test_forward_side_behaves_like_belongs_to():
    ada = Customer.objects.create(name="Ada")
    profile = Profile.objects.create(customer=ada)
    assert Profile.objects.get(pk=profile.pk).customer == ada


def test_key_is_unique():
    ada = Customer.objects.create(name="Ada")
    Profile.objects.create(customer=ada)
    assert Profile._meta.get_field("customer").unique
    with pytest.raises(IntegrityError):
        Profile.objects.create(customer=ada)


def test_reverse_assignment_sets_the_cache_and_the_key():
    ada = Customer.objects.create(name="Ada")
    profile = Profile(bio="x")
    ada.profile = profile
    assert profile.customer_id == ada.pk
    assert ada.profile is profile


def test_prefetch_reverse_one_to_one(django_assert_num_queries):
    customers = [Customer.objects.create(name=f"c{i}") for i in range(4)]
    for customer in customers[:3]:
        Profile.objects.create(customer=customer, bio=customer.name)
    with django_assert_num_queries(1, using="default"):
        with django_assert_num_queries(1, using="third"):
            loaded = list(Customer.objects.order_by("pk").prefetch_related("profile"))
            assert [c.profile.bio for c in loaded[:3]] == ["c0", "c1", "c2"]
            with pytest.raises(Profile.DoesNotExist):
                loaded[3].profile  # noqa: B018


@pytest.mark.django_db(databases="__all__")
def test_reverse_one_to_one_caches_follow_django():
    ada = Customer.objects.create(name="Ada")
    profile = Profile.objects.create(customer=ada)
    assert ada._state.fields_cache["profile"] is profile  # set with the forward side
    loaded = Profile.objects.get(pk=profile.pk)
    customer = loaded.customer
    assert customer.profile is loaded  # read through the forward side: no query
    customer.profile = None  # as Django: the profile no longer points here (unsaved)
    assert loaded.customer_id is None
    assert list(Customer.objects.filter(profile=profile.pk)) == [ada]
    assert list(Customer.objects.filter(profile=None)) == []
