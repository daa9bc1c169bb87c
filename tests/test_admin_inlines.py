"""Inlines over weak keys: a parent's dependents, in other databases, on its page."""

import pytest
from django.contrib.admin import AdminSite
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext

from tests.admin_helpers import NO_ORDERS, change_url, get_with_queries
from tests.clinic.models import Appointment, Patient, Physician, Referral
from tests.shop.models import Account, Customer, Invoice, Order, Profile, Subscription
from weakrel.admin import WeakModelAdmin, WeakTabularInline

pytestmark = [pytest.mark.django_db(databases="__all__"), pytest.mark.usefixtures("admin_urls")]


def management(prefix, total, initial):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial)}


def customer_data(customer, orders=(), new=(), delete=(), name=None):
    """The customer page's POST: its existing orders (with new totals), new ones."""
    data = {"name": name or customer.name, "region": "", **NO_ORDERS}
    data |= management("orders", len(orders) + len(new), len(orders))
    for i, (order, total) in enumerate([*orders, *((None, t) for t in new)]):
        data[f"orders-{i}-total"] = str(total)
        data[f"orders-{i}-customer"] = str(customer.pk)
        if order is not None:
            data[f"orders-{i}-id"] = str(order.pk)
            if order in delete:
                data[f"orders-{i}-DELETE"] = "on"
    return data


@pytest.mark.parametrize("rows", [1, 12])
def test_the_inline_reads_its_rows_with_one_query_per_database(admin, customer, rows):
    orders = [Order.objects.create(customer=customer, total=i) for i in range(rows)]
    Profile.objects.create(customer=customer, bio="hello")
    response, captured = get_with_queries(admin, change_url(customer))
    assert response.status_code == 200
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    assert [form.instance.pk for form in formsets["orders"].initial_forms] == [o.pk for o in orders]
    assert formsets["profile"].initial_forms[0].instance.bio == "hello"
    html = response.content.decode()
    assert f'name="orders-{rows - 1}-total"' in html
    assert len(captured["orders"]) == 1  # the orders
    assert len(captured["third"]) == 1  # the profile


def test_add_change_and_delete_rows_in_another_database(admin, customer):
    kept, gone = Order.objects.create(customer=customer), Order.objects.create(customer=customer)
    other = Order.objects.create(customer=Customer.objects.create(name="Bo"), total=7)
    data = customer_data(customer, [(kept, 5), (gone, 0)], new=[9], delete=[gone], name="Ada L.")
    response = admin.post(change_url(customer), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    rows = Order.objects.filter(customer=customer).order_by("total")
    assert [(o.pk == kept.pk, o.total) for o in rows] == [(True, 5), (False, 9)]
    assert not Order.objects.filter(pk=gone.pk).exists()
    assert Order.objects.get(pk=other.pk).total == 7
    customer.refresh_from_db()
    assert customer.name == "Ada L."


def test_an_invalid_row_writes_nothing_anywhere(admin, customer):
    order = Order.objects.create(customer=customer, total=1)
    data = customer_data(customer, [(order, "many")], new=[3], name="Changed")
    response = admin.post(change_url(customer), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert list(formset.errors[0]) == ["total"]
    assert list(Order.objects.values_list("total", flat=True)) == [1]
    customer.refresh_from_db()
    assert customer.name == "Ada"


def test_a_row_cannot_move_to_another_parent(admin, customer):
    order = Order.objects.create(customer=customer, total=1)
    data = customer_data(customer, [(order, 2)])
    data["orders-0-customer"] = str(Customer.objects.create(name="Bo").pk)
    response = admin.post(change_url(customer), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert [e.code for e in formset.errors[0].as_data()["customer"]] == ["invalid_choice"]
    assert Order.objects.get().total == 1


def fail_on(table, after=0):
    """An execute wrapper that fails the (after+1)th INSERT into ``table``."""
    inserts = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and table in sql:
            inserts.append(sql)
            if len(inserts) > after:
                raise OperationalError(f"injected failure inserting into {table}")
        return execute(sql, params, many, context)

    return wrapper


def test_a_failure_in_the_second_database_leaves_nothing_half_saved(admin, customer):
    order = Order.objects.create(customer=customer, total=1)
    data = customer_data(customer, [(order, 2)], new=[3, 4], name="Changed")
    # The customer (default) is saved first, the orders (orders) after it: the second
    # new order fails.
    with connections["orders"].execute_wrapper(fail_on("shop_order", after=1)):
        with pytest.raises(OperationalError, match="injected"):
            admin.post(change_url(customer), data)
    customer.refresh_from_db()
    assert customer.name == "Ada"
    assert list(Order.objects.values_list("pk", "total")) == [(order.pk, 1)]
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.exists()


def test_a_new_parent_with_its_dependents(admin):
    data = {"name": "New", "region": "", **NO_ORDERS} | management("orders", 2, 0)
    data |= {"orders-0-total": "3", "orders-1-total": "4"}
    data |= management("profile", 1, 0) | {"profile-0-bio": "hi"}
    response = admin.post("/admin/shop/customer/add/", data)
    assert response.status_code == 302
    customer = Customer.objects.get(name="New")
    assert sorted(customer.orders.values_list("total", flat=True)) == [3, 4]
    assert customer.profile.bio == "hi" and customer.profile._state.db == "third"


def test_has_one_inline_allows_one_row(admin, customer):
    response = admin.get(change_url(customer))
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    assert formsets["profile"].max_num == 1
    data = customer_data(customer) | management("profile", 2, 0)
    data |= {"profile-0-bio": "a", "profile-1-bio": "b"}
    response = admin.post(change_url(customer), data)
    assert response.status_code == 200
    assert not Profile.objects.exists()


def physician_data(physician, rows, referrals=()):
    data = {"name": physician.name} | management("appointment_set", len(rows), 0)
    data |= management("referrals_made", len(referrals), 0)
    for i, (patient_key, at) in enumerate(rows):
        data |= {f"appointment_set-{i}-patient": str(patient_key)}
        data |= {f"appointment_set-{i}-at_0": at, f"appointment_set-{i}-at_1": "10:00"}
    for i, (specialist, patient) in enumerate(referrals):
        data |= {f"referrals_made-{i}-specialist": str(specialist.pk)}
        data |= {f"referrals_made-{i}-patient": str(patient.pk)}
    return data


def test_through_rows_of_a_has_many_through(admin):
    physician = Physician.objects.create(name="Ann")
    specialist = Physician.objects.create(name="Ben")
    bo, cy = Patient.objects.create(name="Bo"), Patient.objects.create(name="Cy")
    data = physician_data(
        physician, [(bo.pk, "2026-03-02"), (cy.pk, "2026-03-03")], referrals=[(specialist, bo)]
    )
    response = admin.post(change_url(physician), data)
    assert response.status_code == 302
    assert list(physician.patients.values_list("name", flat=True)) == ["Bo", "Cy"]
    referral = Referral.objects.get()
    assert (referral.referrer_id, referral.specialist_id) == (physician.pk, specialist.pk)


def test_a_dangling_key_in_a_row_is_an_error(admin):
    physician = Physician.objects.create(name="Ann")
    bo = Patient.objects.create(name="Bo")
    data = physician_data(physician, [(bo.pk, "2026-03-02"), (bo.pk + 100, "2026-03-03")])
    response = admin.post(change_url(physician), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.errors[0] == {}
    assert [e.code for e in formset.errors[1].as_data()["patient"]] == ["does_not_exist"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("rows", [2, 10])
def test_the_rows_weak_keys_are_read_once_per_database(admin, rows):
    physician = Physician.objects.create(name="Ann")
    patients = [Patient.objects.create(name=f"p{i}") for i in range(rows)]
    for patient in patients:
        Appointment.objects.create(physician=physician, patient=patient, at="2026-03-02T09:00Z")
    response, captured = get_with_queries(admin, change_url(physician))
    html = response.content.decode()
    assert all(f'<a href="{change_url(p)}">{p.name}</a>' in html for p in patients)
    # The patients of every row (and the referrals' patients: none), in one query.
    assert len(captured["third"]) == 1
    assert len(captured["orders"]) == 2  # appointments, referrals

    data = physician_data(physician, [])
    data |= management("appointment_set", rows, rows)
    for i, appointment in enumerate(Appointment.objects.order_by("pk")):
        data |= {
            f"appointment_set-{i}-id": str(appointment.pk),
            f"appointment_set-{i}-patient": str(appointment.patient_id),
            f"appointment_set-{i}-at_0": "2026-03-04",
            f"appointment_set-{i}-at_1": "10:00",
        }
    with CaptureQueriesContext(connections["third"]) as third:
        response = admin.post(change_url(physician), data)
    assert response.status_code == 302
    assert len(third.captured_queries) == 1  # every row's patient checked with one query


def test_a_protected_row_cannot_be_deleted_from_the_inline(admin):
    account = Account.objects.create(name="acme")
    subscription = Subscription.objects.create(account=account)
    Invoice.objects.create(subscription=subscription)
    data = {"name": "acme"} | management("subscriptions", 1, 1)
    data |= {"subscriptions-0-id": str(subscription.pk), "subscriptions-0-DELETE": "on"}
    response = admin.post(change_url(account), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    (error,) = formset.non_form_errors()
    assert error == (
        f"Deleting subscription {subscription} would require deleting the following "
        f"protected related objects: invoice {Invoice.objects.get()}"
    )
    assert error in response.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def check_ids(inline_class, parent=Physician):
    admin_class = type("ParentAdmin", (WeakModelAdmin,), {"inlines": [inline_class]})
    return [e.id for e in admin_class(parent, AdminSite()).check()]


def test_checks_of_weak_inlines():
    def inline(model, **attrs):
        return type("Inline", (WeakTabularInline,), {"model": model, **attrs})

    assert check_ids(inline(Appointment)) == []
    assert check_ids(inline(Referral, fk_name="specialist")) == []
    assert check_ids(inline(Referral)) == ["weakrel.E402"]  # two keys, no fk_name
    assert check_ids(inline(Referral, fk_name="patient")) == ["weakrel.E402"]
    assert check_ids(inline(Order)) == ["weakrel.E402"]  # no key to a physician
    assert check_ids(inline(Appointment, exclude=["physician"])) == ["weakrel.E403"]


def test_checks_of_list_filter_paths():
    def ids(*list_filter):
        admin_class = type("OrderAdmin", (WeakModelAdmin,), {"list_filter": list_filter})
        return [e.id for e in admin_class(Order, AdminSite()).check()]

    assert ids("customer", "customer__name", "customer__region", "customer__region__name") == []
    assert ids("customer__nope") == ["weakrel.E401"]
    assert ids("customer__name__region") == ["weakrel.E401"]
    assert ids("nope__name") == ["admin.E116"]
