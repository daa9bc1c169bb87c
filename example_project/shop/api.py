"""The shop's REST API: weak relations over HTTP with weakrel.rest_framework.

Mount it in the project's urls.py::

    path("api/", include("example_project.shop.api")),

Try ``/api/orders/?include=customer,lines.product``, ``/api/orders/?customer__name=Ada``,
``/api/customers/1/orders/`` and, with the scopes the serializers declare,
``/api/customers/?include=orders&orders.ordering=-total&orders.limit=2&count=orders``.
"""

from django.urls import include, path
from rest_framework import viewsets
from rest_framework.pagination import PageNumberPagination

from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin
from weakrel.rest_framework.filters import WeakFilterBackend, WeakFilterSet
from weakrel.rest_framework.relations import RelationRouter, RelationViewSetMixin

from .models import Customer, Order, OrderLine, Product, Profile

# -- filters of included rows ------------------------------------------------------------


class OrderFilterSet(WeakFilterSet):
    """``?include=orders&orders.total__gte=50``: which orders are embedded (and counted)."""

    class Meta:
        model = Order
        fields = {"total": ["gte", "lte"], "created": ["gte", "lte"]}


class OrderLineFilterSet(WeakFilterSet):
    class Meta:
        model = OrderLine
        fields = {"quantity": ["gte", "lte"]}


# -- serializers ----------------------------------------------------------------------


class ProfileSerializer(IncludeModelSerializer):
    class Meta:
        model = Profile
        fields = ["id", "customer_id", "bio"]
        includes = {"customer": "example_project.shop.api.CustomerSerializer"}


class CustomerSerializer(IncludeModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email"]
        includes = {
            "orders": "example_project.shop.api.OrderSerializer",
            "profile": ProfileSerializer,
        }
        include_scopes = {
            "orders": {
                "filterset_class": OrderFilterSet,
                "ordering_fields": ["total", "created", "id"],
                "max_limit": 50,
                "count": True,
            },
        }


class ProductSerializer(IncludeModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "sku", "price"]
        includes = {
            "order_lines": "example_project.shop.api.OrderLineSerializer",
            "comments": "example_project.blog.api.CommentSerializer",
        }
        include_scopes = {"order_lines": {"ordering_fields": ["quantity", "id"], "count": True}}


class OrderLineSerializer(IncludeModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "order", "product_id", "quantity"]
        includes = {"product": ProductSerializer}


class OrderSerializer(IncludeModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "customer_id", "total", "created"]
        includes = {"customer": CustomerSerializer, "lines": OrderLineSerializer}
        include_scopes = {
            "lines": {
                "filterset_class": OrderLineFilterSet,
                "ordering_fields": ["quantity", "id"],
                "count": True,
            },
        }


# -- views ----------------------------------------------------------------------------


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 500


class CustomerViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Customer.objects.order_by("id")
    serializer_class = CustomerSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"name": ["exact", "icontains"], "orders__total": ["gte"]}


class ProductViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Product.objects.order_by("id")
    serializer_class = ProductSerializer
    pagination_class = Pagination


class OrderViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer
    pagination_class = Pagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {
        "customer__name": ["exact", "icontains"],
        "customer__email": ["exact"],
        "total": ["gte", "lte"],
    }


class OrderLineViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = OrderLine.objects.order_by("id")
    serializer_class = OrderLineSerializer
    pagination_class = Pagination


class ProfileViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Profile.objects.order_by("id")
    serializer_class = ProfileSerializer
    pagination_class = Pagination


class CustomerOrderViewSet(RelationViewSetMixin, OrderViewSet):
    """``/customers/{parent_pk}/orders/``: one customer's orders."""

    parent_queryset = Customer.objects.all()
    relation = "orders"


router = RelationRouter()
router.register("customers", CustomerViewSet)
router.register("products", ProductViewSet)
router.register("orders", OrderViewSet)
router.register("order-lines", OrderLineViewSet)
router.register("profiles", ProfileViewSet)
router.register_relation("customers", "orders", CustomerOrderViewSet)

urlpatterns = [path("", include(router.urls))]
