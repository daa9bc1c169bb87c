"""``IncludeModelSerializer``: a ModelSerializer that embeds relations on request.

``Meta.includes`` maps a relation name to the serializer that renders it (a class or
a dotted path, imported on first use). A relation appears in the output only when
the request includes it, and it is rendered from what was prefetched into
``_include_<name>``: rendering never queries per row. Each weak key listed in
``Meta.fields`` becomes a writable field: ``customer_id`` (``WeakForeignKey``),
``tags_ids`` (``WeakReferencesMany``, its own column) and ``patients_ids`` (the keys a
``WeakManyToManyField`` links, saved with the manager's ``set()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, models, transaction
from django.db.models import prefetch_related_objects
from django.db.models.fields import related_descriptors
from rest_framework import serializers
from rest_framework.serializers import LIST_SERIALIZER_KWARGS, LIST_SERIALIZER_KWARGS_REMOVE
from rest_framework.settings import api_settings
from rest_framework.validators import UniqueValidator

from weakrel import routing
from weakrel.exceptions import DanglingReferenceError
from weakrel.relations.foreign_key import WeakForeignKey
from weakrel.relations.foreign_key_descriptors import (
    ForwardWeakDescriptor,
    ReverseWeakOneDescriptor,
)
from weakrel.relations.generic import WeakGenericForeignKey
from weakrel.relations.many_to_many import ReverseWeakManyToMany, WeakManyToManyField
from weakrel.relations.references import WeakReferencesMany
from weakrel.rest_framework.fields import WeakKeyField, WeakKeyListField, WeakLinkListField
from weakrel.rest_framework.generic import GenericKeyField, generic_field
from weakrel.rest_framework.include import (
    INCLUDE_ATTR_PREFIX,
    IncludeTree,
    build_prefetches,
    default_include_queryset,
    get_includes,
    is_prefetched,
    serializer_model,
)
from weakrel.rest_framework.include_counts import count_attr, set_counts

__all__ = ["IncludeListSerializer", "IncludeModelSerializer"]

# Descriptors of relations that hold one object; every other relation holds many.
_SINGLE_DESCRIPTORS = (
    related_descriptors.ForwardManyToOneDescriptor,
    related_descriptors.ReverseOneToOneDescriptor,
    ForwardWeakDescriptor,
    ReverseWeakOneDescriptor,
    WeakGenericForeignKey,
)


def is_to_many(model: type[models.Model], name: str) -> bool:
    """Whether ``model.<name>`` is a relation to many rows (prefetched as a list)."""
    return not isinstance(getattr(model, name, None), _SINGLE_DESCRIPTORS)


class IncludeListSerializer(serializers.ListSerializer):
    """Prefetches the included relations of the whole list at once when the caller
    has not (a serializer used outside :class:`IncludeViewSetMixin`)."""

    def to_representation(self, data: Any) -> list[Any]:
        items = data.all() if isinstance(data, models.manager.BaseManager) else data
        items = list(items)
        child = cast("IncludeModelSerializer", self.child)  # the list of one
        if self.context.get(_PREPARED):  # nested: the outermost serializer read it all
            return [child.to_representation(item) for item in items]
        tree = child.include_tree
        if tree and items and not all(is_prefetched(item, tree) for item in items):
            prefetch_related_objects(items, *build_prefetches(tree, child.include_hook))
        prefetch_link_keys(child, items)
        with _prepared(self.context):
            return [child.to_representation(item) for item in items]


#: Context key set while the outermost serializer renders rows it has prepared.
_PREPARED = "weakrel_prepared"


@contextmanager
def _prepared(context: Any) -> Iterator[None]:
    """Within: every row beneath has its includes, link keys and counts read."""
    context[_PREPARED] = True
    try:
        yield
    finally:
        context.pop(_PREPARED, None)


class IncludeModelSerializer(serializers.ModelSerializer):
    """ModelSerializer with ``Meta.includes`` and writable weak key fields."""

    def __init__(self, *args: Any, include: IncludeTree | None = None, **kwargs: Any) -> None:
        self._include = include
        super().__init__(*args, **kwargs)

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> serializers.BaseSerializer[Any]:
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
        tree = self.context.get("include")
        return IncludeTree() if tree is None else tree

    @property
    def include_hook(self) -> Any:
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
        for name in getattr(self.include_tree, "counts", ()):
            fields[f"{name}_count"] = serializers.IntegerField(
                source=count_attr(name), read_only=True
            )
        return fields

    @property
    def _readable_fields(self):
        """The fields rendered: all, or those ``?fields=``/``?omit=`` leave (writes
        still see every field)."""
        readable = self.__dict__.get("_weakrel_readable")
        if readable is None:  # once per serializer, not per row
            tree = self.include_tree
            only, omit = getattr(tree, "fields", None), getattr(tree, "omit", ())
            counted = {f"{name}_count" for name in getattr(tree, "counts", ())}
            readable = self.__dict__["_weakrel_readable"] = [
                field
                for field in super()._readable_fields
                if field.field_name in counted
                or ((only is None or field.field_name in only) and field.field_name not in omit)
            ]
        return readable

    def build_field(
        self, field_name: str, info: Any, model_class: type[models.Model], nested_depth: int
    ) -> tuple[type[Any], dict[str, Any]]:
        keys = weak_key_fields(model_class)
        if field_name in keys:
            return keys[field_name]
        generic = generic_field(model_class, field_name)
        if generic is not None:
            return GenericKeyField, {"model_field": generic}
        many = _many_relation_names(model_class)
        if field_name in many:
            raise ImproperlyConfigured(
                f"{self.__class__.__name__}.Meta.fields names the relation {field_name!r} of "
                f"{model_class.__name__}; list its keys as {many[field_name]!r}, or render "
                f"the rows with Meta.includes."
            )
        return super().build_field(field_name, info, model_class, nested_depth)

    # -- writes -------------------------------------------------------------------

    def get_through_defaults(self, relation: str) -> dict[str, Any]:
        """Values for the through model's other fields when ``relation`` links rows:
        ``Meta.through_defaults[relation]`` (callables are called)."""
        meta = getattr(self, "Meta", None)
        return dict((getattr(meta, "through_defaults", None) or {}).get(relation, {}))

    def _pop_links(self, validated_data: dict[str, Any]) -> dict[WeakLinkListField, list]:
        return {
            field: validated_data.pop(field.source)
            for field in self._writable_fields
            if isinstance(field, WeakLinkListField) and field.source in validated_data
        }

    def _save_with_links(self, save, links: dict[WeakLinkListField, list]):
        """Run ``save()`` then write the links; a key that dangles by now is a 400."""
        try:
            return self._write(save, links)
        except DanglingReferenceError as exc:
            # The target went away between validation and save: still the client's error.
            name = getattr(exc.field, "attname", None)
            key = str(api_settings.NON_FIELD_ERRORS_KEY)
            if isinstance(name, str) and name in self.fields:
                key = name
            raise serializers.ValidationError({key: [str(exc)]}) from exc
        except IntegrityError as exc:
            # Another request wrote the same unique value since validation: validated
            # again now, the loser gets the 400 it would have got a moment later.
            try:
                self.run_validation(self.initial_data)
            except serializers.ValidationError as invalid:
                raise serializers.ValidationError(invalid.detail) from exc
            raise

    def _write(self, save, links: dict[WeakLinkListField, list]):
        """Run ``save()`` then write the links, all or nothing on both databases; a
        failed write leaves an enclosing transaction usable (a savepoint)."""
        if not links:
            with transaction.atomic(using=routing.db_for_write(self.Meta.model)):
                return save()
        aliases = {routing.db_for_write(self.Meta.model)}
        aliases |= {routing.db_for_write(field.near.model) for field in links}
        with ExitStack() as stack:
            for alias in sorted(aliases):
                stack.enter_context(transaction.atomic(using=alias))
            instance = save()
            for field, keys in links.items():
                manager = getattr(instance, field.relation)
                manager.set(keys, through_defaults=self.get_through_defaults(field.relation))
                instance.__dict__.pop(field.cache_attr, None)
        return instance

    def save(self, **kwargs: Any) -> models.Model:
        """Save, then forget what was prefetched for the instance before the write:
        the response is rendered from rows read again, with the request's includes."""
        instance = super().save(**kwargs)
        forget_prefetched(instance)
        return instance

    def create(self, validated_data: dict[str, Any]) -> models.Model:
        links = self._pop_links(validated_data)
        return self._save_with_links(
            lambda: super(IncludeModelSerializer, self).create(validated_data), links
        )

    def update(self, instance: models.Model, validated_data: dict[str, Any]) -> models.Model:
        links = self._pop_links(validated_data)
        return self._save_with_links(
            lambda: super(IncludeModelSerializer, self).update(instance, validated_data), links
        )

    # -- output -------------------------------------------------------------------

    def to_representation(self, instance: models.Model) -> dict[str, Any]:
        if self.context.get(_PREPARED):
            return super().to_representation(instance)
        tree = self.include_tree
        if tree and not is_prefetched(instance, tree):
            prefetch_related_objects([instance], *build_prefetches(tree, self.include_hook))
        prefetch_link_keys(self, [instance])
        with _prepared(self.context):
            return super().to_representation(instance)


def weak_key_fields(model_class: type[models.Model]) -> dict[str, tuple[type[Any], dict[str, Any]]]:
    """Serializer field name -> (field class, kwargs) for every weak key of the model.

    ``customer_id`` for a ``WeakForeignKey``, ``tags_ids`` (the column) for a
    ``WeakReferencesMany`` and ``<relation>_ids`` for either side of a
    ``WeakManyToManyField`` (``patients_ids``, ``physicians_ids``).
    """
    keys: dict[str, tuple[type[Any], dict[str, Any]]] = {}
    for field in model_class._meta.concrete_fields:
        if not isinstance(field, WeakForeignKey):
            continue
        kwargs: dict[str, Any] = {"model_field": field}
        if field.unique:
            message = field.error_messages["unique"] % {
                "model_name": model_class._meta.verbose_name,
                "field_label": field.verbose_name,
            }
            queryset = model_class._default_manager.all()
            kwargs["validators"] = [UniqueValidator(queryset=queryset, message=message)]
        keys[field.attname] = (WeakKeyField, kwargs)
    for found in model_class._meta.get_fields():
        if isinstance(found, WeakReferencesMany):
            keys[found.attname] = (WeakKeyListField, {"model_field": found})
        elif isinstance(found, WeakManyToManyField) and found.model is model_class:
            keys[f"{found.name}_ids"] = (WeakLinkListField, {"model_field": found})
        elif isinstance(found, ReverseWeakManyToMany) and not found.field.remote_field.hidden:
            kwargs = {"model_field": found.field, "reverse": True}
            keys[f"{found.field.accessor_name}_ids"] = (WeakLinkListField, kwargs)
    return keys


def forget_prefetched(instance: models.Model) -> None:
    """Drop the included rows, prefetches and cached related objects of ``instance``."""
    for attr in [a for a in vars(instance) if a.startswith(INCLUDE_ATTR_PREFIX)]:
        delattr(instance, attr)
    if getattr(instance, "_prefetched_objects_cache", None):
        instance._prefetched_objects_cache = {}  # type: ignore[attr-defined]  # as getattr saw
    instance._state.fields_cache.clear()


def prefetch_counts(serializer: IncludeModelSerializer, items: list[models.Model]) -> None:
    """``count=``: one query per counted relation for all of ``items``."""
    counts = getattr(serializer.include_tree, "counts", None)
    if not counts:
        return
    hook = serializer.include_hook or default_include_queryset
    model = serializer.Meta.model
    includes = get_includes(type(serializer))
    for name, scope in counts.items():
        missing = [item for item in items if not hasattr(item, count_attr(name))]
        if missing:
            # resolve_includes() keeps only serializers of a model.
            related = cast("type[models.Model]", serializer_model(includes[name]))
            queryset = scope.filter(hook(scope.path, related._default_manager.all()))
            set_counts(model, name, missing, queryset)


def prefetch_link_keys(serializer: IncludeModelSerializer, items: list[models.Model]) -> None:
    """Read the ``patients_ids`` and the counts of ``items`` and of every included row
    beneath them: one query per key list field (or count) per level, not one per row."""
    if not items:
        return
    prefetch_counts(serializer, items)
    for field in serializer._readable_fields:
        if isinstance(field, WeakLinkListField):
            missing = [item for item in items if not hasattr(item, field.cache_attr)]
            if missing:
                field.prefetch_keys(missing)
        nested = getattr(field, "child", field)
        if isinstance(nested, IncludeModelSerializer) and field.source.startswith("_include_"):
            rows: list[models.Model] = []
            for item in items:
                value = getattr(item, field.source, None)
                if isinstance(value, list):
                    rows.extend(value)
                elif value is not None:
                    rows.append(value)
            prefetch_link_keys(nested, rows)


def _many_relation_names(model_class: type[models.Model]) -> dict[str, str]:
    """Relation name -> its key field name, for the many-valued weak relations."""
    return {
        name.removesuffix("_ids"): name
        for name, (cls, _kwargs) in weak_key_fields(model_class).items()
        if cls is not WeakKeyField
    }


def _child_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in LIST_SERIALIZER_KWARGS_REMOVE}


def _list_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    list_kwargs = {k: kwargs[k] for k in LIST_SERIALIZER_KWARGS_REMOVE if kwargs.get(k) is not None}
    list_kwargs.update({k: v for k, v in kwargs.items() if k in LIST_SERIALIZER_KWARGS})
    list_kwargs["child"] = kwargs["child"]
    return list_kwargs
