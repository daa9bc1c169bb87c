"""System checks of the DRF integration: what would otherwise fail at request time.

:func:`check_urlconf` walks the views the URLconf serves (routers included: a DRF
view keeps its class in ``callback.cls``) and checks each one with :func:`check_view`
and its serializer, with everything the serializer includes, with
:func:`check_serializer`:

* ``weakrel.E901``-``E904``: ``Meta.includes`` misdeclared (see ``include.py``, which
  refuses the same entries with a 400 at request time);
* ``weakrel.W901``: ``Meta.includes`` on a serializer that does not render it;
* ``weakrel.E905``: ``IncludeViewSetMixin`` or ``RelationViewSetMixin`` after the
  view class in the bases, where DRF never calls it;
* ``weakrel.E906``: django-filter's stock ``DjangoFilterBackend`` asked to filter
  through a weak relation (``filterset_fields = ["customer__name"]``);
* ``weakrel.E907``: a ``RelationViewSetMixin`` whose ``relation`` is not a to-many
  relation of the parent leading to the view's model;
* ``weakrel.E908``: ``Meta.through_defaults`` keyed by something other than a
  ``WeakManyToManyField`` relation of the serializer's model;
* ``weakrel.E910``-``E915``: ``Meta.include_scopes`` misdeclared: not a dict
  (``E910``), a key that is not an include (``E911``), an unknown option or options
  not a dict (``E912``), a ``filterset_class`` that is not a FilterSet of the
  relation's model (``E913``), ``ordering_fields`` that are not columns (``E914``),
  ``max_limit`` or ``count`` of the wrong type (``E915``); ``weakrel.W910``:
  ordering or counts declared for a to-one relation.

The app config imports this module when ``rest_framework`` is installed, which
registers the check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import models
from django.urls import URLResolver, get_resolver
from rest_framework.views import APIView

from weakrel.rest_framework.fields import WeakLinkListField
from weakrel.rest_framework.include import (
    get_includes,
    model_relations,
    renders_includes,
    resolve_includes,
    serializer_model,
)
from weakrel.rest_framework.include_scopes import get_scopes, resolve_scopes
from weakrel.rest_framework.relations import RelationViewSetMixin
from weakrel.rest_framework.serializers import is_to_many, weak_key_fields
from weakrel.rest_framework.viewsets import IncludeViewSetMixin

__all__ = ["check_serializer", "check_urlconf", "check_view", "url_views"]


@checks.register(checks.Tags.urls)
def check_urlconf(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Check every DRF view the URLconf serves, and the serializers they use."""
    if not getattr(settings, "ROOT_URLCONF", None):
        return []
    messages: list[checks.CheckMessage] = []
    seen: set[type[Any]] = set()
    for view in url_views():
        messages += check_view(view, seen=seen)
    return messages


def url_views(resolver: URLResolver | None = None) -> Iterator[type[APIView]]:
    """The DRF view classes ``resolver`` (the root URLconf's by default) serves, once each."""
    seen: set[type[Any]] = set()
    for view in _walk(resolver or get_resolver()):
        if view not in seen:
            seen.add(view)
            yield view


def _walk(resolver: URLResolver) -> Iterator[type[Any]]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern)
            continue
        view = getattr(pattern.callback, "cls", None)
        if isinstance(view, type) and issubclass(view, APIView):
            yield view


def check_view(
    view: type[APIView], *, seen: set[type[Any]] | None = None
) -> list[checks.CheckMessage]:
    """The checks of one view class and of the serializer it names."""
    seen = set() if seen is None else seen
    messages = [*_check_mixin_order(view), *_check_filters(view), *_check_relation(view)]
    serializer_class = getattr(view, "serializer_class", None)
    if isinstance(serializer_class, type):
        messages += check_serializer(serializer_class, seen=seen)
    return messages


def check_serializer(
    serializer_class: type[Any], *, seen: set[type[Any]] | None = None
) -> list[checks.CheckMessage]:
    """The ``Meta.includes`` of ``serializer_class`` and of every serializer it includes."""
    seen = set() if seen is None else seen
    messages: list[checks.CheckMessage] = []
    pending = [serializer_class]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if not renders_includes(current):
            if getattr(getattr(current, "Meta", None), "includes", None):
                messages.append(
                    checks.Warning(
                        f"{current.__name__} declares Meta.includes, but it is not an "
                        "IncludeModelSerializer: included relations would be read, never shown.",
                        hint="Derive it from weakrel.rest_framework.IncludeModelSerializer.",
                        obj=current,
                        id="weakrel.W901",
                    )
                )
            continue
        for problem in resolve_includes(current).problems.values():
            messages.append(
                checks.Error(problem.message, hint=problem.hint, obj=current, id=problem.id)
            )
        messages += _check_scopes(current)
        messages += _check_through_defaults(current)
        pending.extend(get_includes(current).values())
    return messages


def _check_scopes(serializer_class: type[Any]) -> list[checks.CheckMessage]:
    """``Meta.include_scopes``: keyed by included relations, with known options."""
    messages: list[checks.CheckMessage] = [
        checks.Error(problem.message, hint=problem.hint, obj=serializer_class, id=problem.id)
        for problem in resolve_scopes(serializer_class).problems
    ]
    model = serializer_model(serializer_class)
    where = f"{serializer_class.__name__}.Meta.include_scopes"
    for name, scope in get_scopes(serializer_class).items():
        declared = {"ordering_fields": scope.ordering_fields, "count": scope.count}
        unused = [option for option, value in declared.items() if value]
        if model is not None and unused and not is_to_many(model, name):
            messages.append(
                checks.Warning(
                    f"{where}[{name!r}] declares {' and '.join(unused)}, but {name!r} is a "
                    "to-one relation: a request for it is refused.",
                    hint="Ordering and counts apply to to-many relations; keep filterset_class.",
                    obj=serializer_class,
                    id="weakrel.W910",
                )
            )
    return messages


def _check_through_defaults(serializer_class: type[Any]) -> list[checks.CheckMessage]:
    """``Meta.through_defaults`` is keyed by the relations whose links it writes."""
    declared = getattr(getattr(serializer_class, "Meta", None), "through_defaults", None)
    model = serializer_model(serializer_class)
    if not declared or model is None:
        return []
    links = sorted(
        name.removesuffix("_ids")
        for name, (field_class, _kwargs) in weak_key_fields(model).items()
        if field_class is WeakLinkListField
    )
    where = f"{serializer_class.__name__}.Meta.through_defaults"
    hint = f"Its keys are relations with links: {', '.join(links) or '(none)'}."
    if not isinstance(declared, Mapping):
        return [
            checks.Error(
                f"{where} must be a dict of relation name to values, not "
                f"{type(declared).__name__}.",
                hint=hint,
                obj=serializer_class,
                id="weakrel.E908",
            )
        ]
    return [
        checks.Error(
            f"{where} names {name!r}, which is not a WeakManyToManyField relation of "
            f"{model._meta.label}: its values are never used.",
            hint=hint,
            obj=serializer_class,
            id="weakrel.E908",
        )
        for name in declared
        if name not in links
    ]


# -- views ------------------------------------------------------------------------------


def _check_mixin_order(view: type[Any]) -> list[checks.CheckMessage]:
    """A mixin after ``APIView`` in the MRO is never called: ``APIView.initial()`` and
    ``GenericAPIView.get_queryset()`` do not call ``super()``."""
    mro = view.__mro__
    return [
        checks.Error(
            f"{view.__name__} lists {mixin.__name__} after the DRF view class it extends, "
            f"so DRF never calls it ({what}).",
            hint=f"Put it first: class {view.__name__}({mixin.__name__}, ...).",
            obj=view,
            id="weakrel.E905",
        )
        for mixin, what in (
            (IncludeViewSetMixin, "?include= is ignored"),
            (RelationViewSetMixin, "the rows are not limited to the parent's"),
        )
        if mixin in mro and mro.index(mixin) > mro.index(APIView)
    ]


def _view_model(view: type[Any]) -> type[models.Model] | None:
    queryset = getattr(view, "queryset", None)
    if isinstance(queryset, models.QuerySet | models.Manager):
        return queryset.model
    serializer_class = getattr(view, "serializer_class", None)
    return serializer_model(serializer_class) if isinstance(serializer_class, type) else None


def _check_filters(view: type[Any]) -> list[checks.CheckMessage]:
    """django-filter's stock backend cannot build a filterset through a weak relation."""
    try:
        from django_filters.rest_framework import DjangoFilterBackend
        from django_filters.utils import get_model_field

        from weakrel.rest_framework.filters import WeakFilterSet, get_weak_model_field
    except ImportError:  # django-filter is optional
        return []
    fields = getattr(view, "filterset_fields", None)
    model = _view_model(view)
    if (
        not fields
        or isinstance(fields, str)  # "__all__": model fields only
        or model is None
        or getattr(view, "filterset_class", None) is not None
    ):
        return []
    stock = [
        backend
        for backend in getattr(view, "filter_backends", ())
        if isinstance(backend, type)
        and issubclass(backend, DjangoFilterBackend)
        # django-filter is untyped: the narrowing leaves a bare type.
        and not issubclass(backend.filterset_base, WeakFilterSet)  # type: ignore[attr-defined]
    ]
    weak_paths = [
        name
        for name in fields
        if get_model_field(model, name) is None and get_weak_model_field(model, name) is not None
    ]
    if not stock or not weak_paths:
        return []
    return [
        checks.Error(
            f"{view.__name__}.filterset_fields names {', '.join(map(repr, weak_paths))}, "
            f"a path through a weak relation, which {stock[0].__name__} cannot follow: "
            "its generated FilterSet raises TypeError (a 500 on every request, unless "
            "the view is an IncludeViewSetMixin).",
            hint="Use weakrel.rest_framework.filters.WeakFilterBackend in filter_backends "
            "(or a filterset_class built on WeakFilterSet).",
            obj=view,
            id="weakrel.E906",
        )
    ]


def _check_relation(view: type[Any]) -> list[checks.CheckMessage]:
    """``relation`` must be a to-many relation of the parent model to the view's model."""
    if not issubclass(view, RelationViewSetMixin):
        return []
    parent = getattr(view, "parent_queryset", None)
    if not isinstance(parent, models.QuerySet | models.Manager):
        return []  # get_parent_queryset() decides at request time
    parent_model, name = parent.model, view.relation
    relations = model_relations(parent_model)
    problem = None
    if name not in relations or not is_to_many(parent_model, name):
        to_many = sorted(n for n in relations if is_to_many(parent_model, n))
        problem = (
            f"{view.__name__}.relation is {name!r}, which is not a to-many relation of "
            f"{parent_model._meta.label}; its to-many relations: {', '.join(to_many) or '(none)'}."
        )
    else:
        related, model = relations[name], _view_model(view)
        if related is not None and model is not None:
            if related._meta.concrete_model is not model._meta.concrete_model:
                problem = (
                    f"{view.__name__}.relation {name!r} leads to {related._meta.label}, but "
                    f"the view serves {model._meta.label}."
                )
    if problem is None:
        return []
    return [checks.Error(problem, obj=view, id="weakrel.E907")]
