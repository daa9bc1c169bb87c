"""What each ``on_delete`` means to weakrel's collector (:mod:`weakrel.deletion`):
which weak relations depend on a model, the value a SET-like rule writes, and when
rows can be deleted by one statement."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.models import DO_NOTHING, signals
from django.db.models.deletion import get_candidate_relations_to_delete

from weakrel.base import WeakRelationField, reverse_sides
from weakrel.inheritance import is_inherited

if TYPE_CHECKING:
    from collections.abc import Callable


def dependent_relations(model: type[models.Model]) -> list:
    """The weak fields whose rows depend on rows of ``model`` (Django's criterion:
    one-to-many or one-to-one reverse sides; a many-to-many's through keys carry
    its ``on_delete``).

    A proxy's are its concrete model's. A multi-table child's copies of its parents'
    are left out: deleting a child deletes its parent rows, whose own are followed.
    """
    return [
        side.field
        for side in reverse_sides(cast("type[models.Model]", model._meta.concrete_model))
        if (side.one_to_many or side.one_to_one) and not is_inherited(side)
    ]


def is_set(on_delete: Callable) -> bool:
    """Whether ``on_delete`` is one of Django's ``SET(value)``."""
    deconstruct = getattr(on_delete, "deconstruct", None)
    return deconstruct is not None and deconstruct()[0] == "django.db.models.SET"


def set_value(field) -> Any:
    """The value ``field``'s ``on_delete`` gives its dependents: None for SET_NULL, the
    field's default for SET_DEFAULT, the value of Django's ``SET(value)``, called if
    callable, as Django does."""
    if field.on_delete in (models.SET_NULL, models.SET_DEFAULT):
        return None if field.on_delete is models.SET_NULL else field.get_default()
    value = field.on_delete.deconstruct()[1][0]
    return value() if callable(value) else value


def fast_deletable(model: type[models.Model]) -> bool:
    """Django's ``Collector.can_fast_delete()``, with weak reverse sides allowed:
    weakrel follows those itself."""
    if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
        return False
    opts = model._meta
    if opts.proxy or opts.parents:
        return False
    # django-stubs types these as fields; they are the reverse relations.
    relations = cast("list[models.ForeignObjectRel]", get_candidate_relations_to_delete(opts))
    return all(
        isinstance(related.field, WeakRelationField)
        or related.field.remote_field.on_delete is DO_NOTHING
        for related in relations
    ) and not any(hasattr(field, "bulk_related_objects") for field in opts.private_fields)
