"""Filtering through a weak relation: the far side is resolved first, never joined."""

import pytest
from django.core.exceptions import FieldError
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.shop.models import Customer, Order, Product, Region
from weakrel.routing import key_chunk_size

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def people():
    north = Region.objects.create(name="north")
    ada = Customer.objects.create(name="Ada", region=north)
    bob = Customer.objects.create(name="Bob")
    alan = Customer.objects.create(name="Alan", region=north)
    orders = {
        "ada1": Order.objects.create(customer=ada, total=50),
        "ada2": Order.objects.create(customer=ada, total=150),
        "bob1": Order.objects.create(customer=bob, total=500),
        "alan1": Order.objects.create(customer=alan, total=5),
    }
    return {"ada": ada, "bob": bob, "alan": alan, "north": north, **orders}


def ids(queryset):
    return sorted(obj.pk for obj in queryset)


def test_exact_through_the_relation(people, django_assert_num_queries):
    with django_assert_num_queries(1, using="default"):
        with django_assert_num_queries(1, using="orders"):
            found = ids(Order.objects.filter(customer__name="Ada"))
    assert found == sorted([people["ada1"].pk, people["ada2"].pk])


def test_other_lookups_through_the_relation(people):
    assert ids(Order.objects.filter(customer__name__startswith="A")) == ids(
        [people["ada1"], people["ada2"], people["alan1"]]
    )
    assert ids(Order.objects.filter(customer__name__in=["Bob"])) == [people["bob1"].pk]
    assert ids(Order.objects.filter(customer__name__icontains="la")) == [people["alan1"].pk]


def test_no_cross_database_join_is_written(people):
    with CaptureQueriesContext(connections["orders"]) as orders_sql:
        list(Order.objects.filter(customer__name="Ada"))
    (statement,) = [q["sql"] for q in orders_sql.captured_queries]
    assert "customer" not in statement.lower().split("from")[1].split("where")[0]
    assert "JOIN" not in statement.upper()
    assert " IN (" in statement


def test_no_match_means_an_empty_result(people):
    assert list(Order.objects.filter(customer__name="Nobody")) == []
    assert Order.objects.exclude(customer__name="Nobody").count() == 4


def test_exclude(people):
    assert ids(Order.objects.exclude(customer__name="Ada")) == ids(
        [people["bob1"], people["alan1"]]
    )


def test_in_with_instances_and_a_queryset(people, django_assert_num_queries):
    assert ids(Order.objects.filter(customer__in=[people["bob"], people["alan"]])) == ids(
        [people["bob1"], people["alan1"]]
    )
    with django_assert_num_queries(1, using="default"):
        found = ids(Order.objects.filter(customer__in=Customer.objects.filter(name="Bob")))
    assert found == [people["bob1"].pk]


def test_exact_instance_and_key_paths_stay_local(people, django_assert_num_queries):
    with django_assert_num_queries(0, using="default"):
        assert ids(Order.objects.filter(customer=people["bob"])) == [people["bob1"].pk]
        assert ids(Order.objects.filter(customer__pk=people["bob"].pk)) == [people["bob1"].pk]
        assert ids(Order.objects.filter(customer__id__in=[people["bob"].pk])) == [people["bob1"].pk]
        assert Order.objects.filter(customer__isnull=False).count() == 4


def test_two_hops_across_three_databases(people):
    found = ids(Order.objects.filter(customer__region__name="north"))
    assert found == ids([people["ada1"], people["ada2"], people["alan1"]])


def test_reverse_filtering(people):
    assert ids(Customer.objects.filter(orders__total__gt=100)) == ids(
        [people["ada"], people["bob"]]
    )
    assert ids(Customer.objects.filter(orders__total=5)) == [people["alan"].pk]
    assert ids(Region.objects.filter(customers__name="Ada")) == [people["north"].pk]


def test_combined_with_local_filters(people):
    found = ids(Order.objects.filter(customer__name="Ada", total__gt=100))
    assert found == [people["ada2"].pk]


def test_unknown_field_is_a_field_error():
    with pytest.raises(FieldError):
        Order.objects.filter(customer__nmae="x")
    with pytest.raises(FieldError):
        Order.objects.filter(customer__name__nosuchlookup="x")


def test_string_and_to_field_keys():
    from tests.shop.models import KeyHolder

    product = Product.objects.create(name="lamp", sku="L-1")
    holder = KeyHolder.objects.create(product=product)
    assert list(KeyHolder.objects.filter(product__name="lamp")) == [holder]
    assert list(Product.objects.filter(holders__id=holder.pk)) == [product]


def test_more_keys_than_one_statement_may_bind(django_assert_num_queries):
    n = key_chunk_size("orders") + 10
    customers = Customer.objects.bulk_create([Customer(name="many") for _ in range(n)])
    Order.objects.create(customer=customers[-1], total=1)
    with django_assert_num_queries(1, using="orders"):
        assert Order.objects.filter(customer__name="many").count() == 1


# Django 6.1 deprecates select_related() without arguments; until it is gone, a bare
# call must still leave weak keys out of the joins.
@pytest.mark.filterwarnings(r"ignore:Calling select_related\(\) with no arguments is deprecated")
def test_select_related_never_joins_a_weak_key(people):
    assert Order.objects.select_related().count() == 4
    assert len(list(Order.objects.select_related())) == 4
    assert "JOIN" not in str(Order.objects.select_related().query).upper()
    with pytest.raises(FieldError, match="Non-relational field given in select_related"):
        list(Order.objects.select_related("customer"))


def test_aggregating_a_reverse_weak_relation_is_refused_not_wrong(people):
    from django.db.models import Count

    with pytest.raises(FieldError, match="'orders' is a weak relation to another database"):
        list(Customer.objects.annotate(n=Count("orders")))
    with pytest.raises(FieldError, match="weak relation"):
        list(Customer.objects.order_by("orders"))
    with pytest.raises(FieldError):
        list(Customer.objects.annotate(n=Count("orders__id")))


def test_a_path_through_a_weak_relation_is_not_a_value(people):
    from django.db.models import F

    with pytest.raises(FieldError, match="'customer__name' goes through a weak relation"):
        list(Order.objects.annotate(who=F("customer__name")))
    with pytest.raises(FieldError, match="goes through a weak relation"):
        list(Order.objects.order_by("customer__name"))


def test_reverse_isnull(people, django_assert_num_queries):
    lonely = Customer.objects.create(name="Lonely")
    with django_assert_num_queries(1, using="orders"):
        assert ids(Customer.objects.filter(orders__isnull=True)) == [lonely.pk]
    assert ids(Customer.objects.filter(orders__isnull=False)) == ids(
        [people["ada"], people["bob"], people["alan"]]
    )
    assert ids(Customer.objects.exclude(orders__isnull=True)) == ids(
        [people["ada"], people["bob"], people["alan"]]
    )
    Order.objects.all().delete()
    assert Customer.objects.filter(orders__isnull=True).count() == 4
    assert not Customer.objects.filter(orders__isnull=False).exists()
