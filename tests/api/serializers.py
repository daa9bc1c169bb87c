from django.utils import timezone

from tests.api.models import Patient, Physician
from tests.blog import models as blog
from tests.clinic import models as clinic
from tests.shop.models import Customer, Order, OrderLine, Product, Profile, R, Region
from weakrel.rest_framework import IncludeModelSerializer
from weakrel.rest_framework.filters import WeakFilterSet


class OrderFilterSet(WeakFilterSet):
    class Meta:
        model = Order
        fields = {"total": ["exact", "gte", "lte"]}


class OrderLineFilterSet(WeakFilterSet):
    class Meta:
        model = OrderLine
        fields = {"quantity": ["exact", "gte"]}


class RegionFilterSet(WeakFilterSet):
    class Meta:
        model = Region
        fields = ["name"]


class RegionSerializer(IncludeModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name"]
        includes = {"customers": "tests.api.serializers.CustomerSerializer"}


class ProfileSerializer(IncludeModelSerializer):
    class Meta:
        model = Profile
        fields = ["id", "customer_id", "bio"]
        includes = {"customer": "tests.api.serializers.CustomerSerializer"}


class CustomerSerializer(IncludeModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "region_id"]
        includes = {
            "orders": "tests.api.serializers.OrderSerializer",
            "profile": ProfileSerializer,
            "region": RegionSerializer,
        }
        include_scopes = {
            "orders": {
                "filterset_class": OrderFilterSet,
                "ordering_fields": ["total", "id"],
                "max_limit": 50,
                "count": True,
            },
            "region": {"filterset_class": "tests.api.serializers.RegionFilterSet"},
        }


class ProductSerializer(IncludeModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "sku"]
        includes = {"lines": "tests.api.serializers.OrderLineSerializer"}
        include_scopes = {"lines": {"count": True}}


class OrderLineSerializer(IncludeModelSerializer):
    class Meta:
        model = OrderLine
        fields = ["id", "order", "product_id", "quantity"]
        includes = {"product": ProductSerializer}


class OrderSerializer(IncludeModelSerializer):
    class Meta:
        model = Order
        fields = ["id", "customer_id", "total"]
        includes = {"customer": CustomerSerializer, "lines": OrderLineSerializer}
        include_scopes = {
            "lines": {
                "filterset_class": OrderLineFilterSet,
                "ordering_fields": ["quantity", "id"],
                "count": True,
            }
        }


class PatientSerializer(IncludeModelSerializer):
    class Meta:
        model = Patient
        fields = ["id", "name"]
        includes = {"physicians": "tests.api.serializers.PhysicianSerializer"}


class PhysicianSerializer(IncludeModelSerializer):
    class Meta:
        model = Physician
        fields = ["id", "name"]
        includes = {"patients": PatientSerializer}


# -- HasManyThrough (tests/clinic) and ReferencesMany (tests/blog) ------------------


class ClinicPatientSerializer(IncludeModelSerializer):
    class Meta:
        model = clinic.Patient
        fields = ["id", "name", "physicians_ids"]
        includes = {
            "physicians": "tests.api.serializers.ClinicPhysicianSerializer",
            "records": "tests.api.serializers.RecordSerializer",
        }
        through_defaults = {"physicians": {"at": timezone.now}}


class RecordSerializer(IncludeModelSerializer):
    class Meta:
        model = clinic.Record
        fields = ["id", "patient_id", "text"]
        includes = {"patient": ClinicPatientSerializer}


class ClinicPhysicianSerializer(IncludeModelSerializer):
    class Meta:
        model = clinic.Physician
        fields = ["id", "name", "patients_ids"]
        includes = {"patients": ClinicPatientSerializer}
        include_scopes = {"patients": {"ordering_fields": ["name"], "count": True}}
        through_defaults = {"patients": {"at": timezone.now, "room": "A1"}}


class TagSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Tag
        fields = ["id", "name"]
        includes = {"articles": "tests.api.serializers.ArticleSerializer"}
        include_scopes = {"articles": {"count": True}}


class ArticleSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Article
        fields = ["id", "title", "tags_ids"]
        includes = {"tags": TagSerializer}
        include_scopes = {"tags": {"ordering_fields": ["name"], "count": True}}


class PinboardSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Pinboard
        fields = ["id", "repeated_ids", "ignored_ids"]
        includes = {"repeated": TagSerializer}


class RSerializer(IncludeModelSerializer):
    class Meta:
        model = R
        fields = ["id", "name"]
