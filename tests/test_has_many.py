"""HasMany: the reverse related manager of a WeakForeignKey."""

import pytest

from tests.shop.models import Customer, Note, Order, Profile

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def ada():
    return Customer.objects.create(name="Ada")


def test_manager_reads_the_dependents_database(ada, django_assert_num_queries):
    Order.objects.create(customer=ada, total=1)
    Order.objects.create(customer=ada, total=2)
    Order.objects.create(customer=Customer.objects.create(name="Bob"), total=3)
    with django_assert_num_queries(1, using="orders"):
        orders = list(ada.orders.order_by("total"))
    assert [o.total for o in orders] == [1, 2]
    assert all(o._state.db == "orders" for o in orders)
    with django_assert_num_queries(0, using="default"):
        assert orders[0].customer is ada  # known related object, no query


def test_filter_count_exists(ada):
    ada.orders.create(total=10)
    ada.orders.create(total=20)
    assert ada.orders.count() == 2
    assert ada.orders.filter(total__gt=15).count() == 1
    assert ada.orders.exists()
    assert not Customer.objects.create(name="none").orders.exists()


def test_create_sets_the_key_and_routes_the_write(ada):
    order = ada.orders.create(total=5)
    assert order.customer_id == ada.pk
    assert order._state.db == "orders"


def test_get_or_create_and_update_or_create(ada):
    order, created = ada.orders.get_or_create(total=7)
    assert created and order.customer_id == ada.pk
    again, created = ada.orders.get_or_create(total=7)
    assert not created and again == order
    order, created = ada.orders.update_or_create(total=7, defaults={"total": 8})
    assert not created and order.total == 8


def test_add_saves_objects_with_the_key_set(ada):
    bob = Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=bob)
    ada.orders.add(order)
    assert Order.objects.get(pk=order.pk).customer_id == ada.pk
    assert order.customer is ada


def test_add_bulk_false_saves_unsaved_objects(ada):
    order = Order(total=9)
    ada.orders.add(order, bulk=False)
    assert order.pk is not None
    assert Order.objects.get(pk=order.pk).customer_id == ada.pk


def test_add_refuses_unsaved_objects_in_bulk(ada):
    with pytest.raises(ValueError, match="isn't saved"):
        ada.orders.add(Order(total=1))


def test_add_refuses_other_models(ada):
    with pytest.raises(TypeError, match="'Order' instance expected"):
        ada.orders.add(Profile(customer=ada))


def test_set_on_non_nullable_adds(ada):
    bob = Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=bob)
    ada.orders.set([order])
    assert list(ada.orders.all()) == [order]


def test_remove_and_clear_exist_only_for_nullable_keys(ada):
    assert not hasattr(ada.orders, "remove")
    assert not hasattr(ada.orders, "clear")
    order = ada.orders.create()
    assert hasattr(order.notes, "remove")
    assert hasattr(order.notes, "clear")


def test_remove_clear_and_set_on_nullable_keys(ada):
    order = ada.orders.create()
    n1 = order.notes.create(text="1")
    n2 = order.notes.create(text="2")
    n3 = Note.objects.create(text="3")
    order.notes.remove(n1)
    assert Note.objects.get(pk=n1.pk).order_id is None
    order.notes.set([n2, n3])
    assert set(order.notes.all()) == {n2, n3}
    order.notes.clear()
    assert not order.notes.exists()
    assert Note.objects.count() == 3


def test_remove_refuses_unrelated_objects(ada):
    order = ada.orders.create()
    stranger = Note.objects.create(text="x")
    with pytest.raises(Order.DoesNotExist, match="is not related to"):
        order.notes.remove(stranger)


def test_direct_assignment_is_prohibited(ada):
    with pytest.raises(TypeError, match="Use orders.set"):
        ada.orders = []


def test_unsaved_instance_cannot_use_the_manager():
    message = "'Customer' instance needs to have a primary key value before this relationship"
    with pytest.raises(ValueError, match=message):
        Customer(name="new").orders.all()
    with pytest.raises(ValueError, match=message):
        Customer(name="new").orders.count()


def test_using_overrides_the_router(ada):
    Order.objects.create(customer=ada)
    assert ada.orders.using("orders").count() == 1
    assert ada.orders.db_manager("orders").count() == 1


def test_default_accessor_name_is_model_set():
    assert Customer._meta.get_field("orders").field.accessor_name == "orders"
    from tests.shop.models import Order as O

    assert O._meta.get_field("shipments").field.accessor_name == "shipments"


def test_related_querysets_pickle_and_copy(ada):
    import copy
    import pickle

    Order.objects.create(customer=ada, total=3)
    queryset = ada.orders.filter(total=3)
    assert list(pickle.loads(pickle.dumps(queryset))) == list(queryset)
    fresh = ada.orders.all()
    assert list(copy.deepcopy(fresh)) == list(ada.orders.all())
    prefetched = Customer.objects.prefetch_related("orders").get(pk=ada.pk)
    assert [o.total for o in pickle.loads(pickle.dumps(prefetched.orders.all()))] == [3]
