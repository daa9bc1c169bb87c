"""A URLconf of misdeclared serializers and views, one slip each.

Never the suite's ROOT_URLCONF (``manage.py check`` on the test settings stays clean):
tests/test_drf_checks.py switches to it with ``override_settings``. Each class names
the check it trips in its docstring.
"""

from django.urls import include, path
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, viewsets

from tests.api.serializers import (
    CustomerSerializer,
    OrderLineSerializer,
    OrderSerializer,
    ProductSerializer,
)
from tests.clinic import models as clinic
from tests.shop.models import Customer, Order, OrderLine, Product
from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin
from weakrel.rest_framework.relations import RelationRouter, RelationViewSetMixin


class ListedIncludesSerializer(IncludeModelSerializer):
    """E901: a list, not a dict."""

    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = ["customer"]


class PlainCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name"]


class UnusableTargetsSerializer(IncludeModelSerializer):
    """E902 twice: a dotted path that does not import, a serializer without includes."""

    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = {
            "customer": "tests.api.nowhere.CustomerSerializer",
            "lines": PlainCustomerSerializer,
        }


class TypoOrderSerializer(IncludeModelSerializer):
    """E903: ``custmer``. Its ``lines`` are fine."""

    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = {"custmer": CustomerSerializer, "lines": OrderLineSerializer}


class WrongModelSerializer(IncludeModelSerializer):
    """E904: customer rendered by a serializer of Product."""

    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = {"customer": ProductSerializer}


class TypoLineSerializer(IncludeModelSerializer):
    """E903, reached only through NestedTypoOrderSerializer's includes."""

    class Meta:
        model = OrderLine
        fields = ["id", "quantity"]
        includes = {"prodcut": ProductSerializer}


class NestedTypoOrderSerializer(IncludeModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = {"customer": CustomerSerializer, "lines": TypoLineSerializer}


class PlainOrderSerializer(serializers.ModelSerializer):
    """W901: includes on a serializer that does not render them."""

    class Meta:
        model = Order
        fields = ["id", "total"]
        includes = {"customer": CustomerSerializer}


class ThroughTypoSerializer(IncludeModelSerializer):
    """E908: ``patiens`` (and ``name`` is no relation at all)."""

    class Meta:
        model = clinic.Physician
        fields = ["id", "name", "patients_ids"]
        through_defaults = {"patiens": {"room": "A1"}, "name": {}}


def viewset(serializer_class, **attrs):
    attrs = {
        "queryset": serializer_class.Meta.model.objects.order_by("id"),
        "serializer_class": serializer_class,
        **attrs,
    }
    return type(
        f"{serializer_class.__name__}ViewSet", (IncludeViewSetMixin, viewsets.ModelViewSet), attrs
    )


class MixinLastViewSet(viewsets.ModelViewSet, IncludeViewSetMixin):
    """E905: the mixin after ModelViewSet is never called."""

    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer


class StockFilterViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    """E906: the stock backend asked for a path through a weak relation."""

    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["customer__name", "total"]


class MisspelledRelationViewSet(RelationViewSetMixin, IncludeViewSetMixin, viewsets.ModelViewSet):
    """E907: Customer has no ``ordrs``."""

    parent_queryset = Customer.objects.all()
    relation = "ordrs"
    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer


class OtherModelRelationViewSet(RelationViewSetMixin, viewsets.ModelViewSet):
    """E907: ``orders`` leads to Order, the view serves Product."""

    parent_queryset = Customer.objects.all()
    relation = "orders"
    queryset = Product.objects.order_by("id")
    serializer_class = ProductSerializer


router = RelationRouter()
for prefix, serializer_class in [
    ("listed", ListedIncludesSerializer),
    ("unusable", UnusableTargetsSerializer),
    ("typo", TypoOrderSerializer),
    ("wrong-model", WrongModelSerializer),
    ("nested-typo", NestedTypoOrderSerializer),
    ("plain", PlainOrderSerializer),
    ("through-typo", ThroughTypoSerializer),
]:
    router.register(prefix, viewset(serializer_class), basename=prefix)
router.register("mixin-last", MixinLastViewSet, basename="mixin-last")
router.register("stock-filter", StockFilterViewSet, basename="stock-filter")
router.register_relation("customers", "ordrs", MisspelledRelationViewSet)
router.register_relation("customers", "products", OtherModelRelationViewSet)

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
