"""WeakGenericForeignKey: article.comments, prefetching both ways, filtering."""

import pytest
from asgiref.sync import async_to_sync
from django.db.models import Prefetch

from tests.blog.models import Article, Comment, Like, Photo
from tests.queries import count_queries
from tests.shop.models import Product

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def data():
    articles = [Article.objects.create(title=t) for t in ("Apples", "Avocados", "Beans")]
    products = [Product.objects.create(name=n, sku=n) for n in ("Pear", "Plum")]
    for n, target in enumerate([*articles, *products, articles[0], products[0]]):
        Comment.objects.create(text=f"c{n}", target=target)
    return articles, products


def test_reverse_manager_reads_the_sources_database(data):
    articles, products = data
    with count_queries() as counts:
        comments = list(articles[0].comments.all())
    assert counts == {"default": 0, "orders": 1, "third": 0}
    assert [c.text for c in comments] == ["c0", "c5"]
    with count_queries() as counts:
        assert comments[0].target is articles[0]
    assert sum(counts.values()) == 0
    assert [c.text for c in products[0].comments.all()] == ["c3", "c6"]
    assert products[1].comments.count() == 1
    assert not Article.objects.create(title="none").comments.exists()


def test_create_add_and_the_same_key_on_two_types_kept_apart(data):
    articles, products = data
    comment = articles[2].comments.create(text="new")
    assert (comment.target_type, comment.target_id) == ("blog.article", str(articles[2].pk))
    assert comment._state.db == "orders"
    moved = products[1].comments.get()
    articles[2].comments.add(moved)
    assert moved.target is articles[2]
    assert set(articles[2].comments.values_list("text", flat=True)) == {"c2", "new", "c4"}
    assert products[1].comments.count() == 0
    got, created = articles[2].comments.get_or_create(text="new")
    assert not created and got == comment


def test_nullable_pair_remove_clear_and_set(data):
    articles, _ = data
    photo = Photo.objects.create()
    likes = [Like.objects.create(target=articles[0]) for _ in range(3)]
    articles[0].likes.remove(likes[0])
    assert Like.objects.filter(target_type__isnull=True).count() == 1
    articles[0].likes.set([likes[2], likes[0]])
    assert set(articles[0].likes.all()) == {likes[0], likes[2]}
    articles[0].likes.clear()
    assert not articles[0].likes.exists()
    photo.likes.add(likes[1])
    assert Like.objects.get(pk=likes[1].pk).target == photo
    assert not hasattr(articles[0].comments, "remove")


def test_async_methods():
    async def run():
        article = await Article.objects.acreate(title="async")
        comment = await article.comments.acreate(text="hello")
        return article, comment, await article.comments.acount()

    article, comment, count = async_to_sync(run)()
    assert comment.target_id == str(article.pk) and count == 1


def test_prefetch_target_costs_one_query_per_type_in_its_own_database(data):
    with count_queries() as counts:
        comments = list(Comment.objects.prefetch_related("target"))
        titles = [str(getattr(c.target, "title", None) or c.target.name) for c in comments]
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert titles == ["Apples", "Avocados", "Beans", "Pear", "Plum", "Apples", "Pear"]
    only_articles = Comment.objects.filter(target_type="blog.article").prefetch_related("target")
    with count_queries() as counts:
        list(only_articles)
    assert counts == {"default": 1, "orders": 1, "third": 0}


@pytest.mark.parametrize("n", [3, 20])
def test_prefetch_target_cost_does_not_grow_with_n(n):
    for i in range(n):
        target = Article.objects.create() if i % 2 else Product.objects.create(sku=f"s{i}")
        Comment.objects.create(target=target)
    with count_queries() as counts:
        comments = list(Comment.objects.prefetch_related("target"))
        assert all(c.target is not None for c in comments)
    assert counts == {"default": 1, "orders": 1, "third": 1}


def test_prefetch_with_querysets_per_type(data):
    prefetch = Prefetch("target", queryset=Article.objects.filter(title__startswith="A"))
    with count_queries() as counts:
        articles = Comment.objects.filter(target_type="blog.article")
        comments = list(articles.prefetch_related(prefetch))
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert [c.target.title if c.target else None for c in comments] == [
        "Apples",
        "Avocados",
        None,
        "Apples",
    ]


def test_reverse_prefetch_costs_one_query(data):
    articles, _ = data
    with count_queries() as counts:
        found = list(Article.objects.order_by("pk").prefetch_related("comments"))
        texts = [[c.text for c in a.comments.all()] for a in found]
        assert all(c.target is a for a in found for c in a.comments.all())
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert texts == [["c0", "c5"], ["c1"], ["c2"]]


def test_reverse_prefetch_with_a_queryset_and_a_slice(data):
    articles, _ = data
    latest = Prefetch("comments", queryset=Comment.objects.order_by("-pk")[:1], to_attr="latest")
    texts = Prefetch("comments", queryset=Comment.objects.filter(text="c0"), to_attr="c0")
    with count_queries() as counts:
        found = list(Article.objects.order_by("pk").prefetch_related(latest, texts))
    assert counts == {"default": 1, "orders": 2, "third": 0}
    assert [[c.text for c in a.latest] for a in found] == [["c5"], ["c1"], ["c2"]]
    assert [len(a.c0) for a in found] == [1, 0, 0]


def test_filter_by_target_and_by_type(data):
    articles, products = data
    assert list(Comment.objects.filter(target=articles[0]).values_list("text", flat=True)) == [
        "c0",
        "c5",
    ]
    both = Comment.objects.filter(target__in=[articles[1], products[1]])
    assert sorted(both.values_list("text", flat=True)) == ["c1", "c4"]
    assert Comment.objects.filter(target_type="shop.product").count() == 3
    assert Comment.objects.filter(article=articles[0]).count() == 2
    assert Comment.objects.filter(product__in=[products[0].pk]).count() == 2
    assert Comment.objects.filter(article__isnull=False).count() == 4
    assert Comment.objects.exclude(target=articles[0]).count() == 5


def test_filter_through_one_type_asks_its_database_first(data):
    with count_queries() as counts:
        texts = list(
            Comment.objects.filter(article__title__startswith="A").values_list("text", flat=True)
        )
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert texts == ["c0", "c1", "c5"]
    assert Comment.objects.filter(product__name="Plum").get().text == "c4"
    queryset = Article.objects.filter(title="Beans")
    assert Comment.objects.filter(article__in=queryset).get().text == "c2"


def test_reverse_filtering(data):
    articles, products = data
    with count_queries() as counts:
        titles = list(
            Article.objects.filter(comments__text__in=["c1", "c2", "c3"]).values_list(
                "title", flat=True
            )
        )
    assert counts == {"default": 1, "orders": 1, "third": 0}
    assert sorted(titles) == ["Avocados", "Beans"]
    assert list(Product.objects.filter(comments__text="c3")) == [products[0]]
    lonely = Article.objects.create(title="lonely")
    assert list(Article.objects.filter(comments__isnull=True)) == [lonely]
