"""Sparse fieldsets in SQL: the columns ``only()`` loads for one level of rows.

A level whose fields the client narrowed (``?fields=``/``?omit=``) loads its primary
key, the columns its rendered fields read, and the keys that link it to its parent
and to its included children; nothing else. When a rendered field reads something
that is not a column (a method field, a property, ``source="*"``), or a relation's
keys cannot be told, the level loads every column: a deferred column read per row
would cost more than it saves.
"""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.db.models import ForeignObjectRel

from weakrel.base import WeakRelationField
from weakrel.relations.many_to_many import ReverseWeakManyToMany, WeakManyToManyField
from weakrel.reverse import ReverseSide

__all__ = ["level_columns", "link_columns"]

Link = tuple[set[str], set[str]]


def link_columns(model: type[models.Model], name: str) -> Link | None:
    """(columns of ``model``, columns of the related rows) that relation ``name``
    links by, or ``None`` when they cannot be told."""
    for found in model._meta.get_fields(include_hidden=True):
        if isinstance(found, ReverseSide):
            if found.field.accessor_name == name:
                return _weak_link(found.field, reverse=True, side=found)
        elif isinstance(found, WeakRelationField):
            if found.name == name:
                return _weak_link(found, reverse=False, side=found)
        elif hasattr(found, "fk_field") and hasattr(found, "ct_field"):  # GenericForeignKey
            if found.name == name:
                fk = cast("models.Field[Any, Any]", model._meta.get_field(found.fk_field))
                ct = cast("models.Field[Any, Any]", model._meta.get_field(found.ct_field))
                return {fk.attname, ct.attname}, set()
        elif found.is_relation and found.auto_created and not found.concrete:
            rel = cast("ForeignObjectRel", found)  # a reverse relation Django added
            if rel.get_accessor_name() == name:
                return _django_link(rel.field, reverse=True)
        elif found.is_relation and found.name == name:
            return _django_link(found, reverse=False)
    return None


def _weak_link(field, *, reverse: bool, side) -> Link | None:
    if isinstance(field, WeakManyToManyField) or isinstance(side, ReverseWeakManyToMany):
        near, far = field.sides(reverse)
        return {near.target_field.attname}, {far.target_field.attname}
    target = getattr(field, "target_field", None)
    if target is None or not getattr(field, "concrete", False):
        return None
    if reverse:
        return {target.attname}, {field.attname}
    return {field.attname}, {target.attname}


def _django_link(field, *, reverse: bool) -> Link | None:
    if field.many_to_many:
        return set(), set()  # joined through the table: the primary keys, always loaded
    target = getattr(field, "target_field", None)
    if target is None or not field.concrete:
        return None
    if reverse:
        return {target.attname}, {field.attname}
    return {field.attname}, {target.attname}


def level_columns(serializer, level, link: set[str]) -> list[str] | None:
    """The columns to load for the rows ``serializer`` renders at ``level`` (an
    ``IncludeTree`` whose fields were narrowed), with ``link`` (the columns the parent
    relation reads); ``None``: every column."""
    from weakrel.rest_framework.fields import WeakLinkListField

    model = serializer.Meta.model
    by_name = {}
    for column in model._meta.concrete_fields:
        by_name[column.name] = by_name[column.attname] = column.attname
    columns = {model._meta.pk.attname, *link}
    counted = {f"{name}_count" for name in level.counts}
    for rendered in serializer._readable_fields:
        name = rendered.field_name
        if name in level or name in counted or isinstance(rendered, WeakLinkListField):
            continue  # included rows, counts and link lists: read by their relation's keys
        if rendered.source not in by_name:
            return None
        columns.add(by_name[rendered.source])
    for name in (*level, *level.counts):
        found = link_columns(model, name)
        if found is None:
            return None
        columns |= found[0]
    return sorted(columns)
