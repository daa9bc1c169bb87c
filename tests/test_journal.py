"""The cascade journal: what it holds, ``weakrel_check`` reporting it, ``--resume``
finishing it at a cost that follows the pending work, not the tables."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext

import weakrel
from tests.integrity_helpers import failing_trigger
from tests.shop.models import A, Customer, Order, OrderLine, Product, R
from weakrel import journal
from weakrel.deletion import resume, run_entry
from weakrel.models import PendingCascade

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


class Boom(Exception):
    pass


def pending_delete(orders: int = 2) -> int:
    """A customer deleted while its orders' transaction rolled back: the work waits
    in the journal. Returns the customer's key."""
    product = Product.objects.get_or_create(name="p", sku="P")[0]
    customer = Customer.objects.create(name="Ada")
    for total in range(orders):
        order = Order.objects.create(customer=customer, total=total)
        OrderLine.objects.create(order=order, product=product)
    pk = customer.pk
    with pytest.raises(Boom), transaction.atomic(using="orders"):
        customer.delete()
        raise Boom
    assert not Customer.objects.filter(pk=pk).exists()
    assert Order.objects.filter(customer_id=pk).count() == orders
    return pk


def entries() -> list[PendingCascade]:
    return [entry for alias in journal.journal_aliases() for entry in journal.pending(alias)]


def queries_of(function) -> int:
    contexts = [CaptureQueriesContext(connections[alias]) for alias in connections]
    for context in contexts:
        context.__enter__()
    try:
        function()
    finally:
        for context in contexts:
            context.__exit__(None, None, None)
    return sum(len(context.captured_queries) for context in contexts)


def test_an_entry_names_the_relation_the_database_and_the_keys():
    pk = pending_delete()
    by_relation = {entry.relation: entry for entry in entries()}
    entry = by_relation["shop.order.customer"]
    assert entry.using == "orders"
    assert entry.keys == [pk]
    assert str(entry) == "shop.order.customer in 'orders': 1 deleted keys"
    # The journal lives with the deleted rows: in the customers' database.
    assert PendingCascade.objects.using("default").filter(pk=entry.pk).exists()


def test_resume_cost_follows_the_pending_work_not_the_tables():
    other = Customer.objects.create(name="Bob")
    Order.objects.bulk_create(Order(customer_id=other.pk) for _ in range(10))
    pending_delete()
    small = queries_of(lambda: resume())
    assert not entries()

    Order.objects.bulk_create(Order(customer_id=other.pk) for _ in range(9_990))
    pk = pending_delete()
    large = queries_of(lambda: resume())
    assert not entries()
    assert Order.objects.filter(customer_id=pk).count() == 0
    assert Order.objects.filter(customer_id=other.pk).count() == 10_000
    assert small == large


def test_resume_reads_the_dependents_again():
    """Rows added after the delete (here: written without the check) are handled."""
    pk = pending_delete()
    Order.objects.bulk_create([Order(customer_id=pk, total=99)])
    done, failed = resume()
    assert not failed and done
    assert Order.objects.filter(customer_id=pk).count() == 0


def test_running_an_entry_twice_changes_nothing_more():
    pk = pending_delete()
    entry = next(e for e in entries() if e.relation == "shop.order.customer")
    _, first = run_entry("default", entry)
    assert first["shop.Order"] == 2 and first["shop.OrderLine"] == 2
    assert run_entry("default", entry) == (0, {})
    assert not PendingCascade.objects.filter(pk=entry.pk).exists()
    assert Order.objects.filter(customer_id=pk).count() == 0


def test_a_failed_resume_keeps_the_entry_and_its_error():
    pk = pending_delete()
    with failing_trigger("orders", "shop_order"):
        done, failed = resume()
    assert [entry.relation for _alias, entry, _error in failed] == ["shop.order.customer"]
    entry = PendingCascade.objects.get(relation="shop.order.customer")
    assert "injected failure" in entry.last_error
    assert Order.objects.filter(customer_id=pk).count() == 2
    # With the failure gone, --resume finishes it (and exits 0).
    out = StringIO()
    call_command("weakrel_check", resume=True, stdout=out)
    assert "Finished cascade #" in out.getvalue()
    assert Order.objects.filter(customer_id=pk).count() == 0
    assert not entries()


def test_resume_failure_exits_1_naming_the_entry():
    pending_delete()
    err = StringIO()
    with failing_trigger("orders", "shop_order"), pytest.raises(SystemExit) as exit_info:
        call_command("weakrel_check", resume=True, stdout=StringIO(), stderr=err)
    assert exit_info.value.code == 1
    assert "Failed cascade #" in err.getvalue()
    assert "shop.order.customer in 'orders'" in err.getvalue()
    assert "injected failure" in err.getvalue()


def test_check_lists_pending_cascades_as_json():
    pk = pending_delete()
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("weakrel_check", format="json", stdout=out, stderr=StringIO())
    assert exit_info.value.code == 1
    document = json.loads(out.getvalue())
    assert document["orphans"] > 0  # the waiting orders dangle until resumed
    cascade = next(c for c in document["pending_cascades"] if c["relation"].endswith("customer"))
    assert cascade["journal"] == "default" and cascade["using"] in ("orders", "third")
    assert cascade["keys"] == 1
    resume()
    assert Order.objects.filter(customer_id=pk).count() == 0
    call_command("weakrel_check", stdout=StringIO())  # exits 0


def test_scan_reports_pending_cascades_like_the_command():
    pending_delete()
    report = weakrel.scan()
    relations = [entry.relation for _alias, entry in report.pending_cascades]
    assert "shop.order.customer" in relations
    assert report.exit_status == 1
    document = report.as_dict()
    assert [c["relation"] for c in document["pending_cascades"]] == relations
    # Naming relations scans those only, as the command does.
    assert weakrel.scan("shop.Order").pending_cascades == []
    resume()
    assert weakrel.scan().pending_cascades == []


def test_resume_with_nothing_pending():
    out = StringIO()
    call_command("weakrel_check", resume=True, stdout=out)
    assert "0 pending cascade(s) finished." in out.getvalue()


def test_resume_refuses_other_options():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--resume takes no relations"):
        call_command("weakrel_check", "shop", resume=True)


def test_protect_refuses_before_anything_is_written_inside_a_transaction():
    r = R.objects.create(name="r")
    A.objects.create(protect=r)
    with pytest.raises(ProtectedError), transaction.atomic(using="default"):
        r.delete()
    assert R.objects.filter(pk=r.pk).exists()
    assert A.objects.count() == 1
    assert not entries()


def test_a_failed_root_delete_writes_no_entry():
    customer = Customer.objects.create(name="Ada")
    Order.objects.create(customer=customer)
    with failing_trigger("default", "shop_customer"), pytest.raises(DatabaseError):
        customer.delete()
    assert not entries()
    assert Order.objects.count() == 1


# -- where the journal's table is ----------------------------------------------------


def test_the_journal_table_is_in_every_database_holding_weak_targets():
    assert journal.journal_aliases() == ["default", "orders", "third"]
    assert all(journal.holds_weak_targets(alias) for alias in connections)


def test_a_database_without_weak_targets_gets_no_journal(settings):
    # Every weak target routed to ``default``: ``third`` then holds none.
    routes = dict(settings.WEAKREL_TEST_ROUTES)
    for label in ("shop.region", "shop.product", "shop.profile", "shop.shipment"):
        routes[label] = "default"
    routes = {label: "default" if alias == "third" else alias for label, alias in routes.items()}
    settings.WEAKREL_TEST_ROUTES = routes
    assert not journal.holds_weak_targets("third")
    assert journal.holds_weak_targets("default")
    operation = journal.CreateJournal(name="PendingCascade", fields=[])
    assert not operation.allow_migrate_model("third", PendingCascade)
    assert operation.allow_migrate_model("default", PendingCascade)


# -- the admin --------------------------------------------------------------------


@pytest.fixture
def admin(client, settings):
    from django.contrib.auth import get_user_model

    settings.ROOT_URLCONF = "tests.admin_urls"
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def test_the_admin_lists_each_journal_read_only(admin):
    from django.contrib import admin as django_admin

    assert django_admin.site.is_registered(PendingCascade)
    pending_delete()
    url = "/admin/weakrel/pendingcascade/"
    response = admin.get(url)
    assert response.status_code == 200
    listed = {obj.relation for obj in response.context["cl"].result_list}
    assert "shop.order.customer" in listed
    assert response.context["has_add_permission"] is False
    # The orders' journal is empty: its deletes were rolled back.
    response = admin.get(url + "?journal=orders")
    assert list(response.context["cl"].result_list) == []
    entry = PendingCascade.objects.get(relation="shop.order.customer")
    response = admin.get(f"{url}{entry.pk}/change/")
    assert response.status_code == 200
    assert b"shop.order.customer" in response.content
    assert not response.context["has_change_permission"]
    assert admin.post(f"{url}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin.get(url + "add/").status_code == 403


# -- weakrel.E012 --------------------------------------------------------------------


class RefusesWeakrel:
    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if app_label == "weakrel" and db == "orders" else None


def test_check_journal_routing_fires_where_the_router_refuses_the_journal(settings):
    from django.core import checks

    from weakrel.journal import check_journal_routing

    assert check_journal_routing() == []
    settings.DATABASE_ROUTERS = ["tests.test_journal.RefusesWeakrel", *settings.DATABASE_ROUTERS]
    [error] = check_journal_routing()
    assert error.id == "weakrel.E012"
    assert "Database 'orders' holds targets of weak relations" in error.msg
    assert "weakrel.E012" in [m.id for m in checks.run_checks()]
