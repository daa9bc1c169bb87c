"""System checks: misdeclared weak relations are reported as weakrel.E0xx / W0xx."""

from django.db import models
from django.test.utils import isolate_apps

import weakrel


def ids(model):
    return [error.id for error in model.check() if error.id.startswith("weakrel.")]


@isolate_apps("tests.shop")
def test_well_declared_relation_is_clean():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.CASCADE)

        class Meta:
            app_label = "shop"

    assert ids(Source) == []


@isolate_apps("tests.shop")
def test_unknown_target_model():
    class Source(models.Model):
        target = weakrel.WeakForeignKey("shop.Nowhere", weakrel.CASCADE)

        class Meta:
            app_label = "shop"

    errors = Source.check()
    assert [e.id for e in errors if e.id.startswith("weakrel")] == ["weakrel.E001"]
    assert "shop.Nowhere" in errors[-1].msg or any("shop.Nowhere" in e.msg for e in errors)


@isolate_apps("tests.shop")
def test_related_name_clash_with_a_field_and_with_another_relation():
    class Target(models.Model):
        orders = models.IntegerField()

        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.CASCADE, related_name="orders")

        class Meta:
            app_label = "shop"

    class Other(models.Model):
        first = weakrel.WeakForeignKey(Target, weakrel.CASCADE)
        second = weakrel.WeakForeignKey(Target, weakrel.CASCADE)

        class Meta:
            app_label = "shop"

    assert "weakrel.E007" in ids(Source)
    errors = [e for e in Other.check() if e.id == "weakrel.E007"]
    assert errors and "clashes with 'shop.Other." in errors[0].msg


@isolate_apps("tests.shop")
def test_set_null_without_null():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.SET_NULL)

        class Meta:
            app_label = "shop"

    assert ids(Source) == ["weakrel.E005"]


@isolate_apps("tests.shop")
def test_set_default_without_default():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.SET_DEFAULT, null=True)

        class Meta:
            app_label = "shop"

    assert ids(Source) == ["weakrel.E006"]


@isolate_apps("tests.shop")
def test_target_key_not_unique_and_missing():
    class Target(models.Model):
        code = models.CharField(max_length=5)

        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.CASCADE, to_field="code")
        other = weakrel.WeakForeignKey(
            Target, weakrel.CASCADE, to_field="nope", related_name="others"
        )

        class Meta:
            app_label = "shop"

    assert sorted(ids(Source)) == ["weakrel.E002", "weakrel.E003"]


@isolate_apps("tests.shop")
def test_unsupported_on_delete():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        # PULL is for lists of keys (WeakReferencesMany); SET(...) is supported now.
        target = weakrel.WeakForeignKey(Target, weakrel.PULL)

        class Meta:
            app_label = "shop"

    assert ids(Source) == ["weakrel.E004"]


@isolate_apps("tests.shop")
def test_db_index_false_is_a_warning():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        target = weakrel.WeakForeignKey(Target, weakrel.CASCADE, db_index=False)

        class Meta:
            app_label = "shop"

    assert ids(Source) == ["weakrel.W001"]


def test_on_delete_must_be_callable():
    import pytest

    with pytest.raises(TypeError, match="on_delete must be callable"):
        weakrel.WeakForeignKey("shop.Customer", None)


@isolate_apps("tests.blog")
def test_references_many_reverse_name_clashes_with_a_field():
    class Label(models.Model):
        posts = models.IntegerField()

        class Meta:
            app_label = "blog"

    class Post(models.Model):
        labels = weakrel.WeakReferencesMany(Label, related_name="posts")
        others = weakrel.WeakReferencesMany(Label, related_name="extra_posts")

        class Meta:
            app_label = "blog"

    errors = {
        f.name: [e for e in f.check() if e.id.startswith("weakrel")]
        for f in [
            Post._meta.get_field("labels"),
            Post._meta.get_field("others"),
        ]
    }
    assert [e.id for e in errors["labels"]] == ["weakrel.E203", "weakrel.E203"]
    assert "clashes with 'blog.Label.posts'" in errors["labels"][0].msg
    assert errors["others"] == []
