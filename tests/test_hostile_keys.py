"""Property-based tests: whatever is assigned as a weak key, saving or filtering gives
a clean result or a clear error (``ValidationError``, ``DanglingReferenceError``, a
``ValueError``) with a message: never a raw database error, never a changed row.
"""

import decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.blog.models import Article, Tag
from tests.integrity_helpers import snapshot
from tests.shop.models import (
    CharTarget,
    Customer,
    KeyHolder,
    Order,
    Product,
    Region,
    UUIDTarget,
)
from weakrel import DanglingReferenceError

pytestmark = pytest.mark.django_db(databases="__all__")

CLEAR_ERRORS = (ValidationError, DanglingReferenceError, ValueError)

BIG = 2**63
hostile = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=BIG - 3, max_value=BIG + 3),
    st.integers(min_value=-BIG - 3, max_value=-BIG + 3),
    st.integers(min_value=2**31 - 2, max_value=2**31 + 2),
    st.floats(),
    st.decimals(),
    st.text(),
    st.text(min_size=200, max_size=5000),
    st.text(alphabet=st.sampled_from("\x00 \t\n'\"\\%_;-–é🙂\u202e\ufeff"), max_size=30),
    st.binary(max_size=40),
    st.uuids(),
    st.uuids().map(str),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just(float("inf")),
    st.just(float("nan")),
    st.just(decimal.Decimal("NaN")),
    st.just(object()),
)

# (model, weak field, extra fields for a valid row)
RELATIONS = [
    (Order, "customer", {}),
    (Customer, "region", {"name": "x"}),
    (KeyHolder, "uuid_target", {}),
    (KeyHolder, "char_target", {}),
    (KeyHolder, "product", {}),
]

hypothesis_settings = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def targets():
    """One real target per relation, so that some examples hit an existing key."""
    return {
        "customer": Customer.objects.create(name="Ada").pk,
        "region": Region.objects.create(name="N").pk,
        "uuid_target": UUIDTarget.objects.create().pk,
        "char_target": CharTarget.objects.create(code="ok").pk,
        "product": Product.objects.create(name="p", sku="SKU-1").sku,
    }


def with_existing(name):
    """Hostile values, the real key, and the real key in other clothes."""

    def variants(targets):
        key = targets[name]
        return st.one_of(hostile, st.sampled_from([key, str(key), f" {key} ", [key]]))

    return variants


def assert_clear(exc):
    assert isinstance(exc, CLEAR_ERRORS), f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    assert str(exc).strip()


def target_exists(model, name, key):
    field = model._meta.get_field(name)
    return field.target_queryset().filter(**{field.target_field.attname: key}).exists()


@pytest.mark.parametrize("model, name, extra", RELATIONS, ids=lambda r: getattr(r, "__name__", r))
def test_save_new_row(model, name, extra, targets):
    field = model._meta.get_field(name)

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(with_existing(name)(targets))
        before = snapshot()
        obj = model(**extra)
        try:
            setattr(obj, field.attname, value)
            obj.save()
        except Exception as exc:  # noqa: BLE001 - the property is about which errors
            assert_clear(exc)
            assert snapshot() == before
            return
        stored = model._base_manager.filter(pk=obj.pk).values_list(field.attname, flat=True)
        key = stored.get()
        assert key is None or target_exists(model, name, key)
        obj.delete()

    run()


@pytest.mark.parametrize("model, name, extra", RELATIONS, ids=lambda r: getattr(r, "__name__", r))
def test_update_existing_row(model, name, extra, targets):
    field = model._meta.get_field(name)
    obj = model.objects.create(**{field.attname: targets[name]}, **extra)

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(with_existing(name)(targets))
        before = snapshot()
        fresh = model._base_manager.get(pk=obj.pk)
        try:
            setattr(fresh, field.name, value)
            fresh.save()
        except Exception as exc:  # noqa: BLE001
            assert_clear(exc)
            assert snapshot() == before
            return
        key = model._base_manager.filter(pk=obj.pk).values_list(field.attname, flat=True).get()
        assert key is None or target_exists(model, name, key)

    run()


@pytest.mark.parametrize("model, name, extra", RELATIONS, ids=lambda r: getattr(r, "__name__", r))
@pytest.mark.parametrize("lookup", ["", "_id", "__in", "__pk", "__exact"])
def test_filter(model, name, extra, lookup, targets):
    field = model._meta.get_field(name)
    model.objects.create(**{field.attname: targets[name]}, **extra)

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(with_existing(name)(targets))
        rhs = [value, targets[name]] if lookup == "__in" else value
        try:
            rows = list(model.objects.filter(**{f"{name}{lookup}": rhs}))
        except Exception as exc:  # noqa: BLE001
            assert_clear(exc)
            return
        keys = {getattr(row, field.attname) for row in rows}
        assert keys <= {targets[name], None}

    run()


# -- WeakReferencesMany: a list of keys ------------------------------------------------

LIST_ERRORS = (*CLEAR_ERRORS, TypeError)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=BIG - 3, max_value=BIG + 3),
    st.floats(),
    st.text(max_size=20),
    st.text(alphabet=st.sampled_from("\x00 '\"\\%[]{},:"), max_size=10),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=8,
)


def list_values(tags):
    """Arbitrary JSON-ish values, lists of hostile keys, and lists mixing in real keys."""
    real = st.sampled_from([*tags, *(str(t) for t in tags), *(f" {t} " for t in tags)])
    return st.one_of(
        json_values,
        hostile,
        st.lists(st.one_of(hostile, real), max_size=4),
        st.lists(real, max_size=3),
        st.tuples(real, real),
    )


def assert_clear_list_error(exc):
    assert isinstance(exc, LIST_ERRORS), f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
    assert str(exc).strip()


@pytest.fixture
def tags():
    return [Tag.objects.create(name=name).pk for name in ("a", "b")]


def tag_lists_hold_only_tags(stored):
    return stored is None or (
        isinstance(stored, list) and set(stored) <= set(Tag.objects.values_list("pk", flat=True))
    )


@pytest.mark.parametrize("attribute", ["tags_ids", "tags"])
def test_references_many_save(attribute, tags):
    article = Article.objects.create(title="kept", tags_ids=[tags[0]])

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(list_values(tags))
        before = snapshot("blog")
        new, fresh = Article(title="new"), Article.objects.get(pk=article.pk)
        for obj in (new, fresh):
            try:
                setattr(obj, attribute, value)
                obj.save()
            except Exception as exc:  # noqa: BLE001 - the property is about which errors
                assert_clear_list_error(exc)
                assert snapshot("blog") == before
                continue
            stored = Article.objects.filter(pk=obj.pk).values_list("tags_ids", flat=True).get()
            assert tag_lists_hold_only_tags(stored)
            assert len(stored) == len(set(stored))
        Article.objects.exclude(pk=article.pk).delete()
        Article.objects.filter(pk=article.pk).update(tags_ids=[tags[0]])

    run()


@pytest.mark.parametrize("lookup", ["tags", "tags__in", "tags_ids", "tags_ids__in"])
def test_references_many_filter(lookup, tags):
    Article.objects.create(title="a", tags_ids=[tags[0]])
    Article.objects.create(title="b", tags_ids=[])

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(list_values(tags))
        try:
            rows = list(Article.objects.filter(**{lookup: value}))
        except Exception as exc:  # noqa: BLE001
            assert_clear_list_error(exc)
            return
        assert {row.title for row in rows} <= {"a", "b"}

    run()


def test_references_many_manager_writes(tags):
    article = Article.objects.create(title="kept", tags_ids=[tags[0]])

    @hypothesis_settings
    @given(data=st.data())
    def run(data):
        value = data.draw(list_values(tags))
        method = data.draw(st.sampled_from(["add", "remove", "set"]))
        before = snapshot("blog")
        fresh = Article.objects.get(pk=article.pk)
        manager = fresh.tags
        try:
            if method == "set":
                manager.set(value)
            else:
                items = value if isinstance(value, list) else [value]
                getattr(manager, method)(*items)
        except Exception as exc:  # noqa: BLE001
            assert_clear_list_error(exc)
            assert snapshot("blog") == before
            return
        stored = Article.objects.filter(pk=article.pk).values_list("tags_ids", flat=True).get()
        assert tag_lists_hold_only_tags(stored)
        Article.objects.filter(pk=article.pk).update(tags_ids=[tags[0]])

    run()
