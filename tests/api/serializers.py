from tests.api.models import Patient, Physician
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
