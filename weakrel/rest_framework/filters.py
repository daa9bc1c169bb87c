"""django-filter through weak relations: ``filterset_fields = ["customer__name"]``.

django-filter finds the model field behind ``customer__name`` with
``get_model_field``, which walks Django relations only and so stops at a weak key.
:class:`WeakFilterSet` walks weak relations too; the generated filter then filters on
``customer__name``, which weakrel answers in Customer's database (``lookups.py``).
"""

from __future__ import annotations

from collections import OrderedDict
from functools import cache
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django_filters import rest_framework as filters
from django_filters.utils import get_model_field

from weakrel.relations.foreign_key import WeakForeignKey

__all__ = ["WeakFilterBackend", "WeakFilterSet", "get_weak_model_field", "seeing_through"]


def get_weak_model_field(
    model: type[models.Model], field_name: str
) -> models.Field[Any, Any] | models.ForeignObjectRel | None:
    """Like ``django_filters.utils.get_model_field``, seeing through weak relations."""
    opts = model._meta
    field = None
    for name in field_name.split(LOOKUP_SEP):
        try:
            field = opts.get_field(name)
        except FieldDoesNotExist:
            return None
        # Weak keys, their reverse sides, WeakManyToManyField and WeakReferencesMany
        # (both sides) all name the model they lead to in ``related_model``.
        related = getattr(field, "related_model", None)
        if related is not None and not isinstance(related, str):
            opts = related._meta
    return field


class WeakFilterSet(filters.FilterSet):
    """A ``FilterSet`` whose ``Meta.fields`` may cross weak relations."""

    @classmethod
    def get_filters(cls) -> dict[str, Any]:
        if not cls._meta.model:
            return cls.declared_filters.copy()
        filters_ = OrderedDict()
        undefined = []
        for field_name, lookups in cls.get_fields().items():
            field = get_model_field(cls._meta.model, field_name)
            if field is None:
                field = get_weak_model_field(cls._meta.model, field_name)
            if field is None:
                undefined.append(field_name)
            for lookup_expr in lookups:
                filter_name = cls.get_filter_name(field_name, lookup_expr)
                if filter_name in cls.declared_filters:
                    filters_[filter_name] = cls.declared_filters[filter_name]
                    continue
                if field is not None:
                    instance = cls.filter_for_field(field, field_name, lookup_expr)
                    if instance is not None:
                        filters_[filter_name] = instance
        if isinstance(cls._meta.fields, (list, tuple)):
            undefined = [f for f in undefined if f not in cls.declared_filters]
        if undefined:
            raise TypeError(
                "'Meta.fields' must not contain non-model field names: " + ", ".join(undefined)
            )
        filters_.update(cls.declared_filters)
        return filters_

    @classmethod
    def filter_for_lookup(cls, field: Any, lookup_type: str) -> tuple[Any, dict[str, Any]]:
        # ``customer_id=3``: a weak key filters like the key it stores.
        if isinstance(field, WeakForeignKey):
            return super().filter_for_lookup(field.target_field, lookup_type)
        return super().filter_for_lookup(field, lookup_type)


class WeakFilterBackend(filters.DjangoFilterBackend):
    """``DjangoFilterBackend`` whose generated filtersets use :class:`WeakFilterSet`."""

    filterset_base = WeakFilterSet


def seeing_through(backend: type[Any]) -> type[Any]:
    """``backend``, or, when it is a ``DjangoFilterBackend`` whose generated filtersets
    cannot follow weak relations, a subclass of it whose ``filterset_base`` can.

    ``IncludeViewSetMixin.filter_queryset()`` filters through it, so a view that kept
    the stock backend filters ``customer__name`` too rather than failing with a
    ``TypeError`` (the system check ``weakrel.E906`` still asks for
    :class:`WeakFilterBackend`, which the OpenAPI schema needs).
    """
    if not isinstance(backend, type) or not issubclass(backend, filters.DjangoFilterBackend):
        return backend
    if issubclass(backend.filterset_base, WeakFilterSet):
        return backend
    return _seeing_through(backend)  # type: ignore[arg-type]  # a class is hashable


@cache
def _seeing_through(backend: type[Any]) -> type[Any]:
    base = backend.filterset_base
    filterset = type(base.__name__, (WeakFilterSet, base), {"__module__": base.__module__})
    attrs = {"filterset_base": filterset, "__module__": backend.__module__}
    return type(backend.__name__, (backend,), attrs)
