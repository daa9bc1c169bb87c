"""Links written at the same time, from threads with their own connections: none is
lost, none is stored twice (docs/integrity.md, "Links written at the same time").

Each test runs BURSTS bursts: WIDTH threads, released together by a barrier, each
write one link (or unlink one), then the test checks what they left. The threads
keep their connections from burst to burst and close them at the end.

On SQLite the test databases are shared in-memory caches, which refuse a second
writer at once ("database table is locked") where a database file waits for the
first (its busy timeout); there a refused write is sent again (``sqlite_retry``).
"""

import itertools
import os
import random
import threading
import time
from collections import Counter
from contextlib import nullcontext

import pytest
from django.db import OperationalError, connections, router, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from tests.blog.models import Article, Gallery, Photo, Tag
from tests.clinic.models import Appointment, Patient, Physician
from weakrel import RelatedDatabaseError

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

BURSTS, WIDTH = 20, 16


def sqlite_retry(write):
    """``write()``, sent again while an SQLite test database is locked (a request
    answers 500)."""
    if connections["default"].vendor != "sqlite":
        return write()
    deadline = time.monotonic() + 60
    for attempt in itertools.count():
        try:
            result = write()
        except (OperationalError, RelatedDatabaseError) as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        else:
            if result != 500 or time.monotonic() > deadline:
                return result
        time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))


def bursts(prepare, write, verify, *, count=BURSTS, width=WIDTH):
    """``count`` times: ``data = prepare(n)``; ``width`` threads run ``write(i, data)``
    at once; ``verify(data, results)`` checks the outcome (results in thread order)."""
    start, end = threading.Barrier(width + 1), threading.Barrier(width + 1)
    burst: dict = {}
    results: list = [None] * width

    def worker(i):
        try:
            for _ in range(count):
                start.wait()
                try:
                    results[i] = sqlite_retry(lambda: write(i, burst["data"]))
                except Exception as exc:  # noqa: BLE001 - re-raised in the test thread
                    results[i] = exc
                end.wait()
        except threading.BrokenBarrierError:
            pass  # the test failed and stopped the bursts
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(width)]
    for thread in threads:
        thread.start()
    try:
        for n in range(count):
            burst["data"] = prepare(n)
            start.wait(timeout=120)
            end.wait(timeout=120)
            for result in results:
                if isinstance(result, Exception):
                    raise result
            verify(burst["data"], list(results))
    finally:
        start.abort()
        end.abort()
        for thread in threads:
            thread.join(120)


def once_each(stored, expected) -> None:
    """Every expected link stored, none twice, nothing else."""
    counts = Counter(stored)
    assert sorted(counts, key=str) == sorted(expected, key=str)
    assert set(counts.values()) <= {1}, counts


# -- the link endpoints ------------------------------------------------------------------

ENDPOINTS = {
    # ReferencesMany: Article (default) holds a list of Tag (orders) keys.
    "references": (
        lambda n: Article.objects.create(title=str(n)).pk,
        lambda: [Tag.objects.create(name=f"t{i}").pk for i in range(WIDTH // 2)],
        "/articles/{}/tags/{}/",
        lambda pk: Article.objects.get(pk=pk).tags_ids,
    ),
    # HasManyThrough: Physician (default) -> Appointment (orders) -> Patient (third).
    "through": (
        lambda n: Physician.objects.create(name=str(n)).pk,
        lambda: [Patient.objects.create(name=f"p{i}").pk for i in range(WIDTH // 2)],
        "/clinic-physicians/{}/patients/{}/",
        lambda pk: list(
            Appointment.objects.filter(physician_id=pk).values_list("patient_id", flat=True)
        ),
    ),
}


# A shared in-memory SQLite cache locks each table a request reads until the request
# ends: with ATOMIC_REQUESTS the bursts become minutes of retries. On SQLite the list
# tests below cover writes inside a transaction instead.
ATOMIC_REQUESTS = [False] if os.environ.get("WEAKREL_DB", "sqlite") == "sqlite" else [False, True]


@pytest.fixture(
    params=ATOMIC_REQUESTS, ids=["autocommit", "atomic-requests"][: len(ATOMIC_REQUESTS)]
)
def atomic_requests(request, monkeypatch):
    """With ``ATOMIC_REQUESTS`` on every alias, as Django nests them."""
    for alias in connections:
        monkeypatch.setitem(connections.settings[alias], "ATOMIC_REQUESTS", request.param)
    return request.param


@pytest.mark.parametrize("kind", list(ENDPOINTS))
def test_link_endpoint_stores_each_link_once(kind, atomic_requests):
    """Two requests at once for each of eight targets: every link is stored once,
    and of the two requests linking a target, one answers 201, the other 200."""
    parent, targets, url, stored = ENDPOINTS[kind]
    keys = targets()

    def post(i, pk):
        # Django's test client re-raises any exception signalled while its request
        # runs, another thread's too: read the status code instead.
        client = APIClient(raise_request_exception=False)
        return client.post(url.format(pk, keys[i % len(keys)])).status_code

    def verify(pk, codes):
        once_each(stored(pk), keys)
        created = Counter(keys[i % len(keys)] for i, code in enumerate(codes) if code == 201)
        assert set(codes) <= {200, 201}
        if connections["default"].vendor == "sqlite":
            # A request can fail after its commit, reading a table another request
            # locks; sent again, it finds its link stored and answers 200.
            assert set(created.values()) <= {1}
        else:
            assert created == Counter(keys)

    bursts(parent, post, verify)


# -- the managers ------------------------------------------------------------------------


@pytest.fixture
def repeatable_read(monkeypatch):
    """The threads' connections to MariaDB read from a snapshot taken at their
    transaction's first read (REPEATABLE READ, MariaDB's own default; Django's is READ
    COMMITTED), so a transaction can miss what another has just committed."""
    for alias in connections:
        if connections[alias].vendor == "mysql":
            options = connections.settings[alias].setdefault("OPTIONS", {})
            monkeypatch.setitem(options, "isolation_level", "repeatable read")


LISTS = {
    # Lists on PostgreSQL in the postgres-mariadb pair (in autocommit), and on MariaDB
    # (inside a transaction).
    "article": (Article, "tags", lambda i: Tag.objects.create(name=f"t{i}"), "articles"),
    "gallery": (Gallery, "photos", lambda i: Photo.objects.create(), "galleries"),
}


@pytest.mark.parametrize(
    "kind, outer", [("article", False), ("gallery", True)], ids=["autocommit", "atomic"]
)
def test_list_writes_at_once_lose_nothing(kind, outer, repeatable_read):
    """Eight threads add a target and eight remove one, half from each side of the
    relation (``article.tags.add(tag)``, ``tag.articles.add(article)``), each on an
    instance it read itself, optionally inside an ``atomic()`` block of its own that
    read the row first."""
    model, name, make, reverse = LISTS[kind]
    field = model._meta.get_field(name)
    half = WIDTH // 2
    adds, removes = [make(i) for i in range(half)], [make(half + i) for i in range(half)]
    db = router.db_for_write(model)

    def write(i, pk):
        target = (adds + removes)[i]
        with transaction.atomic(using=db) if outer else nullcontext():
            holder = model.objects.get(pk=pk)
            verb = "add" if i < half else "remove"
            if i % 2:
                getattr(getattr(target, reverse), verb)(holder)
            else:
                getattr(getattr(holder, name), verb)(target)

    def verify(pk, results):
        once_each(getattr(model.objects.get(pk=pk), field.attname), [t.pk for t in adds])

    bursts(lambda n: model.objects.create(**{name: removes}).pk, write, verify)


def test_through_adds_at_once_store_one_row(repeatable_read):
    """Four threads link each of four patients to one physician, from either side,
    each inside an ``atomic()`` block on the through model's database that read the
    through rows first: on MariaDB, from a snapshot older than the links the others
    store. (The link endpoint tests add in autocommit and under READ COMMITTED.)"""
    patients = [Patient.objects.create(name=f"p{i}") for i in range(4)]
    at = timezone.now()

    def write(i, pk):
        patient = patients[i % len(patients)]
        with transaction.atomic(using="orders"):
            list(Appointment.objects.filter(physician_id=pk))
            physician = Physician.objects.get(pk=pk)
            if i % 2:
                patient.physicians.add(physician, through_defaults={"at": at})
            else:
                physician.patients.add(patient, through_defaults={"at": at})

    def verify(pk, results):
        rows = Appointment.objects.filter(physician_id=pk).values_list("patient_id", flat=True)
        once_each(rows, [p.pk for p in patients])

    bursts(lambda n: Physician.objects.create(name=str(n)).pk, write, verify)
