"""A ``WeakGenericForeignKey`` over DRF: embedded per type, written as a (type, id) pair.

Given ``Comment.target = WeakGenericForeignKey(to=["blog.Article", "shop.Product"])``:

* ``Meta.includes = {"target": {"blog.Article": ArticleSerializer, "shop.Product":
  ProductSerializer}}`` makes ``?include=target`` embed each comment's target with its
  own type's serializer, the type first (``{"type": "blog.article", "id": 7, ...}``).
  :func:`resolve_generic_include` builds a :class:`GenericIncludeSerializer` for the
  entry; its :meth:`~GenericIncludeSerializer.prefetch` reads the targets with one
  query per type that occurs, in that type's database, whatever the page size.
* ``"target"`` in ``Meta.fields`` is a :class:`GenericKeyField`: it reads
  ``{"type": "blog.article", "id": "7"}`` from the two columns (no query) and, on
  write, refuses an unknown type, a malformed key or a key naming no row with a 400.

``include.py`` and ``serializers.py`` hand these entries and fields over to this
module; nothing else in them knows about generic keys.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.core import exceptions as django_exceptions
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from weakrel import routing
from weakrel.relations.generic import WeakGenericForeignKey

__all__ = [
    "GenericIncludeSerializer",
    "GenericKeyField",
    "generic_field",
    "resolve_generic_include",
]

#: ``(id, message, hint)`` of a misdeclared entry; ``include.py`` makes it a problem.
Problem = tuple[str, str, str | None]


def generic_field(model: type[models.Model] | None, name: str) -> WeakGenericForeignKey | None:
    """``model.<name>`` when it is a ``WeakGenericForeignKey``."""
    found = getattr(model, name, None) if model is not None else None
    return found if isinstance(found, WeakGenericForeignKey) else None


# -- ?include=target ------------------------------------------------------------------


class GenericIncludeSerializer(serializers.Serializer):
    """Renders one target with the serializer of its type, the type's label first.

    Built by :func:`resolve_generic_include`: ``generic`` is the field, ``by_label``
    the serializer class of each allowed type (by ``"blog.article"``).
    """

    # The field is its own descriptor: read it from the class (``type(self).generic``).
    generic: WeakGenericForeignKey
    by_label: dict[str, type[serializers.BaseSerializer]]
    #: The key of the type in the output (and of the writable form).
    type_key = "type"

    class Meta:
        # No one model: the sparse fieldsets and ``only()`` leave this level whole.
        model = None

    def __init__(self, *args: Any, include: Mapping | None = None, **kwargs: Any) -> None:
        # Read from the prefetched attribute, written as the pair: the same field name.
        self.to_attr = kwargs.pop("source", None)
        kwargs["source"] = "*"
        super().__init__(*args, **kwargs)
        self.key_field: GenericKeyField | None = None
        self.children: dict[str, serializers.BaseSerializer] = {}
        for label, serializer_class in self.by_label.items():
            child_kwargs: dict[str, Any] = {}
            if hasattr(serializer_class, "include_tree"):
                child_kwargs["include"] = {}
            child = serializer_class(**child_kwargs)
            child.bind(field_name=label, parent=self)
            self.children[label] = child

    def bind(self, field_name: str, parent: serializers.BaseSerializer) -> None:
        """Writable, as the pair, when the parent lists ``field_name`` in its fields:
        ``?include=target`` on a write does not take the key away."""
        super().bind(field_name, parent)
        fields = getattr(getattr(parent, "Meta", None), "fields", None)
        if isinstance(fields, list | tuple) and field_name in fields:
            self.key_field = GenericKeyField(type(self).generic)
            self.key_field.bind(field_name, parent)
            self.read_only = False
            self.required = self.key_field.required

    def get_attribute(self, instance: models.Model) -> Any:
        if not self.to_attr:
            return instance
        value = getattr(instance, self.to_attr)
        generic = type(self).generic
        if value is not None and not generic._matches(value, instance):
            # Prefetched before a write moved the pair: the target just assigned.
            return getattr(instance, generic.name)
        return value

    def run_validation(self, data: Any = serializers.empty) -> Any:
        assert self.key_field is not None, "a read-only field is never validated"
        return self.key_field.run_validation(data)

    def to_representation(self, instance: models.Model) -> dict[str, Any]:
        label = type(self).generic.target_for_instance(instance).label
        return {self.type_key: label, **self.children[label].to_representation(instance)}

    @classmethod
    def prefetch(
        cls, lookup: str, to_attr: str, path: str, get_queryset: Callable | None
    ) -> GenericPrefetch:
        """The targets of the rows into ``to_attr``: one query per type that occurs,
        each in its database, through ``get_queryset(path, queryset)`` (scopes)."""
        querysets = []
        for target in cls.generic.targets:
            queryset = target.related_model._default_manager.all()
            querysets.append(get_queryset(path, queryset) if get_queryset else queryset)
        return GenericPrefetch(lookup, querysets, to_attr=to_attr)


def resolve_generic_include(
    model: type[models.Model] | None, name: str, declared: Mapping, where: str
) -> tuple[type[GenericIncludeSerializer] | None, Problem | None]:
    """``Meta.includes[name]`` given as ``{type: serializer}``: the serializer class
    that renders it, or what is wrong (``weakrel.E212``-``E214``)."""
    entry = f"{where}[{name!r}]"
    generic = generic_field(model, name)
    if generic is None:
        shown = model._meta.label if model is not None else "the serializer's model"
        message = (
            f"{entry} maps types to serializers, but {name!r} is not a "
            f"WeakGenericForeignKey of {shown}."
        )
        return None, ("weakrel.E212", message, "Give one serializer for other relations.")
    allowed = {target.label: target for target in generic.targets}
    by_label: dict[str, type] = {}
    for declared_type, serializer_class in declared.items():
        label = _label(declared_type)
        if isinstance(serializer_class, str):
            try:
                serializer_class = import_string(serializer_class)
            except ImportError as exc:
                message = f"{entry}[{declared_type!r}] cannot be imported: {exc}"
                return None, ("weakrel.E214", message, None)
        if label not in allowed:
            message = (
                f"{entry} names the type {declared_type!r}, which "
                f"{generic.model.__name__}.{generic.name} may not point at."
            )
            return None, ("weakrel.E213", message, f"Allowed: {', '.join(sorted(allowed))}.")
        serialized = getattr(getattr(serializer_class, "Meta", None), "model", None)
        if not (
            isinstance(serializer_class, type)
            and issubclass(serializer_class, serializers.ModelSerializer)
            and isinstance(serialized, type)
            and issubclass(serialized, models.Model)
            and serialized._meta.concrete_model is allowed[label].related_model._meta.concrete_model
        ):
            message = (
                f"{entry}[{declared_type!r}] is {serializer_class!r}, not a ModelSerializer "
                f"of {label}."
            )
            return None, ("weakrel.E214", message, None)
        by_label[label] = serializer_class
    missing = sorted(set(allowed) - set(by_label))
    if missing:
        message = f"{entry} has no serializer for {', '.join(missing)}."
        return None, ("weakrel.E213", message, "Give a serializer for every allowed type.")
    attrs = {"generic": generic, "by_label": by_label, "__module__": __name__}
    class_name = f"{generic.model.__name__}{name.title()}IncludeSerializer"
    return type(class_name, (GenericIncludeSerializer,), attrs), None


def _label(declared: Any) -> str | None:
    if isinstance(declared, type) and issubclass(declared, models.Model):
        return declared._meta.label_lower
    if isinstance(declared, str):
        try:
            return apps.get_model(declared)._meta.label_lower
        except (LookupError, ValueError):
            return declared.lower()
    return None


def is_generic_include(serializer_class: Any) -> bool:
    return isinstance(serializer_class, type) and issubclass(
        serializer_class, GenericIncludeSerializer
    )


# -- the writable pair ----------------------------------------------------------------


class GenericKeyField(serializers.Field):
    """``{"type": "blog.article", "id": "7"}``: the pair of a ``WeakGenericForeignKey``.

    Read from the two columns, without a query. A write names an allowed type and a
    row of it, looked up in that type's database (one query); the row found is
    assigned, so the save check does not look it up again.
    """

    default_error_messages = {
        "not_a_dict": _('Expected {{"type": ..., "id": ...}}, received {data_type}.'),
        "incomplete": _('Give both "type" and "id".'),
        "unknown_type": _("Unknown type {value!r}; allowed: {allowed}."),
        "invalid_key": _("Invalid id {value!r} for {label}: {reason}"),
        "does_not_exist": _("{label} with {field} {value!r} does not exist."),
    }

    def __init__(self, model_field: WeakGenericForeignKey, **kwargs: Any) -> None:
        self.model_field = model_field
        kwargs["source"] = "*"
        kwargs.setdefault("required", not model_field.null)
        kwargs.setdefault("allow_null", model_field.null)
        super().__init__(**kwargs)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and self.allow_null:
            return True, {self.model_field.name: None}
        return super().validate_empty_values(data)

    def to_representation(self, instance: models.Model) -> dict[str, str] | None:
        label, stored = self.model_field.pair(instance)
        if label is None or stored is None:
            return None
        return {"type": label, "id": str(stored)}

    def to_internal_value(self, data: Any) -> dict[str, models.Model]:
        if not isinstance(data, Mapping):
            self.fail("not_a_dict", data_type=type(data).__name__)
        label, raw = data.get("type"), data.get("id")
        if label in (None, "") or raw in (None, ""):
            self.fail("incomplete")
        generic = self.model_field
        try:
            target = generic.target_for_label(str(label))
        except ValueError:
            allowed = ", ".join(t.label for t in generic.targets)
            self.fail("unknown_type", value=label, allowed=allowed)
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            self.fail("invalid_key", value=raw, label=target.label, reason="not a key.")
        try:
            key = target.target_key.to_python(raw)
        except django_exceptions.ValidationError as exc:
            self.fail("invalid_key", value=raw, label=target.label, reason=exc.messages[0])
        model = target.related_model
        alias = routing.db_for_read(model)
        found = None
        if target.target_key.in_range(key, alias):
            with routing.database_errors(alias, f"checking {generic.model.__name__}"):
                found = (
                    model._base_manager.using(alias)
                    .filter(**{target.key_field.attname: key})
                    .first()
                )
        if found is None:
            self.fail("does_not_exist", label=target.label, field=target.key_field.name, value=raw)
        return {generic.name: found}
