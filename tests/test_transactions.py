"""Deleting across databases in every transaction context a Django project uses.

The invariant: no outcome leaves dependents deleted, nulled or pulled while the row
the user deleted survives, and a rollback anywhere before the root commits leaves
every database as it was. Each test deletes a customer (``default``) whose orders and
lines live in ``orders`` and whose profile and shipments live in ``third``, in one
context, with real commits and rollbacks.
"""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models.signals import post_delete

from tests.shop.models import Customer, Note, Order, OrderLine, Product, Profile, Shipment
from weakrel import journal

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


class Boom(Exception):
    pass


@pytest.fixture
def ada():
    """Ada and her dependents in all three databases; Bob, whose rows must stay."""
    product = Product.objects.create(name="p", sku="P-1")
    customers = []
    for name in ("Ada", "Bob"):
        customer = Customer.objects.create(name=name)
        Profile.objects.create(customer=customer)
        for total in (1, 2):
            order = Order.objects.create(customer=customer, total=total)
            OrderLine.objects.create(order=order, product=product)
            Shipment.objects.create(order=order)
            Note.objects.create(order=order, text="n")
        customers.append(customer)
    ada = customers[0]
    ada.original_pk = ada.pk  # delete() sets pk to None
    return ada


def state(customer_pk):
    """What is left of one customer's rows, in every database."""
    orders = list(Order.objects.filter(customer_id=customer_pk).values_list("pk", flat=True))
    return {
        "customer": Customer.objects.filter(pk=customer_pk).count(),
        "profile": Profile.objects.filter(customer_id=customer_pk).count(),
        "orders": len(orders),
        "lines": OrderLine.objects.filter(order_id__in=orders).count(),
        "shipments": Shipment.objects.filter(order_id__in=orders).count(),
    }


INTACT = {"customer": 1, "profile": 1, "orders": 2, "lines": 2, "shipments": 2}
GONE = {"customer": 0, "profile": 0, "orders": 0, "lines": 0, "shipments": 0}
# The customer is deleted; the work left in other databases waits in the journal.
PENDING = {"customer": 0, "profile": 1, "orders": 2, "lines": 2, "shipments": 2}


def pending_entries() -> int:
    return sum(journal.pending(alias).count() for alias in journal.journal_aliases())


def assert_bob_untouched():
    bob = Customer.objects.get(name="Bob")
    assert state(bob.pk) == INTACT


def resume():
    from weakrel.deletion import resume as run

    done, failed = run()
    assert not failed
    return done


def test_autocommit(ada):
    ada.delete()
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0
    assert Note.objects.filter(order__isnull=True).count() == 2
    assert_bob_untouched()


def test_outer_atomic_on_the_root_committed(ada):
    with transaction.atomic(using="default"):
        ada.delete()
        # Not before the root commits: the dependents wait for it.
        assert state(ada.original_pk) == PENDING
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0
    assert_bob_untouched()


def test_outer_atomic_on_the_root_rolled_back(ada):
    with pytest.raises(Boom), transaction.atomic(using="default"):
        ada.delete()
        raise Boom
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0
    assert_bob_untouched()


def test_queryset_delete_in_outer_atomic_rolled_back(ada):
    with pytest.raises(Boom), transaction.atomic(using="default"):
        Customer.objects.filter(name="Ada").delete()
        raise Boom
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0


def test_outer_atomic_on_the_dependents_database_committed(ada):
    with transaction.atomic(using="orders"):
        ada.delete()
        assert Customer.objects.filter(pk=ada.original_pk).count() == 0
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0


def test_outer_atomic_on_the_dependents_database_rolled_back(ada):
    """The root has committed; the orders' transaction rolls back. The orders come
    back (never deleted while the customer lives), and the journal still holds the
    work, which ``--resume`` finishes."""
    with pytest.raises(Boom), transaction.atomic(using="orders"):
        ada.delete()
        raise Boom
    left = state(ada.original_pk)
    assert left["customer"] == 0
    assert left["orders"] == 2 and left["lines"] == 2
    assert pending_entries() > 0
    resume()
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0
    assert_bob_untouched()


def test_nested_savepoint_rolled_back_outer_committed(ada):
    with transaction.atomic(using="default"):
        with pytest.raises(Boom), transaction.atomic(using="default"):
            ada.delete()
            raise Boom
        assert Customer.objects.filter(pk=ada.original_pk).exists()
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0


def test_nested_savepoint_committed_outer_rolled_back(ada):
    with pytest.raises(Boom), transaction.atomic(using="default"):
        with transaction.atomic(using="default"):
            ada.delete()
        raise Boom
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0


def test_nested_savepoints_committed(ada):
    with transaction.atomic(using="default"), transaction.atomic(using="default"):
        ada.delete()
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0


def test_outer_atomic_on_every_database_rolled_back(ada):
    with pytest.raises(Boom):  # noqa: SIM117 - the nesting order is the point
        with transaction.atomic(using="third"):
            with transaction.atomic(using="orders"):
                with transaction.atomic(using="default"):
                    ada.delete()
                    raise Boom
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0


def test_root_commits_then_the_outer_dependents_transaction_rolls_back(ada):
    """``default`` commits inside the others' blocks; they then roll back. The
    customer is gone and its dependents wait, intact, in the journal."""
    with pytest.raises(Boom):  # noqa: SIM117 - the nesting order is the point
        with transaction.atomic(using="third"):
            with transaction.atomic(using="orders"):
                with transaction.atomic(using="default"):
                    ada.delete()
                raise Boom
    assert state(ada.original_pk) == PENDING
    assert pending_entries() > 0
    resume()
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0


# -- ATOMIC_REQUESTS ------------------------------------------------------------------


@pytest.fixture
def atomic_requests(monkeypatch):
    """ATOMIC_REQUESTS on every alias: Django wraps the view in one atomic block per
    alias, the last alias outermost."""
    for alias in connections:
        monkeypatch.setitem(connections.settings[alias], "ATOMIC_REQUESTS", True)


@pytest.fixture
def raising_post_delete():
    def receiver(**kwargs):
        raise Boom("post_delete")

    post_delete.connect(receiver, sender=Customer, weak=False)
    yield
    post_delete.disconnect(receiver, sender=Customer)


def test_atomic_requests_committed(ada, atomic_requests, client):
    response = client.delete(f"/customers/{ada.pk}/")
    assert response.status_code == 204
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0
    assert_bob_untouched()


def test_atomic_requests_view_fails(ada, atomic_requests, raising_post_delete, client):
    with pytest.raises(Boom):
        client.delete(f"/customers/{ada.pk}/")
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0


# -- the admin's delete view ----------------------------------------------------------


@pytest.fixture
def admin(client, settings):
    settings.ROOT_URLCONF = "tests.admin_urls"
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_admin_delete_view(ada, admin):
    response = admin.post(f"/admin/shop/customer/{ada.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert state(ada.original_pk) == GONE
    assert pending_entries() == 0


def test_admin_delete_view_with_a_failing_receiver(ada, admin, raising_post_delete):
    with pytest.raises(Boom):
        admin.post(f"/admin/shop/customer/{ada.pk}/delete/", {"post": "yes"})
    assert state(ada.original_pk) == INTACT
    assert pending_entries() == 0
    assert_bob_untouched()
