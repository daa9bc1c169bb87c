"""Bulk writes: unchecked by default like Django's, checked with WeakManager."""

import pytest
from django.core.exceptions import ValidationError

import weakrel
from tests.shop.models import Coupon, Customer, Order

pytestmark = pytest.mark.django_db(databases="__all__")


def test_plain_bulk_create_is_not_checked():
    Order.objects.bulk_create([Order(customer_id=8888)])
    assert Order.objects.filter(customer_id=8888).exists()


def test_weak_manager_checks_bulk_create_in_one_query(django_assert_num_queries):
    ada = Customer.objects.create(name="Ada")
    coupons = [Coupon(customer_id=ada.pk, code=str(i)) for i in range(50)]
    with django_assert_num_queries(1, using="default"):
        Coupon.objects.bulk_create(coupons)
    assert Coupon.objects.count() == 50


def test_weak_manager_refuses_a_dangling_key_and_writes_nothing():
    ada = Customer.objects.create(name="Ada")
    batch = [Coupon(customer_id=ada.pk), Coupon(customer_id=7777)]
    with pytest.raises(weakrel.DanglingReferenceError, match="7777"):
        Coupon.objects.bulk_create(batch)
    assert Coupon.objects.count() == 0


def test_weak_manager_checks_bulk_update():
    ada = Customer.objects.create(name="Ada")
    coupon = Coupon.objects.create(customer=ada)
    coupon.customer_id = 6666
    with pytest.raises(weakrel.DanglingReferenceError):
        Coupon.objects.bulk_update([coupon], ["customer"])
    assert Coupon.objects.get().customer_id == ada.pk


def test_weak_manager_checks_update(django_assert_num_queries):
    ada = Customer.objects.create(name="Ada")
    bob = Customer.objects.create(name="Bob")
    Coupon.objects.create(customer=ada)
    with pytest.raises(weakrel.DanglingReferenceError):
        Coupon.objects.update(customer_id=5555)
    with pytest.raises(ValidationError):
        Coupon.objects.update(customer_id="abc")
    assert Coupon.objects.get().customer_id == ada.pk
    with django_assert_num_queries(1, using="default"):
        Coupon.objects.update(customer=bob)
    assert Coupon.objects.get().customer_id == bob.pk
    Coupon.objects.filter(customer=bob).update(code="x")
    assert Coupon.objects.get().code == "x"
