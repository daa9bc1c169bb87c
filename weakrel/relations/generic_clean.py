"""``full_clean()`` of a ``WeakGenericForeignKey``: the pair names a type in ``to``
and a row of it, looked up in that type's database (one query, none for a saved
target assigned to the instance). Errors go under the field's name."""

from __future__ import annotations

from typing import Any

from django.core import exceptions
from django.db import models

from weakrel import routing


def validate_pair(field, instance: models.Model) -> None:
    """Raise ``ValidationError`` for half a pair, a type not allowed, a malformed key
    or (``enforce``) a key naming no row."""
    label, stored = field.pair(instance)
    if label is None and stored is None:
        return
    params = {"field": field.name, "value": label}
    if label is None or stored is None:
        raise exceptions.ValidationError(
            field.error_messages["incomplete"], code="incomplete", params=params
        )
    try:
        target = field.target_for_label(label)
    except ValueError:
        raise exceptions.ValidationError(
            field.error_messages["invalid_type"], code="invalid_type", params=params
        ) from None
    key = target.key_from_stored(stored)
    if field.enforce and not _exists(field, target, key, instance):
        raise exceptions.ValidationError(
            field.error_messages["invalid"],
            code="invalid",
            params={
                "model": target.related_model._meta.verbose_name,
                "field": target.key_field.name,
                "value": key,
            },
        )


def _exists(field, target, key: Any, instance: models.Model) -> bool:
    cached = field.get_cached_value(instance, None)
    if cached is not None and not cached._state.adding and field._matches(cached, instance):
        return True
    db = routing.db_for_read(target.related_model, instance=instance)
    return bool(target.target_key.existing([key], db))
