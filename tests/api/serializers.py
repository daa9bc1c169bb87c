from django.utils import timezone

from tests.api.models import Patient, Physician
from tests.blog import models as blog
from tests.clinic import models as clinic
from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region
from weakrel.rest_framework import IncludeModelSerializer


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


class ProductSerializer(IncludeModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "sku"]
        includes = {"lines": "tests.api.serializers.OrderLineSerializer"}


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
        through_defaults = {"patients": {"at": timezone.now, "room": "A1"}}


class TagSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Tag
        fields = ["id", "name"]
        includes = {"articles": "tests.api.serializers.ArticleSerializer"}


class ArticleSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Article
        fields = ["id", "title", "tags_ids"]
        includes = {"tags": TagSerializer}


class PinboardSerializer(IncludeModelSerializer):
    class Meta:
        model = blog.Pinboard
        fields = ["id", "repeated_ids", "ignored_ids"]
        includes = {"repeated": TagSerializer}
