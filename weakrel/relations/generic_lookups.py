"""Filtering through a ``WeakGenericForeignKey``, never by a cross-database join.

A generic key is two columns, the target's type (its model label) and its key as
text, so every lookup here ends in the same SQL: ``(type = %s AND id IN (...))``,
once per target type, OR-ed (:func:`typed_keys_sql`).

* ``target=obj``, ``target__in=[a, p]``, ``target__isnull`` on the source: the
  generic field's own lookups (:class:`TargetIn`, :class:`TargetIsNull`);
* ``article=a``, ``article__in=[...]``, ``article__isnull``: one target type, by its
  query name (:class:`TypedKeysIn`, :class:`TypedIsNull`);
* ``article__title__startswith="A"``: Article's keys from Article's database first,
  then the two columns (:class:`GenericPath`, :class:`GenericRemoteLookup`);
* ``Article.objects.filter(comments__text__contains="x")``: the keys held by matching
  comments of that type, converted to Article's keys (:class:`GenericReversePath`).
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.query import Query

from weakrel.lookups import RelatedPath, RemoteLookup, Unlinked, keys_in_sql
from weakrel.routing import database_errors

if TYPE_CHECKING:
    # What the mixin is put before: a type checker sees the lookup's API through it.
    _LookupBase = RemoteLookup
else:
    _LookupBase = object


def typed_keys_sql(compiler, connection, alias, generic, groups) -> tuple[str, list]:
    """``(type = %s AND id IN (...)) OR ...`` for ``groups``, ``{label: stored ids}``."""
    type_sql, type_params = compiler.compile(Col(alias, generic.type_column))
    id_column = generic.id_column
    parts, params = [], []
    for label, ids in groups.items():
        ids = [key for key in dict.fromkeys(ids) if key is not None]
        if not ids:
            continue
        in_sql, in_params = keys_in_sql(compiler, connection, Col(alias, id_column), id_column, ids)
        parts.append(f"({type_sql} = %s AND {in_sql})")
        params += [*type_params, label, *in_params]
    if not parts:
        raise EmptyResultSet
    return (parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"), params


def type_is_sql(compiler, alias, generic, label: str, *, negated: bool) -> tuple[str, list]:
    """``type = label``, or (``negated``) rows of any other type or none."""
    sql, params = compiler.compile(Col(alias, generic.type_column))
    if negated:
        return f"({sql} IS NULL OR {sql} <> %s)", [*params, label]
    return f"{sql} = %s", [*params, label]


def evaluated(value: Any, key_attname: str) -> list[Any]:
    """A queryset of targets as a list of keys, read in its own database."""
    if isinstance(value, Query):
        query = value.clone()
        query.subquery = False
        # The alias a subquery was built for; django-stubs leaves Query._db out.
        using = query._db  # type: ignore[attr-defined]
        value = models.QuerySet(model=query.model, query=query, using=using)
    if isinstance(value, models.QuerySet):
        if not value.query.has_select_fields:
            value = value.values_list(key_attname, flat=True)
        with database_errors(value.db, f"reading {value.model._meta.label}"):
            return list(value.order_by())
    return list(value)


class TargetIn(Lookup):
    """``target=obj`` and ``target__in=[a1, p2]`` on the generic field itself."""

    prepare_rhs = False

    def __init__(self, lhs, rhs, *, lookup_name: str) -> None:
        self.lookup_name = lookup_name
        super().__init__(lhs, rhs)
        generic = lhs.output_field
        values = [rhs] if lookup_name == "exact" else evaluated(rhs, "pk")
        self.groups: dict[str, list[Any]] = defaultdict(list)
        for value in values:
            target = generic.target_for_instance(value)
            self.groups[target.label].append(generic.stored(target.key_of(value)))

    def as_sql(self, compiler, connection):
        generic = self.lhs.output_field
        return typed_keys_sql(compiler, connection, self.lhs.alias, generic, self.groups)


class TargetIsNull(Lookup):
    """``target__isnull=True``: rows whose pair is empty (no type)."""

    lookup_name = "isnull"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(Col(self.lhs.alias, self.lhs.output_field.type_column))
        return f"{sql} IS {'' if self.rhs else 'NOT '}NULL", params


class TypedKeysIn(Lookup):
    """``article=a`` and ``article__in=[a, 3, Article.objects.filter(...)]``."""

    prepare_rhs = False

    def __init__(self, lhs, rhs, *, lookup_name: str) -> None:
        self.lookup_name = lookup_name
        super().__init__(lhs, rhs)
        target = lhs.output_field
        key = target.key_field.attname
        values = [rhs] if lookup_name == "exact" else evaluated(rhs, key)
        self.keys = [target.generic.stored(target.to_key(value)) for value in values]

    def as_sql(self, compiler, connection):
        target = self.lhs.output_field
        groups = {target.label: self.keys}
        return typed_keys_sql(compiler, connection, self.lhs.alias, target.generic, groups)


class TypedIsNull(Lookup):
    """``article__isnull=False``: rows pointing at an article (``True``: at none)."""

    lookup_name = "isnull"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        target = self.lhs.output_field
        return type_is_sql(
            compiler, self.lhs.alias, target.generic, target.label, negated=bool(self.rhs)
        )


# -- paths through one target type ------------------------------------------------------


class GenericPath(RelatedPath):
    """``article__title``: continues in Article's database."""

    def get_lookup(self, name: str):
        return partial(GenericRemoteLookup, lookup_name=name)

    def get_transform(self, name: str):
        return partial(GenericPath, name=name)


class GenericRemoteLookup(RemoteLookup):
    """The end of a path through one type: ``(type = label AND id IN (<keys>))``."""

    def as_sql(self, compiler, connection):
        target = self.lhs.column_field
        generic = target.generic
        groups = {target.label: [generic.stored(key) for key in self.fetch_keys()]}
        return typed_keys_sql(compiler, connection, self.lhs.column.alias, generic, groups)


def forward_path(name: str):
    """Transform factory for ``<query name of a type>__<name>``."""

    def build(lhs):
        target = lhs.output_field
        return GenericPath(
            lhs, name, remote_model=target.related_model, key_attname=target.key_field.attname
        )

    return build


class GenericReversePath(RelatedPath):
    """``comments__text`` on Article: the keys that matching comments of Article's
    type hold, converted to Article's keys."""

    target: Any  # the GenericTarget: the relation's side on the target model

    def __init__(self, lhs: Any, name: str, **kwargs: Any) -> None:
        if isinstance(lhs, RelatedPath):
            super().__init__(lhs, name)
            # A step continued from this kind (see get_transform()).
            self.target = cast("GenericReversePath", lhs).target
            return
        target = lhs.output_field.field
        super().__init__(
            lhs, name, remote_model=target.model, key_attname=target.generic.id_attname
        )
        self.target = target
        self.column = Col(lhs.alias, lhs.target)
        self.column_field = target.key_field

    def remote_keys(self, lookup_name: str, value: Any):
        generic = self.target.generic
        keys = super().remote_keys(lookup_name, value)
        return keys.filter(**{generic.type_attname: self.target.label})

    def get_lookup(self, name: str):
        return partial(GenericReverseLookup, lookup_name=name)

    def get_transform(self, name: str):
        return partial(GenericReversePath, name=name)


class TargetKeys(_LookupBase):
    """Reads the keys a reverse path found as the target's keys (they are stored as
    text); a malformed one names no row and is left out."""

    def fetch_keys(self) -> list[Any]:
        target = self.lhs.target
        keys = []
        for stored in super().fetch_keys():
            key = target.key_from_stored(stored, strict=False)
            if key is not None:
                keys.append(key)
        return keys


class GenericReverseLookup(TargetKeys, RemoteLookup):
    pass


class GenericUnlinked(TargetKeys, Unlinked):
    """``comments__isnull=True`` on Article: articles no comment points at."""


def reverse_isnull(lhs, rhs) -> GenericUnlinked:
    return GenericUnlinked(GenericReversePath(lhs, "pk"), rhs)
