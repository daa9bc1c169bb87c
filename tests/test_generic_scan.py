"""weakrel_check over WeakGenericForeignKey: one IN query per type per batch, rows
whose type is no longer allowed reported with that reason, the usual repairs."""

import uuid

import pytest

import weakrel
from tests.blog.models import Article, Comment, Like, Photo
from tests.queries import count_queries
from tests.shop.models import Product

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def orphans():
    article = Article.objects.create(title="kept")
    product = Product.objects.create(sku="kept")
    Comment.objects.create(target=article)
    Comment.objects.create(target=product)
    # Written past the save check, as another service or a restore would.
    Comment.objects.bulk_create(
        [
            Comment(target_type="blog.article", target_id="999999"),
            Comment(target_type="shop.product", target_id="999999"),
            Comment(target_type="shop.customer", target_id=str(article.pk)),
        ]
    )
    return article, product


def test_scan_reports_dangling_pairs_and_types_not_allowed(orphans):
    with count_queries() as counts:
        (finding,) = weakrel.scan("blog.Comment.target")
    # Rows in two batches' worth of reads here, one IN per type in its own database.
    assert counts == {"default": 1, "orders": 1, "third": 1}
    assert (finding.scanned, finding.orphans) == (5, 3)
    assert finding.target_alias == "default, third"
    assert sorted(finding.sample) == [
        "blog.article:999999",
        f"shop.customer:{orphans[0].pk} (type not allowed)",
        "shop.product:999999",
    ]


def test_one_query_per_type_per_batch(orphans):
    with count_queries() as counts:
        (finding,) = weakrel.scan("blog.Comment.target", batch_size=2)
    assert finding.orphans == 3
    # Three batches: each reads its rows, and looks up the types it holds.
    assert counts["orders"] == 3
    assert counts["default"] + counts["third"] <= 2 * 3


def test_fix_delete_removes_only_the_orphans(orphans):
    (finding,) = weakrel.scan("blog.Comment.target", fix="delete")
    assert finding.repaired == 3
    assert sorted(Comment.objects.values_list("target_type", flat=True)) == [
        "blog.article",
        "shop.product",
    ]
    assert weakrel.scan("blog.Comment.target").orphans == 0


def test_fix_null_and_on_delete_on_a_nullable_pair():
    photo = Photo.objects.create()
    Like.objects.create(target=photo)
    Like.objects.bulk_create([Like(target_type="blog.photo", target_id=str(uuid.uuid4()))])
    (finding,) = weakrel.scan("blog.Like.target", fix="on-delete")
    assert (finding.orphans, finding.repaired, finding.fix) == (1, 1, "null")
    assert Like.objects.filter(target_type__isnull=True).count() == 1
    with pytest.raises(weakrel.ScanError, match="not nullable"):
        weakrel.scan("blog.Comment.target", fix="null")
