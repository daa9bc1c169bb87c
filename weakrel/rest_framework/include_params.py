"""A request's query parameters, made into one validated :class:`IncludeTree`.

``include`` names the relations (``include.py``); per included path ``P``:
``P.limit``, ``P.ordering`` and ``P.<filter>`` scope its rows (``include_scopes.py``);
``count=P`` adds ``<relation>_count`` to its parents; ``fields`` and ``omit`` narrow
what each level renders, and so what it loads (``include_columns.py``). Every
problem is a 400 naming the parameter and what it allows; nothing here queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from weakrel.rest_framework.include import (
    IncludeNode,
    IncludeTree,
    all_include_paths,
    get_includes,
    parse_include,
    readable_field_names,
    renders_includes,
)
from weakrel.rest_framework.include_columns import level_columns, link_columns
from weakrel.rest_framework.include_scopes import PathScope, Scope, get_scopes

__all__ = ["IncludeParams", "parse_include_params"]


class IncludeParams:
    """The names of the parameters a view reads (override on the view to rename)."""

    include = "include"
    fields = "fields"
    omit = "omit"
    count = "count"


def parse_include_params(
    query_params: Mapping[str, Any], serializer_class: type[Any], names: type[Any] = IncludeParams
) -> IncludeTree:
    """The validated tree of ``query_params``; raises a 400 naming each problem."""
    if not isinstance(query_params, QueryDict):
        query_params = _as_querydict(query_params)
    values = query_params.getlist(names.include)
    tree = parse_include(values, serializer_class) if values else IncludeTree()
    errors: dict[str, list[str]] = {}
    _parse_counts(query_params.getlist(names.count), serializer_class, tree, names, errors)
    _parse_scopes(query_params, serializer_class, tree, errors)
    _parse_sparse(query_params, serializer_class, tree, names, errors)
    if errors:
        raise ValidationError(errors)
    _set_columns(serializer_class, tree, set())
    return tree


def _as_querydict(params: Mapping[str, Any]) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            data.appendlist(key, str(item))
    return data


def _split(values: list[str]) -> list[str]:
    """``a,b`` and ``a&…=b`` alike; an empty parameter asks for nothing."""
    return [item.strip() for value in values if value.strip() for item in value.split(",")]


def _walk(tree: IncludeTree, serializer_class: type[Any], names: list[str]):
    """The level, serializer and node at the end of ``names`` (all included), or the
    first name that is not included."""
    level, current, node = tree, serializer_class, None
    for name in names:
        node = level.get(name)
        if node is None:
            return None, current, name
        level, current = node.children, node.serializer_class
    return level, current, node


def _not_included(name: str, current: type[Any]) -> str:
    if name in get_includes(current):
        return f"{name!r} is not included; add include={name} to ask for it."
    allowed = ", ".join(get_includes(current)) or "(none)"
    return f"{name!r} is not a relation of {_label(current)}; allowed: {allowed}."


def _label(serializer_class: type[Any]) -> str:
    model = serializer_class.Meta.model  # None: a polymorphic target (generic.py)
    return serializer_class.__name__ if model is None else model.__name__


# -- count= -----------------------------------------------------------------------------


def _parse_counts(values, serializer_class, tree, names, errors) -> None:
    from weakrel.rest_framework.serializers import is_to_many

    for path in _split(values):
        *head, last = path.split(".") if path else [""]
        level, current, node = _walk(tree, serializer_class, head)
        if level is None:
            message = f"Cannot count {path!r}: {_not_included(node, current)}"
            errors.setdefault(names.count, []).append(message)
            continue
        scope = get_scopes(current).get(last)
        if scope is None or not scope.count or not is_to_many(current.Meta.model, last):
            countable = [n for n, s in get_scopes(current).items() if s.count]
            errors.setdefault(names.count, []).append(
                f"Cannot count {path!r}; countable on {_label(current)}: "
                f"{', '.join(countable) or '(none)'}."
            )
            continue
        level.counts[last] = PathScope(path)


# -- P.limit, P.ordering, P.<filter> -------------------------------------------------------


def _parse_scopes(query_params, serializer_class, tree, errors) -> None:
    known = set(all_include_paths(serializer_class))
    by_path: dict[str, dict[str, list[str]]] = {}
    for key in query_params:
        path, _, option = key.rpartition(".")
        if path in known and option:
            by_path.setdefault(path, {})[option] = query_params.getlist(key)
    for path, options in by_path.items():
        *head, last = path.split(".")
        level, current, _node = _walk(tree, serializer_class, head)
        node = level.get(last) if level is not None else None
        counted = level.counts.get(last) if level is not None else None
        if node is None and counted is None:
            name = last if level is not None else _node
            message = _not_included(name, current)
            errors.setdefault(f"{path}.{next(iter(options))}", []).append(message)
            continue
        scope = get_scopes(current)[last]
        found = _path_scope(path, scope, options, node, current, last, errors)
        if node is not None:
            node.scope = found
        if counted is not None:
            counted.filterset = found.filterset


def _allows(path: str, scope: Scope, to_many: bool) -> str:
    allowed = (["limit"] if to_many else []) + (["ordering"] if scope.ordering_fields else [])
    allowed += scope.filter_names()
    return f"{path!r} allows: {', '.join(allowed) or '(nothing)'}."


def _path_scope(path, scope: Scope, options, node, parent, name, errors) -> PathScope:
    from weakrel.rest_framework.serializers import is_to_many

    found = PathScope(path)
    to_many = is_to_many(parent.Meta.model, name)
    filters: dict[str, list[str]] = {}
    for option, values in options.items():
        param = f"{path}.{option}"
        value = values[-1]
        if option in ("limit", "ordering") and node is None:
            errors[param] = [f"{param} needs {path!r} included; add include={path}."]
        elif option == "limit" and to_many:
            found.limit = _limit(param, value, scope, errors)
        elif option == "ordering" and scope.ordering_fields and to_many:
            found.ordering = _ordering(param, value, scope, errors)
        elif option in scope.filter_names():
            filters[option] = values
        else:
            errors[param] = [f"Unknown parameter {param!r}; {_allows(path, scope, to_many)}"]
    if filters:
        found.filterset = _bind(path, scope, filters, errors)
    return found


def _limit(param: str, value: str, scope: Scope, errors) -> int | None:
    try:
        limit = int(value)
    except ValueError:
        errors[param] = [f"A valid integer is required, not {value!r}."]
        return None
    if limit < 1 or limit > scope.limit_max:
        errors[param] = [f"Ensure this value is between 1 and {scope.limit_max}."]
        return None
    return limit


def _ordering(param: str, value: str, scope: Scope, errors) -> list[str]:
    terms = [term.strip() for term in value.split(",")]
    bad = [term for term in terms if term.removeprefix("-") not in scope.ordering_fields]
    if bad:
        allowed = ", ".join(scope.ordering_fields)
        errors[param] = [
            f"Cannot order by {', '.join(map(repr, bad))}; allowed: {allowed} "
            "(prefix '-' for descending)."
        ]
        return []
    return terms


def _bind(path: str, scope: Scope, filters: dict[str, list[str]], errors):
    data = QueryDict(mutable=True)
    for name, values in filters.items():
        data.setlist(name, values)
    # Bound only for the scopes that declare a filterset_class.
    filterset_class = cast("type[Any]", scope.filterset_class)
    model = filterset_class._meta.model
    filterset = filterset_class(data=data, queryset=model._default_manager.none())
    if not filterset.is_valid():
        for name, messages in filterset.errors.items():
            errors[f"{path}.{name}"] = [str(message) for message in messages]
        return None
    return filterset


# -- fields=, omit= ---------------------------------------------------------------------------


def _parse_sparse(query_params, serializer_class, tree, names, errors) -> None:
    for param, attr in ((names.fields, "fields"), (names.omit, "omit")):
        for entry in _split(query_params.getlist(param)):
            problem = _add_sparse(tree, serializer_class, entry, attr)
            if problem:
                errors.setdefault(param, []).append(f"{problem} (in {entry!r})")
    if not errors:
        _prune(tree)


def _add_sparse(tree, serializer_class, entry: str, attr: str) -> str | None:
    parts = entry.split(".")
    level, current = tree, serializer_class
    for depth, name in enumerate(parts):
        last = depth == len(parts) - 1
        if name in level:
            if attr == "fields" or last:
                _add(level, attr, name)
            node: IncludeNode = level[name]
            level, current = node.children, node.serializer_class
            continue
        if not last or name in get_includes(current):
            return _not_included(name, current)
        allowed = readable_field_names(current) + list(level)
        if name not in allowed:
            return f"Unknown field {name!r} on {_label(current)}; allowed: {', '.join(allowed)}"
        _add(level, attr, name)
    return None


def _add(level: IncludeTree, attr: str, name: str) -> None:
    current = getattr(level, attr) or frozenset()
    setattr(level, attr, current | {name})


def _prune(level: IncludeTree) -> None:
    """Drop the included relations that ``fields``/``omit`` leave unrendered: they
    are neither read nor shown."""
    for name in list(level):
        if name in level.omit or (level.fields is not None and name not in level.fields):
            del level[name]
        else:
            _prune(level[name].children)


def _set_columns(serializer_class: type[Any], level: IncludeTree, link: set[str] | None) -> None:
    """Work out ``only()`` for every level whose fields were narrowed (``link``: the
    columns its parent relation reads, ``None`` when they cannot be told)."""
    model = serializer_class.Meta.model
    narrowed = level.fields is not None or level.omit
    if link is not None and narrowed and renders_includes(serializer_class):
        level.columns = level_columns(serializer_class(include=level), level, link)
    for name, node in level.items():
        found = link_columns(model, name)
        _set_columns(node.serializer_class, node.children, found[1] if found else None)
