"""Django APIs that reach a relation's field or manager, on weak relations."""

import pytest
from django.db import models
from django.test.utils import isolate_apps

import weakrel
from tests.clinic.models import Appointment, Physician
from tests.shop.models import Customer, Order, Step

pytestmark = pytest.mark.django_db(databases="__all__")


def test_queryset_update_with_a_target_instance():
    ada, bob = Customer.objects.create(name="Ada"), Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=ada)
    assert Order.objects.filter(pk=order.pk).update(customer=bob) == 1
    assert Order.objects.get(pk=order.pk).customer_id == bob.pk


def test_order_with_respect_to_a_weak_key():
    ada, bob = Customer.objects.create(name="Ada"), Customer.objects.create(name="Bob")
    first = Step.objects.create(customer=ada, title="first")
    second = Step.objects.create(customer=ada, title="second")
    Step.objects.create(customer=bob, title="other")
    assert list(ada.get_step_order()) == [first.pk, second.pk]
    assert first.get_next_in_order() == second
    assert second.get_previous_in_order() == first
    ada.set_step_order([second.pk, first.pk])
    assert list(ada.get_step_order()) == [second.pk, first.pk]
    assert [s.title for s in Step.objects.filter(customer=ada)] == ["second", "first"]


def test_many_to_many_descriptor_names_its_through_model():
    assert Physician.patients.through is Appointment
    assert Physician.patients.through is Physician._meta.get_field("patients").through
    physician = Physician.objects.create(name="Ann")
    assert physician.patients.through is Appointment


@isolate_apps("tests.shop")
def test_class_and_app_label_in_related_query_name():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Base(models.Model):
        target = weakrel.WeakForeignKey(
            Target,
            weakrel.CASCADE,
            related_name="%(app_label)s_%(class)ss",
            related_query_name="%(app_label)s_%(class)s",
        )

        class Meta:
            abstract = True
            app_label = "shop"

    class Comment(Base):
        class Meta:
            app_label = "shop"

    class Link(Base):
        class Meta:
            app_label = "shop"

    assert Comment._meta.get_field("target").related_query_name() == "shop_comment"
    assert Link._meta.get_field("target").related_query_name() == "shop_link"
    assert [e.id for e in Comment.check() + Link.check() if e.id.startswith("weakrel")] == []
