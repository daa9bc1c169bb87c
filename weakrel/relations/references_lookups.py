"""Filtering through a ``WeakReferencesMany``: JSON containment, per backend.

* ``tags=tag`` / ``tags__in=[...]``: the list holds one of these keys
  (:class:`ContainsKey`, :class:`ContainsAny`); ``tags_ids=[1, 2]`` compares whole
  lists (:class:`ListExact`);
* ``tags__name="x"``: Tag keys from Tag's database, then a containment test
  (:class:`ListForwardPath`);
* ``articles__title="x"`` on Tag: the lists of the matching articles, flattened into
  one ``IN`` (:class:`ListReversePath`).

The containment test is PostgreSQL ``@>``, MariaDB/MySQL ``JSON_CONTAINS`` /
``JSON_OVERLAPS`` and SQLite ``json_each``, with the keys as one JSON parameter.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models.expressions import Col
from django.db.models.fields.json import JSONExact
from django.db.models.lookups import Lookup
from django.db.models.sql.query import Query

from weakrel.lookups import RelatedPath, RemoteLookup, RemoteOutput


def contains_any_sql(compiler, connection, lhs, field, keys) -> tuple[str, list]:
    """SQL true when the JSON array in ``lhs`` holds at least one of ``keys``.

    Each backend gets its own containment test, with the keys as one JSON parameter,
    so no key list ever runs into a parameter limit.
    """
    values = list(dict.fromkeys(field.target_key.json(key) for key in keys))
    if not values:
        raise EmptyResultSet
    lhs_sql, params = compiler.compile(lhs)
    if connection.vendor == "postgresql":
        if len(values) == 1:
            return f"{lhs_sql} @> %s::jsonb", [*params, json.dumps(values)]
        return f"{lhs_sql} @> ANY(%s::jsonb[])", [*params, [json.dumps([v]) for v in values]]
    if connection.vendor == "mysql":
        if len(values) == 1:
            return f"JSON_CONTAINS({lhs_sql}, %s)", [*params, json.dumps(values)]
        return f"JSON_OVERLAPS({lhs_sql}, %s)", [*params, json.dumps(values)]
    if connection.vendor == "sqlite":
        return (
            f"EXISTS (SELECT 1 FROM json_each({lhs_sql}) AS weakrel_key "
            "WHERE weakrel_key.value IN (SELECT value FROM json_each(%s)))",
            [*params, json.dumps(values)],
        )
    raise NotImplementedError(f"WeakReferencesMany does not support {connection.vendor}.")


class ContainsAny(Lookup):
    """``tags__in=[tag, 3]``: the list holds at least one of these targets or keys."""

    lookup_name = "in"
    prepare_rhs = False

    def get_prep_lookup(self):
        field = self.lhs.output_field
        rhs = self.rhs
        if isinstance(rhs, Query):
            # A queryset of targets, evaluated in its own database (never a subquery).
            query = rhs.clone()
            query.subquery = False
            queryset = models.QuerySet(model=query.model, query=query, using=query._db)
            if not query.has_select_fields:
                queryset = queryset.values_list(field.key_field.attname, flat=True)
            rhs = [row[0] if isinstance(row, tuple) else row for row in queryset.order_by()]
        if isinstance(rhs, models.Model | str | bytes) or not hasattr(rhs, "__iter__"):
            rhs = [rhs]
        return [field.to_key(item) for item in rhs if item is not None]

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def as_sql(self, compiler, connection):
        return contains_any_sql(compiler, connection, self.lhs, self.lhs.output_field, self.rhs)


class ContainsKey(ContainsAny):
    """``tags=tag`` (or a key): the list holds this target, as for a ManyToManyField."""

    lookup_name = "exact"


class ListExact(JSONExact):
    """``tags_ids=[1, 2]``: the whole list, compared as JSON."""

    def get_db_prep_lookup(self, value, connection):
        field = self.lhs.output_field
        return ("%s", [field.get_db_prep_value(value, connection, prepared=True)])


def exact(lhs, rhs):
    """``tags=tag`` tests membership, as for a ManyToManyField; a list compares lists."""
    if isinstance(rhs, list | tuple):
        return ListExact(lhs, rhs)
    return ContainsKey(lhs, rhs)


class ListForwardPath(RelatedPath):
    """``tags__name="x"``: Tag keys from Tag's database, then a containment test."""

    def __init__(self, lhs, name: str, **kwargs: Any) -> None:
        if not isinstance(lhs, RelatedPath):
            field = lhs.output_field
            kwargs = {
                "remote_model": field.related_model,
                "key_attname": field.key_field.attname,
            }
        super().__init__(lhs, name, **kwargs)

    @property
    def output_field(self):
        return _ListOutput(self, ListForwardPath, _ContainsRemote)

    def get_lookup(self, name: str):
        return partial(_ContainsRemote, lookup_name=name)

    def get_transform(self, name: str):
        return partial(ListForwardPath, name=name)


class _ContainsRemote(RemoteLookup):
    def as_sql(self, compiler, connection):
        keys = self.fetch_keys()
        return contains_any_sql(compiler, connection, self.lhs.column, self.lhs.column_field, keys)


class ListReversePath(RelatedPath):
    """``articles__title="x"`` on Tag: the lists of matching articles, flattened."""

    def __init__(self, lhs, name: str, **kwargs: Any) -> None:
        super().__init__(lhs, name, **kwargs)
        if not isinstance(lhs, RelatedPath):
            self.column = Col(lhs.alias, lhs.target)
            self.column_field = lhs.output_field.field.key_field

    @property
    def output_field(self):
        return _ListOutput(self, ListReversePath, _FlatRemote)

    def get_lookup(self, name: str):
        return partial(_FlatRemote, lookup_name=name)

    def get_transform(self, name: str):
        return partial(ListReversePath, name=name)


class _FlatRemote(RemoteLookup):
    def fetch_keys(self) -> list[Any]:
        # The remote values are lists of keys: one IN over all of them.
        return list(dict.fromkeys(key for keys in super().fetch_keys() for key in keys))


class _ListOutput(RemoteOutput):
    def __init__(self, path, path_class, lookup_class) -> None:
        super().__init__(path)
        self.path_class = path_class
        self.lookup_class = lookup_class

    def get_lookup(self, name: str):
        return partial(self.lookup_class, lookup_name=name)

    def get_transform(self, name: str):
        return partial(self.path_class, name=name)
