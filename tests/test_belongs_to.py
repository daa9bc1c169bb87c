"""BelongsTo: WeakForeignKey's forward side, across databases."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

import weakrel
from tests.shop.models import (
    CharTarget,
    Customer,
    KeyHolder,
    Order,
    Product,
    Region,
    UUIDTarget,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def ada():
    return Customer.objects.create(name="Ada")


def test_rows_live_in_their_own_databases(ada):
    order = Order.objects.create(customer=ada, total=3)
    assert ada._state.db == "default"
    assert order._state.db == "orders"
    assert Order.objects.using("orders").filter(pk=order.pk).exists()


def test_forward_access_reads_target_database_once_and_caches(ada, django_assert_num_queries):
    order = Order.objects.create(customer=ada)
    order = Order.objects.get(pk=order.pk)
    with django_assert_num_queries(1, using="default"):
        assert order.customer == ada
        assert order.customer.name == "Ada"
    assert order.customer._state.db == "default"


def test_raw_key_is_the_column(ada):
    order = Order.objects.create(customer=ada)
    assert order.customer_id == ada.pk
    assert Order.objects.filter(customer_id=ada.pk).get() == order


def test_assignment_across_databases_sets_the_key(ada):
    bob = Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=ada)
    order.customer = bob  # no allow_relation error although the databases differ
    assert order.customer_id == bob.pk
    order.save()
    assert Order.objects.get(pk=order.pk).customer == bob


def test_changing_the_key_drops_the_stale_cached_object(ada, django_assert_num_queries):
    bob = Customer.objects.create(name="Bob")
    order = Order.objects.create(customer=ada)
    assert order.customer == ada
    order.customer_id = bob.pk
    with django_assert_num_queries(1, using="default"):
        assert order.customer == bob


def test_assigning_wrong_model_is_a_value_error(ada):
    order = Order(customer=ada)
    with pytest.raises(ValueError, match='must be a "Customer" instance'):
        order.customer = Region.objects.create(name="north")


def test_dangling_key_on_access_raises_target_does_not_exist(ada):
    order = Order.objects.create(customer=ada)
    Customer.objects.filter(pk=ada.pk).update(name="x")
    Order.objects.filter(pk=order.pk).update(customer_id=987654)
    order = Order.objects.get(pk=order.pk)
    with pytest.raises(Customer.DoesNotExist) as excinfo:
        order.customer  # noqa: B018
    assert isinstance(excinfo.value, Order.customer.RelatedObjectDoesNotExist)
    assert "Order.customer" in str(excinfo.value)
    assert "987654" in str(excinfo.value)


def test_null_key_reads_none():
    region = Region.objects.create(name="north")
    customer = Customer.objects.create(name="Cy")
    assert customer.region is None
    customer.region = region
    customer.save()
    assert Customer.objects.get(pk=customer.pk).region == region
    customer.region = None
    assert customer.region_id is None


def test_saving_a_dangling_key_raises_and_writes_nothing():
    with pytest.raises(weakrel.DanglingReferenceError) as excinfo:
        Order.objects.create(customer_id=424242, total=1)
    assert isinstance(excinfo.value, IntegrityError)
    assert "Order.customer" in str(excinfo.value) and "424242" in str(excinfo.value)
    assert excinfo.value.database == "default"
    assert Order.objects.count() == 0


def test_update_to_a_dangling_key_raises_and_keeps_the_row(ada):
    order = Order.objects.create(customer=ada, total=1)
    order.customer_id = 99999
    with pytest.raises(weakrel.DanglingReferenceError):
        order.save()
    assert Order.objects.get(pk=order.pk).customer_id == ada.pk


def test_update_fields_without_the_key_skips_the_check(ada, django_assert_num_queries):
    order = Order.objects.create(customer=ada, total=1)
    order.total = 2
    with django_assert_num_queries(0, using="default"):
        order.save(update_fields=["total"])


def test_saving_checks_existence_with_one_query(ada, django_assert_num_queries):
    with django_assert_num_queries(1, using="default"):
        Order.objects.create(customer_id=ada.pk)


def test_saving_with_a_loaded_target_needs_no_check(ada, django_assert_num_queries):
    with django_assert_num_queries(0, using="default"):
        Order.objects.create(customer=ada)


def test_unsaved_target_is_refused_like_django(ada):
    order = Order(customer=Customer(name="new"))
    with pytest.raises(ValueError, match="unsaved related object 'customer'"):
        order.save()


def test_target_saved_after_assignment_is_picked_up():
    customer = Customer(name="late")
    order = Order(customer=customer)
    customer.save()
    order.save()
    assert order.customer_id == customer.pk


def test_full_clean_reports_a_dangling_key_on_the_field():
    order = Order(customer_id=31337)
    with pytest.raises(ValidationError) as excinfo:
        order.full_clean()
    assert "customer" in excinfo.value.message_dict
    assert "does not exist" in excinfo.value.message_dict["customer"][0]


def test_full_clean_accepts_an_existing_key(ada):
    Order(customer_id=ada.pk).full_clean()


def test_enforce_false_skips_the_check(django_assert_num_queries):
    with django_assert_num_queries(0, using="third"):
        holder = KeyHolder.objects.create(unchecked_id=777)
    assert KeyHolder.objects.get(pk=holder.pk).unchecked_id == 777
    assert KeyHolder._meta.get_field("unchecked").deconstruct()[3]["enforce"] is False


def test_string_key_is_converted_with_the_target_to_python(ada):
    order = Order.objects.create(customer_id=str(ada.pk))
    assert order.customer_id == ada.pk
    assert Order.objects.filter(customer=str(ada.pk)).get() == order


def test_malformed_key_is_a_validation_error_not_a_database_error():
    with pytest.raises(ValidationError):
        Order.objects.create(customer_id="abc")
    # A lookup refuses it as Django refuses a malformed value: with ValueError.
    with pytest.raises(ValueError, match="value must be an integer"):
        list(Order.objects.filter(customer="abc"))
    assert Order.objects.count() == 0


def test_explicit_using_is_respected_for_writes(ada):
    order = Order(customer=ada)
    order.save(using="orders")
    assert Order.objects.using("orders").get(pk=order.pk).customer == ada


def test_uuid_char_and_to_field_keys():
    target = UUIDTarget.objects.create()
    code = CharTarget.objects.create(code="AB-1")
    product = Product.objects.create(name="p", sku="SKU-9")
    holder = KeyHolder.objects.create(uuid_target=target, char_target=code, product=product)
    assert holder.product_id == "SKU-9"
    holder = KeyHolder.objects.get(pk=holder.pk)
    assert holder.uuid_target_id == target.pk
    assert isinstance(holder.uuid_target_id, uuid.UUID)
    assert holder.uuid_target == target
    assert holder.char_target == code
    assert holder.product == product
    assert KeyHolder.objects.filter(uuid_target=str(target.pk)).get() == holder
    assert KeyHolder.objects.filter(product__name="p").get() == holder
    with pytest.raises(weakrel.DanglingReferenceError):
        KeyHolder.objects.create(product_id="NOPE")
    with pytest.raises(ValidationError):
        KeyHolder.objects.create(uuid_target_id="not-a-uuid")


def test_column_type_follows_the_target_key():
    from django.db import connections

    conn = connections["orders"]
    holder = KeyHolder._meta
    assert holder.get_field("char_target").db_type(conn) == CharTarget._meta.pk.db_type(conn)
    assert holder.get_field("product").db_type(conn) == Product._meta.get_field("sku").db_type(conn)
    assert Order._meta.get_field("customer").db_type(conn) == Customer._meta.pk.rel_db_type(conn)


def test_check_references_checks_a_batch_in_one_query(ada, django_assert_num_queries):
    orders = [Order(customer_id=ada.pk), Order(customer_id=ada.pk), Order(customer_id=55555)]
    with django_assert_num_queries(1, using="default"):
        with pytest.raises(weakrel.DanglingReferenceError, match="55555"):
            weakrel.check_references(orders)
    with django_assert_num_queries(1, using="default"):
        weakrel.check_references(orders[:2])


def test_serializers_round_trip_the_raw_key(ada):
    from django.core import serializers

    order = Order.objects.create(customer=ada, total=4)
    payload = serializers.serialize("json", [order])
    assert f'"customer": {ada.pk}' in payload
    Order.objects.all().delete()
    (restored,) = serializers.deserialize("json", payload)
    restored.save()  # fixtures load as they are (raw), like Django's loaddata
    assert Order.objects.get(pk=order.pk).customer == ada


def test_abstract_and_inherited_weak_keys():
    from django.db import models
    from django.test.utils import isolate_apps

    with isolate_apps("tests.shop"):

        class Base(models.Model):
            owner = weakrel.WeakForeignKey(
                Customer, weakrel.CASCADE, related_name="%(app_label)s_%(class)s_set"
            )

            class Meta:
                abstract = True
                app_label = "shop"

        class Invoice(Base):
            class Meta:
                app_label = "shop"

        class Receipt(Base):
            class Meta:
                app_label = "shop"

        assert Invoice._meta.get_field("owner").accessor_name == "shop_invoice_set"
        assert Receipt._meta.get_field("owner").accessor_name == "shop_receipt_set"
        assert Invoice._meta.get_field("owner").related_model is Customer


@pytest.mark.django_db(databases="__all__")
def test_setting_the_key_forgets_the_cached_target_as_django_does():
    from tests.shop.models import Note

    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada)
    note = Note.objects.create(order=order)
    assert note.order == order
    note.order_id = None  # the cached order must not be written back
    note.save()
    note.refresh_from_db()
    assert note.order_id is None and note.order is None


@pytest.mark.django_db(databases="__all__")
def test_refresh_from_db_forgets_the_cached_target():
    ada = Customer.objects.create(name="Ada")
    order = Order.objects.create(customer=ada)
    assert order.customer.name == "Ada"
    Customer.objects.filter(pk=ada.pk).update(name="Ada Lovelace")
    order.refresh_from_db()
    assert order.customer.name == "Ada Lovelace"


@pytest.mark.django_db(databases="__all__")
def test_check_unchanged_keys_setting(django_assert_num_queries):
    from django.test import override_settings

    ada = Customer.objects.create(name="Ada")
    order = Order.objects.get(pk=Order.objects.create(customer=ada).pk)
    # By default a re-save checks the key again, as a constraint would.
    with django_assert_num_queries(1, using="default"):
        order.save()
    with override_settings(WEAKREL={"CHECK_UNCHANGED_KEYS": False}):
        order = Order.objects.get(pk=order.pk)  # loaded while the setting is False
        with django_assert_num_queries(0, using="default"):
            order.save()
        order.customer_id = 424242  # changed: checked whatever the setting
        with pytest.raises(weakrel.DanglingReferenceError):
            order.save()


@pytest.mark.django_db(databases="__all__")
def test_a_target_saved_after_assignment_gives_its_key_once():
    customer = Customer(name="Later")
    note_order = Order(customer=customer)  # assigned before it was saved
    customer.save()
    note_order.save()
    assert Order.objects.get(pk=note_order.pk).customer_id == customer.pk
    from tests.shop.models import Note

    note = Note(order=Order(customer=customer))
    note.order.save()
    note.save()
    note.order_id = None  # the key taken once is not taken again
    note.save()
    assert Note.objects.get(pk=note.pk).order_id is None
