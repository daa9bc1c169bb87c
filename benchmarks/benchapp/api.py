"""The DRF endpoints compared by the benchmark: weakrel's include, hand-written, N+1."""

from rest_framework import pagination, serializers, viewsets

from weakrel.rest_framework import IncludeModelSerializer, IncludeViewSetMixin

from .models import NCustomer, NLine, NOrder, NProduct, WCustomer, WLine, WOrder, WProduct


class Pages(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 10000


# weakrel: ?include=customer,lines.product across two databases.
class WProductSerializer(IncludeModelSerializer):
    class Meta:
        model = WProduct
        fields = ["id", "name"]


class WCustomerSerializer(IncludeModelSerializer):
    class Meta:
        model = WCustomer
        fields = ["id", "name"]
        includes = {"orders": "benchapp.api.WOrderSerializer"}
        include_scopes = {"orders": {"ordering_fields": ["total", "id"], "count": True}}


class WLineSerializer(IncludeModelSerializer):
    class Meta:
        model = WLine
        fields = ["id", "order_id", "product_id", "quantity"]
        includes = {"product": WProductSerializer}


class WOrderSerializer(IncludeModelSerializer):
    class Meta:
        model = WOrder
        fields = ["id", "customer_id", "total"]
        includes = {"customer": WCustomerSerializer, "lines": WLineSerializer}


class IncludeOrders(IncludeViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = WOrder.objects.order_by("pk")
    serializer_class = WOrderSerializer
    pagination_class = Pages


class IncludeCustomers(IncludeViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = WCustomer.objects.order_by("pk")
    serializer_class = WCustomerSerializer
    pagination_class = Pages


# Hand-written, one database: nested serializers over select_related/prefetch_related.
class NProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = NProduct
        fields = ["id", "name"]


class NCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = NCustomer
        fields = ["id", "name"]


class NLineSerializer(serializers.ModelSerializer):
    product = NProductSerializer()

    class Meta:
        model = NLine
        fields = ["id", "order_id", "product_id", "quantity", "product"]


class NOrderSerializer(serializers.ModelSerializer):
    customer = NCustomerSerializer()
    lines = NLineSerializer(many=True)

    class Meta:
        model = NOrder
        fields = ["id", "customer_id", "total", "customer", "lines"]


class NativeOrders(viewsets.ReadOnlyModelViewSet):
    queryset = (
        NOrder.objects.order_by("pk").select_related("customer").prefetch_related("lines__product")
    )
    serializer_class = NOrderSerializer
    pagination_class = Pages


class NaiveOrders(NativeOrders):
    queryset = NOrder.objects.order_by("pk")
