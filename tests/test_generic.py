"""WeakGenericForeignKey: columns, the forward side, the save check and full_clean().

Comment (orders) points at an Article (default) or a Product (third); Flag (third) at
an Article or a Photo, whose key is a UUID.
"""

import pytest
from django.core.exceptions import ValidationError

import weakrel
from tests.blog.models import Article, Comment, Flag, LegacyNote, Photo
from tests.queries import count_queries
from tests.shop.models import Customer, Product

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def article():
    return Article.objects.create(title="Apples")


@pytest.fixture
def product():
    return Product.objects.create(name="Pear", sku="P1")


def test_columns_hold_the_label_and_the_key_as_text(article, product):
    on_article = Comment.objects.create(text="a", target=article)
    on_product = Comment.objects.create(text="p", target=product)
    rows = Comment.objects.order_by("pk").values_list("target_type", "target_id")
    assert list(rows) == [("blog.article", str(article.pk)), ("shop.product", str(product.pk))]
    assert on_article._state.db == on_product._state.db == "orders"


def test_uuid_and_integer_keys_mix_in_one_column(article):
    photo = Photo.objects.create()
    Flag.objects.create(target=photo)
    Flag.objects.create(target=article)
    assert sorted(Flag.objects.values_list("target_id", flat=True)) == sorted(
        [str(photo.pk), str(article.pk)]
    )
    assert Flag.objects.get(target_type="blog.photo").target == photo


def test_forward_reads_the_targets_database_and_caches(article, product):
    comment = Comment.objects.create(target=product)
    fresh = Comment.objects.get(pk=comment.pk)
    with count_queries() as counts:
        assert fresh.target == product
        assert fresh.target == product
    assert counts == {"default": 0, "orders": 0, "third": 1}
    assert fresh.target._state.db == "third"
    fresh.target = article
    assert (fresh.target_type, fresh.target_id) == ("blog.article", str(article.pk))
    with count_queries() as counts:
        assert fresh.target is article
    assert sum(counts.values()) == 0


def test_changing_the_columns_drops_the_cached_target(article):
    other = Article.objects.create(title="Other")
    comment = Comment.objects.create(target=article)
    comment.target_id = str(other.pk)
    assert comment.target == other


def test_type_query_name_gives_the_target_of_that_type(article, product):
    comment = Comment.objects.create(target=product)
    assert comment.product == product
    assert comment.article is None


def test_a_model_not_in_to_is_refused(article):
    with pytest.raises(ValueError, match="must be an instance of blog.article, shop.product"):
        Comment(target=Customer(name="x"))
    comment = Comment(target_type="shop.customer", target_id="1")
    with pytest.raises(ValueError, match="'shop.customer' is not one of the models"):
        comment.save()


def test_dangling_pair_raises_on_save(article):
    with pytest.raises(weakrel.DanglingReferenceError, match=r"Comment.target: no Article"):
        Comment.objects.create(target_type="blog.article", target_id="999999")
    assert Comment.objects.count() == 0


def test_enforce_false_stores_a_dangling_pair():
    note = LegacyNote(object_type="blog.article", object_id=999999)
    # LegacyNote enforces: refused; the check is the target's database only.
    with count_queries() as counts, pytest.raises(weakrel.DanglingReferenceError):
        note.save()
    assert counts["default"] == 1 and counts["orders"] == 0


def test_save_checks_once_in_the_targets_database(article):
    comment = Comment(target_type="blog.article", target_id=str(article.pk))
    with count_queries() as counts:
        comment.save()
    assert counts == {"default": 1, "orders": 1, "third": 0}


def test_saved_target_assigned_is_not_looked_up_again(article):
    with count_queries() as counts:
        Comment.objects.create(target=article)
    assert counts == {"default": 0, "orders": 1, "third": 0}


def test_unsaved_target_saved_before_the_source():
    article = Article(title="late")
    comment = Comment(target=article)
    with pytest.raises(ValueError, match="unsaved related object 'target'"):
        comment.save()
    article.save()
    comment.save()
    assert Comment.objects.get(pk=comment.pk).target_id == str(article.pk)


def test_not_nullable_pair_refuses_none():
    with pytest.raises(ValueError, match="Comment.target cannot be None"):
        Comment.objects.create(text="x")


def test_half_a_pair_is_refused(article):
    with pytest.raises(ValueError, match="must both be set"):
        Comment.objects.create(target_type="blog.article")


def test_malformed_key_is_a_validation_error():
    with pytest.raises(ValidationError):
        Comment.objects.create(target_type="blog.article", target_id="seven")


def test_full_clean_reports_a_dangling_pair(article):
    comment = Comment(target_type="blog.article", target_id="999999")
    with pytest.raises(ValidationError) as raised:
        comment.full_clean()
    assert raised.value.message_dict == {
        "target": ["article instance with id 999999 does not exist."]
    }
    comment.target_type = "shop.customer"
    with pytest.raises(ValidationError) as raised:
        comment.full_clean()
    assert raised.value.error_dict["target"][0].code == "invalid_type"
    comment.target = article
    comment.full_clean()


def test_user_declared_columns_with_an_integer_id(article):
    note = LegacyNote.objects.create(target=article)
    assert (note.object_type, note.object_id) == ("blog.article", article.pk)
    assert LegacyNote.objects.get(pk=note.pk).target == article
    assert list(article.legacy_notes.all()) == [note]


def test_check_references_checks_a_batch_per_type(article, product):
    rows = [
        Comment(target_type="blog.article", target_id=str(article.pk)),
        Comment(target_type="shop.product", target_id=str(product.pk)),
        Comment(target_type="shop.product", target_id="999999"),
    ]
    with count_queries() as counts, pytest.raises(weakrel.DanglingReferenceError):
        weakrel.check_references(rows)
    assert counts == {"default": 1, "orders": 0, "third": 1}


def test_makemigrations_round_trips_the_columns_and_the_index():
    from django.db.migrations import operations
    from django.db.migrations.autodetector import MigrationAutodetector
    from django.db.migrations.graph import MigrationGraph
    from django.db.migrations.questioner import MigrationQuestioner
    from django.db.migrations.state import ModelState, ProjectState
    from django.db.migrations.writer import MigrationWriter

    state = ModelState.from_model(Comment)
    assert list(state.fields) == ["id", "text", "target_type", "target_id"]
    assert [index.fields for index in state.options["indexes"]] == [["target_type", "target_id"]]
    create = operations.CreateModel(
        state.name, list(state.fields.items()), options=state.options, bases=state.bases
    )
    source, imports = MigrationWriter.serialize(create)
    assert "WeakGenericForeignKey" not in source  # a private field: never migrated
    namespace = {}
    exec("\n".join(sorted({*imports, "from django.db import migrations"})), namespace)
    rebuilt = ProjectState()
    eval(source, namespace).state_forwards("blog", rebuilt)
    current = ProjectState()
    current.add_model(state)
    questioner = MigrationQuestioner(specified_apps={"blog"}, dry_run=True)
    changes = MigrationAutodetector(rebuilt, current, questioner).changes(MigrationGraph())
    assert changes == {}
