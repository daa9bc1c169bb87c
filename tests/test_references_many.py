"""ReferencesMany: WeakReferencesMany, a JSON list of keys to another database.

Article, Pinboard, Gallery (default) hold lists of Tag (orders) and Photo (third) keys.
"""

import uuid

import pytest
from django.core import checks
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch, ProtectedError, RestrictedError
from django.db.models.signals import post_save
from django.test.utils import isolate_apps

import weakrel
from tests.blog.models import Article, Gallery, Photo, Pinboard, Tag
from tests.queries import count_queries

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def tags():
    return [Tag.objects.create(name=name) for name in ("django", "python", "sql", "web")]


# -- storage and accessors -------------------------------------------------------------


def test_list_round_trips_in_stored_order(tags):
    django, python, sql, web = tags
    article = Article.objects.create(title="a", tags=[web, django.pk, str(sql.pk)])
    assert article.tags_ids == [web.pk, django.pk, sql.pk]
    article = Article.objects.get(pk=article.pk)
    assert article.tags_ids == [web.pk, django.pk, sql.pk]
    with count_queries() as counts:
        assert list(article.tags.all()) == [web, django, sql]
    assert counts == {"default": 0, "orders": 1, "third": 0}
    # Chained querysets keep the stored order; an explicit order_by replaces it.
    assert list(article.tags.exclude(name="django")) == [web, sql]
    assert list(article.tags.order_by("name")) == [django, sql, web]
    assert article.tags.count() == 3
    assert article.tags.exists()


def test_raw_list_reads_and_writes(tags):
    django, python, sql, web = tags
    article = Article.objects.create()
    assert article.tags_ids == []
    assert not article.tags.exists()
    article.tags_ids = [python.pk, django.pk]
    article.save()
    assert list(Article.objects.get(pk=article.pk).tags.all()) == [python, django]
    article.tags = [sql]
    assert article.tags_ids == [sql.pk]
    article.save()
    assert Article.objects.get(pk=article.pk).tags_ids == [sql.pk]


def test_assigning_wrong_things_fails_early(tags):
    article = Article()
    with pytest.raises(ValueError, match='must be a "Tag" instance'):
        article.tags = [Article()]
    with pytest.raises(ValueError, match="unsaved"):
        article.tags = [Tag(name="new")]
    with pytest.raises(ValidationError):
        article.tags = "django"


def test_manager_writes_save_the_list(tags):
    django, python, sql, web = tags
    article = Article.objects.create(tags=[django])
    article.tags.add(python, django)
    assert Article.objects.get(pk=article.pk).tags_ids == [django.pk, python.pk]
    article.tags.remove(django)
    assert Article.objects.get(pk=article.pk).tags_ids == [python.pk]
    article.tags.set([web, sql])
    assert list(Article.objects.get(pk=article.pk).tags.all()) == [web, sql]
    article.tags.clear()
    assert Article.objects.get(pk=article.pk).tags_ids == []
    css = article.tags.create(name="css")
    assert css._state.db == "orders"
    assert Article.objects.get(pk=article.pk).tags_ids == [css.pk]
    with pytest.raises(ValueError, match="needs to be saved"):
        Article().tags.add(django)


def test_manager_writes_change_the_stored_list(tags):
    """Each write reads the stored list (locked), not the instance's copy, which may
    be stale: a list saved meanwhile is kept, and the instance gets the stored one."""
    django, python, sql, web = tags
    article = Article.objects.create(tags=[django])
    stale = Article.objects.get(pk=article.pk)
    article.tags.add(python)
    stale.tags.add(sql)
    assert stale.tags_ids == [django.pk, python.pk, sql.pk]
    article.tags.remove(django)
    assert article.tags_ids == [python.pk, sql.pk]
    stale.tags_ids = [web.pk]  # unsaved: a manager write replaces it with the stored list
    stale.tags.add(django)
    assert Article.objects.get(pk=article.pk).tags_ids == [python.pk, sql.pk, django.pk]
    assert stale.tags_ids == [python.pk, sql.pk, django.pk]


def test_manager_write_that_changes_nothing_saves_nothing(tags):
    django, python, sql, web = tags
    article = Article.objects.create(tags=[django, python])
    saved = []

    def receiver(instance, **kwargs):
        saved.append(instance)

    post_save.connect(receiver, sender=Article)
    try:
        article.tags.add(python)
        article.tags.remove(web)
        article.tags.set([django, python])
        assert saved == []
        article.tags.add(sql)
        assert saved == [article]
    finally:
        post_save.disconnect(receiver, sender=Article)


def test_refused_manager_write_leaves_the_callers_block_usable(tags):
    django, python, sql, web = tags
    article = Article.objects.create(tags=[django])
    with transaction.atomic(using="default"):
        with pytest.raises(weakrel.DanglingReferenceError):
            article.tags.add(python, 987654)
        assert article.tags_ids == [django.pk]
        article.tags.add(python)
    assert Article.objects.get(pk=article.pk).tags_ids == [django.pk, python.pk]


def test_uuid_keys_are_stored_as_strings_and_read_as_uuids():
    photos = [Photo.objects.create() for _ in range(2)]
    gallery = Gallery.objects.create(photos=photos[::-1])
    gallery = Gallery.objects.get(pk=gallery.pk)
    assert gallery.photos_ids == [photos[1].pk, photos[0].pk]
    assert isinstance(gallery.photos_ids[0], uuid.UUID)
    assert list(gallery.photos.all()) == photos[::-1]
    assert list(photos[0].galleries.all()) == [gallery]
    assert list(Gallery.objects.filter(photos=photos[1])) == [gallery]
    with pytest.raises(weakrel.DanglingReferenceError):
        Gallery.objects.create(photos_ids=[photos[0].pk, uuid.uuid4()])


def test_lists_in_the_orders_database():
    """Gallery lives in "orders" (MariaDB in the postgres-mariadb pair)."""
    p1, p2, p3 = (Photo.objects.create() for _ in range(3))
    g1 = Gallery.objects.create(title="g1", photos=[p1, p2])
    g2 = Gallery.objects.create(title="g2", photos=[p2, p3])
    g3 = Gallery.objects.create(title="g3", photos=[])
    by_title = Gallery.objects.order_by("title")
    assert list(by_title.filter(photos=p2)) == [g1, g2]
    assert list(by_title.filter(photos__in=[p1, p3])) == [g1, g2]
    assert list(by_title.filter(photos__in=[p3])) == [g2]
    assert list(by_title.exclude(photos__in=[p1, p2])) == [g3]
    assert list(by_title.filter(photos__pk=p3.pk)) == [g2]
    assert list(Photo.objects.filter(galleries__title="g1").order_by("pk")) == sorted(
        [p1, p2], key=lambda p: p.pk
    )
    with count_queries() as counts:
        found = list(Photo.objects.filter(pk__in=[p1.pk, p2.pk]).prefetch_related("galleries"))
    assert counts == {"default": 0, "orders": 1, "third": 1}
    assert {p.pk: sorted(g.title for g in p.galleries.all()) for p in found} == {
        p1.pk: ["g1"],
        p2.pk: ["g1", "g2"],
    }
    p2.delete()
    assert Gallery.objects.get(pk=g1.pk).photos_ids == [p1.pk]
    assert Gallery.objects.get(pk=g2.pk).photos_ids == [p3.pk]


# -- enforcement -----------------------------------------------------------------------


def test_dangling_key_is_refused_in_one_query_and_nothing_is_written(tags):
    django, python, sql, web = tags
    article = Article(title="x", tags_ids=[django.pk, 987654, python.pk])
    with count_queries() as counts:
        with pytest.raises(weakrel.DanglingReferenceError) as info:
            article.save()
    assert counts == {"default": 0, "orders": 1, "third": 0}
    assert info.value.value == 987654 and info.value.database == "orders"
    assert Article.objects.count() == 0
    ok = Article.objects.create(tags=[django])
    ok.tags_ids = [django.pk, 987654]
    with pytest.raises(weakrel.DanglingReferenceError):
        ok.save()
    assert Article.objects.get(pk=ok.pk).tags_ids == [django.pk]


def test_whole_list_is_checked_in_one_query(tags):
    article = Article(tags_ids=[t.pk for t in tags])
    with count_queries() as counts:
        article.save()
    assert counts == {"default": 1, "orders": 1, "third": 0}
    # Saved instances assigned to the list are known to exist: no lookup.
    article.tags = tags[:2]
    with count_queries() as counts:
        article.save()
    assert counts == {"default": 1, "orders": 0, "third": 0}


def test_enforce_false_keeps_any_key(tags):
    board = Pinboard.objects.create(ignored=[123456])
    assert Pinboard.objects.get(pk=board.pk).ignored_ids == [123456]
    assert list(board.ignored.all()) == []


def test_duplicates_are_rejected_unless_allowed(tags):
    django, python, sql, web = tags
    with pytest.raises(ValidationError) as info:
        Article.objects.create(tags_ids=[django.pk, python.pk, django.pk])
    assert info.value.message_dict == {"tags": [f"tags holds {django.pk} more than once."]}
    assert Article.objects.count() == 0
    board = Pinboard.objects.create(repeated=[django, python, django])
    board = Pinboard.objects.get(pk=board.pk)
    assert board.repeated_ids == [django.pk, python.pk, django.pk]
    # The queryset names each target once, at its first position.
    assert list(board.repeated.all()) == [django, python]
    board.repeated.add(django)
    assert (
        Pinboard.objects.get(pk=board.pk).repeated_ids == [django.pk, python.pk] + [django.pk] * 2
    )


def test_full_clean_reports_duplicates_and_dangling_keys(tags):
    django = tags[0]
    article = Article(tags_ids=[django.pk, django.pk])
    with pytest.raises(ValidationError) as info:
        article.full_clean()
    assert info.value.error_dict["tags"][0].code == "duplicate"
    article.tags_ids = [django.pk, 424242]
    with pytest.raises(ValidationError) as info:
        article.full_clean()
    assert info.value.error_dict["tags"][0].code == "dangling"
    article.tags_ids = [django.pk]
    article.full_clean()


# -- reverse side and filtering ----------------------------------------------------------


def test_reverse_manager_finds_the_lists_holding_the_key(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(title="a1", tags=[django, python])
    a2 = Article.objects.create(title="a2", tags=[python])
    Article.objects.create(title="a3", tags=[sql])
    with count_queries() as counts:
        assert list(python.articles.order_by("title")) == [a1, a2]
    assert counts == {"default": 1, "orders": 0, "third": 0}
    assert list(django.articles.all()) == [a1]
    assert web.articles.count() == 0
    assert python.articles.filter(title="a2").exists()
    with pytest.raises(TypeError, match="prohibited"):
        python.articles = [a1]


def test_filtering_both_ways(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(title="a1", tags=[django, python])
    a2 = Article.objects.create(title="a2", tags=[python, sql])
    a3 = Article.objects.create(title="a3", tags=[])
    by_title = Article.objects.order_by("title")
    assert list(by_title.filter(tags=django)) == [a1]
    assert list(by_title.filter(tags=python.pk)) == [a1, a2]
    assert list(by_title.filter(tags=str(python.pk))) == [a1, a2]
    assert list(by_title.filter(tags__in=[django, sql])) == [a1, a2]
    assert list(by_title.filter(tags__in=Tag.objects.filter(name="sql"))) == [a2]
    assert list(by_title.exclude(tags=python)) == [a3]
    with count_queries() as counts:
        assert list(by_title.filter(tags__name="sql")) == [a2]
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert list(by_title.filter(tags__name__in=["django", "sql"])) == [a1, a2]
    assert list(by_title.filter(tags_ids=[django.pk, python.pk])) == [a1]
    with count_queries() as counts:
        assert list(Tag.objects.filter(articles__title="a2")) == [python, sql]
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert list(Tag.objects.filter(articles__title__in=["a1", "a3"])) == [django, python]


# -- prefetching ------------------------------------------------------------------------


def test_prefetch_forward_is_one_query_in_stored_order(tags):
    django, python, sql, web = tags
    for i in range(6):
        Article.objects.create(title=f"t{i}", tags=[tags[i % 4], tags[(i + 1) % 4]])
    with count_queries() as counts:
        articles = list(Article.objects.order_by("title").prefetch_related("tags"))
    assert counts == {"default": 1, "orders": 1, "third": 0}
    with count_queries() as counts:
        got = [list(a.tags.all()) for a in articles]
    assert sum(counts.values()) == 0
    assert got[0] == [django, python] and got[3] == [web, django]
    # Changing the list makes the prefetched result stale: it is not used.
    articles[0].tags_ids = [sql.pk]
    assert list(articles[0].tags.all()) == [sql]


def test_prefetch_with_queryset_and_nested(tags):
    django, python, sql, web = tags
    Article.objects.create(title="a", tags=[web, django])
    Pinboard.objects.create(repeated=[web])
    with count_queries() as counts:
        articles = list(
            Article.objects.prefetch_related(
                Prefetch("tags", queryset=Tag.objects.exclude(name="sql"), to_attr="some"),
                "tags__repeated_on",
            )
        )
    assert counts == {"default": 2, "orders": 2, "third": 0}
    assert articles[0].some == [web, django]
    assert [len(t.repeated_on.all()) for t in articles[0].tags.all()] == [1, 0]


def test_prefetch_reverse_is_one_query(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(title="a1", tags=[django, python])
    a2 = Article.objects.create(title="a2", tags=[python])
    with count_queries() as counts:
        found = list(Tag.objects.prefetch_related("articles"))
    assert counts == {"default": 1, "orders": 1, "third": 0}
    with count_queries() as counts:
        got = {t.name: sorted(a.title for a in t.articles.all()) for t in found}
    assert sum(counts.values()) == 0
    assert got == {"django": ["a1"], "python": ["a1", "a2"], "sql": [], "web": []}
    assert {a1.pk, a2.pk} == {a.pk for a in found[1].articles.all()}


# -- deletion ----------------------------------------------------------------------------


def test_pull_removes_the_key_from_every_list(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(tags=[django, python, sql])
    a2 = Article.objects.create(tags=[python])
    a3 = Article.objects.create(tags=[web])
    deleted, counts = python.delete()
    assert counts == {"blog.Tag": 1}
    assert Article.objects.get(pk=a1.pk).tags_ids == [django.pk, sql.pk]
    assert Article.objects.get(pk=a2.pk).tags_ids == []
    assert Article.objects.get(pk=a3.pk).tags_ids == [web.pk]


def test_pull_on_queryset_delete_of_several_targets(tags):
    django, python, sql, web = tags
    a1 = Article.objects.create(tags=[web, django, python, sql])
    board = Pinboard.objects.create(repeated=[python, sql, python, web])
    Tag.objects.filter(name__in=["python", "sql"]).delete()
    assert Article.objects.get(pk=a1.pk).tags_ids == [web.pk, django.pk]
    assert Pinboard.objects.get(pk=board.pk).repeated_ids == [web.pk]


@pytest.mark.django_db(databases="__all__", transaction=True)
def test_pull_rolls_back_with_the_delete(tags, monkeypatch):
    django, python, sql, web = tags
    a1 = Article.objects.create(tags=[django, python])

    def boom(*args, **kwargs):
        raise RuntimeError("root delete failed")

    # The root (Tag) delete fails after the lists were rewritten in "default".
    from django.db.models.deletion import Collector

    real = Collector.delete

    def failing(self):
        if self.using == "orders":
            boom()
        return real(self)

    monkeypatch.setattr(Collector, "delete", failing)
    with pytest.raises(RuntimeError):
        python.delete()
    monkeypatch.undo()
    assert Article.objects.get(pk=a1.pk).tags_ids == [django.pk, python.pk]
    assert Tag.objects.filter(pk=python.pk).exists()


def test_protect_restrict_and_do_nothing(tags):
    django, python, sql, web = tags
    board = Pinboard.objects.create(protected=[django], restricted=[python], ignored=[sql])
    with pytest.raises(ProtectedError) as info:
        django.delete()
    assert info.value.protected_objects == {board}
    with pytest.raises(RestrictedError):
        python.delete()
    assert Tag.objects.count() == 4
    sql_key = sql.pk
    sql.delete()
    assert Pinboard.objects.get(pk=board.pk).ignored_ids == [sql_key]
    board.delete()
    django.delete()
    python.delete()
    assert Tag.objects.count() == 1


# -- checks and migrations ----------------------------------------------------------------


def test_deconstruct_round_trip():
    field = Article._meta.get_field("tags")
    name, path, args, kwargs = field.deconstruct()
    assert (name, path, args) == ("tags", "weakrel.references.WeakReferencesMany", [])
    assert kwargs == {"to": "blog.tag", "related_name": "articles"}
    assert field.attname == field.column == "tags_ids"
    board = Pinboard._meta.get_field("ignored")
    _, _, _, kwargs = board.deconstruct()
    assert kwargs == {
        "to": "blog.tag",
        "on_delete": weakrel.DO_NOTHING,
        "related_name": "+",
        "enforce": False,
    }
    clone = weakrel.WeakReferencesMany(**kwargs)
    assert clone.deconstruct()[3] == kwargs
    assert Pinboard._meta.get_field("repeated").deconstruct()[3]["allow_duplicates"] is True


def test_migration_state_keeps_the_column():
    from django.db.migrations.state import ModelState

    state = ModelState.from_model(Article)
    field = state.fields["tags"]
    assert isinstance(field, weakrel.WeakReferencesMany)
    assert field.deconstruct()[3]["to"] == "blog.tag"


def test_pull_is_refused_on_other_fields():
    with pytest.raises(TypeError, match="only for WeakReferencesMany"):
        weakrel.PULL(None, Article._meta.get_field("title"), [], "default")


@isolate_apps("tests.blog")
def test_checks_unsupported_on_delete_and_missing_target():
    class Label(models.Model):
        class Meta:
            app_label = "blog"

    class Post(models.Model):
        labels = weakrel.WeakReferencesMany(Label, weakrel.CASCADE, related_name="+")
        nowhere = weakrel.WeakReferencesMany("blog.Nowhere", related_name="+")

        class Meta:
            app_label = "blog"

    errors = [e for e in Post.check() if isinstance(e, checks.Error)]
    assert [(e.id, e.obj.name) for e in errors] == [
        ("weakrel.E202", "labels"),
        ("weakrel.E201", "nowhere"),
    ]


def test_autodetector_sees_no_changes_and_keeps_the_column():
    from django.apps import apps
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.graph import MigrationGraph
    from django.db.migrations.state import ProjectState

    before, after = ProjectState.from_apps(apps), ProjectState.from_apps(apps)
    changes = MigrationAutodetector(before, after).changes(graph=MigrationGraph())
    assert not changes.get("blog") and not changes.get("clinic") and not changes.get("shop")
    rendered = after.apps.get_model("blog", "Article")._meta.get_field("tags")
    assert (rendered.attname, rendered.column) == ("tags_ids", "tags_ids")
    assert rendered.remote_field.model._meta.label == "blog.Tag"


@pytest.mark.django_db(databases="__all__")
def test_full_clean_on_both_sides():
    tag = Tag.objects.create(name="t")
    tag.full_clean()
    article = Article(tags=[tag])
    article.full_clean()


@pytest.mark.django_db(databases="__all__")
def test_aggregating_the_reverse_side_is_refused_not_wrong():
    from django.core.exceptions import FieldError
    from django.db.models import Count

    Tag.objects.create(name="lonely")
    with pytest.raises(FieldError, match="'articles' is a weak relation"):
        list(Tag.objects.annotate(n=Count("articles")))
