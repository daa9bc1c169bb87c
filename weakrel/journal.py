"""Reading and writing the cascade journal (:class:`weakrel.models.PendingCascade`).

An entry lives in the database whose rows were deleted, is written in the same
transaction as their delete, and names the weak relation and the database whose
dependents still wait for ``on_delete``. It is forgotten once that database has
committed the work, so an entry exists exactly while a committed delete has work
left elsewhere. :mod:`weakrel.deletion` writes and runs entries; this module only
stores them, and creates their table where deletes can start a cascade.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core import checks
from django.db import connections, migrations, router, transaction

from weakrel.base import model_label, reverse_sides
from weakrel.conf import weakrel_settings
from weakrel.routing import chunks

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models import QuerySet

    from weakrel.base import WeakRelationField
    from weakrel.models import PendingCascade

# (relation field, alias of its dependent rows, keys of the deleted targets)
Edge = tuple["WeakRelationField", str, Sequence[Any]]


def journal_model() -> type[PendingCascade]:
    return apps.get_model("weakrel", "PendingCascade")


def holds_weak_targets(alias: str) -> bool:
    """Whether the router lets a target of some weak relation live in ``alias``:
    a delete there can start a cascade, so the journal table is needed there."""
    return any(
        reverse_sides(model)
        and router.allow_migrate(
            alias, model._meta.app_label, model_name=model._meta.model_name, model=model
        )
        is not False
        for model in apps.get_models()
    )


@checks.register(checks.Tags.models)
def check_journal_routing(app_configs=None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A database that holds weak targets needs the journal's table: a delete there
    writes its cascade's remaining work into it."""
    return [
        checks.Error(
            f"Database {alias!r} holds targets of weak relations, but the database "
            "routers do not let app 'weakrel' migrate there: deleting a target there "
            "cannot write its cascade journal.",
            hint="Return None (or True) from allow_migrate() for app_label 'weakrel'.",
            id="weakrel.E012",
        )
        for alias in connections
        if holds_weak_targets(alias)
        and router.allow_migrate(alias, "weakrel", model_name="pendingcascade") is False
    ]


class CreateJournal(migrations.CreateModel):
    """``CreateModel`` for the journal, only in the databases that hold weak targets
    (and that the router lets weakrel migrate)."""

    def allow_migrate_model(self, connection_alias: BaseDatabaseWrapper | str, model: Any) -> bool:
        if not isinstance(connection_alias, str):  # as Operation's: a connection or its alias
            connection_alias = connection_alias.alias
        return super().allow_migrate_model(connection_alias, model) and holds_weak_targets(
            connection_alias
        )


def new_cascade() -> uuid.UUID:
    return uuid.uuid4()


def record(alias: str, *cascades: tuple[uuid.UUID, Iterable[Edge]]) -> None:
    """Write the entries of each ``(cascade, edges)`` into ``alias``'s journal, in one
    statement (the caller's transaction)."""
    model = journal_model()
    size = weakrel_settings.CASCADE_BATCH_SIZE
    entries = [
        model(
            cascade=cascade,
            using=using,
            relation=relation_label(field),
            keys=list(chunk),
        )
        for cascade, edges in cascades
        for field, using, keys in edges
        for chunk in chunks(list(keys), size)
    ]
    if entries:
        model._base_manager.using(alias).bulk_create(entries)


def forget(alias: str, cascade: uuid.UUID, using: str | None = None) -> None:
    """Remove the entries of one delete (those for ``using`` only, when given)."""
    entries = journal_model()._base_manager.using(alias).filter(cascade=cascade)
    if using is not None:
        entries = entries.filter(using=using)
    # One DELETE statement: nothing depends on journal rows and no signal is sent.
    entries._raw_delete(alias)


def forget_entry(alias: str, pk: Any) -> None:
    journal_model()._base_manager.using(alias).filter(pk=pk)._raw_delete(alias)


def note_error(alias: str, pk: Any, error: BaseException) -> None:
    """Keep the last failure on the entry, for ``weakrel_check`` and the admin."""
    message = f"{type(error).__name__}: {error}"[:2000]
    journal_model()._base_manager.using(alias).filter(pk=pk).update(last_error=message)


def journal_aliases() -> list[str]:
    """The databases that have a journal table."""
    table = journal_model()._meta.db_table
    found = []
    for alias in connections:
        connection = connections[alias]
        with connection.cursor() as cursor:
            if table in connection.introspection.table_names(cursor):
                found.append(alias)
    return found


def pending(alias: str) -> QuerySet[PendingCascade]:
    return journal_model()._base_manager.using(alias).order_by("pk")


def relation_label(field: WeakRelationField) -> str:
    return f"{model_label(field.model)}.{field.name}"


def relation_field(label: str) -> WeakRelationField:
    """The weak field an entry names (``app_label.Model.field``)."""
    app_label, model_name, name = label.split(".")
    return apps.get_model(app_label, model_name)._meta.get_field(name)


def in_transaction(alias: str) -> bool:
    """Whether ``alias`` is inside a transaction the caller opened.

    The atomic block a ``TestCase`` wraps each test in does not count, as for Django's
    ``atomic(durable=True)``: inside it, deletes behave as in autocommit.
    """
    connection = connections[alias]
    return connection.in_atomic_block and not all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


def after_commit(alias: str, func: Callable[[], Any]) -> None:
    """Call ``func`` once the caller's transaction on ``alias`` commits; now outside one."""
    if in_transaction(alias):
        transaction.on_commit(func, using=alias, robust=True)
    else:
        func()
