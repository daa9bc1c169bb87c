import pytest

from tests.shop.models import Customer, Order, Profile

pytestmark = pytest.mark.django_db(databases="__all__")


def test_forward_and_reverse(django_assert_num_queries):
    c = Customer.objects.create(name="Ada")
    o = Order.objects.create(customer=c, total=5)
    assert o._state.db == "orders"
    o = Order.objects.get(pk=o.pk)
    with django_assert_num_queries(1, using="default"):
        assert o.customer == c
    assert list(c.orders.all()) == [o]
    o2 = c.orders.create(total=7)
    assert o2.customer_id == c.pk
    assert c.orders.count() == 2
    assert list(Order.objects.filter(customer__name="Ada").order_by("id")) == [o, o2]
    assert list(Customer.objects.filter(orders__total__gt=6)) == [c]
    p = Profile.objects.create(customer=c)
    assert Customer.objects.get(pk=c.pk).profile == p
    cs = list(Customer.objects.prefetch_related("orders", "profile"))
    assert cs[0].orders.all()[0].total in (5, 7)
    c.delete()
    assert Order.objects.count() == 0
    assert Profile.objects.count() == 0
