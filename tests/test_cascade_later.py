"""on_delete=CASCADE_LATER: the row goes at once, its dependents in a Django task.

These tests run the task the way a backend would, one enqueued run at a time (the
dummy backend keeps what was enqueued) or at once (the immediate backend). A real
worker process runs it in tests/test_cascade_worker.py.
"""

import json
from importlib.util import find_spec
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.db.models import ProtectedError, signals
from django.test.utils import CaptureQueriesContext

from tests.shop.models import (
    Account,
    Attachment,
    Invoice,
    Mailbox,
    Reply,
    Subscription,
    Ticket,
)
from weakrel import journal

if find_spec("django.tasks"):
    from django.tasks import task_backends
else:
    from django_tasks import task_backends

TASKS = "django.tasks" if find_spec("django.tasks") else "django_tasks"

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


class Boom(Exception):
    pass


@pytest.fixture
def dummy(settings):
    """Tasks are kept, not run: ``run_next()`` runs the oldest, as a worker would."""
    settings.TASKS = {"default": {"BACKEND": f"{TASKS}.backends.dummy.DummyBackend"}}
    return task_backends["default"]


def run_next(backend):
    result = backend.results.pop(0)
    return result.task.call(*result.args, **result.kwargs)


def run_all(backend) -> list[dict]:
    done = []
    while backend.results:
        done.append(run_next(backend))
    return done


@pytest.fixture
def batch_of_two(settings):
    settings.WEAKREL = {"CASCADE_BATCH_SIZE": 2}


def account(name: str, tickets: int) -> Account:
    owner = Account.objects.create(name=name)
    Mailbox.objects.create(account=owner)
    for n in range(tickets):
        ticket = Ticket.objects.create(account=owner, subject=f"{name} {n}")
        Reply.objects.create(ticket=ticket)
        Attachment.objects.create(ticket=ticket)
    owner.original_pk = owner.pk
    return owner


def left(owner: Account) -> dict[str, int]:
    tickets = list(Ticket.objects.filter(account_id=owner.original_pk).values_list("pk", flat=True))
    return {
        "account": Account.objects.filter(pk=owner.original_pk).count(),
        "mailbox": Mailbox.objects.filter(account_id=owner.original_pk).count(),
        "tickets": len(tickets),
        "replies": Reply.objects.filter(ticket_id__in=tickets).count(),
        "attachments": Attachment.objects.filter(ticket_id__in=tickets).count(),
    }


def pending() -> list:
    return [entry for alias in journal.journal_aliases() for entry in journal.pending(alias)]


def test_the_account_goes_at_once_its_tickets_in_batches_afterwards(dummy, batch_of_two):
    ada, bob = account("Ada", 5), account("Bob", 2)
    deleted = ada.delete()
    # The account and its mailbox (CASCADE) now; the tickets wait for the task.
    assert deleted == (2, {"shop.Account": 1, "shop.Mailbox": 1})
    assert left(ada) == {"account": 0, "mailbox": 0, "tickets": 5, "replies": 5, "attachments": 5}
    entries = pending()
    assert {entry.relation for entry in entries} == {
        "shop.ticket.account",
        "shop.subscription.account",
    }
    assert {(entry.using, tuple(entry.keys)) for entry in entries} == {
        ("orders", (ada.original_pk,))
    }
    # One task, with JSON arguments: the journal's alias and the cascade's id.
    [result] = dummy.results
    assert result.args == ["default", str(entries[0].cascade), None]
    assert json.loads(json.dumps(result.args)) == result.args

    # Each run deletes at most two tickets, with their replies and attachments, and
    # enqueues the next; the subscriptions' entry comes last and finds none.
    assert run_next(dummy) == {"shop.Reply": 2, "shop.Ticket": 2, "shop.Attachment": 2}
    assert left(ada)["tickets"] == 3 and left(ada)["attachments"] == 3
    assert len(dummy.results) == 1
    assert run_next(dummy) == {"shop.Reply": 2, "shop.Ticket": 2, "shop.Attachment": 2}
    assert run_next(dummy) == {"shop.Reply": 1, "shop.Ticket": 1, "shop.Attachment": 1}
    assert [entry.relation for entry in pending()] == ["shop.subscription.account"]
    assert run_all(dummy) == [{}]
    assert left(ada) == {"account": 0, "mailbox": 0, "tickets": 0, "replies": 0, "attachments": 0}
    assert pending() == []
    assert left(bob) == {"account": 1, "mailbox": 1, "tickets": 2, "replies": 2, "attachments": 2}


def test_queryset_delete_enqueues_one_cascade_for_all_rows(dummy, batch_of_two):
    owners = [account(name, 3) for name in ("Ada", "Bob", "Cy")]
    Account.objects.filter(name__in=["Ada", "Bob"]).delete()
    assert len(dummy.results) == 1
    counts = run_all(dummy)
    # Six tickets, two per run, then the subscriptions' entry.
    assert [run.get("shop.Ticket", 0) for run in counts] == [2, 2, 2, 0]
    assert [left(owner)["tickets"] for owner in owners] == [0, 0, 3]
    assert pending() == []


def test_the_delete_reads_no_ticket(dummy):
    ada = account("Ada", 3)
    with CaptureQueriesContext(connections["orders"]) as orders:
        ada.delete()
    sql = " ".join(query["sql"] for query in orders.captured_queries)
    assert "shop_ticket" not in sql
    # Subscriptions may be protected by an invoice: read at the delete, not deleted.
    assert "shop_subscription" in sql
    assert left(ada)["tickets"] == 3


def test_protect_below_a_later_cascade_refuses_the_delete_at_once(dummy):
    ada = account("Ada", 2)
    subscription = Subscription.objects.create(account=ada)
    Invoice.objects.create(subscription=subscription)
    with pytest.raises(ProtectedError) as refused:
        ada.delete()
    assert str(refused.value.args[0]) == (
        "Cannot delete some instances of model 'Account' because they are referenced "
        "through protected foreign keys: 'Invoice.subscription'."
    )
    assert {type(obj) for obj in refused.value.protected_objects} == {Invoice}
    # Nothing written, nothing enqueued.
    assert left(ada) == {"account": 1, "mailbox": 1, "tickets": 2, "replies": 2, "attachments": 2}
    assert pending() == [] and dummy.results == []

    Invoice.objects.all().delete()
    Account.objects.get(pk=ada.original_pk).delete()
    run_all(dummy)
    assert not Subscription.objects.exists()
    assert left(ada)["tickets"] == 0


def test_the_immediate_backend_runs_the_cascade_when_the_delete_commits(batch_of_two):
    ada = account("Ada", 5)
    with transaction.atomic(using="default"):
        ada.delete()
        assert left(ada)["tickets"] == 5
    assert left(ada) == {"account": 0, "mailbox": 0, "tickets": 0, "replies": 0, "attachments": 0}
    assert pending() == []


def test_a_rolled_back_delete_enqueues_nothing(dummy):
    ada = account("Ada", 2)
    with pytest.raises(Boom), transaction.atomic(using="default"):
        ada.delete()
        raise Boom
    assert left(ada) == {"account": 1, "mailbox": 1, "tickets": 2, "replies": 2, "attachments": 2}
    assert pending() == [] and dummy.results == []


def test_a_committed_outer_transaction_enqueues_at_its_commit(dummy):
    ada = account("Ada", 2)
    with transaction.atomic(using="default"):
        ada.delete()
        assert dummy.results == []
    assert len(dummy.results) == 1
    run_all(dummy)
    assert left(ada)["tickets"] == 0 and pending() == []


@pytest.fixture
def failing_ticket():
    """Deleting the ticket named "Ada 0" raises, once armed."""
    armed = {"on": True}

    def receiver(instance, **kwargs):
        if armed["on"] and instance.subject == "Ada 0":
            raise Boom("ticket")

    signals.pre_delete.connect(receiver, sender=Ticket, weak=False)
    yield armed
    signals.pre_delete.disconnect(receiver, sender=Ticket)


def check(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("weakrel_check", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_failing_batch_stays_in_the_journal_and_the_rest_goes_on(dummy, failing_ticket):
    ada = account("Ada", 2)
    Subscription.objects.create(account=ada)
    ada.delete()
    with pytest.raises(Boom):
        run_next(dummy)
    # The batch rolled back; the subscriptions' entry was enqueued all the same.
    assert left(ada)["tickets"] == 2
    assert run_all(dummy) == [{"shop.Subscription": 1}]
    [entry] = pending()
    assert entry.relation == "shop.ticket.account"
    assert entry.last_error == "Boom: ticket"

    code, _, err = check()
    assert code == 1
    assert "1 cascade(s) pending" in err
    assert "on_delete of shop.ticket.account in 'orders' for 1 deleted key(s)" in err
    assert "background" in err and "last error: Boom: ticket" in err

    failing_ticket["on"] = False
    code, out, _ = check("--resume")
    assert code == 0 and "1 pending cascade(s) finished." in out
    assert left(ada)["tickets"] == 0 and pending() == []
    assert check()[0] == 0


def test_weakrel_check_shows_the_pending_work_and_resume_does_it(dummy, batch_of_two):
    ada = account("Ada", 3)
    ada.delete()
    code, out, err = check("--format=json")
    assert code == 1
    document = json.loads(out)
    background = [c for c in document["pending_cascades"] if c["background"]]
    assert {c["relation"] for c in background} == {
        "shop.ticket.account",
        "shop.subscription.account",
    }
    # Until the task runs, the tickets point at an account that is gone.
    assert {r["relation"]: r["orphans"] for r in document["relations"]}["shop.Ticket.account"] == 3

    code, out, _ = check("--resume")
    assert code == 0
    assert left(ada)["tickets"] == 0 and pending() == []
    # The task, run late, finds nothing left.
    assert run_all(dummy) == [{}]
