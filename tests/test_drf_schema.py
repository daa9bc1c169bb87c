"""OpenAPI schema (drf-spectacular): ``include`` and the relation endpoints."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def schema(django_assert_num_queries):
    from drf_spectacular.generators import SchemaGenerator

    with django_assert_num_queries(0):
        return SchemaGenerator().get_schema(request=None, public=True)


def include_param(operation):
    (param,) = [p for p in operation["parameters"] if p["name"] == "include"]
    return param


def test_include_documented_as_comma_separated_enum(schema):
    param = include_param(schema["paths"]["/orders/"]["get"])
    assert param["in"] == "query"
    assert param["style"] == "form"
    assert param["explode"] is False
    assert param["schema"]["type"] == "array"
    enum = param["schema"]["items"]["enum"]
    assert "customer" in enum and "lines" in enum and "lines.product" in enum
    assert "customer.orders.lines" in enum
    assert all(path.count(".") < 3 for path in enum)
    assert "allowed" in param["description"].lower()


def test_include_on_every_endpoint_of_include_views(schema):
    for path in ("/orders/", "/orders/{id}/", "/customers/{id}/", "/products/"):
        for method, operation in schema["paths"][path].items():
            assert include_param(operation), (path, method)


def test_relation_endpoints_documented(schema):
    paths = schema["paths"]
    assert set(paths["/customers/{parent_pk}/orders/"]) == {"get", "post"}
    assert {"get", "post", "delete"} <= set(paths["/physicians/{parent_pk}/patients/{id}/"])
    params = {p["name"] for p in paths["/customers/{parent_pk}/orders/"]["get"]["parameters"]}
    assert {"parent_pk", "include", "page", "total"} <= params


def test_weak_filters_documented(schema):
    params = {p["name"] for p in schema["paths"]["/orders/"]["get"]["parameters"]}
    assert {"customer__name", "customer__name__icontains", "total__gte"} <= params


def test_schema_view_serves():
    response = APIClient().get("/schema/")
    assert response.status_code == 200
    assert b"include" in response.content


def test_browsable_api_renders():
    from tests.shop.models import Customer, Order

    Order.objects.create(customer=Customer.objects.create(name="Ada"))
    response = APIClient().get("/orders/?include=customer", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Ada" in response.content


def test_weak_keys_are_typed_like_the_target_key(schema):
    components = schema["components"]["schemas"]
    order = components["Order"]["properties"]
    assert order["customer_id"]["type"] == "integer"
    assert "readOnly" not in order["customer_id"]
    article = next(c for name, c in components.items() if "tags_ids" in c.get("properties", {}))
    assert article["properties"]["tags_ids"]["type"] == "array"
    assert article["properties"]["tags_ids"]["items"]["type"] == "integer"


def params(operation):
    return {p["name"]: p for p in operation["parameters"]}


def test_scope_parameters_documented(schema):
    found = params(schema["paths"]["/customers/"]["get"])
    assert found["orders.limit"]["schema"]["type"] == "integer"
    assert set(found["orders.ordering"]["schema"]["items"]["enum"]) == {
        "total",
        "-total",
        "id",
        "-id",
    }
    assert {"orders.total", "orders.total__gte", "orders.total__lte"} <= set(found)
    assert "orders.lines.ordering" in found  # OrderSerializer's own scope, one level down
    assert "region.limit" not in found  # to-one: no limit
    assert {"orders", "orders.lines"} <= set(found["count"]["schema"]["items"]["enum"])
    fields = found["fields"]["schema"]["items"]["enum"]
    assert {"id", "name", "orders", "orders.total", "orders.lines.quantity"} <= set(fields)
    assert found["omit"]["explode"] is False


def test_relation_views_name_their_components_apart(schema):
    components = schema["components"]["schemas"]
    assert "readOnly" not in components["Order"]["properties"]["customer_id"]
    assert components["CustomerOrder"]["properties"]["customer_id"]["readOnly"] is True


def test_link_documents_201_and_200_without_a_body(schema):
    operation = schema["paths"]["/physicians/{parent_pk}/patients/{id}/"]["post"]
    assert "requestBody" not in operation
    assert {"200", "201"} <= set(operation["responses"])
    assert operation["operationId"].endswith("_link")


def test_one_to_many_relations_have_no_link_route(schema):
    assert "post" not in schema["paths"]["/customers/{parent_pk}/orders/{id}/"]


def test_errors_documented(schema):
    assert "400" in schema["paths"]["/customers/"]["get"]["responses"]
    assert {"204", "404", "409"} <= set(schema["paths"]["/products/{id}/"]["delete"]["responses"])
