"""System checks for on_delete=CASCADE_LATER: weakrel.E010 (no task backend to run
it) and weakrel.E011 (on a relation weakrel does not carry out)."""

from importlib.util import find_spec

import pytest
from django.db import models
from django.test.utils import isolate_apps, modify_settings

import weakrel
from tests.shop.models import Order, Ticket
from weakrel.background import check_native_relations


def weakrel_errors(field) -> list[tuple[str, str]]:
    return [(e.id, e.msg) for e in field.check() if e.id.startswith("weakrel.")]


def test_configured_backend_keeps_the_checks_quiet():
    assert weakrel_errors(Ticket._meta.get_field("account")) == []
    assert check_native_relations() == []


def test_no_task_backend_configured(settings):
    del settings.TASKS
    assert weakrel_errors(Ticket._meta.get_field("account")) == [
        (
            "weakrel.E010",
            "on_delete=CASCADE_LATER needs a task backend: No task backend is configured "
            "(settings.TASKS).",
        )
    ]
    # Only fields that defer their cascade need one.
    assert weakrel_errors(Order._meta.get_field("customer")) == []


def test_the_task_backend_is_not_configured(settings):
    settings.TASKS = {"other": settings.TASKS["default"]}
    [(error_id, message)] = weakrel_errors(Ticket._meta.get_field("account"))
    assert error_id == "weakrel.E010"
    assert "WEAKREL['CASCADE_TASK'] ('weakrel.tasks.cascade_later') cannot be enqueued" in message


def test_the_task_cannot_be_imported(settings):
    settings.WEAKREL = {"CASCADE_TASK": "tests.nowhere.cascade_later"}
    [(error_id, message)] = weakrel_errors(Ticket._meta.get_field("account"))
    assert error_id == "weakrel.E010"
    assert "'tests.nowhere.cascade_later'" in message


@pytest.mark.skipif(bool(find_spec("django.tasks")), reason="Django 6 has no tasks app")
def test_the_backport_app_is_not_installed():
    with modify_settings(INSTALLED_APPS={"remove": ["django_tasks"]}):
        errors = weakrel_errors(Ticket._meta.get_field("account"))
    assert errors == [
        (
            "weakrel.E010",
            "on_delete=CASCADE_LATER needs a task backend: 'django_tasks' is not in "
            "INSTALLED_APPS.",
        )
    ]


def test_cascade_later_on_a_native_foreign_key():
    with isolate_apps("tests.shop") as registry:

        class Target(models.Model):
            class Meta:
                app_label = "shop"

        class Source(models.Model):
            target = models.ForeignKey(Target, weakrel.CASCADE_LATER)

            class Meta:
                app_label = "shop"

        [error] = check_native_relations(app_configs=registry.get_app_configs())
    assert error.id == "weakrel.E011"
    assert error.obj is Source._meta.get_field("target")


@isolate_apps("tests.shop")
def test_cascade_later_on_a_list_of_keys():
    class Target(models.Model):
        class Meta:
            app_label = "shop"

    class Source(models.Model):
        targets = weakrel.WeakReferencesMany(Target, on_delete=weakrel.CASCADE_LATER)

        class Meta:
            app_label = "shop"

    [(error_id, message)] = weakrel_errors(Source._meta.get_field("targets"))
    assert error_id == "weakrel.E202"
    assert message.startswith("on_delete=CASCADE_LATER is not supported by WeakReferencesMany")
