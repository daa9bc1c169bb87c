"""The existence check on save: no row is written with a weak key to nothing.

One ``pre_save`` receiver for all models (connected in ``WeakrelConfig.ready``) looks
up the weak keys of the model being saved. ``bulk_create()`` and ``QuerySet.update()``
send no ``pre_save`` and so are not checked; :func:`check_references` checks a batch
of instances in one query per relation, for code that writes in bulk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.db import router
from django.db.models import Model

from weakrel.exceptions import DanglingReferenceError
from weakrel.routing import chunks, database_errors, key_chunk_size

_MISSING = object()


def prepare_key(field, instance: Model) -> Any:
    """Normalise the key of ``field`` on ``instance`` before it is written.

    Picks up the key of a target that was assigned before it was saved, and converts
    the raw value with the target field's ``to_python`` (``"3"`` becomes ``3``; a
    malformed key raises ``ValidationError`` rather than a database error).
    """
    key = getattr(instance, field.attname)
    cached = field.get_cached_value(instance, None)
    if key is None and cached is not None:
        key = field.key_of(cached)
        if key is None:
            raise ValueError(
                f"save() prohibited to prevent data loss due to unsaved related object "
                f"'{field.name}'."
            )
    if key is not None:
        key = field.to_python(key)
    instance.__dict__[field.attname] = key
    return key


def _known_to_exist(field, instance: Model, key: Any) -> bool:
    cached = field.get_cached_value(instance, None)
    return cached is not None and not cached._state.adding and field.key_of(cached) == key


def dangling(field, instance: Model, key: Any, db: str) -> DanglingReferenceError:
    target = field.related_model
    return DanglingReferenceError(
        f"{field.model.__name__}.{field.name}: no {target.__name__} with "
        f"{field.target_field.name}={key!r} in database {db!r}.",
        model=field.model,
        field=field,
        value=key,
        database=db,
    )


def check_key(field, instance: Model) -> None:
    """The save-time check of one weak key: converted, and naming an existing row."""
    key = prepare_key(field, instance)
    if key is None and not field.null:
        # Said here rather than left to the database's NOT NULL error.
        raise ValueError(
            f"{type(instance).__name__}.{field.name} cannot be None: the field is not nullable."
        )
    if key is None or not field.enforce or _known_to_exist(field, instance, key):
        return
    queryset = field.target_queryset(instance=instance)
    with database_errors(queryset.db, f"checking {field.model.__name__}.{field.name}"):
        exists = queryset.filter(**{field.target_field.attname: key}).exists()
    if not exists:
        raise dangling(field, instance, key, queryset.db)


@cache
def checked_fields(model: type[Model]) -> tuple:
    """The fields of ``model`` whose keys ``save()`` checks (``check_on_save()``).

    Worked out once per model: the ``pre_save`` receiver runs for every save of
    every model in the project.
    """
    return tuple(f for f in model._meta.concrete_fields if hasattr(f, "check_on_save"))


def check_references(instances: Iterable[Model]) -> None:
    """Raise ``DanglingReferenceError`` if any weak key of ``instances`` names nothing.

    One query per weak relation (per database) for the whole batch, the keys of every
    ``WeakReferencesMany`` list included: call it before ``bulk_create()`` or after a
    bulk ``update()`` of weak keys.
    """
    from weakrel.fields import get_weak_fields

    instances = list(instances)
    if not instances:
        return
    _check_lists(instances)
    for field in get_weak_fields(type(instances[0])):
        if not field.enforce:
            continue
        by_db: dict[str, dict[Any, Model]] = defaultdict(dict)
        for instance in instances:
            key = prepare_key(field, instance)
            if key is not None and not _known_to_exist(field, instance, key):
                db = router.db_for_read(field.related_model, instance=instance)
                by_db[db].setdefault(key, instance)
        attname = field.target_field.attname
        for db, wanted in by_db.items():
            keys = field.related_model._base_manager.using(db).values_list(attname, flat=True)
            found = set()
            with database_errors(db, f"checking {field.model.__name__}.{field.name}"):
                for chunk in chunks(list(wanted), key_chunk_size(db)):
                    found.update(keys.filter(**{f"{attname}__in": chunk}))
            for key, instance in wanted.items():
                if key not in found:
                    raise dangling(field, instance, key, db)


def _check_lists(instances: list[Model]) -> None:
    """``check_references()`` for the ``WeakReferencesMany`` fields of ``instances``."""
    from weakrel.references import WeakReferencesMany

    for field in type(instances[0])._meta.concrete_fields:
        if not isinstance(field, WeakReferencesMany) or not field.enforce:
            continue
        by_db: dict[str, dict[Any, Model]] = defaultdict(dict)
        for instance in instances:
            value = getattr(instance, field.attname)
            if value is None and field.null:
                continue
            db = router.db_for_read(field.related_model, instance=instance)
            for key in field.key_list(value):
                by_db[db].setdefault(key, instance)
        for db, wanted in by_db.items():
            with database_errors(db, f"checking {field.model.__name__}.{field.name}"):
                missing, _db = field.missing(list(wanted), instance=wanted[next(iter(wanted))])
            if missing:
                key = missing[0]
                raise DanglingReferenceError(
                    f"{field.model.__name__}.{field.name}: no {field.related_model.__name__} "
                    f"with {field.key_field.name}={key!r} in database {db!r}.",
                    model=field.model,
                    field=field,
                    value=key,
                    database=db,
                )


def check_on_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """``pre_save`` receiver; fixtures (``raw``) load as they are, like Django's."""
    if raw:
        return
    for field in checked_fields(type(instance)):
        if update_fields is None or field.name in update_fields or field.attname in update_fields:
            field.check_on_save(instance)
