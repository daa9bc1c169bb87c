"""Async twins of the related managers' methods, and prefetching from async code.

Django 5.2's related managers define ``acreate``, ``aget_or_create`` and
``aupdate_or_create``, and ``aadd``, ``aremove``, ``aclear``, ``aset`` wherever the
sync method exists; each does exactly what its sync twin does. Every weak relation
type must offer the same.

pytest-asyncio is not a dependency of the suite: each test is a sync test that drives
its coroutines with asgiref's ``async_to_sync``. ``sync_to_async`` (which Django's
async methods use) is thread-sensitive by default, so the ORM calls run back in the
test's own thread, on its connections, inside the test's transaction.
"""

from datetime import datetime, timezone

import pytest
from asgiref.sync import async_to_sync
from django.db import connections
from django.db.models import aprefetch_related_objects

from tests.blog.models import Article, Tag
from tests.clinic.models import Appointment, Patient, Physician
from tests.queries import count_queries
from tests.shop.models import Customer, Note, Order, Profile

pytestmark = pytest.mark.django_db(databases="__all__")

AT = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)


def run(make_awaitable):
    """Await ``make_awaitable()`` from this sync test, as async code would."""

    async def main():
        return await make_awaitable()

    return async_to_sync(main)()


@pytest.fixture
def ada():
    return Customer.objects.create(name="Ada")


@pytest.fixture
def clinic():
    ann = Physician.objects.create(name="Ann")
    ben = Physician.objects.create(name="Ben")
    bo = Patient.objects.create(name="Bo")
    cy = Patient.objects.create(name="Cy")
    di = Patient.objects.create(name="Di")
    ann.patients.add(bo, cy, through_defaults={"at": AT})
    ben.patients.add(cy, through_defaults={"at": AT})
    return ann, ben, bo, cy, di


@pytest.fixture
def tags():
    return [Tag.objects.create(name=name) for name in ("django", "python", "sql", "web")]


def linked_patients(physician):
    return set(Appointment.objects.filter(physician=physician).values_list("patient", flat=True))


def linked_physicians(patient):
    return set(Appointment.objects.filter(patient=patient).values_list("physician", flat=True))


def stored_tags(article):
    return Article.objects.get(pk=article.pk).tags_ids


def holders(tag):
    """Pks of the articles whose stored list holds ``tag``, read without the relation."""
    return {a.pk for a in Article.objects.all() if tag.pk in a.tags_ids}


# -- HasMany -------------------------------------------------------------------------


def test_has_many_acreate_sets_the_key_and_routes_the_write(ada):
    order = run(lambda: ada.orders.acreate(total=3))
    assert order.customer_id == ada.pk
    assert order._state.db == "orders"
    stored = Order.objects.get(pk=order.pk)
    assert (stored.customer_id, stored.total) == (ada.pk, 3)


def test_has_many_aget_or_create_creates_then_finds(ada):
    bob = Customer.objects.create(name="Bob")
    order, created = run(lambda: ada.orders.aget_or_create(total=7))
    assert created
    assert order.customer_id == ada.pk and order._state.db == "orders"
    again, created = run(lambda: ada.orders.aget_or_create(total=7))
    assert not created and again.pk == order.pk
    # The lookup is narrowed to the instance's dependents: Bob has no total=7 yet.
    bobs, created = run(lambda: bob.orders.aget_or_create(total=7))
    assert created and bobs.pk != order.pk and bobs.customer_id == bob.pk
    assert Order.objects.filter(total=7).count() == 2


def test_has_many_aupdate_or_create_updates_then_creates(ada):
    order = ada.orders.create(total=7)
    updated, created = run(lambda: ada.orders.aupdate_or_create(total=7, defaults={"total": 8}))
    assert not created and updated.pk == order.pk
    assert Order.objects.get(pk=order.pk).total == 8
    new, created = run(lambda: ada.orders.aupdate_or_create(total=50, defaults={"total": 51}))
    assert created and new.customer_id == ada.pk and new._state.db == "orders"
    assert Order.objects.get(pk=new.pk).total == 51


def test_has_many_non_nullable_key_has_aadd_and_aset_but_no_aremove_or_aclear(ada):
    # As in Django: remove()/clear() and their twins exist only for null=True keys.
    assert not hasattr(ada.orders, "remove") and not hasattr(ada.orders, "aremove")
    assert not hasattr(ada.orders, "clear") and not hasattr(ada.orders, "aclear")
    for name in ("aadd", "aset", "acreate", "aget_or_create", "aupdate_or_create"):
        assert hasattr(ada.orders, name), name
    bob = Customer.objects.create(name="Bob")
    first = Order.objects.create(customer=bob, total=1)
    second = Order.objects.create(customer=bob, total=2)
    run(lambda: ada.orders.aadd(first))
    assert Order.objects.get(pk=first.pk).customer_id == ada.pk
    # set() on a non-nullable key only adds, as in Django.
    run(lambda: ada.orders.aset([second]))
    assert set(Order.objects.filter(customer_id=ada.pk)) == {first, second}
    assert not Order.objects.filter(customer_id=bob.pk).exists()


def test_has_many_nullable_key_aremove_aclear_aadd_aset(ada):
    order = ada.orders.create(total=1)
    n1 = order.notes.create(text="1")
    n2 = order.notes.create(text="2")
    n3 = Note.objects.create(text="3")
    for name in ("aadd", "aremove", "aclear", "aset"):
        assert hasattr(order.notes, name), name

    run(lambda: order.notes.aremove(n1))
    assert Note.objects.get(pk=n1.pk).order_id is None
    assert Note.objects.get(pk=n2.pk).order_id == order.pk

    run(lambda: order.notes.aadd(n3))
    assert set(Note.objects.filter(order_id=order.pk)) == {n2, n3}

    run(lambda: order.notes.aset([n1, n3]))
    assert set(Note.objects.filter(order_id=order.pk)) == {n1, n3}
    assert Note.objects.get(pk=n2.pk).order_id is None

    run(lambda: order.notes.aclear())
    assert not Note.objects.filter(order_id=order.pk).exists()
    assert Note.objects.count() == 3  # unlinked, not deleted


# -- HasManyThrough ------------------------------------------------------------------


def test_through_acreate_creates_the_target_and_its_link(clinic):
    ann, ben, bo, cy, di = clinic
    eve = run(lambda: ann.patients.acreate(name="Eve", through_defaults={"at": AT, "room": "3"}))
    assert eve._state.db == "third"
    assert Patient.objects.filter(pk=eve.pk, name="Eve").exists()
    assert Appointment.objects.get(physician=ann, patient=eve).room == "3"
    assert list(eve.physicians.all()) == [ann]


def test_through_acreate_from_the_reverse_side(clinic):
    ann, ben, bo, cy, di = clinic
    zed = run(lambda: di.physicians.acreate(name="Zed", through_defaults={"at": AT}))
    assert zed._state.db == "default"
    assert Physician.objects.filter(pk=zed.pk, name="Zed").exists()
    assert linked_physicians(di) == {zed.pk}
    assert list(zed.patients.all()) == [di]


def test_through_aget_or_create_and_aupdate_or_create(clinic):
    ann, ben, bo, cy, di = clinic
    found, created = run(
        lambda: ann.patients.aget_or_create(name="Bo", through_defaults={"at": AT})
    )
    assert (found, created) == (bo, False)
    assert Appointment.objects.filter(physician=ann, patient=bo).count() == 1
    fay, created = run(lambda: ann.patients.aget_or_create(name="Fay", through_defaults={"at": AT}))
    assert created and fay._state.db == "third"
    assert linked_patients(ann) == {bo.pk, cy.pk, fay.pk}

    updated, created = run(
        lambda: ann.patients.aupdate_or_create(
            name="Bo", defaults={"name": "Bob"}, through_defaults={"at": AT}
        )
    )
    assert not created and updated.pk == bo.pk
    assert Patient.objects.get(pk=bo.pk).name == "Bob"
    gus, created = run(
        lambda: ann.patients.aupdate_or_create(
            name="Gus", defaults={"name": "Gus"}, through_defaults={"at": AT}
        )
    )
    assert created and gus.pk in linked_patients(ann)


def test_through_reverse_aget_or_create_and_aupdate_or_create(clinic):
    ann, ben, bo, cy, di = clinic
    found, created = run(
        lambda: cy.physicians.aget_or_create(name="Ben", through_defaults={"at": AT})
    )
    assert (found, created) == (ben, False)
    kim, created = run(
        lambda: cy.physicians.aget_or_create(name="Kim", through_defaults={"at": AT})
    )
    assert created and kim._state.db == "default"
    assert linked_physicians(cy) == {ann.pk, ben.pk, kim.pk}
    updated, created = run(
        lambda: cy.physicians.aupdate_or_create(
            name="Kim", defaults={"name": "Kit"}, through_defaults={"at": AT}
        )
    )
    assert not created and updated.pk == kim.pk
    assert Physician.objects.get(pk=kim.pk).name == "Kit"


def test_through_aadd_aremove_aset_aclear(clinic):
    ann, ben, bo, cy, di = clinic
    run(lambda: ann.patients.aadd(di, through_defaults={"at": AT, "room": "1A"}))
    assert linked_patients(ann) == {bo.pk, cy.pk, di.pk}
    assert Appointment.objects.get(physician=ann, patient=di).room == "1A"

    run(lambda: ann.patients.aremove(cy))
    assert linked_patients(ann) == {bo.pk, di.pk}
    assert linked_patients(ben) == {cy.pk}
    assert Patient.objects.filter(pk=cy.pk).exists()

    kept = Appointment.objects.get(physician=ann, patient=di)
    run(lambda: ann.patients.aset([di, cy], through_defaults={"at": AT}))
    assert linked_patients(ann) == {cy.pk, di.pk}
    assert Appointment.objects.get(physician=ann, patient=di).pk == kept.pk

    run(lambda: ann.patients.aclear())
    assert linked_patients(ann) == set()
    assert linked_patients(ben) == {cy.pk}
    assert Patient.objects.count() == 3


def test_through_reverse_aadd_aremove_aset_aclear(clinic):
    ann, ben, bo, cy, di = clinic
    run(lambda: di.physicians.aadd(ann, ben, through_defaults={"at": AT}))
    assert linked_physicians(di) == {ann.pk, ben.pk}
    assert linked_patients(ben) == {cy.pk, di.pk}

    run(lambda: di.physicians.aremove(ann))
    assert linked_physicians(di) == {ben.pk}
    assert linked_patients(ann) == {bo.pk, cy.pk}

    run(lambda: cy.physicians.aset([ben], through_defaults={"at": AT}))
    assert linked_physicians(cy) == {ben.pk}

    run(lambda: di.physicians.aclear())
    assert linked_physicians(di) == set()
    assert Physician.objects.count() == 2
    assert linked_physicians(cy) == {ben.pk}


# -- ReferencesMany, forward ---------------------------------------------------------


def test_references_forward_async_writes_save_the_list(tags):
    django, python, sql, web = tags
    article = Article.objects.create(title="a", tags=[django])

    run(lambda: article.tags.aadd(python, django))
    assert stored_tags(article) == [django.pk, python.pk]

    run(lambda: article.tags.aremove(django))
    assert stored_tags(article) == [python.pk]

    run(lambda: article.tags.aset([web, sql]))
    assert stored_tags(article) == [web.pk, sql.pk]

    run(lambda: article.tags.aclear())
    assert stored_tags(article) == []

    css = run(lambda: article.tags.acreate(name="css"))
    assert css._state.db == "orders"
    assert Tag.objects.filter(pk=css.pk, name="css").exists()
    assert stored_tags(article) == [css.pk]


# -- ReferencesMany, reverse: the write methods of tag.articles ------------------------


@pytest.fixture
def articles(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(title="a1", tags=[django, python])
    a2 = Article.objects.create(title="a2", tags=[python])
    a3 = Article.objects.create(title="a3", tags=[sql])
    return a1, a2, a3


def test_reverse_references_manager_has_the_write_methods(tags):
    manager = tags[0].articles
    for name in ("add", "remove", "clear", "set", "create"):
        assert hasattr(manager, name), name
    for name in ("aadd", "aremove", "aclear", "aset", "acreate"):
        assert hasattr(manager, name), name


def test_reverse_references_sync_writes(tags, articles):
    django, python, sql, web = tags
    a1, a2, a3 = articles

    new = python.articles.create(title="new")
    assert new._state.db == "default"
    assert stored_tags(new) == [python.pk]

    python.articles.add(a3)
    assert stored_tags(a3) == [sql.pk, python.pk]  # appended, the rest kept
    python.articles.add(a1)  # holds it already: no duplicate
    assert stored_tags(a1) == [django.pk, python.pk]

    python.articles.remove(a1)
    assert stored_tags(a1) == [django.pk]
    assert holders(python) == {a2.pk, a3.pk, new.pk}

    python.articles.set([a1, a2])
    assert holders(python) == {a1.pk, a2.pk}
    assert stored_tags(a3) == [sql.pk]
    assert stored_tags(a1) == [django.pk, python.pk]

    python.articles.clear()
    assert holders(python) == set()
    assert stored_tags(a1) == [django.pk]  # other keys untouched
    assert Article.objects.count() == 4  # unlinked, not deleted


def test_reverse_references_async_writes(tags, articles):
    django, python, sql, web = tags
    a1, a2, a3 = articles

    new = run(lambda: python.articles.acreate(title="new"))
    assert new._state.db == "default"
    assert stored_tags(new) == [python.pk]

    run(lambda: python.articles.aadd(a3))
    assert stored_tags(a3) == [sql.pk, python.pk]

    run(lambda: python.articles.aremove(a1))
    assert stored_tags(a1) == [django.pk]
    assert holders(python) == {a2.pk, a3.pk, new.pk}

    run(lambda: python.articles.aset([a1, a2]))
    assert holders(python) == {a1.pk, a2.pk}
    assert stored_tags(a3) == [sql.pk]

    run(lambda: python.articles.aclear())
    assert holders(python) == set()
    assert stored_tags(a1) == [django.pk]
    assert Article.objects.count() == 4


# -- prefetching from async code -----------------------------------------------------


def _shop_data():
    customers = [Customer.objects.create(name=f"c{i}") for i in range(4)]
    for i, customer in enumerate(customers):
        for n in range(i):
            Order.objects.create(customer=customer, total=10 * i + n)
        if i % 2:
            Profile.objects.create(customer=customer, bio=f"bio{i}")


def _clinic_data():
    ann, ben, cat = (Physician.objects.create(name=n) for n in ("Ann", "Ben", "Cat"))
    bo, cy, di = (Patient.objects.create(name=n) for n in ("Bo", "Cy", "Di"))
    ann.patients.add(bo, cy, through_defaults={"at": AT})
    ben.patients.add(cy, di, through_defaults={"at": AT})


def _blog_data():
    django, python, sql, web = (
        Tag.objects.create(name=n) for n in ("django", "python", "sql", "web")
    )
    Article.objects.create(title="a1", tags=[web, django])
    Article.objects.create(title="a2", tags=[python])
    Article.objects.create(title="a3", tags=[])
    Article.objects.create(title="a4", tags=[sql, python, django])


def _profile_bio(customer):
    profile = getattr(customer, "profile", None)  # RelatedObjectDoesNotExist: None
    return profile.bio if profile is not None else None


# (model, lookup, data, read one instance's related objects, queries of the related levels)
PREFETCH_CASES = {
    "orders": (
        Customer,
        "orders",
        _shop_data,
        lambda c: sorted(o.total for o in c.orders.all()),
        {"orders": 1},
    ),
    "profile": (Customer, "profile", _shop_data, _profile_bio, {"third": 1}),
    "patients": (
        Physician,
        "patients",
        _clinic_data,
        lambda p: [x.name for x in p.patients.all()],
        {"orders": 1, "third": 1},
    ),
    "physicians": (
        Patient,
        "physicians",
        _clinic_data,
        lambda p: [x.name for x in p.physicians.all()],
        {"orders": 1, "default": 1},
    ),
    "tags": (
        Article,
        "tags",
        _blog_data,
        lambda a: [t.name for t in a.tags.all()],
        {"orders": 1},
    ),
    "articles": (
        Tag,
        "articles",
        _blog_data,
        lambda t: sorted(a.title for a in t.articles.all()),
        {"default": 1},
    ),
}


def _expected_counts(related: dict[str, int], parent_alias: str | None) -> dict[str, int]:
    counts = {alias: related.get(alias, 0) for alias in connections}
    if parent_alias is not None:
        counts[parent_alias] += 1
    return counts


@pytest.mark.parametrize("case", list(PREFETCH_CASES))
def test_async_iteration_runs_the_prefetch(case):
    model, lookup, data, read, related_counts = PREFETCH_CASES[case]
    data()
    expected = {obj.pk: read(obj) for obj in model.objects.order_by("pk")}
    assert any(expected.values())  # the data links something

    async def fetch():
        return [obj async for obj in model.objects.order_by("pk").prefetch_related(lookup)]

    with count_queries() as counts:
        objs = run(fetch)
    assert counts == _expected_counts(related_counts, model.objects.db)
    with count_queries() as counts:
        got = {obj.pk: read(obj) for obj in objs}
    assert sum(counts.values()) == 0
    assert got == expected


@pytest.mark.parametrize("case", list(PREFETCH_CASES))
def test_aprefetch_related_objects(case):
    # django.db.models.aprefetch_related_objects exists since Django 5.0 (weakrel
    # requires 5.2), so it is imported directly: no fallback, no skip.
    model, lookup, data, read, related_counts = PREFETCH_CASES[case]
    data()
    expected = {obj.pk: read(obj) for obj in model.objects.order_by("pk")}
    objs = list(model.objects.order_by("pk"))
    with count_queries() as counts:
        run(lambda: aprefetch_related_objects(objs, lookup))
    assert counts == _expected_counts(related_counts, None)
    with count_queries() as counts:
        got = {obj.pk: read(obj) for obj in objs}
    assert sum(counts.values()) == 0
    assert got == expected
