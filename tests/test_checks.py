"""System checks: misdeclared weak relations are reported as weakrel.E0xx / W0xx."""

import pytest
from django.core import checks
from django.db import models
from django.test.utils import isolate_apps

import weakrel
from tests.clinic.models import Physician

# Django 6.1's system checks open every database (JSONField asks the backend whether
# it supports JSON), so the tests that run all of them may use the databases.
RUNS_ALL_CHECKS = pytest.mark.django_db(databases="__all__")


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


# -- weakrel left out of INSTALLED_APPS (E008) --------------------------------------------


@RUNS_ALL_CHECKS
def test_weak_fields_report_weakrel_missing_from_installed_apps():
    from django.conf import settings
    from django.test import override_settings

    from tests.blog.models import Article
    from tests.shop.models import Order

    apps_without = [app for app in settings.INSTALLED_APPS if app != "weakrel"]
    # Every kind: a key (its save check is gone), a list of keys, a many-to-many.
    fields = [
        Order._meta.get_field("customer"),
        Article._meta.get_field("tags"),
        Physician._meta.get_field("patients"),
    ]
    assert all("weakrel.E008" not in [e.id for e in f.check()] for f in fields)
    with override_settings(INSTALLED_APPS=apps_without):
        for field in fields:
            [error] = [e for e in field.check() if e.id == "weakrel.E008"]
            assert "'weakrel' is not in INSTALLED_APPS" in error.msg
            assert error.obj is field
        # Django's model checks run it: `manage.py check` reports it.
        assert "weakrel.E008" in [e.id for e in checks.run_checks()]


# -- settings.WEAKREL (E009, W002) --------------------------------------------------------


SETTINGS_CHECKS = {"weakrel.E009", "weakrel.W002"}


def setting_ids(**weakrel_setting):
    from django.test import override_settings

    with override_settings(**weakrel_setting):
        return [(m.id, m.msg) for m in checks.run_checks() if m.id in SETTINGS_CHECKS]


@RUNS_ALL_CHECKS
def test_weakrel_setting_well_formed_is_quiet():
    assert setting_ids() == []
    assert setting_ids(WEAKREL={"MAX_INCLUDE_DEPTH": 5, "CHECK_UNCHANGED_KEYS": False}) == []


@RUNS_ALL_CHECKS
def test_weakrel_setting_not_a_dict():
    assert setting_ids(WEAKREL=["MAX_INCLUDE_DEPTH"]) == [
        ("weakrel.E009", "settings.WEAKREL must be a dict, not list.")
    ]


@RUNS_ALL_CHECKS
@pytest.mark.parametrize(
    "name, value, problem",
    [
        ("MAX_INCLUDE_DEPTH", "3", "must be a positive integer, not '3'"),
        ("MAX_INCLUDE_PATHS", 0, "must be a positive integer, not 0"),
        ("CHECK_BATCH_SIZE", True, "must be a positive integer, not True"),
        ("CHECK_UNCHANGED_KEYS", 0, "must be True or False, not 0"),
    ],
)
def test_weakrel_setting_of_the_wrong_type(name, value, problem):
    assert setting_ids(WEAKREL={name: value}) == [
        ("weakrel.E009", f"settings.WEAKREL[{name!r}] {problem}.")
    ]


@RUNS_ALL_CHECKS
def test_weakrel_setting_unknown_key_is_a_warning_with_a_suggestion():
    from django.test import override_settings

    with override_settings(WEAKREL={"MAX_INCLUDE_DEPT": 5}):
        [warning] = [m for m in checks.run_checks() if m.id in SETTINGS_CHECKS]
    assert warning.id == "weakrel.W002"
    assert warning.msg == "settings.WEAKREL has an unknown key 'MAX_INCLUDE_DEPT'; it is ignored."
    assert warning.hint == "Did you mean 'MAX_INCLUDE_DEPTH'?"
