from django.utils import timezone
from rest_framework import viewsets
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination

from tests.api.models import Patient, Physician
from tests.api.serializers import (
    ArticleSerializer,
    ClinicPatientSerializer,
    ClinicPhysicianSerializer,
    CustomerSerializer,
    OrderLineSerializer,
    OrderSerializer,
    PatientSerializer,
    PhysicianSerializer,
    PinboardSerializer,
    ProductSerializer,
    ProfileSerializer,
    RSerializer,
    TagSerializer,
)
from tests.blog.models import Article, Pinboard, Tag
from tests.clinic.models import Patient as ClinicPatient
from tests.clinic.models import Physician as ClinicPhysician
from tests.shop.models import Customer, Order, OrderLine, Product, Profile, R
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


# -- HasManyThrough (tests/clinic) and ReferencesMany (tests/blog) ------------------


class ClinicPhysicianViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = ClinicPhysician.objects.order_by("id")
    serializer_class = ClinicPhysicianSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"name": ["exact"], "patients__name": ["exact", "icontains"]}


class ClinicPatientViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = ClinicPatient.objects.order_by("id")
    serializer_class = ClinicPatientSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"physicians__name": ["exact"]}


class ClinicPhysicianPatientViewSet(RelationViewSetMixin, ClinicPatientViewSet):
    """``/clinic-physicians/{pk}/patients/``: a WeakManyToManyField."""

    parent_queryset = ClinicPhysician.objects.all()
    relation = "patients"
    through_defaults = {"at": timezone.now}


class ClinicPatientPhysicianViewSet(RelationViewSetMixin, ClinicPhysicianViewSet):
    """``/clinic-patients/{pk}/physicians/``: the reverse side."""

    parent_queryset = ClinicPatient.objects.all()
    relation = "physicians"
    through_defaults = {"at": timezone.now}


class ArticleViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Article.objects.order_by("id")
    serializer_class = ArticleSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"tags__name": ["exact", "icontains"]}


class TagViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Tag.objects.order_by("id")
    serializer_class = TagSerializer
    pagination_class = PageSizePagination
    filter_backends = [WeakFilterBackend]
    filterset_fields = {"articles__title": ["exact"]}


class ArticleTagViewSet(RelationViewSetMixin, TagViewSet):
    """``/articles/{pk}/tags/``: a WeakReferencesMany."""

    parent_queryset = Article.objects.all()
    relation = "tags"


class PinboardViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    queryset = Pinboard.objects.order_by("id")
    serializer_class = PinboardSerializer


class RViewSet(IncludeViewSetMixin, viewsets.ModelViewSet):
    """Rows with one dependent per ``on_delete`` option (``tests.shop.models.A``)."""

    queryset = R.objects.order_by("id")
    serializer_class = RSerializer
