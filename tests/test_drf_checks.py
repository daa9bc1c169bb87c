"""System checks of the DRF integration (weakrel.E901-E907, W901), and the requests
that a skipped check would have let through: 400s, never 500s."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from rest_framework import viewsets
from rest_framework.test import APIClient

from tests.api import misdeclared as bad
from tests.api import serializers as good
from tests.api import views as good_views
from tests.shop.models import Customer, Order, OrderLine, Product
from weakrel.rest_framework.checks import check_serializer, check_view, url_views
from weakrel.rest_framework.include import resolve_includes

# Django 6.1's system checks open every database (JSONField asks the backend whether
# it supports JSON), so the tests that run all of them may use the databases.
RUNS_ALL_CHECKS = pytest.mark.django_db(databases="__all__")

MISDECLARED = override_settings(ROOT_URLCONF="tests.api.misdeclared")


def ids(messages):
    return sorted(m.id for m in messages if m.id.startswith("weakrel."))


# -- each check fires on its slip, and stays quiet on the declaration that works ---------


@pytest.mark.parametrize(
    "serializer_class, expected",
    [
        (bad.ListedIncludesSerializer, ["weakrel.E901"]),
        (bad.UnusableTargetsSerializer, ["weakrel.E902", "weakrel.E902"]),
        (bad.TypoOrderSerializer, ["weakrel.E903"]),
        (bad.WrongModelSerializer, ["weakrel.E904"]),
        (bad.NestedTypoOrderSerializer, ["weakrel.E903"]),
        (bad.PlainOrderSerializer, ["weakrel.W901"]),
        (bad.ThroughTypoSerializer, ["weakrel.E908", "weakrel.E908"]),
    ],
)
def test_misdeclared_includes_are_reported(serializer_class, expected):
    assert ids(check_serializer(serializer_class)) == expected


@pytest.mark.parametrize(
    "serializer_class",
    [
        good.OrderSerializer,  # names each other through dotted paths, both directions
        good.CustomerSerializer,
        good.ClinicPhysicianSerializer,  # WeakManyToManyField, both sides; through_defaults
        good.ClinicPatientSerializer,  # through_defaults of the reverse side
        good.ArticleSerializer,  # WeakReferencesMany, both sides
        good.OrderLineSerializer,  # Django's own ForeignKey
        bad.PlainCustomerSerializer,  # a plain serializer without includes
    ],
)
def test_well_declared_includes_are_quiet(serializer_class):
    assert check_serializer(serializer_class) == []


def test_messages_name_the_entry_and_suggest_the_relation():
    [typo] = check_serializer(bad.TypoOrderSerializer)
    assert typo.obj is bad.TypoOrderSerializer
    assert typo.msg == (
        "TypoOrderSerializer.Meta.includes names 'custmer', which is not a relation of shop.Order."
    )
    assert typo.hint == "Did you mean 'customer'?"
    [nested] = check_serializer(bad.NestedTypoOrderSerializer)
    assert nested.obj is bad.TypoLineSerializer
    assert "'prodcut'" in nested.msg and nested.hint == "Did you mean 'product'?"
    [wrong] = check_serializer(bad.WrongModelSerializer)
    assert wrong.msg == (
        "WrongModelSerializer.Meta.includes['customer'] is ProductSerializer, a serializer "
        "of shop.Product, but Order.customer leads to shop.Customer."
    )
    unimportable, plain = check_serializer(bad.UnusableTargetsSerializer)
    assert "'tests.api.nowhere.CustomerSerializer', which cannot be imported" in (unimportable.msg)
    assert plain.msg == (
        "UnusableTargetsSerializer.Meta.includes['lines'] is PlainCustomerSerializer, not an "
        "IncludeModelSerializer with a Meta.model."
    )


def test_through_defaults_message_lists_the_relations_with_links():
    first, second = check_serializer(bad.ThroughTypoSerializer)
    assert first.msg == (
        "ThroughTypoSerializer.Meta.through_defaults names 'patiens', which is not a "
        "WeakManyToManyField relation of clinic.Physician: its values are never used."
    )
    assert first.hint == (
        "Its keys are relations with links: consultants, consulted_by, patients, referred_patients."
    )
    assert "'name'" in second.msg


def test_a_broken_entry_leaves_the_others_usable():
    resolved = resolve_includes(bad.TypoOrderSerializer)
    assert resolved.targets == {"lines": good.OrderLineSerializer}
    assert list(resolved.problems) == ["custmer"]


@pytest.mark.parametrize(
    "view, expected",
    [
        (bad.MixinLastViewSet, ["weakrel.E905"]),
        (bad.StockFilterViewSet, ["weakrel.E906"]),
        (bad.MisspelledRelationViewSet, ["weakrel.E907"]),
        (bad.OtherModelRelationViewSet, ["weakrel.E907"]),
    ],
)
def test_misdeclared_views_are_reported(view, expected):
    assert ids(check_view(view)) == expected


@pytest.mark.parametrize(
    "view",
    [
        good_views.OrderViewSet,  # WeakFilterBackend through customer__name
        good_views.CustomerOrderViewSet,  # RelationViewSetMixin, both mixins first
        good_views.ClinicPhysicianPatientViewSet,  # a WeakManyToManyField relation
        good_views.ArticleTagViewSet,  # a WeakReferencesMany relation
    ],
)
def test_well_declared_views_are_quiet(view):
    assert check_view(view) == []


def test_stock_backend_on_local_fields_is_quiet():
    class LocalFilterViewSet(viewsets.ModelViewSet):
        queryset = Order.objects.all()
        serializer_class = good.OrderSerializer
        filter_backends = bad.StockFilterViewSet.filter_backends
        filterset_fields = ["total", "customer_id"]

    assert check_view(LocalFilterViewSet) == []


def test_view_messages_name_the_fix():
    [stock] = check_view(bad.StockFilterViewSet)
    assert "'customer__name'" in stock.msg and "'total'" not in stock.msg
    assert "WeakFilterBackend" in stock.hint and "WeakFilterSet" in stock.hint
    [order] = check_view(bad.MixinLastViewSet)
    assert order.hint == "Put it first: class MixinLastViewSet(IncludeViewSetMixin, ...)."
    [relation] = check_view(bad.MisspelledRelationViewSet)
    assert "'ordrs'" in relation.msg and "orders" in relation.msg


# -- the registered check walks the URLconf ----------------------------------------------


@RUNS_ALL_CHECKS
def test_the_suites_urlconf_is_clean():
    assert ids(checks.run_checks(tags=[checks.Tags.urls])) == []
    assert good_views.OrderViewSet in set(url_views())


@MISDECLARED
def test_the_registered_check_finds_every_view_of_the_urlconf():
    messages = checks.run_checks(tags=[checks.Tags.urls])
    found = sorted((m.id, m.obj.__name__) for m in messages if m.id.startswith("weakrel."))
    assert found == [
        ("weakrel.E901", "ListedIncludesSerializer"),
        ("weakrel.E902", "UnusableTargetsSerializer"),
        ("weakrel.E902", "UnusableTargetsSerializer"),
        ("weakrel.E903", "TypoLineSerializer"),
        ("weakrel.E903", "TypoOrderSerializer"),
        ("weakrel.E904", "WrongModelSerializer"),
        ("weakrel.E905", "MixinLastViewSet"),
        ("weakrel.E906", "StockFilterViewSet"),
        ("weakrel.E907", "MisspelledRelationViewSet"),
        ("weakrel.E907", "OtherModelRelationViewSet"),
        ("weakrel.E908", "ThroughTypoSerializer"),
        ("weakrel.E908", "ThroughTypoSerializer"),
        ("weakrel.W901", "PlainOrderSerializer"),
    ]


@RUNS_ALL_CHECKS
@MISDECLARED
def test_manage_py_check_fails():
    with pytest.raises(SystemCheckError, match=r"weakrel\.E903"):
        call_command("check")


# -- at request time, the same slips are 400s -----------------------------------------


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def orders(db):
    ada, bob = Customer.objects.create(name="Ada"), Customer.objects.create(name="Bob")
    pen = Product.objects.create(name="Pen", sku="PEN")
    first = Order.objects.create(customer=ada, total=1)
    OrderLine.objects.create(order=first, product=pen)
    Order.objects.create(customer=bob, total=2)


@pytest.mark.django_db(databases="__all__")
@MISDECLARED
@pytest.mark.parametrize(
    "url, message",
    [
        (
            "/typo/?include=custmer",
            "Relation 'custmer' on Order cannot be included: TypoOrderSerializer.Meta."
            "includes names 'custmer', which is not a relation of shop.Order.",
        ),
        (
            "/wrong-model/?include=customer",
            "Relation 'customer' on Order cannot be included: WrongModelSerializer.Meta."
            "includes['customer'] is ProductSerializer, a serializer of shop.Product, but "
            "Order.customer leads to shop.Customer.",
        ),
        (
            "/nested-typo/?include=lines.prodcut",
            "Relation 'prodcut' in 'lines.prodcut' on OrderLine cannot be included: "
            "TypoLineSerializer.Meta.includes names 'prodcut', which is not a relation of "
            "shop.OrderLine.",
        ),
        (
            "/listed/?include=customer",
            "Relation 'customer' on Order cannot be included: ListedIncludesSerializer."
            "Meta.includes must be a dict of relation name to serializer, not list.",
        ),
    ],
)
def test_a_misdeclared_include_is_a_400(client, orders, url, message):
    response = client.get(url)
    assert response.status_code == 400, response.content
    assert response.json() == {"include": [message]}


@pytest.mark.django_db(databases="__all__")
@MISDECLARED
def test_unusable_include_targets_are_400s(client, orders):
    for name in ("customer", "lines"):
        response = client.get(f"/unusable/?include={name}")
        assert response.status_code == 400, response.content
        [message] = response.json()["include"]
        assert message.startswith(f"Relation {name!r} on Order cannot be included: ")


@pytest.mark.django_db(databases="__all__")
@MISDECLARED
def test_the_well_declared_entries_still_work(client, orders):
    response = client.get("/typo/?include=lines")
    assert response.status_code == 200, response.content
    assert [len(o["lines"]) for o in response.json()] == [1, 0]
    response = client.get("/nested-typo/?include=customer,lines")
    assert response.status_code == 200, response.content
    assert [o["customer"]["name"] for o in response.json()] == ["Ada", "Bob"]
    response = client.get("/typo/?include=nope")
    assert response.json() == {"include": ["Unknown relation 'nope' on Order; allowed: lines."]}


@pytest.mark.django_db(databases="__all__")
@MISDECLARED
def test_the_stock_filter_backend_filters_through_the_weak_relation(client, orders):
    response = client.get("/stock-filter/?customer__name=Bob")
    assert response.status_code == 200, response.content
    assert [o["total"] for o in response.json()] == [2]
    assert [o["total"] for o in client.get("/stock-filter/?total=1").json()] == [1]
    assert len(client.get("/stock-filter/").json()) == 2


@pytest.mark.django_db(databases="__all__")
@MISDECLARED
def test_the_schema_of_a_stock_filter_view_lists_the_weak_path(client):
    response = client.get("/schema/?format=json")
    assert response.status_code == 200, response.content[:500]
    operation = response.json()["paths"]["/stock-filter/"]["get"]
    names = [parameter["name"] for parameter in operation["parameters"]]
    assert "customer__name" in names and "total" in names
