"""Accessors of a weak key, after django.db.models.fields.related_descriptors.

With ``Order.customer = WeakForeignKey(Customer, related_name="orders")`` and
``Profile.customer = WeakOneToOneField(Customer, related_name="profile")``:

* ``ForwardWeakDescriptor`` is ``Order.customer`` (and ``Profile.customer``): it loads
  the target from the database the router picks for Customer and caches it on the
  instance; assignment sets ``customer_id`` whatever database the target came from.
* ``ReverseWeakManyDescriptor`` is ``Customer.orders``: it hands out a
  ``HasManyManager`` (``foreign_key_managers``) over Order's database.
* ``ReverseWeakOneDescriptor`` is ``Customer.profile``: it returns the one Profile
  or raises ``Profile.DoesNotExist``.
* ``CachedTarget`` is a private companion of ``Order.customer`` through which
  ``refresh_from_db()`` forgets the cached customer.

Each prefetches through the core's one fan-out (``weakrel.related.prefetch``).
"""

from __future__ import annotations

from functools import cached_property
from operator import attrgetter
from typing import Any, cast

from django.db.models import Field, Model
from django.db.models.fields.mixins import FieldCacheMixin

from weakrel.base import WeakRelationField
from weakrel.related import RelatedManagerDescriptor, prefetch
from weakrel.relations.foreign_key_managers import HasManyManager, NullableHasManyManager
from weakrel.reverse import ReverseSide
from weakrel.routing import database_errors, db_for_read

_MISSING = object()


def does_not_exist_class(base: type[Exception], model: type[Model], name: str) -> type:
    """Like Django's ``RelatedObjectDoesNotExist``: catchable as ``base`` and as
    ``AttributeError``."""
    return type(
        "RelatedObjectDoesNotExist",
        (base, AttributeError),
        {
            "__module__": model.__module__,
            "__qualname__": f"{model.__qualname__}.{name}.RelatedObjectDoesNotExist",
        },
    )


def _links(key_attname: str, instance_key: Any, *, ordered: bool = True) -> Any:
    """Prefetch links: the rows whose ``key_attname`` is the key of an instance.

    Each instance gets one row for a forward key: as Django does there, the rows'
    ordering is dropped when the query allows it (``ordered=False``).
    """

    def links(queryset, instances, fetch):
        keys = {instance_key(instance) for instance in instances} - {None}
        if not ordered:
            queryset.query.clear_ordering()
        return fetch(queryset, key_attname, sorted(keys, key=str))

    return links


def pending_name(field) -> str:
    """Where an instance keeps a target assigned before it was saved."""
    return f"_weakrel_pending_{field.name}"


class CachedTarget(FieldCacheMixin, Field):
    """A private companion of a weak key whose only job is ``refresh_from_db()``.

    Django's ``refresh_from_db()`` forgets the cached objects of the private fields
    that are relations (``GenericForeignKey``'s); this one answers for the weak key's
    cached target, so a refresh reloads it, as for a ``ForeignKey``. It has no column,
    no form field and no migration, and takes part in nothing else.
    """

    auto_created = False
    concrete = False
    many_to_many = False
    many_to_one = False
    one_to_many = True  # kept out of _meta.fields, like GenericRelation
    one_to_one = False
    related_model = None

    def __init__(self, key: WeakRelationField[Any, Any]) -> None:
        self.key = key
        super().__init__(editable=False, serialize=False, blank=True, null=True)
        self.is_relation = True

    @property
    def cache_name(self) -> str:
        return self.key.cache_name

    def contribute_to_class(self, cls, name, private_only=True, **kwargs):
        # Always private, the copies Django makes for proxies and children included.
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def get_attname_column(self):
        return self.get_attname(), None

    def deconstruct(self):  # never migrated: it exists only on model classes
        name, path, args, kwargs = super().deconstruct()
        return name, path, [self.key], {}


class ForwardWeakDescriptor:
    """``order.customer``: the target row, read through the router and cached."""

    def __init__(self, field: WeakRelationField) -> None:
        self.field = field
        self.pending_name = pending_name(field)

    @cached_property
    def RelatedObjectDoesNotExist(self) -> type[Exception]:
        field = self.field
        # DoesNotExist is added to each model class; django-stubs declares it per model.
        target_missing = field.related_model.DoesNotExist  # type: ignore[attr-defined]
        return does_not_exist_class(target_missing, field.model, field.name)

    def is_cached(self, instance: Model) -> bool:
        cached = self.field.get_cached_value(instance, _MISSING)
        return cached is not _MISSING and self._matches(cached, instance)

    def _matches(self, cached: Model | None, instance: Model) -> bool:
        key = instance.__dict__.get(self.field.attname)
        if cached is None:
            return key is None
        return self.field.key_of(cached) == key

    def get_queryset(self, **hints: Any):
        model = self.field.related_model
        return model._base_manager.db_manager(db_for_read(model, **hints), hints=hints).all()

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.field
        target = field.key_field.attname
        instance_attr = attrgetter(field.attname)
        links = _links(target, instance_attr, ordered=False)
        rows, rel_obj_attr = prefetch(
            querysets, self.get_queryset, instances, links, partition=target
        )
        return rows, rel_obj_attr, instance_attr, True, field.cache_name, False

    def __get__(self, instance: Model | None, cls=None):
        if instance is None:
            return self
        field = self.field
        cached = field.get_cached_value(instance, _MISSING)
        if cached is not _MISSING and self._matches(cached, instance):
            return cached
        key = getattr(instance, field.attname)
        obj = None
        if key is not None:
            qs = self.get_queryset(instance=instance)
            try:
                with database_errors(qs.db, f"reading {field.model.__name__}.{field.name}"):
                    obj = qs.get(**{field.key_field.attname: key})
            except field.related_model.DoesNotExist:  # type: ignore[attr-defined]  # see above
                raise self.RelatedObjectDoesNotExist(
                    f"{field.model.__name__}.{field.name} points to "
                    f"{field.related_model.__name__} {field.key_field.name}={key!r}, "
                    f"which does not exist in database {qs.db!r}."
                ) from None
        field.set_cached_value(instance, obj)
        self._cache_reverse(obj, instance)
        if obj is None and not field.null:
            raise self.RelatedObjectDoesNotExist(f"{field.model.__name__} has no {field.name}.")
        return obj

    def _cache_reverse(self, target: Model | None, instance: Model | None) -> None:
        """HasOne: the target's reverse accessor is ``instance``, as in Django."""
        field = self.field
        if target is not None and field.one_to_one_relation and not field.remote_field.hidden:
            target._state.fields_cache[field.accessor_name] = instance

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        # A target assigned before it was saved counts until the next assignment.
        instance.__dict__.pop(self.pending_name, None)
        if value is None:
            # The target this row pointed at has no such row any more.
            self._cache_reverse(field.get_cached_value(instance, None), None)
            setattr(instance, field.attname, None)
            field.set_cached_value(instance, None)
            return
        if isinstance(value, Model):
            if not isinstance(value, cast("type[Model]", field.related_model._meta.concrete_model)):
                raise ValueError(
                    f'Cannot assign "{value!r}": "{field.model.__name__}.{field.name}" '
                    f'must be a "{field.related_model._meta.object_name}" instance.'
                )
            setattr(instance, field.attname, field.key_of(value))
            field.set_cached_value(instance, value)
            self._cache_reverse(value, instance)
            if value._state.adding:
                # Saved later, before the instance is: save() then takes its key.
                instance.__dict__[self.pending_name] = value
            return
        # A raw key (fixtures, forms): keep it, forget any cached object.
        setattr(instance, field.attname, value)
        if field.is_cached(instance):
            field.delete_cached_value(instance)


class ReverseWeakOneDescriptor:
    """``customer.profile``: the one row whose unique weak key names this customer."""

    def __init__(self, rel: ReverseSide) -> None:
        self.rel = rel
        self.field = rel.field

    @cached_property
    def RelatedObjectDoesNotExist(self) -> type[Exception]:
        return does_not_exist_class(self.field.model.DoesNotExist, self.rel.model, self.cache_name)

    @property
    def cache_name(self) -> str:
        return self.field.accessor_name

    def is_cached(self, instance: Model) -> bool:
        return self.cache_name in instance._state.fields_cache

    def get_queryset(self, **hints: Any):
        model = self.field.model
        return model._base_manager.db_manager(db_for_read(model, **hints), hints=hints).all()

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.field
        links = _links(field.attname, field.key_of)
        rows, rel_obj_attr = prefetch(
            querysets, self.get_queryset, instances, links, partition=field.attname
        )
        return rows, rel_obj_attr, field.key_of, True, self.cache_name, False

    def __get__(self, instance: Model | None, cls=None):
        if instance is None:
            return self
        cache = instance._state.fields_cache
        try:
            obj = cache[self.cache_name]
        except KeyError:
            key = self.field.key_of(instance)
            obj = None
            if key is not None:
                qs = self.get_queryset(instance=instance)
                try:
                    with database_errors(qs.db, f"reading {self.cache_name}"):
                        obj = qs.get(**{self.field.attname: key})
                except self.field.model.DoesNotExist:
                    obj = None
                else:
                    self.field.set_cached_value(obj, instance)
            cache[self.cache_name] = obj
        if obj is None:
            raise self.RelatedObjectDoesNotExist(
                f"{instance.__class__.__name__} has no {self.cache_name}."
            )
        return obj

    def __set__(self, instance: Model, value: Model | None) -> None:
        if value is None:
            # As Django: the row that pointed here no longer does (unsaved).
            previous = instance._state.fields_cache.pop(self.cache_name, None)
            if previous is not None:
                setattr(previous, self.field.name, None)
            return
        if not isinstance(value, self.field.model):
            raise ValueError(
                f'Cannot assign "{value!r}": "{instance.__class__.__name__}.'
                f'{self.cache_name}" must be a "{self.field.model.__name__}" instance.'
            )
        setattr(value, self.field.name, instance)
        instance._state.fields_cache[self.cache_name] = value


class ReverseWeakManyDescriptor(RelatedManagerDescriptor):
    """``customer.orders``: a related manager over the dependents' database."""

    def __init__(self, rel: ReverseSide) -> None:
        self.rel = rel
        self.field = rel.field

    @property
    def manager_kind(self) -> type[HasManyManager]:
        return NullableHasManyManager if self.field.null else HasManyManager

    def manager_model(self) -> type[Model]:
        return self.field.model

    def manager_attrs(self) -> dict[str, Any]:
        field = self.field
        # Read for every instance a prefetch fills: worked out once per class.
        key = attrgetter(field.key_field.attname)
        return {
            "field": field,
            "cache_name": field.accessor_name,
            "partition": field.attname,
            "near_key": key,
            "instance_token": key,
        }

    def __set__(self, instance: Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Use {self.field.accessor_name}.set() instead."
        )
