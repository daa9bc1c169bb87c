"""``?include=customer,lines.product``: parsing, validation, and the prefetches it needs.

The value is checked against each serializer's ``Meta.includes`` before any queryset
is built: a request can only include what the serializer declares, never an arbitrary
model path. Oversized values are refused from their length alone, unparsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.utils.module_loading import import_string
from rest_framework.exceptions import ValidationError

from weakrel.conf import weakrel_settings

#: Prefix of the attribute that holds an included relation's prefetched rows.
INCLUDE_ATTR_PREFIX = "_include_"

IncludeQuerysetHook = Callable[[str, QuerySet], QuerySet]


@dataclass
class IncludeNode:
    """One included relation: ``name`` on the parent, ``path`` from the root."""

    name: str
    path: str
    serializer_class: type
    children: dict[str, IncludeNode] = field(default_factory=dict)

    @property
    def model(self):
        return self.serializer_class.Meta.model

    @property
    def to_attr(self) -> str:
        return include_attr(self.name)


IncludeTree = dict[str, IncludeNode]


def include_attr(name: str) -> str:
    return f"{INCLUDE_ATTR_PREFIX}{name}"


def get_includes(serializer_class: type) -> dict[str, type]:
    """``Meta.includes`` of ``serializer_class`` with dotted paths imported.

    Resolved on first use, so two serializers may name each other.
    """
    resolved = serializer_class.__dict__.get("_resolved_includes")
    if resolved is None:
        meta = getattr(serializer_class, "Meta", None)
        declared = getattr(meta, "includes", None) or {}
        resolved = {
            name: import_string(target) if isinstance(target, str) else target
            for name, target in declared.items()
        }
        serializer_class._resolved_includes = resolved
    return resolved


def _allowed(serializer_class: type) -> str:
    names = list(get_includes(serializer_class))
    return ", ".join(names) if names else "(none)"


def _model_name(serializer_class: type) -> str:
    meta = getattr(serializer_class, "Meta", None)
    model = getattr(meta, "model", None)
    return model.__name__ if model is not None else serializer_class.__name__


def parse_include(values: str | Iterable[str], serializer_class: type) -> IncludeTree:
    """Turn the raw ``include`` value(s) into a validated :data:`IncludeTree`.

    Raises DRF's ``ValidationError({"include": [...]})`` (a 400) naming every bad
    path and the relations allowed where it went wrong.
    """
    if isinstance(values, str):
        values = [values]
    values = list(values)
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

    # ``?include=`` with nothing after it asks for nothing, like an absent parameter.
    values = [value for value in values if value.strip()]
    errors: list[str] = []
    tree: IncludeTree = {}
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
    tree: IncludeTree, path: str, value: str, serializer_class: type, max_depth: int
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
        includes = get_includes(current)
        if name not in includes:
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


def all_include_paths(serializer_class: type, max_depth: int | None = None) -> list[str]:
    """Every path ``?include=`` accepts for ``serializer_class`` (for the schema)."""
    max_depth = weakrel_settings.MAX_INCLUDE_DEPTH if max_depth is None else max_depth
    paths: list[str] = []

    def walk(current: type, prefix: str, depth: int) -> None:
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
        queryset = get_queryset(node.path, node.model._default_manager.all())
        prefetches.append(Prefetch(prefix + node.name, queryset=queryset, to_attr=node.to_attr))
    for node in tree.values():
        if node.children:
            prefetches += build_prefetches(
                node.children, get_queryset, f"{prefix}{node.to_attr}{LOOKUP_SEP}"
            )
    return prefetches


def is_prefetched(instance: Any, tree: IncludeTree) -> bool:
    return all(hasattr(instance, node.to_attr) for node in tree.values())
