"""``Meta.include_scopes``: what a client may ask of each included relation.

A serializer declares, per relation of its ``Meta.includes``, the options of its
*scope*, with django-filter's and DRF's own names::

    include_scopes = {
        "orders": {"filterset_class": OrderFilterSet, "ordering_fields": ["total", "id"],
                   "max_limit": 50, "count": True},
    }

:func:`get_scopes` resolves the declaration (the system checks of ``checks.py``
report what is wrong with it, ``weakrel.E910``-``E915``); a :class:`PathScope` is
what one request asked of one path (``orders.limit``, ``orders.ordering``,
``orders.<filter>``) once validated, and :meth:`PathScope.apply` puts it on the
queryset the path's rows (or counts) are read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.module_loading import import_string

from weakrel.conf import weakrel_settings
from weakrel.rest_framework.include import get_includes, serializer_model

__all__ = ["PathScope", "Scope", "ScopeProblem", "get_scopes", "resolve_scopes"]

#: The options a scope may declare.
SCOPE_OPTIONS = ("filterset_class", "ordering_fields", "max_limit", "count")


@dataclass(frozen=True)
class Scope:
    """The declared scope of one included relation."""

    filterset_class: type[Any] | None = None
    ordering_fields: tuple[str, ...] = ()
    max_limit: int | None = None
    count: bool = False

    @property
    def limit_max(self) -> int:
        """The largest ``P.limit`` accepted: ``max_limit``, or the setting."""
        return self.max_limit or weakrel_settings.MAX_INCLUDE_LIMIT

    def filter_names(self) -> list[str]:
        """The ``P.<filter>`` names the filterset accepts."""
        if self.filterset_class is None:
            return []
        return list(self.filterset_class.base_filters)


@dataclass(frozen=True)
class ScopeProblem:
    """What is wrong with one entry of ``Meta.include_scopes`` (``name=None``: with
    the whole declaration)."""

    id: str
    name: str | None
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Scopes:
    scopes: dict[str, Scope]
    problems: list[ScopeProblem]


def get_scopes(serializer_class: type[Any]) -> dict[str, Scope]:
    """Relation name -> :class:`Scope` for ``serializer_class`` (every declared
    include has one; an undeclared scope allows ``limit`` alone)."""
    return resolve_scopes(serializer_class).scopes


def resolve_scopes(serializer_class: type[Any]) -> Scopes:
    resolved = serializer_class.__dict__.get("_resolved_scopes")
    if resolved is None:
        resolved = _resolve(serializer_class)
        serializer_class._resolved_scopes = resolved
    return resolved


def _resolve(serializer_class: type[Any]) -> Scopes:
    includes = get_includes(serializer_class)
    declared = getattr(getattr(serializer_class, "Meta", None), "include_scopes", None) or {}
    where = f"{serializer_class.__name__}.Meta.include_scopes"
    scopes = {name: Scope() for name in includes}
    if not isinstance(declared, Mapping):
        message = (
            f"{where} must be a dict of relation name to options, not {type(declared).__name__}."
        )
        hint = 'For example include_scopes = {"orders": {"ordering_fields": ["id"]}}.'
        return Scopes(scopes, [ScopeProblem("weakrel.E910", None, message, hint)])
    problems: list[ScopeProblem] = []
    for name, options in declared.items():
        if name not in includes:
            message = f"{where} names {name!r}, which Meta.includes does not declare."
            allowed = ", ".join(includes) or "(none)"
            hint = f"Scopes are keyed by the relations of Meta.includes: {allowed}."
            if isinstance(name, str) and "." in name:
                hint += " Declare a nested path's scope on the serializer that includes it."
            problems.append(ScopeProblem("weakrel.E911", name, message, hint))
            continue
        model = serializer_model(includes[name])
        scope, found = _resolve_one(f"{where}[{name!r}]", name, options, model)
        problems += found
        scopes[name] = scope
    return Scopes(scopes, problems)


def _resolve_one(entry: str, name: str, options: Any, model) -> tuple[Scope, list[ScopeProblem]]:
    if not isinstance(options, Mapping):
        message = f"{entry} must be a dict of options, not {type(options).__name__}."
        return Scope(), [ScopeProblem("weakrel.E912", name, message, _options_hint())]
    problems = [
        ScopeProblem(
            "weakrel.E912", name, f"{entry} has an unknown option {key!r}.", _options_hint()
        )
        for key in options
        if key not in SCOPE_OPTIONS
    ]
    filterset_class = options.get("filterset_class")
    if isinstance(filterset_class, str):
        try:
            filterset_class = import_string(filterset_class)
        except ImportError as exc:
            problems.append(
                ScopeProblem("weakrel.E913", name, f"{entry}: {filterset_class!r}: {exc}")
            )
            filterset_class = None
    if filterset_class is not None:
        problem = _check_filterset(entry, filterset_class, model)
        if problem:
            problems.append(ScopeProblem("weakrel.E913", name, problem))
            filterset_class = None
    ordering = options.get("ordering_fields") or ()
    if isinstance(ordering, str) or not all(isinstance(o, str) for o in ordering):
        message = f"{entry}['ordering_fields'] must be a list of field names, not {ordering!r}."
        problems.append(ScopeProblem("weakrel.E914", name, message))
        ordering = ()
    else:
        concrete = {f.name for f in model._meta.concrete_fields} | {
            f.attname for f in model._meta.concrete_fields
        }
        unknown = [o for o in ordering if o not in concrete]
        if unknown:
            message = (
                f"{entry}['ordering_fields'] names {', '.join(map(repr, unknown))}, not a "
                f"column of {model._meta.label}."
            )
            hint = f"Its columns: {', '.join(sorted(concrete))}."
            problems.append(ScopeProblem("weakrel.E914", name, message, hint))
            ordering = [o for o in ordering if o in concrete]
    max_limit = options.get("max_limit")
    if max_limit is not None and (
        isinstance(max_limit, bool) or not isinstance(max_limit, int) or max_limit < 1
    ):
        message = f"{entry}['max_limit'] must be a positive integer, not {max_limit!r}."
        problems.append(ScopeProblem("weakrel.E915", name, message))
        max_limit = None
    count = options.get("count", False)
    if not isinstance(count, bool):
        message = f"{entry}['count'] must be True or False, not {count!r}."
        problems.append(ScopeProblem("weakrel.E915", name, message))
        count = False
    scope = Scope(filterset_class, tuple(ordering), max_limit, count)
    return scope, problems


def _options_hint() -> str:
    return f"Options: {', '.join(SCOPE_OPTIONS)}."


def _check_filterset(entry: str, filterset_class: Any, model) -> str | None:
    try:
        from django_filters.filterset import BaseFilterSet
    except ImportError:  # pragma: no cover - django-filter is a dependency of scopes
        return f"{entry}['filterset_class'] needs django-filter installed."
    if not (isinstance(filterset_class, type) and issubclass(filterset_class, BaseFilterSet)):
        return f"{entry}['filterset_class'] is {filterset_class!r}, not a django-filter FilterSet."
    # django-filter is untyped: the narrowing above leaves a bare type.
    declared = filterset_class._meta.model  # type: ignore[attr-defined]
    if declared is not None and declared._meta.concrete_model is not model._meta.concrete_model:
        return (
            f"{entry}['filterset_class'] is {filterset_class.__name__}, a FilterSet of "
            f"{declared._meta.label}, but the relation leads to {model._meta.label}."
        )
    return None


@dataclass
class PathScope:
    """What one request asked of one included (or counted) path."""

    path: str
    limit: int | None = None
    ordering: list[str] = field(default_factory=list)
    #: A bound, valid FilterSet, or None when no ``P.<filter>`` was given.
    filterset: Any = None

    def filter(self, queryset: QuerySet) -> QuerySet:
        """The path's filters on ``queryset`` (rows and counts alike)."""
        if self.filterset is None:
            return queryset
        return self.filterset.filter_queryset(queryset)

    def apply(self, queryset: QuerySet) -> QuerySet:
        """Filters, ordering and the per-parent limit on the rows' queryset."""
        queryset = self.filter(queryset)
        if self.ordering:
            pk = queryset.model._meta.pk.attname
            tail = [] if any(o.lstrip("-") in ("pk", pk) for o in self.ordering) else [pk]
            queryset = queryset.order_by(*self.ordering, *tail)
        if self.limit is not None:
            if not queryset.ordered:  # the first rows of each parent, the same every time
                queryset = queryset.order_by(queryset.model._meta.pk.attname)
            queryset = queryset[: self.limit]
        return queryset
