"""System checks of ``Meta.include_scopes`` (weakrel.E910-E915, W910)."""

import pytest

from tests.api.serializers import (
    CustomerSerializer,
    OrderFilterSet,
    OrderSerializer,
    RegionFilterSet,
)
from tests.shop.models import Customer
from weakrel.rest_framework import IncludeModelSerializer
from weakrel.rest_framework.checks import check_serializer


def customer_serializer(scopes, model=Customer):
    meta = type(
        "Meta",
        (),
        {
            "model": model,
            "fields": ["id", "name"],
            "includes": {
                "orders": OrderSerializer,
                "region": "tests.api.serializers.RegionSerializer",
            },
            "include_scopes": scopes,
        },
    )
    return type("ScopedCustomerSerializer", (IncludeModelSerializer,), {"Meta": meta})


def ids(serializer_class):
    return [(m.id, m.msg) for m in check_serializer(serializer_class, seen={OrderSerializer})]


@pytest.mark.parametrize(
    "scopes, expected_id, words",
    [
        (["orders"], "weakrel.E910", "must be a dict of relation name to options, not list"),
        ({"ordrs": {}}, "weakrel.E911", "names 'ordrs', which Meta.includes does not declare"),
        ({"orders.lines": {}}, "weakrel.E911", "names 'orders.lines'"),
        ({"orders": {"limit": 3}}, "weakrel.E912", "unknown option 'limit'"),
        ({"orders": 3}, "weakrel.E912", "must be a dict of options, not int"),
        (
            {"orders": {"filterset_class": RegionFilterSet}},
            "weakrel.E913",
            "a FilterSet of shop.Region",
        ),
        ({"orders": {"filterset_class": int}}, "weakrel.E913", "not a django-filter FilterSet"),
        ({"orders": {"filterset_class": "tests.nowhere.F"}}, "weakrel.E913", "tests.nowhere.F"),
        ({"orders": {"ordering_fields": ["totl"]}}, "weakrel.E914", "names 'totl', not a column"),
        ({"orders": {"ordering_fields": "total"}}, "weakrel.E914", "must be a list of field names"),
        ({"orders": {"max_limit": 0}}, "weakrel.E915", "must be a positive integer, not 0"),
        ({"orders": {"count": "yes"}}, "weakrel.E915", "must be True or False, not 'yes'"),
        ({"region": {"count": True}}, "weakrel.W910", "'region' is a to-one relation"),
    ],
)
def test_misdeclared_scopes_are_reported(scopes, expected_id, words):
    (found,) = ids(customer_serializer(scopes))
    assert found[0] == expected_id
    assert words in found[1]


def test_a_good_declaration_is_clean():
    scopes = {
        "orders": {
            "filterset_class": OrderFilterSet,
            "ordering_fields": ["total", "id"],
            "max_limit": 5,
            "count": True,
        },
        "region": {"filterset_class": "tests.api.serializers.RegionFilterSet"},
    }
    assert ids(customer_serializer(scopes)) == []
    assert ids(CustomerSerializer) == []
