"""Background cascades: ``on_delete=CASCADE_LATER``.

A weak key declared with ``on_delete=CASCADE_LATER`` is a CASCADE that a Django task
carries out after the delete (``django.tasks`` on Django 6, the django-tasks backport
on Django 5.2), as Rails' ``dependent: :destroy_async`` does:

* :func:`CASCADE_LATER` is the marker, as ``PULL`` is: the weak key's
  ``collect_dependents()`` hands the dependents to the collector's
  ``add_cascade(..., later=True)``;
  :mod:`weakrel.deletion` writes their journal entries in the deleted rows'
  transaction and, once that commits, calls :func:`enqueue`;
* :func:`enqueue` hands the cascade to the task ``WEAKREL["CASCADE_TASK"]`` names
  (``weakrel.tasks.cascade_later``), which deletes one batch per run (the rows
  :func:`next_batch` picks) and enqueues itself again until the journal holds
  nothing more of that cascade;
* :func:`may_be_blocked` says whether deleting a model's rows can meet PROTECT or
  RESTRICT, and so whether the deferred rows must still be read at delete time;
* :func:`check_task_backend` (run by each field declaring CASCADE_LATER) and
  :func:`check_native_relations` are the system checks.
"""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db.models import CASCADE, PROTECT, RESTRICT
from django.db.models.deletion import get_candidate_relations_to_delete
from django.utils.module_loading import import_string

from weakrel.conf import weakrel_settings

if TYPE_CHECKING:
    from django.db.models import ForeignObjectRel, Model, QuerySet


def CASCADE_LATER(  # noqa: N802 - named like CASCADE
    collector: Any, field: Any, sub_objs: Any, using: str
) -> None:
    """on_delete for a weak key: delete the dependents in a background task.

    A marker: ``WeakForeignKey.collect_dependents`` reports the dependents with the
    collector's ``add_cascade(..., later=True)``. Django calls it only for other fields (refused by
    system check ``weakrel.E011``).
    """
    raise TypeError(
        f"on_delete=CASCADE_LATER is only for WeakForeignKey and WeakOneToOneField, not {field}."
    )


def enqueue(alias: str, cascade: Any, after: int | None = None) -> Any:
    """Enqueue the next batch of the background cascade ``cascade`` of ``alias``'s
    journal: its first entry whose id is greater than ``after``."""
    task = import_string(weakrel_settings.CASCADE_TASK)
    return task.enqueue(alias, str(cascade), after)


class _Reported:
    """Stands in for the collector in :func:`next_batch`: keeps what a CASCADE_LATER
    field's ``collect_dependents()`` reports."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.querysets: list[QuerySet] = []

    def alias_for(self, field, targets: list) -> str:
        return self.alias

    def add_cascade(self, alias: str, queryset: QuerySet, *, later: bool = False) -> None:
        if later:
            self.querysets.append(queryset)


def next_batch(field, alias: str, targets: list) -> tuple[QuerySet | None, bool]:
    """The next batch of a CASCADE_LATER journal entry: the first
    ``WEAKREL["CASCADE_BATCH_SIZE"]`` rows of ``alias`` that point at ``targets``
    through ``field`` (None if none is left), and whether they are the last ones."""
    size = weakrel_settings.CASCADE_BATCH_SIZE
    reported = _Reported(alias)
    field.collect_dependents(reported, targets)
    pks: list[Any] = []
    for queryset in reported.querysets:
        pks += queryset.order_by("pk").values_list("pk", flat=True)[: size + 1 - len(pks)]
        if len(pks) > size:
            break
    batch = field.model._base_manager.using(alias).filter(pk__in=pks[:size]) if pks else None
    return batch, len(pks) <= size


def may_be_blocked(model: type[Model]) -> bool:
    """Whether deleting rows of ``model`` can meet PROTECT or RESTRICT, through the
    cascades (native or weak, at once or later) that deleting them starts."""
    seen: set[type[Model]] = set()
    todo: list[type[Model]] = [model]
    while todo:
        current = todo.pop()._meta.concrete_model
        if current is None or current in seen:
            continue
        seen.add(current)
        # Deleting a multi-table child deletes its parent rows.
        todo += current._meta.get_parent_list()
        # django-stubs types these as fields; they are the reverse relations.
        relations = cast("list[ForeignObjectRel]", get_candidate_relations_to_delete(current._meta))
        for related in relations:
            field = related.field
            on_delete = getattr(field, "on_delete", None) or field.remote_field.on_delete
            if on_delete in (PROTECT, RESTRICT):
                return True
            if on_delete in (CASCADE, CASCADE_LATER):
                todo.append(related.related_model)
    return False


# -- system checks ------------------------------------------------------------------


def tasks_framework() -> str | None:
    """The tasks framework installed: ``django.tasks`` (Django 6), else the
    ``django_tasks`` backport, else None."""
    for name in ("django.tasks", "django_tasks"):
        if find_spec(name) is not None:
            return name
    return None


def task_backend_problem() -> tuple[str, str] | None:
    """Why the cascade task cannot be enqueued, with a hint; None when it can."""
    framework = tasks_framework()
    if framework is None:
        return (
            "Django's tasks framework is not installed.",
            "Use Django 6, or install the django-tasks backport (pip install "
            "'weakrel[tasks]') and add 'django_tasks' to INSTALLED_APPS.",
        )
    if framework == "django_tasks" and not apps.is_installed("django_tasks"):
        return ("'django_tasks' is not in INSTALLED_APPS.", "Add it to INSTALLED_APPS.")
    # LazySettings.is_overridden(); django-stubs' plugin types settings as Settings.
    overridden = settings.is_overridden("TASKS")  # type: ignore[misc]
    if not (getattr(settings, "TASKS", None) and overridden):
        return (
            "No task backend is configured (settings.TASKS).",
            "Set TASKS to the backend whose workers run the cascades, for example "
            "{'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}.",
        )
    path = weakrel_settings.CASCADE_TASK
    try:
        import_string(path).get_backend()
    except Exception as error:  # noqa: BLE001 - any failure is the finding
        return (
            f"WEAKREL['CASCADE_TASK'] ({path!r}) cannot be enqueued: {error}",
            "Name a task whose backend is in settings.TASKS.",
        )
    return None


def check_task_backend(field) -> list[checks.CheckMessage]:
    """``weakrel.E010``, for a field declaring ``on_delete=CASCADE_LATER``."""
    problem = task_backend_problem()
    if problem is None:
        return []
    message, hint = problem
    return [
        checks.Error(
            f"on_delete=CASCADE_LATER needs a task backend: {message}",
            hint=hint,
            obj=field,
            id="weakrel.E010",
        )
    ]


@checks.register(checks.Tags.models)
def check_native_relations(app_configs=None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``weakrel.E011``: CASCADE_LATER on a relation weakrel does not carry out."""
    models = (
        apps.get_models()
        if app_configs is None
        else [model for config in app_configs for model in config.get_models()]
    )
    return [
        checks.Error(
            "on_delete=CASCADE_LATER is only for WeakForeignKey and WeakOneToOneField.",
            hint="Use CASCADE, or make the relation a WeakForeignKey.",
            obj=field,
            id="weakrel.E011",
        )
        for model in models
        for field in model._meta.get_fields(include_hidden=True)
        if field.is_relation
        and field.concrete
        and getattr(field.remote_field, "on_delete", None) is CASCADE_LATER
    ]
