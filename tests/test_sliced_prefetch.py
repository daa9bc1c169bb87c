"""Prefetch with a sliced queryset: at most k related rows per parent.

Since Django 4.2, ``Prefetch("orders", queryset=Order.objects.order_by("-total")[:3])``
gives every parent its own top three orders, fetched in one query (a ``ROW_NUMBER()``
window partitioned by the parent's key). A weak relation must do the same: the slice
counts per parent, never for the whole level, and one level stays one query on the
database that holds it, however many parents there are.

Django stores a sliced prefetch with ``to_attr``: into the related manager's cache it
would filter the sliced queryset again and raise, so these tests use ``to_attr`` for
the many-valued relations, as Django's own tests do.
"""

import random
from datetime import datetime, timezone

import pytest
from django.db import connections
from django.db.models import Prefetch

from tests.blog.models import Article, Tag
from tests.clinic.models import Appointment, Patient, Physician
from tests.queries import count_queries
from tests.shop.models import Customer, Order
from weakrel import routing

pytestmark = pytest.mark.django_db(databases="__all__")

AT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)

# [:3] keeps the first three of each parent; [1:3] skips each parent's first.
SLICES = {"first-3": slice(None, 3), "offset-1-3": slice(1, 3)}


def per_alias(**counts: int) -> dict[str, int]:
    return {alias: counts.get(alias, 0) for alias in connections}


@pytest.fixture
def two_keys_per_query(monkeypatch):
    """Lower weakrel's parameter limit so each key list is sent two keys at a time."""
    for alias in connections:
        monkeypatch.setitem(routing._limits, alias, routing.RESERVED_PARAMS + 2)


# -- data: n parents with 5, 4, 3, 2, 1, 0, 5, ... related rows, distinct sort keys ------


def _size(i: int) -> int:
    """Related rows of the i-th parent: even 3 parents have more than the slice keeps."""
    return 5 - i % 6


def _shuffled_names(prefix: str, count: int, rng: random.Random) -> list[str]:
    """Distinct names, in an order unrelated to their sort order (pk order != name order)."""
    names = [f"{prefix}{i:03}" for i in range(count)]
    rng.shuffle(names)
    return names


def has_many(n: int, window: slice):
    """customer.orders, sliced by -total."""
    rng = random.Random(n)
    customers = Customer.objects.bulk_create([Customer(name=f"c{i:03}") for i in range(n)])
    sizes = [_size(i) for i in range(n)]
    totals = iter(rng.sample(range(1, 100_000), sum(sizes)))
    orders = [
        Order(customer_id=c.pk, total=next(totals))
        for c, size in zip(customers, sizes, strict=True)
        for _ in range(size)
    ]
    Order.objects.bulk_create(orders)
    expected = {
        c.pk: sorted((o.total for o in orders if o.customer_id == c.pk), reverse=True)[window]
        for c in customers
    }
    parents = Customer.objects.order_by("pk").prefetch_related(
        Prefetch("orders", queryset=Order.objects.order_by("-total")[window], to_attr="top")
    )
    return parents, lambda c: [o.total for o in c.top], expected


def has_many_through(n: int, window: slice):
    """physician.patients (Physician -> Appointment -> Patient), sliced by name."""
    rng = random.Random(n)
    physicians = Physician.objects.bulk_create([Physician(name=f"d{i:03}") for i in range(n)])
    patients = Patient.objects.bulk_create(
        [Patient(name=name) for name in _shuffled_names("p", 12, rng)]
    )
    links = {p.pk: rng.sample(patients, _size(i)) for i, p in enumerate(physicians)}
    Appointment.objects.bulk_create(
        [
            Appointment(physician_id=physician, patient_id=patient.pk, at=AT)
            for physician, linked in links.items()
            for patient in linked
        ]
    )
    expected = {pk: sorted(p.name for p in linked)[window] for pk, linked in links.items()}
    parents = Physician.objects.order_by("pk").prefetch_related(
        Prefetch("patients", queryset=Patient.objects.order_by("name")[window], to_attr="top")
    )
    return parents, lambda p: [x.name for x in p.top], expected


def references_many(n: int, window: slice):
    """article.tags (a JSON list of Tag keys), sliced by name, not by stored order."""
    rng = random.Random(n)
    tags = [Tag.objects.create(name=name) for name in _shuffled_names("t", 12, rng)]
    lists = [rng.sample(tags, _size(i)) for i in range(n)]
    articles = [Article.objects.create(title=f"a{i:03}", tags=held) for i, held in enumerate(lists)]
    expected = {
        a.pk: sorted(t.name for t in held)[window] for a, held in zip(articles, lists, strict=True)
    }
    parents = Article.objects.order_by("pk").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name")[window], to_attr="top")
    )
    return parents, lambda a: [t.name for t in a.top], expected


def references_many_reverse(n: int, window: slice):
    """tag.articles (the articles whose list holds the tag), sliced by title."""
    rng = random.Random(n)
    tags = [Tag.objects.create(name=f"t{i:03}") for i in range(n)]
    titles = _shuffled_names("a", 10, rng)
    held_by = {t.pk: rng.sample(titles, _size(i)) for i, t in enumerate(tags)}
    for title in titles:
        held = [t for t in tags if title in held_by[t.pk]]
        rng.shuffle(held)
        Article.objects.create(title=title, tags=held)
    expected = {pk: sorted(held)[window] for pk, held in held_by.items()}
    parents = Tag.objects.order_by("pk").prefetch_related(
        Prefetch("articles", queryset=Article.objects.order_by("title")[window], to_attr="top")
    )
    return parents, lambda t: [a.title for a in t.top], expected


# relation: (data, queries per alias for the whole prefetch, (how the level filtered on
#            the parents' keys reads past the parameter limit, its alias)). "split": in
#            chunks, each holding whole partitions of the SQL window. "one": the rows a
#            slice is applied to in Python come from one statement (the keys as one
#            parameter), so their ordering holds across all of them.
CASES = {
    "has_many": (has_many, per_alias(default=1, orders=1), ("split", "orders")),
    "has_many_through": (
        has_many_through,
        per_alias(default=1, orders=1, third=1),
        ("split", "orders"),
    ),
    "references_many": (references_many, per_alias(default=1, orders=1), ("one", "orders")),
    "references_many_reverse": (
        references_many_reverse,
        per_alias(orders=1, default=1),
        ("one", "default"),
    ),
}


@pytest.mark.parametrize("n", [3, 30])
@pytest.mark.parametrize("window", list(SLICES))
@pytest.mark.parametrize("relation", list(CASES))
def test_sliced_prefetch_gives_each_parent_its_own_top_rows(relation, window, n):
    data, queries, _split = CASES[relation]
    parents, read, expected = data(n, SLICES[window])
    with count_queries() as counts:
        loaded = list(parents)
    assert counts == queries  # one query per level, for 3 parents as for 30
    with count_queries() as counts:
        got = {obj.pk: read(obj) for obj in loaded}
    assert sum(counts.values()) == 0
    assert got == expected


@pytest.mark.parametrize("window", list(SLICES))
@pytest.mark.parametrize("relation", list(CASES))
def test_sliced_prefetch_keeps_the_per_parent_limit_past_the_chunk_limit(
    relation, window, two_keys_per_query
):
    data, _queries, (how, alias) = CASES[relation]
    parents, read, expected = data(30, SLICES[window])
    with count_queries() as counts:
        loaded = list(parents)
    if how == "split":
        assert counts[alias] > 1, f"the keys were not split: {counts}"
    else:
        assert counts[alias] == 1, f"the level took more than one statement: {counts}"
    assert {obj.pk: read(obj) for obj in loaded} == expected


# -- the forward key: at most one target per row anyway ---------------------------------
#
# Django's own ForwardManyToOneDescriptor filters the Prefetch queryset, so a sliced
# one raises there; a weak key applies the slice per target row like the many sides
# do, so [:1] still gives every order its customer.


def _orders_of(n: int) -> list[Order]:
    customers = Customer.objects.bulk_create([Customer(name=f"c{i:03}") for i in range(n)])
    # Two orders per customer: a slice taken once for the whole level would drop some.
    Order.objects.bulk_create(
        [Order(customer_id=c.pk, total=10 * i + k) for i, c in enumerate(customers) for k in (1, 2)]
    )
    return customers


@pytest.mark.parametrize("n", [3, 30])
def test_sliced_prefetch_of_the_forward_key(n):
    customers = {c.pk: c.name for c in _orders_of(n)}
    with count_queries() as counts:
        orders = list(
            Order.objects.order_by("pk").prefetch_related(
                Prefetch("customer", queryset=Customer.objects.all()[:1])
            )
        )
    assert counts == per_alias(orders=1, default=1)
    with count_queries() as counts:
        got = [(o.customer.pk, o.customer.name) for o in orders]
    assert sum(counts.values()) == 0
    assert got == [(o.customer_id, customers[o.customer_id]) for o in orders]


def test_sliced_prefetch_of_the_forward_key_past_the_chunk_limit(two_keys_per_query):
    customers = {c.pk: c.name for c in _orders_of(30)}
    with count_queries() as counts:
        orders = list(
            Order.objects.order_by("pk").prefetch_related(
                Prefetch("customer", queryset=Customer.objects.all()[:1])
            )
        )
    assert counts["default"] > 1, f"the keys were not split: {counts}"
    with count_queries() as counts:
        got = [(o.customer.pk, o.customer.name) for o in orders]
    assert sum(counts.values()) == 0
    assert got == [(o.customer_id, customers[o.customer_id]) for o in orders]


@pytest.mark.parametrize(
    "parents, lookup, queryset",
    [
        (Customer, "orders", lambda: Order.objects.order_by("-total")[:2]),
        (Physician, "patients", lambda: Patient.objects.order_by("name")[:2]),
        (Article, "tags", lambda: Tag.objects.order_by("name")[:2]),
        (Tag, "articles", lambda: Article.objects.order_by("title")[:2]),
    ],
)
def test_a_sliced_prefetch_into_the_manager_is_refused_as_in_django(parents, lookup, queryset):
    customer = Customer.objects.create(name="c")
    Order.objects.create(customer=customer, total=1)
    physician = Physician.objects.create(name="p")
    physician.patients.add(Patient.objects.create(name="x"), through_defaults={"at": AT})
    tag = Tag.objects.create(name="t")
    Article.objects.create(title="a", tags=[tag])
    with pytest.raises(TypeError, match="Cannot filter a query once a slice has been taken"):
        list(parents.objects.prefetch_related(Prefetch(lookup, queryset=queryset())))
