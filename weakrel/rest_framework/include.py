"""``?include=customer,lines.product``: parsing, validation, and the prefetches it needs.

The value is checked against each serializer's ``Meta.includes`` before any queryset
is built: a request can only include what the serializer declares, never an arbitrary
model path. Oversized values are refused from their length alone, unparsed.

:func:`resolve_includes` checks the declaration itself against the serializer's model
(a relation that does not exist, a serializer of another model, a dotted path that
does not import): the system checks of ``checks.py`` report each problem, and a request
that asks for such an entry is a 400 naming it, never a 500.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.utils.module_loading import import_string
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from weakrel.base import WeakRelationField
from weakrel.conf import weakrel_settings
from weakrel.rest_framework.generic import is_generic_include, resolve_generic_include
from weakrel.reverse import ReverseSide

#: Prefix of the attribute that holds an included relation's prefetched rows.
INCLUDE_ATTR_PREFIX = "_include_"

IncludeQuerysetHook = Callable[[str, QuerySet], QuerySet]


@dataclass
class IncludeNode:
    """One included relation: ``name`` on the parent, ``path`` from the root."""

    name: str
    path: str
    serializer_class: type[Any]
    children: IncludeTree = field(default_factory=lambda: IncludeTree())
    #: What the request asked of the rows (``P.limit``, ``P.ordering``, ``P.<filter>``):
    #: an ``include_scopes.PathScope``, or ``None``.
    scope: Any = None

    @property
    def model(self):
        return self.serializer_class.Meta.model

    @property
    def to_attr(self) -> str:
        return include_attr(self.name)


class IncludeTree(dict):
    """One level of a request's includes: relation name -> :class:`IncludeNode`, with
    the sparse fieldset and the counts asked of that level's rows.

    ``fields`` (``None``: every field) and ``omit`` name the fields rendered;
    ``counts`` maps a relation to the scope its ``<relation>_count`` is read with;
    ``columns`` is what ``only()`` loads of the level's rows (``None``: every column).
    """

    fields: frozenset[str] | None = None
    omit: frozenset[str] = frozenset()
    counts: dict[str, Any]  # relation -> the include_scopes.PathScope it is counted with
    columns: list[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts = {}


def include_attr(name: str) -> str:
    return f"{INCLUDE_ATTR_PREFIX}{name}"


@dataclass(frozen=True)
class IncludeProblem:
    """What is wrong with one entry of ``Meta.includes`` (or, ``name=None``, with the
    whole declaration): the system check reports it, a request for it is a 400."""

    id: str
    name: str | None
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class Includes:
    """``Meta.includes`` of one serializer, resolved: the entries that work, and the
    problems of the others."""

    targets: dict[str, type]
    problems: dict[str | None, IncludeProblem]


def get_includes(serializer_class: type[Any]) -> dict[str, type]:
    """``Meta.includes`` of ``serializer_class`` with dotted paths imported.

    Resolved on first use, so two serializers may name each other. Only the entries
    that can be included are returned; :func:`resolve_includes` also has the others.
    """
    return resolve_includes(serializer_class).targets


def resolve_includes(serializer_class: type[Any]) -> Includes:
    """``Meta.includes`` of ``serializer_class``, checked against its ``Meta.model``."""
    resolved = serializer_class.__dict__.get("_resolved_includes")
    if resolved is None:
        resolved = _resolve(serializer_class)
        serializer_class._resolved_includes = resolved
    return resolved


def renders_includes(target: Any) -> bool:
    """Whether ``target`` is a serializer class that renders includes (an
    ``IncludeModelSerializer``: it takes ``include=`` and has an ``include_tree``)."""
    return (
        isinstance(target, type)
        and issubclass(target, serializers.ModelSerializer)
        and hasattr(target, "include_tree")
    )


def readable_field_names(serializer_class: type[Any]) -> list[str]:
    """The fields ``serializer_class`` renders when nothing is included."""
    serializer = (
        serializer_class(include=IncludeTree())
        if renders_includes(serializer_class)
        else serializer_class()
    )
    return [field.field_name for field in serializer._readable_fields]


def model_relations(model: type[models.Model]) -> dict[str, type[models.Model] | None]:
    """Relation accessor on ``model`` -> the model it leads to (``None``: any model, a
    ``GenericForeignKey``). Weak relations, their reverse sides and Django's own."""
    relations: dict[str, type[models.Model] | None] = {}
    for found in model._meta.get_fields():
        if isinstance(found, ReverseSide):
            if not found.field.remote_field.is_hidden():
                relations[found.field.accessor_name] = found.field.model
        elif isinstance(found, WeakRelationField):
            target = found.related_model
            relations[found.name] = None if isinstance(target, str) else target
        elif found.auto_created and not found.concrete and found.is_relation:
            # A reverse relation Django added.
            accessor = cast("models.ForeignObjectRel", found).get_accessor_name()
            if accessor:
                relations[accessor] = found.related_model
        elif found.is_relation:
            relations[found.name] = found.related_model
    return relations


def serializer_model(serializer_class: type[Any]) -> type[models.Model] | None:
    """``Meta.model`` of ``serializer_class``, when it is a model class."""
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    return model if isinstance(model, type) and issubclass(model, models.Model) else None


def _resolve(serializer_class: type[Any]) -> Includes:
    meta = getattr(serializer_class, "Meta", None)
    declared = getattr(meta, "includes", None) or {}
    where = f"{serializer_class.__name__}.Meta.includes"
    if not isinstance(declared, Mapping):
        not_a_dict = IncludeProblem(
            "weakrel.E901",
            None,
            f"{where} must be a dict of relation name to serializer, not "
            f"{type(declared).__name__}.",
            hint='For example includes = {"customer": CustomerSerializer}.',
        )
        return Includes({}, {None: not_a_dict})
    model = serializer_model(serializer_class)
    relations = model_relations(model) if model is not None else None
    targets: dict[str, type] = {}
    problems: dict[str | None, IncludeProblem] = {}
    for name, declared_target in declared.items():
        target, problem = _resolve_one(where, name, declared_target, model, relations)
        if problem is None:
            targets[name] = target
        else:
            problems[name] = problem
    return Includes(targets, problems)


def _resolve_one(
    where: str,
    name: str,
    target: Any,
    model: type[models.Model] | None,
    relations: dict[str, type[models.Model] | None] | None,
) -> tuple[Any, IncludeProblem | None]:
    entry = f"{where}[{name!r}]"
    if isinstance(target, Mapping):  # {type: serializer}: a WeakGenericForeignKey
        target, problem = resolve_generic_include(model, name, target, where)
        return target, None if problem is None else IncludeProblem(problem[0], name, *problem[1:])
    if isinstance(target, str):
        try:
            target = import_string(target)
        except ImportError as exc:
            message = f"{entry} names {target!r}, which cannot be imported: {exc}"
            return None, IncludeProblem("weakrel.E902", name, message)
    if not renders_includes(target) or serializer_model(target) is None:
        shown = target.__qualname__ if isinstance(target, type) else repr(target)
        message = f"{entry} is {shown}, not an IncludeModelSerializer with a Meta.model."
        return None, IncludeProblem("weakrel.E902", name, message)
    if relations is None or model is None:  # no Meta.model: DRF reports that itself
        return target, None
    if name not in relations:
        close = difflib.get_close_matches(str(name), relations, n=1)
        hint = (
            f"Did you mean {close[0]!r}?"
            if close
            else f"Relations of {model.__name__}: {', '.join(sorted(relations)) or '(none)'}."
        )
        message = f"{where} names {name!r}, which is not a relation of {model._meta.label}."
        return None, IncludeProblem("weakrel.E903", name, message, hint)
    # Checked above: a serializer of a model.
    related, serialized = relations[name], cast("type[models.Model]", serializer_model(target))
    if related is not None and (
        related._meta.concrete_model is not serialized._meta.concrete_model
    ):
        message = (
            f"{entry} is {target.__name__}, a serializer of {serialized._meta.label}, but "
            f"{model.__name__}.{name} leads to {related._meta.label}."
        )
        return None, IncludeProblem(
            "weakrel.E904", name, message, f"Use a serializer of {related._meta.label}."
        )
    return target, None


def _allowed(serializer_class: type[Any]) -> str:
    names = list(get_includes(serializer_class))
    return ", ".join(names) if names else "(none)"


def _model_name(serializer_class: type[Any]) -> str:
    meta = getattr(serializer_class, "Meta", None)
    model = getattr(meta, "model", None)
    return model.__name__ if model is not None else serializer_class.__name__


def parse_include(values: str | Iterable[str], serializer_class: type[Any]) -> IncludeTree:
    """Turn the raw ``include`` value(s) into a validated :data:`IncludeTree`.

    Raises DRF's ``ValidationError({"include": [...]})`` (a 400) naming every bad
    path and the relations allowed where it went wrong.
    """
    if isinstance(values, str):
        values = [values]
    # ``?include=`` with nothing after it asks for nothing, like an absent parameter,
    # and does not count against the limits.
    values = [value for value in values if value.strip()]
    total = sum(len(value) for value in values) + max(len(values) - 1, 0)
    max_length = weakrel_settings.MAX_INCLUDE_LENGTH
    if total > max_length:
        raise ValidationError(
            {
                "include": [
                    f"Ensure this value has at most {max_length} characters (it has {total})."
                ]
            }
        )
    count = sum(value.count(",") + 1 for value in values)
    max_paths = weakrel_settings.MAX_INCLUDE_PATHS
    if count > max_paths:
        raise ValidationError(
            {"include": [f"Ensure at most {max_paths} relations are included (got {count})."]}
        )

    errors: list[str] = []
    tree = IncludeTree()
    max_depth = weakrel_settings.MAX_INCLUDE_DEPTH
    for value in values:
        for raw_path in value.split(","):
            path = raw_path.strip()
            error = _add_path(tree, path, value, serializer_class, max_depth)
            if error and error not in errors:
                errors.append(error)
    if errors:
        raise ValidationError({"include": errors})
    return tree


def _add_path(
    tree: IncludeTree, path: str, value: str, serializer_class: type[Any], max_depth: int
) -> str | None:
    if not path:
        return f"Empty relation name in {value!r}; allowed: {_allowed(serializer_class)}."
    names = [name.strip() for name in path.split(".")]
    if len(names) > max_depth:
        return f"Include path {path!r} is deeper than {max_depth} levels."
    level, current = tree, serializer_class
    for depth, name in enumerate(names):
        where = "" if depth == 0 else f" in {path!r}"
        if not name:
            return f"Empty relation name in {path!r}; allowed: {_allowed(current)}."
        resolved = resolve_includes(current)
        includes = resolved.targets
        if name not in includes:
            problem = resolved.problems.get(name) or resolved.problems.get(None)
            if problem is not None:
                # A misdeclaration (the system check reports it): refused, never a 500.
                return (
                    f"Relation {name!r}{where} on {_model_name(current)} cannot be "
                    f"included: {problem.message}"
                )
            return (
                f"Unknown relation {name!r}{where} on {_model_name(current)}; "
                f"allowed: {_allowed(current)}."
            )
        target = includes[name]
        node = level.get(name)
        if node is None:
            node = level[name] = IncludeNode(
                name=name, path=".".join(names[: depth + 1]), serializer_class=target
            )
        level, current = node.children, target
    return None


def all_include_paths(serializer_class: type[Any], max_depth: int | None = None) -> list[str]:
    """Every path ``?include=`` accepts for ``serializer_class`` (for the schema)."""
    max_depth = weakrel_settings.MAX_INCLUDE_DEPTH if max_depth is None else max_depth
    paths: list[str] = []

    def walk(current: type[Any], prefix: str, depth: int) -> None:
        if depth >= max_depth:
            return
        for name, target in get_includes(current).items():
            path = f"{prefix}{name}"
            paths.append(path)
            walk(target, f"{path}.", depth + 1)

    walk(serializer_class, "", 0)
    return paths


def default_include_queryset(path: str, queryset: QuerySet) -> QuerySet:
    return queryset


def build_prefetches(
    tree: IncludeTree, get_queryset: IncludeQuerysetHook | None = None, prefix: str = ""
) -> list[Prefetch]:
    """One ``Prefetch`` per included relation, parents before children.

    Each relation's rows come from its serializer's model, passed through
    ``get_queryset(path, queryset)`` so scoping applies to included rows as well; they
    land in ``_include_<name>`` (a list, or the object or ``None`` for a to-one), which
    is all the serializer reads. Nested relations are prefetched through their parent's
    ``_include_`` attribute, never through the relation descriptor, so nothing is
    loaded twice.
    """
    get_queryset = get_queryset or default_include_queryset
    prefetches = []
    for node in tree.values():
        if is_generic_include(node.serializer_class):
            lookup = prefix + node.name
            prefetches.append(
                node.serializer_class.prefetch(lookup, node.to_attr, node.path, get_queryset)
            )
            continue
        queryset = get_queryset(node.path, node.model._default_manager.all())
        if node.children.columns is not None:
            queryset = queryset.only(*node.children.columns)
        if node.scope is not None:
            queryset = node.scope.apply(queryset)
        prefetches.append(Prefetch(prefix + node.name, queryset=queryset, to_attr=node.to_attr))
    for node in tree.values():
        if node.children:
            prefetches += build_prefetches(
                node.children, get_queryset, f"{prefix}{node.to_attr}{LOOKUP_SEP}"
            )
    return prefetches


def is_prefetched(instance: Any, tree: IncludeTree) -> bool:
    return all(hasattr(instance, node.to_attr) for node in tree.values())
