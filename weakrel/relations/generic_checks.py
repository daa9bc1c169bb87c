"""System checks of a ``WeakGenericForeignKey``, the ones made once per field.

The per-type ones run on each ``GenericTarget``: a model in ``to`` that is not
installed (``weakrel.E204``) and a reverse accessor or query name already taken on a
target (``weakrel.E206``).

* ``weakrel.E205``: an ``on_delete`` the field does not carry out;
* ``weakrel.E207``: ``on_delete=SET_NULL`` without ``null=True``;
* ``weakrel.E208``: ``type_field``/``id_field`` naming no field of the model;
* ``weakrel.E209``: a target whose key the id column cannot hold;
* ``weakrel.E210``: a type's query name taken on the model, or by two types;
* ``weakrel.E211``: ``to`` names no model;
* ``weakrel.W201``: no index on the pair.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks, exceptions
from django.db import models
from django.db.models import SET_NULL

from weakrel.inheritance import is_inherited

# How long a key of each kind is as text, at most.
TEXT_LENGTHS = {"UUIDField": 36, "BigIntegerField": 20, "IntegerField": 11}


def generic_checks(field) -> list[checks.CheckMessage]:
    errors = [*_check_to(field), *_check_on_delete(field), *_check_columns(field)]
    if errors:
        return errors
    return [*_check_query_names(field), *_check_key_fits(field), *_check_index(field)]


def _error(field, message: str, id: str, hint: str | None = None) -> checks.Error:
    return checks.Error(message, hint=hint, obj=field, id=id)


def _check_to(field) -> list[checks.CheckMessage]:
    if field.to:
        return []
    return [_error(field, "WeakGenericForeignKey(to=...) names no model.", "weakrel.E211")]


def _check_on_delete(field) -> list[checks.CheckMessage]:
    on_delete = field.on_delete
    if on_delete not in field.supported_on_delete:
        names = ", ".join(f.__name__ for f in field.supported_on_delete)
        name = getattr(on_delete, "__name__", on_delete)
        return [
            _error(
                field,
                f"on_delete={name!s} is not supported by WeakGenericForeignKey; use one of "
                f"{names}.",
                "weakrel.E205",
            )
        ]
    if on_delete is SET_NULL and not (field.null and all(_columns_nullable(field))):
        return [
            _error(
                field,
                "Field specifies on_delete=SET_NULL, but its pair cannot be null.",
                "weakrel.E207",
                hint="Set null=True on the field (and on columns of your own).",
            )
        ]
    return []


def _columns_nullable(field) -> list[bool]:
    nullable = []
    for name in (field.type_name, field.id_name):
        try:
            nullable.append(field.model._meta.get_field(name).null)
        except exceptions.FieldDoesNotExist:
            nullable.append(True)
    return nullable


def _check_columns(field) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for option, name in (("type_field", field.type_name), ("id_field", field.id_name)):
        try:
            column = field.model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            column = None
        if column is None or not column.concrete:
            errors.append(
                _error(
                    field,
                    f"{option}={name!r} names no field of {field.model._meta.label}.",
                    "weakrel.E208",
                    hint=f"Declare {name} on the model, or leave {option} out to have it added.",
                )
            )
    return errors


def _check_query_names(field) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    seen: dict[str, str] = {}
    for target in field.targets:
        name = target.name
        owner = seen.get(name)
        if owner is None:
            clash = [
                f for f in field.model._meta.get_fields() if f.name == name and f is not target
            ]
            owner = f"{field.model._meta.label}.{name}" if clash else None
        if owner is not None:
            errors.append(
                _error(
                    field,
                    f"The query name '{name}' of type {target.label} clashes with '{owner}'.",
                    "weakrel.E210",
                    hint="Rename the field, or the model, that clashes.",
                )
            )
        seen[name] = target.label
    return errors


def _check_key_fits(field) -> list[checks.CheckMessage]:
    column = field.id_column
    errors: list[checks.CheckMessage] = []
    for target in field.targets:
        if isinstance(target.related_model, str):
            continue
        key_type = target.target_key.internal_type
        integer_key = key_type in ("IntegerField", "BigIntegerField", "SmallIntegerField")
        if isinstance(column, models.IntegerField):
            fits = integer_key
        elif isinstance(column, models.CharField | models.TextField):
            length = TEXT_LENGTHS.get(key_type, getattr(target.key_field, "max_length", None))
            fits = column.max_length is None or (length is not None and length <= column.max_length)
        else:
            fits = False
        if not fits:
            errors.append(
                _error(
                    field,
                    f"{field.model._meta.label}.{field.id_name} cannot hold the keys of "
                    f"{target.label} ({target.key_field.__class__.__name__}).",
                    "weakrel.E209",
                    hint="Use a CharField long enough for every target's key as id_field.",
                )
            )
    return errors


def pair_index(field, cls) -> Any:
    """An index (or ``unique_together``) whose first columns are the pair."""
    pairs = ([field.type_name, field.id_name], [field.id_name, field.type_name])
    for index in cls._meta.indexes:
        if list(index.fields[:2]) in pairs:
            return index
    for fields in cls._meta.unique_together:
        if list(fields[:2]) in pairs:
            return fields
    return None


def _check_index(field: Any) -> list[checks.CheckMessage]:
    if pair_index(field, field.model) is not None:
        return []
    return [
        checks.Warning(
            f"No index covers ({field.type_name}, {field.id_name}).",
            hint="Every reverse read, prefetch and on_delete looks the pair up; keep "
            "db_index=True or add an index on both columns.",
            obj=field,
            id="weakrel.W201",
        )
    ]


@checks.register(checks.Tags.models)
def check_generic_keys(app_configs=None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run the checks of every ``WeakGenericForeignKey``: a private field, which
    Django does not check (only the fields with a column)."""
    if app_configs is None:
        model_list = apps.get_models()
    else:
        model_list = [m for config in app_configs for m in config.get_models()]
    errors: list[checks.CheckMessage] = []
    for model in model_list:
        for field in model._meta.private_fields:
            if getattr(field, "generic_checks", False) and not is_inherited(field):
                errors.extend(field.check())
    return errors
