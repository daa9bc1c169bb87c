"""System checks of WeakGenericForeignKey: weakrel.E204-E211 and W201."""

from django.db import models
from django.test.utils import isolate_apps

import weakrel
from tests.blog.models import Comment


def ids(model):
    """The ids of the checks of ``model``'s private weak fields (the generic field and
    its per-type relations), as weakrel's registered checks run them."""
    found = []
    for field in model._meta.private_fields:
        if isinstance(field, weakrel.WeakGenericForeignKey) or hasattr(field, "generic"):
            found += [error.id for error in field.check()]
    return sorted(found)


def test_the_test_models_are_clean():
    assert ids(Comment) == []


@isolate_apps("tests.blog")
def test_unknown_model_in_to():
    class Thing(models.Model):
        target = weakrel.WeakGenericForeignKey(to=["blog.Nowhere"], on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    assert ids(Thing) == ["weakrel.E204"]


@isolate_apps("tests.blog")
def test_empty_to_unsupported_on_delete_and_set_null_without_null():
    class Target(models.Model):
        class Meta:
            app_label = "blog"

    class Empty(models.Model):
        target = weakrel.WeakGenericForeignKey(to=[], on_delete=weakrel.CASCADE)

        class Meta:
            app_label = "blog"

    class Later(models.Model):
        target = weakrel.WeakGenericForeignKey(to=[Target], on_delete=weakrel.SET_DEFAULT)

        class Meta:
            app_label = "blog"

    class Nulled(models.Model):
        target = weakrel.WeakGenericForeignKey(to=[Target], on_delete=weakrel.SET_NULL)

        class Meta:
            app_label = "blog"

    assert ids(Empty) == ["weakrel.E211"]
    assert ids(Later) == ["weakrel.E205"]
    assert ids(Nulled) == ["weakrel.E207"]


@isolate_apps("tests.blog")
def test_related_name_clash_on_a_target():
    class Target(models.Model):
        notes = models.IntegerField(default=0)

        class Meta:
            app_label = "blog"

    class Source(models.Model):
        pointer = weakrel.WeakGenericForeignKey(
            to=[Target], on_delete=weakrel.CASCADE, related_name="notes"
        )

        class Meta:
            app_label = "blog"

    assert ids(Source) == ["weakrel.E206", "weakrel.E206"]


@isolate_apps("tests.blog")
def test_missing_columns_and_keys_the_id_column_cannot_hold():
    class Coded(models.Model):
        code = models.CharField(primary_key=True, max_length=40)

        class Meta:
            app_label = "blog"

    class Missing(models.Model):
        target = weakrel.WeakGenericForeignKey(
            to=[Coded], on_delete=weakrel.CASCADE, type_field="kind", id_field="ref"
        )

        class Meta:
            app_label = "blog"

    class Narrow(models.Model):
        kind = models.CharField(max_length=100)
        ref = models.IntegerField()
        target = weakrel.WeakGenericForeignKey(
            to=[Coded], on_delete=weakrel.CASCADE, type_field="kind", id_field="ref"
        )

        class Meta:
            app_label = "blog"
            indexes = [models.Index(fields=["kind", "ref"], name="narrow_pair")]

    assert ids(Missing) == ["weakrel.E208", "weakrel.E208"]
    assert ids(Narrow) == ["weakrel.E209"]


@isolate_apps("tests.blog")
def test_query_name_clash_and_a_pair_without_index():
    class Target(models.Model):
        class Meta:
            app_label = "blog"

    class Source(models.Model):
        target = models.IntegerField(default=0)
        pointer = weakrel.WeakGenericForeignKey(
            to=[Target], on_delete=weakrel.CASCADE, db_index=False
        )

        class Meta:
            app_label = "blog"

    # "target" is both the field and Target's query name.
    assert ids(Source) == ["weakrel.E210", "weakrel.W201"]
