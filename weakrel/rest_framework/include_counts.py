"""``?count=orders``: the number of related rows of each parent, one query per relation.

A relation whose rows name their parent in a column (a weak or Django foreign key
seen from its target) is counted with one grouped query in the rows' own database,
``SELECT customer_id, COUNT(*) … WHERE customer_id IN (…) GROUP BY customer_id``. Any
other relation (many-to-many, key lists) is counted from a prefetch of the related
keys alone: one query per level of that relation, whatever the number of parents.
Either way the path's filters apply (``?count=orders&orders.status=paid``).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, cast

from django.db import models
from django.db.models import (
    Count,
    ForeignObjectRel,
    Prefetch,
    QuerySet,
    prefetch_related_objects,
)

from weakrel.relations.foreign_key import WeakForeignKey
from weakrel.reverse import ReverseSide
from weakrel.routing import filter_in

__all__ = ["count_attr", "set_counts"]

_COUNT_PREFIX = "_count_"


def count_attr(name: str) -> str:
    """The attribute that holds a parent's count of relation ``name``."""
    return f"{_COUNT_PREFIX}{name}"


def _grouping(model: type[models.Model], name: str) -> tuple[str, Callable] | None:
    """(column of the related rows naming their parent, the parent's value of it)."""
    for found in model._meta.get_fields(include_hidden=True):
        if isinstance(found, ReverseSide):
            field = found.field
            if field.accessor_name == name and type(field) is WeakForeignKey:
                return field.attname, attrgetter(field.target_field.attname)
        elif found.is_relation and found.auto_created and not found.concrete:
            rel = cast("ForeignObjectRel", found)  # a reverse relation Django added
            if rel.one_to_many and rel.get_accessor_name() == name:
                field = rel.field
                return field.attname, attrgetter(field.target_field.attname)
    return None


def set_counts(
    model: type[models.Model], name: str, instances: list[models.Model], queryset: QuerySet
) -> None:
    """Set ``_count_<name>`` on each of ``instances`` (of ``model``): how many rows of
    ``queryset`` relation ``name`` links it to."""
    attr = count_attr(name)
    grouping = _grouping(model, name)
    if grouping is None:
        _count_by_prefetch(name, instances, queryset, attr)
        return
    column, token = grouping
    tokens = {token(instance) for instance in instances} - {None}
    counts: dict[Any, int] = {}
    if tokens:
        grouped = queryset.order_by().values(column).annotate(weakrel_count=Count("pk"))
        for row in filter_in(grouped, column, tokens):
            counts[row[column]] = row["weakrel_count"]
    for instance in instances:
        setattr(instance, attr, counts.get(token(instance), 0))


def _count_by_prefetch(name, instances, queryset, attr) -> None:
    temporary = f"{attr}_rows"
    keys = queryset.only(queryset.model._meta.pk.attname)
    prefetch_related_objects(instances, Prefetch(name, queryset=keys, to_attr=temporary))
    for instance in instances:
        rows = instance.__dict__.pop(temporary, None)
        if rows is None:
            count = 0
        elif isinstance(rows, list):
            count = len(rows)
        else:  # a to-one relation: one row or none
            count = 1
        setattr(instance, attr, count)
