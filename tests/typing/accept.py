"""What a type checker must accept and infer for weak relations (tests/test_typing.py).

Type-checked with mypy and django-stubs, never imported by the suite.
"""

from typing import Any

from django.db.models import Model, QuerySet
from typing_extensions import assert_type

from tests.blog.models import Article, Comment, Like, Photo, Pinboard, Reader, Tag
from tests.clinic.models import Clinic, Patient, Physician
from tests.shop.models import Customer, Note, Order, OrderLine, Product, Profile, Region
from weakrel.managers import (
    GenericThroughManager,
    HasManyManager,
    NullableHasManyManager,
    ReferencesManager,
    ReverseReferencesManager,
    ThroughManager,
)
from weakrel.relations.generic_managers import (
    GenericHasManyManager,
    NullableGenericHasManyManager,
)


def belongs_to(order: Order, customer: Customer) -> None:
    assert_type(order.customer, Customer)
    order.customer = customer
    assert_type(customer.region, Region | None)
    customer.region = None


def has_one(profile: Profile) -> None:
    assert_type(profile.customer, Customer)


def has_many(customer: Customer) -> None:
    assert_type(customer.orders, HasManyManager[Order])
    assert_type(customer.orders.all(), QuerySet[Order, Order])
    assert_type(customer.orders.filter(total__gt=1).first(), Order | None)
    assert_type(customer.orders.create(total=3), Order)
    customer.orders.add(Order())


def reverse_accessors(
    region: Region, order: Order, product: Product, customer: Customer, tag: Tag
) -> None:
    # Added to the targets by weakrel.mypy_plugin: no model declares them.
    assert_type(region.customers, NullableHasManyManager[Customer])
    region.customers.remove(customer)
    assert_type(order.notes, NullableHasManyManager[Note])
    assert_type(product.lines, HasManyManager[OrderLine])  # a target named by a string
    assert_type(customer.profile, Profile)
    assert_type(tag.articles, ReverseReferencesManager[Article])
    assert_type(tag.articles.first(), Article | None)


def reverse_many_to_many(patient: Patient) -> None:
    assert_type(patient.physicians, ThroughManager[Physician])
    assert_type(patient.physicians.all(), QuerySet[Physician, Physician])


def reverse_generic(article: Article, photo: Photo) -> None:
    assert_type(article.comments, GenericHasManyManager[Comment])
    assert_type(photo.likes, NullableGenericHasManyManager[Like])
    assert_type(article.comments.create(text="hi"), Comment)


def has_many_through(clinic: Clinic, patient: Patient) -> None:
    assert_type(clinic.referred, ThroughManager[Patient])
    assert_type(clinic.referred.all(), QuerySet[Patient, Patient])
    clinic.referred.add(patient)
    clinic.referred.set([patient], through_defaults={})


def polymorphic_has_many_through(reader: Reader, article: Article) -> None:
    assert_type(reader.favorites, GenericThroughManager)
    assert_type(reader.favorites.all(), list[Model])
    reader.favorites.add(article)


def references_many(board: Pinboard, tag: Tag) -> None:
    assert_type(board.repeated, ReferencesManager[Tag])
    assert_type(board.repeated.get(pk=1), Tag)
    board.repeated.add(tag, 3)
    board.repeated = [tag]


def class_access() -> None:
    # On the class, a field is its descriptor, as django-stubs has it for ForeignKey.
    field: Any = Order.customer
    assert field is not None


def string_target(line: OrderLine, product: Product) -> None:
    # WeakForeignKey("shop.Product", ...): typed by weakrel.mypy_plugin from the model.
    assert_type(line.product, Product)
    line.product = product
