"""Polymorphic HasManyThrough: a WeakManyToManyField whose through model's far key is
a WeakGenericForeignKey.

Reader (default) links to Articles (default) and Products (third) through Favorite
rows (orders).
"""

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.test.utils import isolate_apps

import weakrel
from tests.blog.models import Article, Comment, Favorite, Reader
from tests.queries import count_queries
from tests.shop.models import Customer, Product

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def items():
    articles = [Article.objects.create(title=f"A{i}") for i in range(2)]
    products = [Product.objects.create(name=f"P{i}", sku=f"S{i}") for i in range(2)]
    return articles, products


@pytest.fixture
def reader(items):
    articles, products = items
    reader = Reader.objects.create(name="Ann")
    reader.favorites.add(articles[0], products[1], articles[1])
    return reader


def test_reading_costs_the_through_rows_and_one_query_per_type(items, reader):
    articles, products = items
    fresh = Reader.objects.get(pk=reader.pk)
    with count_queries() as counts:
        favorites = fresh.favorites.all()
    assert favorites == [articles[0], products[1], articles[1]]
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert [obj._state.db for obj in favorites] == ["default", "third", "default"]


def test_a_reader_without_favorites_reads_only_the_through_rows():
    reader = Reader.objects.create()
    with count_queries() as counts:
        assert reader.favorites.all() == []
    assert counts == {"default": 0, "orders": 1, "third": 0}


def test_add_writes_one_through_row_each_and_skips_links_already_there(items, reader):
    articles, products = items
    with count_queries() as counts:
        reader.favorites.add(products[1], products[0], through_defaults={"note": "new"})
    # One read of the links, one insert; saved instances need no existence query.
    assert counts == {"default": 0, "orders": 2, "third": 0}
    rows = Favorite.objects.filter(reader=reader).order_by("pk")
    assert [(r.item_type, r.item_id, r.note) for r in rows][-1] == (
        "shop.product",
        str(products[0].pk),
        "new",
    )
    assert rows.count() == 4


def test_add_refuses_a_model_not_allowed_and_an_unsaved_row(reader):
    with pytest.raises(ValueError, match="must be an instance of"):
        reader.favorites.add(Customer.objects.create(name="C"))
    with pytest.raises(ValueError, match="not saved"):
        reader.favorites.add(Article(title="unsaved"))
    assert Favorite.objects.filter(reader=reader).count() == 3


def test_an_unsaved_reader_cannot_link():
    with pytest.raises(ValueError, match="primary key"):
        Reader(name="new").favorites.add(Article.objects.create())


def test_remove_set_and_clear(items, reader):
    articles, products = items
    reader.favorites.remove(articles[0], products[1])
    assert reader.favorites.all() == [articles[1]]
    reader.favorites.set([products[0], articles[1]])
    assert sorted(map(str, reader.favorites.all())) == sorted(map(str, [articles[1], products[0]]))
    assert Favorite.objects.filter(reader=reader).count() == 2
    reader.favorites.set([articles[0]], clear=True)
    assert reader.favorites.all() == [articles[0]]
    reader.favorites.clear()
    assert reader.favorites.all() == []
    # The rows linked to stay.
    assert Article.objects.count() == 2 and Product.objects.count() == 2


def test_of_one_type_is_a_queryset_in_that_types_database(items, reader):
    articles, products = items
    with count_queries() as counts:
        titles = list(reader.favorites.of(Article).filter(title="A1").values_list("title"))
    assert titles == [("A1",)]
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert list(reader.favorites.of(Product)) == [products[1]]
    with pytest.raises(ValueError, match="not one of the models"):
        reader.favorites.of(Customer)


@pytest.mark.parametrize("n", [3, 12])
def test_prefetch_costs_the_through_rows_and_one_query_per_type(items, n):
    articles, products = items
    readers = [Reader.objects.create(name=f"R{i}") for i in range(n)]
    for i, reader in enumerate(readers):
        reader.favorites.add(articles[i % 2], products[0])
    with count_queries() as counts:
        fetched = list(Reader.objects.filter(name__startswith="R").prefetch_related("favorites"))
        links = {r.name: r.favorites.all() for r in fetched}
    assert counts == {"default": 2, "orders": 1, "third": 1}
    assert links["R0"] == [articles[0], products[0]]
    assert links["R1"] == [articles[1], products[0]]
    # A row linked to several readers is a copy per reader.
    assert links["R0"][1] is not links["R2"][1]


def test_prefetch_refuses_a_queryset(reader):
    with pytest.raises(ValueError, match="takes no queryset"):
        list(
            Reader.objects.prefetch_related(
                models.Prefetch("favorites", queryset=Article.objects.all())
            )
        )


def test_a_change_drops_the_prefetched_rows(items, reader):
    articles, _products = items
    fetched = Reader.objects.prefetch_related("favorites").get(pk=reader.pk)
    fetched.favorites.remove(articles[0])
    assert articles[0] not in fetched.favorites.all()


def test_deleting_a_target_or_the_reader_cascades_through_the_through_keys(items, reader):
    articles, products = items
    products[1].delete()
    assert Favorite.objects.filter(reader=reader).count() == 2
    assert reader.favorites.all() == [articles[0], articles[1]]
    reader.delete()
    assert Favorite.objects.count() == 0
    assert Article.objects.count() == 2


def test_assignment_is_refused(reader):
    with pytest.raises(TypeError, match="favorites.set"):
        reader.favorites = []


def test_the_test_models_are_clean():
    assert Reader._meta.get_field("favorites").check() == []


def _checks(model):
    return [error.id for error in model._meta.get_field("links").check()]


@isolate_apps("tests.blog")
def test_misdeclared_through_models():
    class Owner(models.Model):
        unknown = weakrel.WeakManyToManyField(to=[Article], through="blog.Nowhere")
        no_key = weakrel.WeakManyToManyField(to=[Article], through="blog.Loose")
        no_generic = weakrel.WeakManyToManyField(to=[Article], through="blog.Plain")
        outside = weakrel.WeakManyToManyField(to=[Article, Customer], through="blog.Link")

        class Meta:
            app_label = "blog"

    class Loose(models.Model):
        item = weakrel.WeakGenericForeignKey(to=[Article], on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    class Plain(models.Model):
        owner = weakrel.WeakForeignKey(Owner, on_delete=weakrel.CASCADE)
        article = weakrel.WeakForeignKey(Article, on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    class Link(models.Model):
        owner = weakrel.WeakForeignKey(Owner, on_delete=weakrel.CASCADE)
        item = weakrel.WeakGenericForeignKey(to=[Article], on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    found = {
        name: [e.id for e in Owner._meta.get_field(name).check()]
        for name in ("unknown", "no_key", "no_generic", "outside")
    }
    assert found == {
        "unknown": ["weakrel.E230"],
        "no_key": ["weakrel.E231"],
        "no_generic": ["weakrel.E232"],
        "outside": ["weakrel.E233"],
    }
    with pytest.raises(ImproperlyConfigured, match="no single weak key"):
        Owner(pk=1).no_key  # noqa: B018


@isolate_apps("tests.blog")
def test_through_fields_name_the_keys():
    class Owner(models.Model):
        links = weakrel.WeakManyToManyField(
            to=[Article], through="blog.Pair", through_fields=("first", "item")
        )

        class Meta:
            app_label = "blog"

    class Pair(models.Model):
        first = weakrel.WeakForeignKey(Owner, on_delete=weakrel.CASCADE, related_name="+")
        second = weakrel.WeakForeignKey(Owner, on_delete=weakrel.CASCADE, related_name="+")
        item = weakrel.WeakGenericForeignKey(to=[Article], on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    field = Owner._meta.get_field("links")
    assert _checks(Owner) == []
    assert [key.name for key in field.through_keys] == ["first", "item"]


def test_the_field_deconstructs_as_weak_many_to_many():
    name, path, args, kwargs = Reader._meta.get_field("favorites").deconstruct()
    assert (name, path, args) == ("favorites", "weakrel.WeakManyToManyField", [])
    assert kwargs == {"to": ["blog.Article", "shop.Product"], "through": "blog.Favorite"}


def test_the_generic_key_of_the_through_model_keeps_its_own_reverse(items, reader):
    articles, _products = items
    assert [f.reader_id for f in articles[0].favorited.all()] == [reader.pk]
    assert Comment.objects.count() == 0


def test_filtering_asks_the_through_models_database_first(items, reader):
    articles, products = items
    other = Reader.objects.create(name="Bo")
    other.favorites.add(products[0])
    with count_queries() as counts:
        assert list(Reader.objects.filter(favorites=articles[0])) == [reader]
    assert counts == {"default": 1, "orders": 1, "third": 0}
    found = Reader.objects.filter(favorites__in=[products[0], products[1]]).order_by("pk")
    assert list(found) == [reader, other]
    assert list(Reader.objects.filter(favorites__product__name="P0")) == [other]
    with count_queries() as counts:
        named = Reader.objects.filter(favorites__article__title__startswith="A")
        assert list(named) == [reader]
    # Article's database, then the through model's, then the readers.
    assert counts == {"default": 2, "orders": 1, "third": 0}
    lonely = Reader.objects.create(name="Cy")
    assert list(Reader.objects.filter(favorites__isnull=True)) == [lonely]
    assert list(Reader.objects.exclude(favorites=articles[1]).order_by("pk")) == [other, lonely]


def test_async_twins(items, reader):
    articles, products = items

    async def relink():
        await reader.favorites.aremove(articles[0])
        await reader.favorites.aadd(products[0])
        await reader.favorites.aset([products[0], articles[1]])

    async_to_sync(relink)()
    assert sorted(map(repr, reader.favorites.all())) == sorted(
        map(repr, [articles[1], products[0]])
    )
    async_to_sync(reader.favorites.aclear)()
    assert Favorite.objects.filter(reader=reader).count() == 0


def test_links_to_a_type_no_longer_allowed_or_to_no_row_are_left_out(items, reader):
    articles, products = items
    Favorite.objects.filter(item_type="shop.product").update(item_type="shop.customer")
    Article.objects.filter(pk=articles[1].pk).delete()  # its favorite cascades
    Favorite.objects.bulk_create(
        [Favorite(reader=reader, item_type="blog.article", item_id="999999")]
    )
    with count_queries() as counts:
        assert reader.favorites.all() == [articles[0]]
    assert counts == {"default": 1, "orders": 1, "third": 0}


def test_options_of_a_single_target_relation_are_refused():
    with pytest.raises(TypeError, match="takes no related_name"):
        weakrel.WeakManyToManyField(to=[Article], through="blog.Favorite", related_name="fans")
