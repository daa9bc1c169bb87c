"""The existence check on save: no row is written with a weak key to nothing.

One ``pre_save`` receiver for all models (connected in ``WeakrelConfig.ready``) asks
each weak field of the model being saved to check its keys
(``field.check_on_save(instance)``). ``bulk_create()`` and ``QuerySet.update()`` send
no ``pre_save`` and so are not checked; :func:`check_references` checks a batch of
instances (``field.check_batch(instances)``) in one query per relation and database,
for code that writes in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol, cast

from django.core.signals import setting_changed
from django.db.models import Model
from django.db.models.signals import post_init

from weakrel import routing
from weakrel.base import WeakRelationField, weak_fields
from weakrel.conf import weakrel_settings


class CheckedField(Protocol):
    """What the save check asks of a weak field; every relation kind implements it."""

    name: str
    attname: str
    enforce: bool

    def check_on_save(self, instance: Model) -> None: ...

    def check_batch(self, instances: list[Model]) -> None: ...


@cache
def checked_fields(model: type[Model]) -> tuple[CheckedField, ...]:
    """The weak fields of ``model`` whose keys ``save()`` checks.

    Worked out once per model: the ``pre_save`` receiver runs for every save of
    every model in the project.
    """
    return tuple(cast("list[CheckedField]", weak_fields(model)))


def check_keys(field: WeakRelationField, keys: Iterable[tuple[Model | None, Any]]) -> None:
    """Raise ``DanglingReferenceError`` if a key of ``field`` names no target row.

    ``keys`` are ``(instance, key)`` pairs; each is looked up in the database the
    router reads the target from for that instance, one query per database.
    """
    by_db: dict[str, dict[Any, None]] = defaultdict(dict)
    for instance, key in keys:
        by_db[routing.db_for_read(field.related_model, instance=instance)][key] = None
    for db, wanted in by_db.items():
        field.target_key.check(wanted, db)


def check_references(instances: Iterable[Model], *, fields: Iterable[str] | None = None) -> None:
    """Raise ``DanglingReferenceError`` if any weak key of ``instances`` names nothing.

    One query per weak relation (per database) for the whole batch, the keys of every
    ``WeakReferencesMany`` list included: call it before ``bulk_create()`` or after a
    bulk ``update()`` of weak keys. ``fields`` (names or attnames) limits the check to
    the keys about to be written, as ``bulk_update(objs, fields)`` writes them.
    """
    instances = list(instances)
    if not instances:
        return
    names = None if fields is None else set(fields)
    for field in checked_fields(type(instances[0])):
        written = names is None or field.name in names or field.attname in names
        if field.enforce and written:
            field.check_batch(instances)


LOADED_KEYS = "_weakrel_loaded_keys"


def loaded_keys(instance: Model) -> dict[str, Any]:
    """The weak keys ``instance`` had when it was created or loaded (only remembered
    while ``WEAKREL["CHECK_UNCHANGED_KEYS"]`` is False)."""
    return instance.__dict__.get(LOADED_KEYS, {})


def remember_loaded_keys(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """``post_init`` receiver: the keys a row was loaded (or created) with."""
    fields = checked_fields(sender)
    if fields:
        values = instance.__dict__
        values[LOADED_KEYS] = {f.attname: values.get(f.attname) for f in fields}


def track_loaded_keys(**kwargs: Any) -> None:
    """Remember loaded keys only while ``WEAKREL["CHECK_UNCHANGED_KEYS"]`` is False:
    the receiver runs for every model instance created."""
    if kwargs.get("setting", "WEAKREL") != "WEAKREL":
        return
    if weakrel_settings.CHECK_UNCHANGED_KEYS:
        post_init.disconnect(dispatch_uid="weakrel.remember_loaded_keys")
    else:
        post_init.connect(remember_loaded_keys, dispatch_uid="weakrel.remember_loaded_keys")


setting_changed.connect(track_loaded_keys, dispatch_uid="weakrel.track_loaded_keys")


def check_on_save(
    sender: type[Model],
    instance: Model,
    raw: bool = False,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    """``pre_save`` receiver; fixtures (``raw``) load as they are, like Django's."""
    if raw:
        return
    for field in checked_fields(type(instance)):
        if update_fields is None or field.name in update_fields or field.attname in update_fields:
            field.check_on_save(instance)
