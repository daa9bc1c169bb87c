"""Filtering through a weak relation without a cross-database join.

``Order.objects.filter(customer__name__startswith="A")`` reaches the key column
``customer_id``; Django then asks the field for a transform named ``name``. weakrel
answers with a :class:`RelatedPath`, which collects the rest of the path and, as the
final lookup, a :class:`RemoteLookup`: when the query is compiled it asks Customer's
database for the matching keys (``Customer.objects.filter(name__startswith="A")``)
and becomes ``customer_id IN (...)``. The reverse direction,
``Customer.objects.filter(orders__total__gt=100)``, runs the same way from the
target's key column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from typing import Any, cast

from django.core.exceptions import EmptyResultSet, FieldError, FullResultSet
from django.db import models
from django.db.models.expressions import Col, F
from django.db.models.lookups import In, Lookup, Transform
from django.db.models.sql.query import Query

from weakrel import routing
from weakrel.routing import database_errors, key_chunk_size


def keys_in_sql(compiler, connection, column, field, keys: list[Any]) -> tuple[str, list]:
    """SQL for ``column IN (keys)``, with one parameter per key while they fit.

    Past the backend's parameter limit the list goes as a single parameter:
    a JSON array on SQLite (``json_each``), an array on PostgreSQL. MySQL and MariaDB
    interpolate parameters client-side, so a long plain ``IN`` list is fine there.
    """
    if not keys:
        raise EmptyResultSet
    lhs_sql, lhs_params = compiler.compile(column)
    values = [field.get_db_prep_value(key, connection, prepared=True) for key in keys]
    if len(values) > key_chunk_size(connection.alias):
        if connection.vendor == "sqlite":
            return f"{lhs_sql} IN (SELECT value FROM json_each(%s))", [
                *lhs_params,
                json.dumps(values, default=str),
            ]
        if connection.vendor == "postgresql":
            return f"{lhs_sql} = ANY(%s)", [*lhs_params, values]
    placeholders = ", ".join(["%s"] * len(values))
    return f"{lhs_sql} IN ({placeholders})", [*lhs_params, *values]


class KeysIn(Lookup):
    """``column IN (keys)`` in one statement, whatever the number of keys
    (:func:`keys_in_sql`)."""

    lookup_name = "weakrel_keys_in"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        return keys_in_sql(compiler, connection, self.lhs, self.lhs.output_field, self.rhs)


def filter_keys(queryset, attname: str, keys: Iterable[Any]):
    """``queryset.filter(<attname>__in=keys)`` as one statement, so that its ordering
    holds across all the rows (``routing.filter_in`` splits long key lists)."""
    return queryset.filter(KeysIn(F(attname), list(keys)))


class WeakIn(In):
    """``customer__in=[...]``: model instances become keys, a queryset of targets is
    evaluated in its own database first (never embedded as a cross-database subquery).
    """

    def get_prep_lookup(self):
        if isinstance(self.rhs, Query):
            # Django has already turned the queryset into a subquery; run it on its own.
            query = self.rhs.clone()
            query.subquery = False
            queryset = models.QuerySet(model=query.model, query=query, using=query._db)
            if not query.has_select_fields:
                target = self.lhs.output_field.target_field
                queryset = queryset.values_list(target.attname, flat=True)
            with database_errors(queryset.db, f"reading {query.model._meta.label}"):
                rows = list(queryset.order_by())
            self.rhs = [row[0] if isinstance(row, tuple) else row for row in rows]
        return super().get_prep_lookup()

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            # As Django's integer lookups do: a key the column cannot hold matches nothing.
            key = self.lhs.output_field.target_key
            self.rhs = [value for value in self.rhs if key.in_range(value, connection.alias)]
        return super().process_rhs(compiler, connection)


class KeyTransform(Transform):
    """``customer__pk`` / ``customer__id``: the key column itself, no remote query."""

    lookup_name = "pk"

    def as_sql(self, compiler, connection):
        return compiler.compile(self.lhs)

    @property
    def output_field(self):
        return self.lhs.output_field


class RemoteOutput:
    """``output_field`` of a :class:`RelatedPath`: answers Django's lookup questions."""

    def __init__(self, path: RelatedPath) -> None:
        self.path = path

    def get_lookup(self, name: str):
        return partial(RemoteLookup, lookup_name=name)

    def get_transform(self, name: str):
        return partial(RelatedPath, name=name)

    def get_db_converters(self, connection):
        return []


class RelatedPath(Transform):
    """Part of a lookup path that continues on the other side of a weak relation."""

    column: Any  # the expression for the key column
    column_field: models.Field[Any, Any]
    remote_model: type[models.Model] | None
    key_attname: str | None
    relation_name: str
    names: list[str]

    def __init__(
        self,
        lhs: Any,
        name: str,
        *,
        remote_model: type[models.Model] | None = None,
        key_attname: str | None = None,
    ) -> None:
        super().__init__(lhs)
        self.lookup_name = name
        if isinstance(lhs, RelatedPath):
            self.column = lhs.column
            self.column_field = lhs.column_field
            self.remote_model = lhs.remote_model
            self.key_attname = lhs.key_attname
            self.relation_name = lhs.relation_name
            self.names = [*lhs.names, name]
        else:
            self.column = lhs
            self.column_field = lhs.output_field
            self.remote_model = remote_model
            self.key_attname = key_attname
            self.relation_name = lhs.output_field.name
            self.names = [name]

    @property
    def output_field(self):
        return RemoteOutput(self)

    def get_lookup(self, name: str):
        return partial(RemoteLookup, lookup_name=name)

    def get_transform(self, name: str):
        return partial(RelatedPath, name=name)

    def remote_keys(self, lookup_name: str, value: Any):
        """The remote queryset of keys that satisfy ``<path>__<lookup_name>=value``."""
        # Given to a path's first step, copied by the steps that continue it.
        model = cast("type[models.Model]", self.remote_model)
        lookup = "__".join([*self.names, lookup_name])
        db = routing.db_for_read(model)
        return (
            model._base_manager.using(db)
            .filter(**{lookup: value})
            .order_by()
            .values_list(self.key_attname, flat=True)
            .distinct()
        )

    def as_sql(self, compiler, connection):
        # Reached when the path is used as a value (F(), annotate(), order_by()).
        path = "__".join([self.relation_name, *self.names])
        raise FieldError(
            f"'{path}' goes through a weak relation to another database: it can be "
            "used in filter() and exclude(), not selected, ordered by or aggregated."
        )


class RemoteLookup(Lookup):
    """The end of a path through a weak relation: ``key IN (<keys from elsewhere>)``."""

    can_use_none_as_rhs = True
    prepare_rhs = False

    def __init__(self, lhs: RelatedPath, rhs: Any, *, lookup_name: str) -> None:
        self.lookup_name = lookup_name
        super().__init__(lhs, rhs)
        # Built now so a bad field name fails in filter(), not when the query runs.
        self.remote = lhs.remote_keys(lookup_name, rhs)

    def get_prep_lookup(self):
        return self.rhs

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [value])

    def fetch_keys(self) -> list[Any]:
        """The matching keys, read now: a reused queryset sees the current remote rows."""
        with database_errors(self.remote.db, f"reading {self.remote.model._meta.label}"):
            return [key for key in self.remote.all() if key is not None]

    def as_sql(self, compiler, connection):
        keys = self.fetch_keys()
        if self.through_null_key():
            return self.null_key_sql(compiler, connection, keys)
        return keys_in_sql(compiler, connection, self.lhs.column, self.lhs.column_field, keys)

    def through_null_key(self) -> bool:
        """An ``isnull`` at the end of a path through a nullable weak key of this row."""
        field = self.lhs.column_field
        return (
            self.lookup_name == "isnull"
            and field.null
            and getattr(field, "remote_field", None) is not None
        )

    def null_key_sql(self, compiler, connection, keys: list[Any]) -> tuple[str, list]:
        """``isnull`` as Django's LEFT JOIN answers it: a row with no target has a
        NULL there too (``isnull=True`` includes it; excluding ``isnull=False`` too).
        """
        column_sql, column_params = compiler.compile(self.lhs.column)
        try:
            sql, params = keys_in_sql(
                compiler, connection, self.lhs.column, self.lhs.column_field, keys
            )
        except EmptyResultSet:
            sql, params = "", []
        if self.rhs:
            if not sql:
                return f"{column_sql} IS NULL", column_params
            return f"({sql} OR {column_sql} IS NULL)", [*params, *column_params]
        if not sql:
            raise EmptyResultSet
        return f"({column_sql} IS NOT NULL AND {sql})", [*column_params, *params]


class Unlinked(RemoteLookup):
    """``<relation>__isnull=True``: rows that no row on the other side links to
    (``False``: rows that some row does).

    ``lhs`` is a path whose remote query, ``<path>__isnull=False``, lists the keys in
    use over there; the lookup is ``NOT IN`` them (``IN`` for ``False``).
    """

    def __init__(self, lhs: RelatedPath, rhs: Any) -> None:
        if not isinstance(rhs, bool):
            raise ValueError("The QuerySet value for an isnull lookup must be True or False.")
        super().__init__(lhs, False, lookup_name="isnull")
        self.rhs = self.unlinked = rhs

    def as_sql(self, compiler, connection):
        try:
            sql, params = super().as_sql(compiler, connection)
        except EmptyResultSet:
            if self.unlinked:
                raise FullResultSet from None
            raise
        return (f"NOT ({sql})", params) if self.unlinked else (sql, params)


def reverse_isnull(lhs, rhs) -> Unlinked:
    """``Customer.objects.filter(orders__isnull=True)``: customers no order names."""
    field = lhs.output_field.field
    path = _ReversePath(lhs, field.name, remote_model=field.model, key_attname=field.attname)
    return Unlinked(path, rhs)


def reverse_related(lhs, rhs, *, lookup_name: str) -> RemoteLookup:
    """``Customer.objects.filter(orders=order)``, ``orders__in=[...]`` (instances, keys
    or a queryset of orders) and ``orders=None``, as Django answers them."""
    if lookup_name == "exact" and rhs is None:
        return reverse_isnull(lhs, True)

    def key(value):
        return value.pk if isinstance(value, models.Model) else value

    if lookup_name == "in" and not isinstance(rhs, Query):
        rhs = [key(value) for value in rhs]
    return RemoteLookup(reverse_path("pk")(lhs), key(rhs), lookup_name=lookup_name)


def related_path(name: str):
    """Transform factory for ``<weak key>__<name>`` (the forward direction)."""

    def build(lhs):
        field = lhs.output_field
        return RelatedPath(
            lhs,
            name,
            remote_model=field.related_model,
            key_attname=field.target_field.attname,
        )

    return build


def reverse_path(name: str):
    """Transform factory for ``<related query name>__<name>`` (from the target)."""

    def build(lhs):
        rel = lhs.output_field
        return _ReversePath(
            lhs, name, remote_model=rel.related_model, key_attname=rel.field.attname
        )

    return build


class RelationCol(Col):
    """A key column standing for a weak relation that has no column of its own
    (``customer.orders``, ``physician.patients``).

    It only starts a path to filter through (``orders__total__gt=1``). Selected,
    ordered or aggregated on its own (``Count("orders")``) it would silently mean the
    model's own key, so it refuses to compile.
    """

    def as_sql(self, compiler, connection):
        name = self.output_field.name
        raise FieldError(
            f"'{name}' is a weak relation to another database: filter through it "
            f"({name}__<field>=...), or prefetch it and count in Python; it cannot be "
            "selected, ordered by or aggregated in SQL."
        )


class _ReversePath(RelatedPath):
    """A reverse path's column holds the target's key, prepared by the target field."""

    def __init__(self, lhs, name: str, **kwargs: Any) -> None:
        super().__init__(lhs, name, **kwargs)
        if not isinstance(lhs, RelatedPath):
            self.column = Col(lhs.alias, lhs.target)
            self.column_field = lhs.output_field.field.target_field
