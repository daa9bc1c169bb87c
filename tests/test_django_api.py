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


@isolate_apps("tests.shop")
def test_a_swappable_target_deconstructs_to_its_setting():
    from django.conf import settings
    from django.db.migrations.writer import MigrationWriter

    class Ticket(models.Model):
        owner = weakrel.WeakForeignKey(settings.AUTH_USER_MODEL, weakrel.CASCADE)
        fixed = weakrel.WeakForeignKey(settings.AUTH_USER_MODEL, weakrel.CASCADE, swappable=False)

        class Meta:
            app_label = "shop"

    field = Ticket._meta.get_field("owner")
    assert field.swappable_setting == "AUTH_USER_MODEL"
    to = field.deconstruct()[3]["to"]
    assert to.setting_name == "AUTH_USER_MODEL"
    text, imports = MigrationWriter.serialize(field)
    assert "to=settings.AUTH_USER_MODEL" in text
    assert "from django.conf import settings" in imports
    assert Ticket._meta.get_field("fixed").deconstruct()[3]["to"] == "auth.user"


@isolate_apps("tests.shop")
def test_foreign_key_arguments_a_converting_project_has():
    class Target(models.Model):
        active = models.BooleanField(default=True)

        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(
            Target, weakrel.CASCADE, limit_choices_to={"active": True}, db_constraint=False
        )

        class Meta:
            app_label = "shop"

    field = Source._meta.get_field("target")
    assert field.get_limit_choices_to() == {"active": True}
    assert field.deconstruct()[3]["limit_choices_to"] == {"active": True}
    assert "db_constraint" not in field.deconstruct()[3]
    assert field.formfield().limit_choices_to == {"active": True}
    with pytest.raises(ValueError, match="never has a database constraint"):
        weakrel.WeakForeignKey(Target, weakrel.CASCADE, db_constraint=True)


def test_bulk_update_checks_only_the_weak_keys_it_writes():
    from tests.shop.models import Coupon

    ada = Customer.objects.create(name="Ada")
    coupon = Coupon.objects.create(customer=ada, code="a")
    coupon.customer_id = 424242  # dangling, but not written below
    coupon.code = "b"
    Coupon.objects.bulk_update([coupon], ["code"])
    assert Coupon.objects.get(pk=coupon.pk).code == "b"
    with pytest.raises(weakrel.DanglingReferenceError):
        Coupon.objects.bulk_update([coupon], ["customer"])
    assert Coupon.objects.get(pk=coupon.pk).customer_id == ada.pk


def test_weak_queryset_update_checks_key_lists():
    from tests.blog.models import Article, Tag

    tag = Tag.objects.create(name="t")
    article = Article.objects.create(title="a")
    queryset = weakrel.WeakQuerySet(Article).filter(pk=article.pk)
    assert queryset.update(tags_ids=[tag.pk]) == 1
    with pytest.raises(weakrel.DanglingReferenceError):
        queryset.update(tags_ids=[tag.pk, 9999])
    assert Article.objects.get(pk=article.pk).tags_ids == [tag.pk]
