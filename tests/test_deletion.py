"""on_delete across databases, one relation per option (after Django's tests/delete)."""

import pytest
from django.db import models
from django.db.models.signals import post_delete, pre_delete
from django.test.utils import isolate_apps

import weakrel
from tests.shop.models import (
    A,
    Customer,
    Note,
    Order,
    OrderLine,
    Product,
    Profile,
    R,
    Region,
    Shipment,
)

pytestmark = pytest.mark.django_db(databases="__all__")


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Customer, Order, OrderLine, Note, Shipment, Profile, Product)
    }


def test_cascade():
    r = R.objects.create()
    a = A.objects.create(cascade=r)
    r.delete()
    assert not A.objects.filter(pk=a.pk).exists()


def test_protect_raises_before_anything_is_deleted():
    r = R.objects.create()
    a = A.objects.create(protect=r)
    other = A.objects.create(cascade=r)
    with pytest.raises(models.ProtectedError) as excinfo:
        r.delete()
    assert str(excinfo.value.args[0]) == (
        "Cannot delete some instances of model 'R' because they are referenced through "
        "protected foreign keys: 'A.protect'."
    )
    assert excinfo.value.protected_objects == {a}
    assert R.objects.filter(pk=r.pk).exists()
    assert A.objects.filter(pk=other.pk).exists()


def test_restrict_raises():
    r = R.objects.create()
    a = A.objects.create(restrict=r)
    with pytest.raises(models.RestrictedError) as excinfo:
        r.delete()
    assert "'A.restrict'" in excinfo.value.args[0]
    assert excinfo.value.restricted_objects == {a}
    assert R.objects.filter(pk=r.pk).exists()


def test_restrict_allows_a_row_a_cascade_deletes_too():
    r = R.objects.create()
    a = A.objects.create(restrict=r, cascade_owner=r)
    r.delete()
    assert not A.objects.filter(pk=a.pk).exists()


def test_set_null():
    r = R.objects.create()
    a = A.objects.create(setnull=r)
    r.delete()
    assert A.objects.get(pk=a.pk).setnull_id is None


def test_set_default():
    r = R.objects.create()
    a = A.objects.create(setdefault=r)
    default = R.objects.get(name="default")
    r.delete()
    assert A.objects.get(pk=a.pk).setdefault_id == default.pk


def test_do_nothing_leaves_the_key():
    r = R.objects.create()
    a = A.objects.create(donothing=r)
    key = r.pk
    r.delete()
    assert A.objects.get(pk=a.pk).donothing_id == key


def test_django_on_delete_functions_mean_the_same():
    assert Shipment._meta.get_field("order").on_delete is models.CASCADE
    order = Order.objects.create(customer=Customer.objects.create(name="x"))
    Shipment.objects.create(order=order)
    order.delete()
    assert Shipment.objects.count() == 0


def test_cascade_follows_weak_and_ordinary_relations_recursively():
    product = Product.objects.create(name="p", sku="s")
    ada = Customer.objects.create(name="Ada")
    Profile.objects.create(customer=ada)
    order = Order.objects.create(customer=ada)
    OrderLine.objects.create(order=order, product=product)  # native FK, same database
    Shipment.objects.create(order=order)  # weak CASCADE into a third database
    note = Note.objects.create(order=order)  # weak SET_NULL back in the first database
    deleted, per_model = ada.delete()
    assert per_model == {
        "shop.Customer": 1,
        "shop.Order": 1,
        "shop.OrderLine": 1,
        "shop.Profile": 1,
        "shop.Shipment": 1,
    }
    assert deleted == 5
    assert Note.objects.get(pk=note.pk).order_id is None
    assert counts() == {
        "Customer": 0,
        "Order": 0,
        "OrderLine": 0,
        "Note": 1,
        "Shipment": 0,
        "Profile": 0,
        "Product": 1,
    }
    assert ada.pk is None


def test_queryset_delete_cascades_in_one_query_per_relation(django_assert_num_queries):
    customers = Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(20)])
    for customer in customers:
        Order.objects.create(customer=customer)
    Customer.objects.filter(name__startswith="c").delete()
    assert Order.objects.count() == 0


def test_cascade_reads_each_database_a_fixed_number_of_times(django_assert_max_num_queries):
    customers = Customer.objects.bulk_create([Customer(name=f"c{i}") for i in range(30)])
    for customer in customers:
        Order.objects.create(customer=customer)
    # orders: select orders, delete lines, coupons, steps and orders, a savepoint, and
    # the journal entry for the shipments in ``third``, written then forgotten.
    with django_assert_max_num_queries(9, using="orders"):
        Customer.objects.all().delete()
    assert Order.objects.count() == 0


def test_protect_on_the_far_side_of_a_cascade():
    product = Product.objects.create(name="p", sku="s")
    order = Order.objects.create(customer=Customer.objects.create(name="x"))
    OrderLine.objects.create(order=order, product=product)
    with pytest.raises(models.ProtectedError):
        product.delete()
    assert Product.objects.count() == 1


def test_set_null_on_the_first_database_from_a_second():
    region = Region.objects.create(name="north")
    ada = Customer.objects.create(name="Ada", region=region)
    region.delete()
    assert Customer.objects.get(pk=ada.pk).region_id is None


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_failure_in_a_later_database_leaves_every_database_as_it_was():
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada)
    OrderLine.objects.create(order=order, product=Product.objects.create(name="p", sku="s"))
    Shipment.objects.create(order=order)
    Note.objects.create(order=order)
    before = counts()

    def fail(sender, instance, **kwargs):
        raise RuntimeError("injected failure in the third database")

    post_delete.connect(fail, sender=Shipment, dispatch_uid="test-fail")
    try:
        with pytest.raises(RuntimeError, match="injected"):
            ada.delete()
    finally:
        post_delete.disconnect(dispatch_uid="test-fail", sender=Shipment)
    assert counts() == before
    assert Note.objects.get().order_id == order.pk


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_failure_in_the_root_database_rolls_back_the_dependents():
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada)
    Shipment.objects.create(order=order)
    before = counts()

    def fail(sender, instance, **kwargs):
        raise RuntimeError("injected failure in the first database")

    pre_delete.connect(fail, sender=Customer, dispatch_uid="test-fail-root")
    try:
        with pytest.raises(RuntimeError, match="injected"):
            ada.delete()
    finally:
        pre_delete.disconnect(dispatch_uid="test-fail-root", sender=Customer)
    assert counts() == before


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_successful_delete_commits_every_database():
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada)
    Shipment.objects.create(order=order)
    ada.delete()
    assert counts()["Order"] == 0 and counts()["Shipment"] == 0 and counts()["Customer"] == 0


def test_plain_models_keep_django_fast_delete(django_assert_num_queries):
    a = A.objects.create()
    with django_assert_num_queries(1, using="orders"):
        a.delete()


def test_a_restrict_lifted_by_a_cascade_through_a_weak_key():
    """Django's rule: a restricted row also deleted through another cascade is no
    obstacle. Rim restricts Hub, and cascades from Spoke, which a weak key cascades
    from Hub."""
    from tests.shop.models import Hub, Rim, Spoke

    hub, other = Hub.objects.create(), Hub.objects.create()
    spoke = Spoke.objects.create(hub=hub)
    Rim.objects.create(hub=hub, spoke=spoke)
    hub.delete()
    assert not Hub.objects.filter(pk=hub.pk).exists()
    assert not Spoke.objects.exists() and not Rim.objects.exists()

    # Restricted through a row that no cascade deletes: refused, as Django refuses it.
    spoke = Spoke.objects.create(hub=other)
    rim = Rim.objects.create(hub=other, spoke=Spoke.objects.create(hub=Hub.objects.create()))
    with pytest.raises(models.RestrictedError) as excinfo:
        other.delete()
    assert excinfo.value.restricted_objects == {rim}
    assert Spoke.objects.filter(pk=spoke.pk).exists()


@isolate_apps("tests.shop")
def test_set_is_accepted_by_the_checks():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, models.SET(0))

        class Meta:
            app_label = "shop"

    assert [e.id for e in Source.check() if e.id.startswith("weakrel")] == []


def test_set_writes_its_value_and_calls_a_callable():
    keep, gone = R.objects.create(), R.objects.create()
    field = A._meta.get_field("setnull")
    real = field.on_delete
    try:
        field.on_delete = models.SET(lambda: keep)
        a = A.objects.create(setnull=gone)
        gone.delete()
        assert A.objects.get(pk=a.pk).setnull_id == keep.pk
    finally:
        field.on_delete = real


# -- rows only weak relations depend on --------------------------------------------


def deletes(context) -> list[str]:
    """The DELETE statements of dependents (not the journal's)."""
    return [
        q["sql"]
        for q in context.captured_queries
        if q["sql"].startswith("DELETE") and "weakrel_pendingcascade" not in q["sql"]
    ]


@pytest.mark.parametrize("with_signal", [False, True], ids=["fast", "signal"])
def test_rows_only_weak_relations_depend_on_go_in_one_statement(with_signal):
    """Django deletes collected rows 100 keys at a time; pages, which only weak
    relations depend on, go with one DELETE, unless a receiver needs them one by one."""
    from django.db import connections
    from django.db.models.signals import pre_delete
    from django.test.utils import CaptureQueriesContext

    from tests.shop.models import Folder, Page, Revision

    folder, other = Folder.objects.create(), Folder.objects.create()
    pages = Page.objects.bulk_create([Page(folder_id=folder.pk) for _ in range(250)])
    Page.objects.create(folder=other)
    Revision.objects.bulk_create([Revision(page_id=page.pk) for page in pages for _ in (1, 2)])
    seen = []

    def receiver(instance, **kwargs):
        seen.append(instance.pk)

    if with_signal:
        pre_delete.connect(receiver, sender=Page, weak=False)
    try:
        with (
            CaptureQueriesContext(connections["orders"]) as orders,
            CaptureQueriesContext(connections["third"]) as third,
        ):
            result = folder.delete()
    finally:
        pre_delete.disconnect(receiver, sender=Page)
    assert result == (751, {"shop.Revision": 500, "shop.Page": 250, "shop.Folder": 1})
    assert Page.objects.count() == 1 and Revision.objects.count() == 0
    assert len(deletes(third)) == 1
    if with_signal:
        assert sorted(seen) == sorted(page.pk for page in pages)
        assert len(deletes(orders)) == 3  # Django's batches of 100
    else:
        assert seen == []
        assert len(deletes(orders)) == 1
