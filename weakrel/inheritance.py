"""Weak relations and model inheritance: proxies and multi-table children.

A weak relation adds a private reverse field to its target's concrete model. Django
copies a model's private fields into each proxy and multi-table child it creates
afterwards (marking the copies ``mti_inherited``); a child created before the
relation gets its copy here instead, so the order of declarations does not matter.
The copy is what Django's deletion ``Collector`` meets when a row is deleted
through the subclass, and what the subclass filters through
(``Restaurant.objects.filter(reviews__stars=5)``).

A multi-table child's rows hold an ancestor's primary key in their parent link:
:func:`key_column` is the child's own column for a key of an ancestor.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from django.db import models


def subclasses(model: type[models.Model]) -> Iterator[type[models.Model]]:
    """The proxies and multi-table children of ``model`` created so far."""
    for app_models in list(model._meta.apps.all_models.values()):
        for other in list(app_models.values()):
            if other is not model and issubclass(other, model) and not other._meta.abstract:
                yield other


def inherit(private_field: models.Field, model: type[models.Model]) -> None:
    """Copy ``private_field``, just added to ``model``, into its existing subclasses,
    as Django's ``ModelBase`` does for the subclasses it creates later."""
    for subclass in subclasses(model):
        if any(f.name == private_field.name for f in subclass._meta.private_fields):
            continue
        inherited = copy.deepcopy(private_field)
        inherited.mti_inherited = True  # type: ignore[attr-defined]  # weakrel's own marker
        subclass.add_to_class(private_field.name, inherited)


def is_inherited(field: models.Field) -> bool:
    """True for a copy of a parent's private field in a proxy or multi-table child."""
    return getattr(field, "mti_inherited", False)


def key_column(model: type[models.Model], key_field: models.Field) -> models.Field:
    """The column of ``model``'s table that holds ``key_field``'s values.

    ``key_field`` itself on its own model and on proxies; for an ancestor's primary
    key, the multi-table child's own primary key (its parent link), which holds the
    same value.
    """
    concrete = model._meta.concrete_model
    assert concrete is not None  # set on every model Django has prepared
    if key_field.model._meta.concrete_model is concrete or not key_field.primary_key:
        return key_field
    return concrete._meta.pk
