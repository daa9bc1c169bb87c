"""Background cascades in a real worker process; run by tests/test_cascade_worker.py.

``python -m tests.worker_driver SEED`` works on its own databases (the pair named by
WEAKREL_DB, with WEAKREL_DB_PREFIX in their names) with tests/worker_settings.py:
django-tasks' database backend, in batches of three. Each scenario seeds accounts
with tickets (each with a reply in ``orders`` and an attachment in ``third``),
deletes some accounts, checks that only the accounts went, then starts a worker:

* ``worker``: ``db_worker --batch`` runs every cascade to its end, one batch per
  task, each task enqueueing the next;
* ``mid_batch``: the worker dies (``os._exit``) in the middle of a batch, before it
  commits; ``weakrel_check --resume`` finishes the cascade;
* ``after_commit``: the worker dies right after the tickets' database commits a
  batch, before the attachments' database does and before it enqueues the next;
  ``--resume`` finishes.

The worker (``python -m tests.worker_driver work``) is the ``db_worker`` command with
a receiver that writes a Tombstone for each ticket it deletes, in the same
transaction: a batch deleted twice leaves two, a lost one none. Prints one JSON
document with what each scenario saw.
"""

import json
import math
import os
import random
import subprocess
import sys
from collections import Counter

import django

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.worker_settings"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections, transaction  # noqa: E402
from django.db.models.signals import post_delete  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from tests.databases import create_databases  # noqa: E402
from tests.shop.models import (  # noqa: E402
    Account,
    Attachment,
    Mailbox,
    Reply,
    Subscription,
    Ticket,
    Tombstone,
)
from weakrel import journal  # noqa: E402
from weakrel.conf import weakrel_settings  # noqa: E402
from weakrel.keys import sorted_keys  # noqa: E402
from weakrel.routing import chunks  # noqa: E402

BATCH = weakrel_settings.CASCADE_BATCH_SIZE
MODELS = [Tombstone, Attachment, Reply, Ticket, Subscription, Mailbox, Account, DBTaskResult]
SCENARIOS = ["worker", "mid_batch", "after_commit"]
WORKER_TIMEOUT = 120
KILLED = 17


def empty() -> None:
    for model in MODELS:
        model._base_manager.all()._raw_delete(model._base_manager.db)
    for alias in journal.journal_aliases():
        journal.pending(alias)._raw_delete(alias)


def seed(rng: random.Random) -> dict[int, list[int]]:
    """Five accounts with 1 to 7 tickets each: {account key: ticket keys}."""
    accounts = Account.objects.bulk_create([Account(name=f"a{i}") for i in range(5)])
    Mailbox.objects.bulk_create([Mailbox(account_id=a.pk) for a in accounts])
    Ticket.objects.bulk_create(
        [Ticket(account_id=a.pk) for a in accounts for _ in range(rng.randint(1, 7))]
    )
    tickets: dict[int, list[int]] = {a.pk: [] for a in accounts}
    for pk, account_id in Ticket.objects.order_by("pk").values_list("pk", "account_id"):
        tickets[account_id].append(pk)
    every = [pk for keys in tickets.values() for pk in keys]
    Reply.objects.bulk_create([Reply(ticket_id=pk) for pk in every])
    Attachment.objects.bulk_create([Attachment(ticket_id=pk) for pk in every])
    return tickets


def delete(doomed: list[int]) -> list[list[int]]:
    """One account alone, the others with one queryset in a transaction; the keys
    of each delete."""
    Account.objects.get(pk=doomed[0]).delete()
    deletes = [doomed[:1]]
    if len(doomed) > 1:
        with transaction.atomic(using="default"):
            Account.objects.filter(pk__in=doomed[1:]).delete()
        deletes.append(doomed[1:])
    return deletes


def expected_tasks(deletes: list[list[int]], tickets: dict[int, list[int]]) -> int:
    """One run per batch: per entry (at most BATCH accounts' keys), its tickets in
    batches of BATCH, and one run for the subscriptions' entry (they have none)."""
    runs = 0
    for keys in deletes:
        for chunk in chunks(sorted_keys(keys), BATCH):
            found = sum(len(tickets[key]) for key in chunk)
            runs += max(1, math.ceil(found / BATCH)) + 1
    return runs


def run(*args: str) -> int:
    """A process of this module (``work`` or ``resume``), bounded in time."""
    connections.close_all()
    done = subprocess.run(
        [sys.executable, "-m", "tests.worker_driver", *args],
        env=os.environ,
        timeout=WORKER_TIMEOUT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, KILLED):
        sys.stderr.write(done.stdout + done.stderr)
    return done.returncode


def pending() -> int:
    return sum(journal.pending(alias).count() for alias in journal.journal_aliases())


def consistent(tickets: dict[int, list[int]]) -> list[str]:
    """Each ticket is either gone with its reply, its tombstone written once, or
    there with its reply and no tombstone. (Attachments may lag: a worker killed
    between the commits leaves them to the journal.)"""
    problems = []
    left = set(Ticket.objects.values_list("pk", flat=True))
    replies = Counter(Reply.objects.values_list("ticket_id", flat=True))
    tombs = Counter(Tombstone.objects.values_list("ticket_id", flat=True))
    for pk in (pk for keys in tickets.values() for pk in keys):
        want = (1, 0) if pk in left else (0, 1)
        if (replies[pk], tombs[pk]) != want:
            problems.append(
                f"ticket {pk} there={pk in left} replies={replies[pk]} tombs={tombs[pk]}"
            )
    return problems


def finished(tickets: dict[int, list[int]], doomed: list[int]) -> list[str]:
    """Every doomed account's rows gone, each ticket deleted once; the rest intact."""
    problems = consistent(tickets)
    for account, keys in tickets.items():
        want = 0 if account in doomed else len(keys)
        got = (
            Ticket.objects.filter(account_id=account).count(),
            Attachment.objects.filter(ticket_id__in=keys).count(),
        )
        if got != (want, want):
            problems.append(f"account {account}: tickets, attachments {got}, not {want}")
    if Account.objects.filter(pk__in=doomed).exists():
        problems.append("a deleted account came back")
    if pending():
        problems.append(f"{pending()} journal entries left")
    return problems


def scenario(rng: random.Random, name: str) -> dict:
    empty()
    tickets = seed(rng)
    doomed = rng.sample(sorted(tickets), rng.randint(2, 4))
    if name != "worker" and sum(len(tickets[pk]) for pk in doomed) <= BATCH:
        doomed = sorted(tickets)  # a kill needs a second batch to happen in
    doomed_tickets = sum(len(tickets[pk]) for pk in doomed)
    deletes = delete(doomed)
    problems = []
    if Ticket.objects.filter(account_id__in=doomed).count() != doomed_tickets:
        problems.append("tickets deleted before the task ran")
    queued = DBTaskResult.objects.filter(status="READY").count()
    journaled = pending()

    kill_after = rng.randint(BATCH + 1, doomed_tickets) if name != "worker" else 0
    worker = run("work", str(kill_after), "commit" if name == "after_commit" else "now")
    statuses = Counter(DBTaskResult.objects.values_list("status", flat=True))
    deleted = Tombstone.objects.count()
    resumed = None
    if name == "worker":
        runs = [r.return_value for r in DBTaskResult.objects.all()]
        if len(runs) != expected_tasks(deletes, tickets):
            problems.append(f"{len(runs)} runs, not {expected_tasks(deletes, tickets)}")
        if any(run_.get("shop.Ticket", 0) > BATCH for run_ in runs):
            problems.append(f"a run deleted more than {BATCH} tickets: {runs}")
    else:
        problems += consistent(tickets)
        if name == "mid_batch" and deleted >= kill_after:
            problems.append(f"{deleted} tickets deleted: the killed batch was kept")
        if name == "after_commit" and deleted < kill_after:
            problems.append(f"{deleted} tickets deleted: the committed batch was lost")
        if statuses["RUNNING"] != 1 or not pending():
            problems.append(f"after the kill: tasks {dict(statuses)}, {pending()} entries")
        resumed = run("resume")
    problems += finished(tickets, doomed)
    return {
        "scenario": name,
        "deletes": len(deletes),
        "queued": queued,
        "journaled": journaled,
        "worker_exit": worker,
        "resume_exit": resumed,
        "tasks": dict(statuses),
        "deleted_before_resume": deleted,
        "problems": problems,
    }


def tombstones(kill_after: int = 0, at_commit: bool = False) -> None:
    """Write a Tombstone for each ticket deleted, in its transaction; die after the
    ``kill_after``-th, at once or when the tickets' database commits."""
    count = 0

    def receiver(instance, using, **kwargs):
        nonlocal count
        Tombstone.objects.using(using).create(ticket_id=instance.pk)
        count += 1
        if count == kill_after:
            if at_commit:
                transaction.on_commit(lambda: os._exit(KILLED), using=using)
            else:
                os._exit(KILLED)

    post_delete.connect(receiver, sender=Ticket, weak=False)


def main() -> None:
    mode = sys.argv[1]
    if mode == "work":
        tombstones(int(sys.argv[2]), at_commit=sys.argv[3] == "commit")
        call_command(
            "db_worker", "--batch", "--no-startup-delay", "--interval=0", "--no-reload", verbosity=0
        )
    elif mode == "resume":
        tombstones()
        call_command("weakrel_check", "--resume", verbosity=0)
        call_command("weakrel_check", verbosity=0)
    else:
        create_databases()
        rng = random.Random(int(mode))
        results = [scenario(rng, name) for name in SCENARIOS]
        empty()
        print(json.dumps({"results": results}))


if __name__ == "__main__":
    main()
