"""on_delete of a WeakGenericForeignKey, carried out by the cross-database collector
when any allowed target is deleted (after Django's tests/delete)."""

import pytest
from django.db import connections
from django.db.models import ProtectedError, RestrictedError
from django.test.utils import CaptureQueriesContext

import weakrel
from tests.blog.models import Article, Comment, Flag, Like, Photo, Pin, Sighting
from tests.shop.models import Product

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def article():
    return Article.objects.create(title="A")


@pytest.fixture
def product():
    return Product.objects.create(name="P", sku="P")


def test_cascade_deletes_only_the_rows_of_that_type(article, product):
    Comment.objects.create(target=article)
    Comment.objects.create(target=article)
    kept = Comment.objects.create(target=product)
    # The article's key under another type is not the article's.
    Comment.objects.filter(pk=kept.pk).update(target_id=str(article.pk))
    with CaptureQueriesContext(connections["orders"]) as orders:
        deleted, per_model = article.delete()
    assert per_model == {"blog.Article": 1, "blog.Comment": 2}
    assert list(Comment.objects.values_list("pk", flat=True)) == [kept.pk]
    # One statement, whatever the number of comments: no comment is read.
    statements = [q["sql"] for q in orders.captured_queries if "blog_comment" in q["sql"]]
    assert len(statements) == 1 and statements[0].startswith("DELETE")


def test_cascade_from_a_queryset_and_from_the_other_type(article, product):
    Comment.objects.create(target=product)
    Comment.objects.create(target=article)
    Product.objects.all().delete()
    assert list(Comment.objects.values_list("target_type", flat=True)) == ["blog.article"]


def test_protect_refuses_and_names_the_field(article):
    photo = Photo.objects.create()
    flag = Flag.objects.create(target=photo)
    Flag.objects.create(target=article)
    with pytest.raises(ProtectedError) as raised:
        photo.delete()
    assert "referenced through protected foreign keys: 'Flag.target'" in str(raised.value)
    assert raised.value.protected_objects == {flag}
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_restrict_refuses_unless_cascaded(article, product):
    pin = Pin.objects.create(target=product)
    with pytest.raises(RestrictedError) as raised:
        product.delete()
    assert raised.value.restricted_objects == {pin}
    assert Product.objects.filter(pk=product.pk).exists()


def test_set_null_nulls_both_columns_across_databases(article):
    photo = Photo.objects.create()
    on_photo = Like.objects.create(target=photo)
    on_article = Like.objects.create(target=article)
    photo.delete()
    on_photo.refresh_from_db()
    assert (on_photo.target_type, on_photo.target_id) == (None, None)
    assert on_photo.target is None
    assert Like.objects.get(pk=on_article.pk).target == article


def test_do_nothing_leaves_dangling_rows(article, product):
    sighting = Sighting.objects.create(target=product)
    sighting_key = str(product.pk)
    with CaptureQueriesContext(connections["third"]) as third:
        product.delete()
    assert not [q for q in third.captured_queries if "blog_sighting" in q["sql"]]
    sighting.refresh_from_db()
    assert (sighting.target_type, sighting.target_id) == ("shop.product", sighting_key)


def test_every_database_keeps_its_part_when_the_root_fails(article, monkeypatch):
    comment = Comment.objects.create(target=article)

    def fail(*args, **kwargs):
        raise RuntimeError("root delete failed")

    # Django's own delete of the article fails after the comments' database joined.
    monkeypatch.setattr("weakrel.deletion.WeakCollector.root_delete", fail, raising=False)
    collector_delete = weakrel.deletion.WeakCollector.delete_now

    def delete_now(self, later):
        self.root_delete = fail
        return collector_delete(self, later)

    monkeypatch.setattr(weakrel.deletion.WeakCollector, "delete_now", delete_now)
    with pytest.raises(RuntimeError):
        article.delete()
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert Article.objects.filter(pk=article.pk).exists()
