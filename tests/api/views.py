from rest_framework import viewsets
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination

from tests.api.models import Patient, Physician
from tests.api.serializers import (
    CustomerSerializer,
    OrderLineSerializer,
    OrderSerializer,
    PatientSerializer,
    PhysicianSerializer,
    ProductSerializer,
    ProfileSerializer,
)
from tests.shop.models import Customer, Order, OrderLine, Product, Profile
from weakrel.rest_framework import IncludeViewSetMixin
from weakrel.rest_framework.filters import WeakFilterBackend
from weakrel.rest_framework.relations import RelationViewSetMixin


class PageSizePagination(PageNumberPagination):
    page_size = 10
    page_size_query_param = "page_size"
    max_page_size = 1000


class OrderViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"customer__name": ["exact", "icontains"], "total": ["exact", "gte"]}


class LimitOffsetOrderViewSet(OrderViewSet):
    pagination_class = LimitOffsetPagination


class UnpaginatedOrderViewSet(OrderViewSet):
    pagination_class = None


class ScopedOrderViewSet(OrderViewSet):
    """Included rows are scoped: customers named "Hidden…" and products with a
    "secret" sku never appear embedded."""

    def get_include_queryset(self, path, queryset):
        if path == "customer":
            return queryset.exclude(name__startswith="Hidden")
        if path == "lines.product":
            return queryset.exclude(sku__startswith="secret")
        if path == "lines":
            return queryset.order_by("id")
        return queryset


class CustomerViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Customer.objects.order_by("id")
    serializer_class = CustomerSerializer
    pagination_class = PageSizePagination


class ProductViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Product.objects.order_by("id")
    serializer_class = ProductSerializer


class OrderLineViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = OrderLine.objects.order_by("id")
    serializer_class = OrderLineSerializer


class ProfileViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Profile.objects.order_by("id")
    serializer_class = ProfileSerializer


class CustomerOrderViewSet(RelationViewSetMixin, IncludeViewSetMixin, viewsets.ModelViewSet):
    parent_queryset = Customer.objects.all()
    relation = "orders"
    queryset = Order.objects.order_by("id")
    serializer_class = OrderSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = ["total"]


class PhysicianViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Physician.objects.order_by("id")
    serializer_class = PhysicianSerializer


class PhysicianPatientViewSet(RelationViewSetMixin, IncludeViewSetMixin, viewsets.ModelViewSet):
    parent_queryset = Physician.objects.all()
    relation = "patients"
    queryset = Patient.objects.order_by("id")
    serializer_class = PatientSerializer
