"""``IncludeModelSerializer``: a ModelSerializer that embeds relations on request.

``Meta.includes`` maps a relation name to the serializer that renders it (a class or
a dotted path, imported on first use). A relation appears in the output only when
the request includes it, and it is rendered from what was prefetched into
``_include_<name>``: rendering never queries per row. Each weak key listed in
``Meta.fields`` (``customer_id``) becomes a writable :class:`WeakKeyField`.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import prefetch_related_objects
from django.db.models.fields import related_descriptors
from rest_framework import serializers
from rest_framework.serializers import LIST_SERIALIZER_KWARGS, LIST_SERIALIZER_KWARGS_REMOVE
from rest_framework.validators import UniqueValidator

import weakrel
from weakrel.descriptors import ForwardWeakDescriptor, ReverseWeakOneDescriptor
from weakrel.fields import WeakForeignKey, get_weak_fields
from weakrel.rest_framework.fields import WeakKeyField, WeakKeyListField
from weakrel.rest_framework.include import (
    IncludeTree,
    build_prefetches,
    get_includes,
    is_prefetched,
)

__all__ = ["IncludeListSerializer", "IncludeModelSerializer"]

# Descriptors of relations that hold one object; every other relation holds many.
_SINGLE_DESCRIPTORS = (
    related_descriptors.ForwardManyToOneDescriptor,
    related_descriptors.ReverseOneToOneDescriptor,
    ForwardWeakDescriptor,
    ReverseWeakOneDescriptor,
)


def is_to_many(model: type[models.Model], name: str) -> bool:
    """Whether ``model.<name>`` is a relation to many rows (prefetched as a list)."""
    return not isinstance(getattr(model, name, None), _SINGLE_DESCRIPTORS)


def _weak_many_fields() -> tuple[type, ...]:
    return tuple(
        cls
        for cls in (
            getattr(weakrel, "WeakManyToManyField", None),
            getattr(weakrel, "WeakReferencesMany", None),
        )
        if cls is not None
    )


class IncludeListSerializer(serializers.ListSerializer):
    """Prefetches the included relations of the whole list at once when the caller
    has not (a serializer used outside :class:`IncludeViewSetMixin`)."""

    def to_representation(self, data):
        items = data.all() if isinstance(data, models.manager.BaseManager) else data
        items = list(items)
        tree = self.child.include_tree
        if tree and items and not all(is_prefetched(item, tree) for item in items):
            prefetch_related_objects(items, *build_prefetches(tree, self.child.include_hook))
        return [self.child.to_representation(item) for item in items]


class IncludeModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with ``Meta.includes`` and writable weak key fields."""

    def __init__(self, *args: Any, include: IncludeTree | None = None, **kwargs: Any) -> None:
        self._include = include
        super().__init__(*args, **kwargs)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any):
        meta = getattr(cls, "Meta", None)
        if not hasattr(meta, "list_serializer_class"):
            include = kwargs.pop("include", None)
            kwargs["child"] = cls(*args, include=include, **_child_kwargs(kwargs))
            return IncludeListSerializer(*args, **_list_kwargs(kwargs))
        return super().many_init(*args, **kwargs)

    @classmethod
    def get_includes(cls) -> dict[str, type[serializers.BaseSerializer]]:
        return get_includes(cls)

    @property
    def include_tree(self) -> IncludeTree:
        """This level's includes: given to nested serializers, read from the context
        (``context["include"]``) by the outermost one."""
        if self._include is not None:
            return self._include
        return self.context.get("include") or {}

    @property
    def include_hook(self):
        return self.context.get("include_queryset")

    # -- fields -------------------------------------------------------------------

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        model = self.Meta.model
        for name, node in self.include_tree.items():
            fields[name] = node.serializer_class(
                include=node.children,
                source=node.to_attr,
                many=is_to_many(model, name),
                read_only=True,
                allow_null=True,
            )
        return fields

    def build_field(self, field_name, info, model_class, nested_depth):
        model_field = self._weak_key_fields(model_class).get(field_name)
        if model_field is not None:
            kwargs: dict[str, Any] = {"model_field": model_field}
            if isinstance(model_field, WeakForeignKey):
                if model_field.unique:
                    message = model_field.error_messages["unique"] % {
                        "model_name": model_class._meta.verbose_name,
                        "field_label": model_field.verbose_name,
                    }
                    queryset = model_class._default_manager.all()
                    kwargs["validators"] = [UniqueValidator(queryset=queryset, message=message)]
                return WeakKeyField, kwargs
            return WeakKeyListField, kwargs
        return super().build_field(field_name, info, model_class, nested_depth)

    @staticmethod
    def _weak_key_fields(model_class: type[models.Model]) -> dict[str, models.Field]:
        """Serializer field name -> weak field: ``customer_id``; ``tag_ids`` (or
        ``tags_ids``) for a many-valued weak relation ``tags``."""
        keys: dict[str, models.Field] = {f.attname: f for f in get_weak_fields(model_class)}
        many = _weak_many_fields()
        if many:
            for field in model_class._meta.get_fields():
                if isinstance(field, many):
                    keys[f"{field.name.removesuffix('s')}_ids"] = field
                    keys.setdefault(f"{field.name}_ids", field)
        return keys

    # -- output -------------------------------------------------------------------

    def to_representation(self, instance):
        tree = self.include_tree
        if tree and not is_prefetched(instance, tree):
            prefetch_related_objects([instance], *build_prefetches(tree, self.include_hook))
        return super().to_representation(instance)


def _child_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in LIST_SERIALIZER_KWARGS_REMOVE}


def _list_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    list_kwargs = {k: kwargs[k] for k in LIST_SERIALIZER_KWARGS_REMOVE if kwargs.get(k) is not None}
    list_kwargs.update({k: v for k, v in kwargs.items() if k in LIST_SERIALIZER_KWARGS})
    list_kwargs["child"] = kwargs["child"]
    return list_kwargs
