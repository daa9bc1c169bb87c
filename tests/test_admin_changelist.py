"""Change lists over weak keys: links, dangling keys, filters, search, sorting, queries."""

import pytest

from tests.admin_helpers import change_url, get_with_queries
from tests.shop.models import Customer, Order, Region

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("admin_urls")]


def ids(response):
    return [obj.pk for obj in response.context["cl"].result_list]


def page(rows):
    regions = [Region.objects.create(name=name) for name in ("North", "South")]
    customers = [Customer.objects.create(name=f"c{i}", region=regions[i % 2]) for i in range(rows)]
    for c in customers:
        Order.objects.create(customer=c)
    return customers


@pytest.mark.parametrize("rows", [1, 20])
def test_changelist_queries_are_flat_in_the_page_size(admin, rows):
    customers = page(rows)
    response, captured = get_with_queries(admin, "/admin/shop/order/")
    assert response.status_code == 200
    html = response.content.decode()
    for c in customers:
        link = f'<a href="{change_url(c)}">{c.name}</a>'
        assert f'<td class="field-customer">{link}</td>' in html
    # Session, user, the page's customers (one query), then the filters' choices: the
    # customers and their distinct names; the regions in their own database.
    assert len([sql for sql in captured["default"] if "IN (" in sql]) == 1
    assert len(captured["default"]) == 5
    # Count, full count, the page; nothing per row.
    assert len(captured["orders"]) == 3
    assert len(captured["third"]) == 1


def test_a_dangling_key_is_shown_as_missing(admin, customer):
    Order.objects.create(customer=customer)
    gone = Customer.objects.create(name="Gone")
    dangling = Order.objects.create(customer=gone)
    Customer.objects.filter(pk=gone.pk)._raw_delete("default")  # no cascade
    response, captured = get_with_queries(admin, "/admin/shop/order/")
    html = response.content.decode()
    assert f'<a href="{change_url(customer)}">Ada</a>' in html
    assert f"{gone.pk} (missing)</span>" in html
    assert 'class="weakrel-missing"' in html
    assert dangling.pk in ids(response)
    assert len([sql for sql in captured["default"] if "IN (" in sql]) == 1  # not per row


def test_a_null_key_shows_the_empty_value_and_reads_nothing(admin):
    Customer.objects.create(name="Ada")
    response, captured = get_with_queries(admin, "/admin/shop/customer/")
    assert '<td class="field-region">-</td>' in response.content.decode()
    assert captured["third"] == []  # no keys, no query


def test_an_unregistered_target_is_shown_without_a_link(admin):
    from tests.admin_urls import CustomerAdmin, site

    page(1)
    site.unregister(Customer)
    try:
        html = admin.get("/admin/shop/order/").content.decode()
    finally:
        site.register(Customer, CustomerAdmin)
    assert '<td class="field-customer">c0</td>' in html


def test_filter_by_weak_key_with_choices_from_the_targets_database(admin, customer):
    mine = Order.objects.create(customer=customer)
    Order.objects.create(customer=Customer.objects.create(name="Other"))
    response = admin.get("/admin/shop/order/")
    (spec,) = [s for s in response.context["cl"].filter_specs if s.field_path == "customer"]
    assert [label for _key, label in spec.lookup_choices] == ["Ada", "Other"]
    assert f'href="?customer_id__exact={customer.pk}"' in response.content.decode()

    response = admin.get(f"/admin/shop/order/?customer_id__exact={customer.pk}")
    assert ids(response) == [mine.pk]
    # The old way, a parameter on the key column, still works.
    assert ids(admin.get(f"/admin/shop/order/?customer_id={customer.pk}")) == [mine.pk]


def test_filter_through_a_weak_key(admin):
    customers = page(4)
    orders = list(Order.objects.order_by("pk"))
    response = admin.get("/admin/shop/order/")
    specs = {spec.field_path: spec for spec in response.context["cl"].filter_specs}
    assert specs["customer__name"].lookup_choices == ["c0", "c1", "c2", "c3"]
    regions = sorted({c.region_id for c in customers})
    assert sorted(key for key, _label in specs["customer__region"].lookup_choices) == regions

    response = admin.get("/admin/shop/order/?customer__name=c2")
    assert ids(response) == [orders[2].pk]
    north = customers[0].region_id
    response = admin.get(f"/admin/shop/order/?customer__region_id__exact={north}&o=1")
    assert ids(response) == [orders[0].pk, orders[2].pk]


def test_search_through_a_weak_key(admin, customer):
    mine = Order.objects.create(customer=customer)
    Order.objects.create(customer=Customer.objects.create(name="Bob"))
    response, captured = get_with_queries(admin, "/admin/shop/order/?q=ad")
    assert ids(response) == [mine.pk]
    assert any("LIKE" in sql and "shop_customer" in sql for sql in captured["default"])


@pytest.mark.parametrize("param, expected", [("o=2", [1, 0]), ("o=-2", [0, 1])])
def test_sorting_by_a_weak_key_sorts_by_the_key_and_says_so(admin, param, expected):
    a, b = Customer.objects.create(name="B"), Customer.objects.create(name="A")
    orders = [Order.objects.create(customer=b), Order.objects.create(customer=a)]
    response = admin.get(f"/admin/shop/order/?{param}")
    assert ids(response) == [orders[i].pk for i in expected]
    html = response.content.decode()
    assert "Customer (sorted by customer_id)" in html
    assert "sorted by customer_id" not in admin.get("/admin/shop/order/").content.decode()


def test_filter_counts_through_a_weak_key(admin):
    customers = page(3)
    response = admin.get("/admin/shop/order/?_facets=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{customers[0].name} (1)" in html
    north = customers[0].region_id
    assert f'href="?_facets=1&amp;customer__region_id__exact={north}"' in html
