"""The admin integration (weakrel.admin) against the site in tests/admin_urls.py."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.admin_helpers import NO_LINES, NO_ORDERS, change_url
from tests.admin_urls import site
from tests.shop.models import Customer, Order, OrderLine, Product, Profile, Region

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("admin_urls")]


def test_site_passes_admin_checks():
    assert site.check(None) == []


def test_change_form_renders_raw_id_input_and_link(admin, customer):
    order = Order.objects.create(customer=customer, total=3)
    response = admin.get(change_url(order))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="customer"' in html
    assert f'value="{customer.pk}"' in html
    assert "vForeignKeyRawIdAdminField" in html
    assert 'href="/admin/shop/customer/"' in html  # the lookup link
    assert f'<a href="/admin/shop/customer/{customer.pk}/change/">Ada</a>' in html


def test_unregistered_target_has_no_lookup_link(admin):
    product = Product.objects.create(name="Pen", sku="P1")
    order = Order.objects.create(customer=Customer.objects.create(name="Bo"))
    OrderLine.objects.create(order=order, product=product)
    site.unregister(Product)
    try:
        html = admin.get(change_url(order)).content.decode()
    finally:
        from tests.admin_urls import ProductAdmin

        site.register(Product, ProductAdmin)
    assert 'name="lines-0-product"' in html
    assert "lookup_id_lines-0-product" not in html
    assert "Product object (" in html  # the current target's label is still shown


def test_valid_key_is_saved(admin, customer):
    other = Customer.objects.create(name="Grace")
    order = Order.objects.create(customer=customer)
    response = admin.post(change_url(order), {"customer": str(other.pk), "total": "5", **NO_LINES})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.customer_id, order.total) == (other.pk, 5)


def test_dangling_key_is_a_field_error_and_nothing_is_written(admin, customer):
    order = Order.objects.create(customer=customer, total=1)
    missing = customer.pk + 1000
    response = admin.post(change_url(order), {"customer": str(missing), "total": "9", **NO_LINES})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert [e.code for e in form.errors.as_data()["customer"]] == ["does_not_exist"]
    assert f"customer with ID {missing} does not exist." in form.errors["customer"][0]
    order.refresh_from_db()
    assert (order.customer_id, order.total) == (customer.pk, 1)


def test_dangling_key_on_add_writes_no_row(admin, customer):
    response = admin.post(
        "/admin/shop/order/add/", {"customer": str(customer.pk + 1000), "total": "1", **NO_LINES}
    )
    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    assert Order.objects.count() == 0


def test_malformed_key_is_a_form_error(admin, customer):
    order = Order.objects.create(customer=customer)
    with CaptureQueriesContext(connections["default"]) as default:
        response = admin.post(change_url(order), {"customer": "abc", "total": "1", **NO_LINES})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["customer"]
    assert [e.code for e in errors] == ["invalid"]
    # Rejected before any lookup of a customer.
    assert not [q for q in default.captured_queries if "shop_customer" in q["sql"]]


def test_key_out_of_range_is_a_field_error(admin, customer):
    order = Order.objects.create(customer=customer)
    data = {"customer": "9" * 30, "total": "1", **NO_LINES}
    response = admin.post(change_url(order), data)
    assert response.status_code == 200
    assert "customer" in response.context["adminform"].form.errors
    order.refresh_from_db()
    assert order.customer_id == customer.pk


def test_required_key(admin, customer):
    response = admin.post("/admin/shop/order/add/", {"customer": "", "total": "1", **NO_LINES})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["customer"]
    assert [e.code for e in errors] == ["required"]


def test_nullable_key_may_be_cleared(admin, customer):
    region = Region.objects.create(name="North")
    customer.region = region
    customer.save()
    response = admin.post(change_url(customer), {"name": "Ada", "region": "", **NO_ORDERS})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.region_id is None


def test_inline_row_with_dangling_weak_key_is_an_error(admin, customer):
    order = Order.objects.create(customer=customer)
    data = {
        "customer": str(customer.pk),
        "total": "1",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": "424242",
        "lines-0-quantity": "2",
    }
    response = admin.post(change_url(order), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [e.code for e in formset.forms[0].errors.as_data()["product"]] == ["does_not_exist"]
    assert OrderLine.objects.count() == 0

    product = Product.objects.create(name="Pen", sku="P1")
    data["lines-0-product"] = str(product.pk)
    assert admin.post(change_url(order), data).status_code == 302
    line = OrderLine.objects.get()
    assert (line.order_id, line.product_id, line.quantity) == (order.pk, product.pk, 2)


def test_delete_confirmation_lists_dependents_in_other_databases(
    admin, customer, django_capture_on_commit_callbacks
):
    order = Order.objects.create(customer=customer)
    profile = Profile.objects.create(customer=customer)
    response = admin.get(f"/admin/shop/customer/{customer.pk}/delete/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/admin/shop/order/{order.pk}/change/"' in html
    assert f'href="/admin/shop/profile/{profile.pk}/change/"' in html
    assert dict(response.context["model_count"]) == {"customers": 1, "orders": 1, "profiles": 1}
    assert not response.context["protected"]

    # The delete view's transaction: the other databases follow once it commits.
    with django_capture_on_commit_callbacks(execute=True, using="default"):
        response = admin.post(f"/admin/shop/customer/{customer.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not Customer.objects.exists()
        assert Order.objects.exists() and Profile.objects.exists()
    assert not Order.objects.exists()
    assert not Profile.objects.exists()


def test_delete_confirmation_lists_cascade_through_native_fk(admin, customer):
    order = Order.objects.create(customer=customer)
    product = Product.objects.create(name="Pen", sku="P1")
    line = OrderLine.objects.create(order=order, product=product)
    response = admin.get(f"/admin/shop/customer/{customer.pk}/delete/")
    assert f'href="/admin/shop/orderline/{line.pk}/change/"' not in response.content.decode()
    assert "Order line: OrderLine object" in response.content.decode()
    assert dict(response.context["model_count"])["order lines"] == 1


def test_weak_protect_blocks_delete_in_admin(admin, customer):
    product = Product.objects.create(name="Pen", sku="P1")
    OrderLine.objects.create(order=Order.objects.create(customer=customer), product=product)
    url = f"/admin/shop/product/{product.pk}/delete/"
    response = admin.get(url)
    assert response.status_code == 200
    assert response.context["protected"]
    assert "would require deleting the following protected related objects" in (
        response.content.decode()
    )
    response = admin.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert Product.objects.filter(pk=product.pk).exists()


def test_delete_selected_action_cascades_across_databases(admin):
    customers = [Customer.objects.create(name=f"c{i}") for i in range(3)]
    for c in customers:
        Order.objects.create(customer=c)
    data = {"action": "delete_selected", "_selected_action": [c.pk for c in customers[:2]]}
    response = admin.post("/admin/shop/customer/", data)
    assert response.status_code == 200
    assert dict(response.context["model_count"]) == {"customers": 2, "orders": 2}
    response = admin.post("/admin/shop/customer/", {**data, "post": "yes"})
    assert response.status_code == 302
    assert list(Customer.objects.values_list("pk", flat=True)) == [customers[2].pk]
    assert list(Order.objects.values_list("customer_id", flat=True)) == [customers[2].pk]


def test_widget_for_a_to_field_key(rf):
    from tests.shop.models import KeyHolder
    from weakrel.admin import WeakRawIdWidget

    product = Product.objects.create(name="Pen", sku="P-1")
    widget = WeakRawIdWidget(KeyHolder._meta.get_field("product"), site)
    context = widget.get_context("product", "P-1", {})
    assert context["related_url"] == "/admin/shop/product/?_to_field=sku"
    assert context["link_label"] == str(product)
    assert context["link_url"] == f"/admin/shop/product/{product.pk}/change/"
    assert widget.get_context("product", "nope", {})["link_label"] == ""

    # The popup may return sku only while a registered model refers to it.
    product_admin = site.get_model_admin(Product)
    request = rf.get("/")
    assert not product_admin.to_field_allowed(request, "sku")
    site.register(KeyHolder)
    try:
        assert product_admin.to_field_allowed(request, "sku")
    finally:
        site.unregister(KeyHolder)
