"""Accessors for weak relations, after django.db.models.fields.related_descriptors.

Given::

    class Customer(Model):                       # database "default"
        pass

    class Order(Model):                          # database "orders"
        customer = WeakForeignKey(Customer, CASCADE, related_name="orders")

    class Profile(Model):                        # any database
        customer = WeakOneToOneField(Customer, CASCADE, related_name="profile")

* ``ForwardWeakDescriptor`` is ``Order.customer`` (and ``Profile.customer``): it loads
  the target from the database the router picks for Customer and caches it on the
  instance; assignment sets ``customer_id`` whatever database the target came from.
* ``ReverseWeakManyDescriptor`` is ``Customer.orders``: it returns a related manager
  over Order's database (``managers.create_weak_reverse_manager``).
* ``ReverseWeakOneDescriptor`` is ``Customer.profile``: it returns the one Profile
  or raises ``Profile.DoesNotExist``.

Each knows how to prefetch (``get_prefetch_querysets``), one query per level.
"""

from __future__ import annotations

from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from weakrel.routing import database_errors, prefetch_queryset

if TYPE_CHECKING:
    from weakrel.fields import ReverseWeakRelation, WeakForeignKey

_MISSING = object()


class ForwardWeakDescriptor:
    """``order.customer``: the target row, read through the router and cached."""

    def __init__(self, field: WeakForeignKey) -> None:
        self.field = field

    @cached_property
    def RelatedObjectDoesNotExist(self) -> type[Exception]:
        # Like Django's: catchable as Customer.DoesNotExist and as AttributeError.
        return type(
            "RelatedObjectDoesNotExist",
            (self.field.related_model.DoesNotExist, AttributeError),
            {
                "__module__": self.field.model.__module__,
                "__qualname__": f"{self.field.model.__qualname__}.{self.field.name}."
                "RelatedObjectDoesNotExist",
            },
        )

    def is_cached(self, instance: Model) -> bool:
        cached = self.field.get_cached_value(instance, _MISSING)
        if cached is _MISSING:
            return False
        key = instance.__dict__.get(self.field.attname)
        return (cached is None and key is None) or (
            cached is not None and self.field.key_of(cached) == key
        )

    def get_queryset(self, **hints: Any):
        return self.field.related_model._base_manager.db_manager(hints=hints).all()

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.field
        instance_attr = attrgetter(field.attname)
        rel_obj_attr = attrgetter(field.target_field.attname)
        queryset = prefetch_queryset(
            querysets, self.get_queryset, instances, instance_attr, field.target_field.name
        )
        return queryset, rel_obj_attr, instance_attr, True, field.cache_name, False

    def __get__(self, instance: Model | None, cls=None):
        if instance is None:
            return self
        field = self.field
        key = getattr(instance, field.attname)
        cached = field.get_cached_value(instance, _MISSING)
        if cached is not _MISSING:
            if cached is None and key is None:
                return None
            if cached is not None and field.key_of(cached) == key:
                return cached
        if key is None:
            obj = None
        else:
            qs = self.get_queryset(instance=instance)
            try:
                with database_errors(qs.db, f"reading {field.model.__name__}.{field.name}"):
                    obj = qs.get(**{field.target_field.attname: key})
            except field.related_model.DoesNotExist:
                raise self.RelatedObjectDoesNotExist(
                    f"{field.model.__name__}.{field.name} points to "
                    f"{field.related_model.__name__} {field.target_field.name}={key!r}, "
                    f"which does not exist in database {qs.db!r}."
                ) from None
        field.set_cached_value(instance, obj)
        if obj is None and not field.null:
            raise self.RelatedObjectDoesNotExist(f"{field.model.__name__} has no {field.name}.")
        return obj

    def __set__(self, instance: Model, value: Any) -> None:
        field = self.field
        if value is None:
            setattr(instance, field.attname, None)
            field.set_cached_value(instance, None)
            return
        if isinstance(value, Model):
            if not isinstance(value, field.related_model._meta.concrete_model):
                raise ValueError(
                    f'Cannot assign "{value!r}": "{field.model.__name__}.{field.name}" '
                    f'must be a "{field.related_model._meta.object_name}" instance.'
                )
            setattr(instance, field.attname, field.key_of(value))
            field.set_cached_value(instance, value)
            return
        # A raw key (fixtures, forms): keep it, forget any cached object.
        setattr(instance, field.attname, value)
        if field.is_cached(instance):
            field.delete_cached_value(instance)


class ReverseWeakOneDescriptor:
    """``customer.profile``: the one row whose unique weak key names this customer."""

    def __init__(self, rel: ReverseWeakRelation) -> None:
        self.rel = rel
        self.field = rel.field

    @cached_property
    def RelatedObjectDoesNotExist(self) -> type[Exception]:
        return type(
            "RelatedObjectDoesNotExist",
            (self.field.model.DoesNotExist, AttributeError),
            {
                "__module__": self.rel.model.__module__,
                "__qualname__": f"{self.rel.model.__qualname__}.{self.field.accessor_name}."
                "RelatedObjectDoesNotExist",
            },
        )

    @property
    def cache_name(self) -> str:
        return self.field.accessor_name

    def is_cached(self, instance: Model) -> bool:
        return self.cache_name in instance._state.fields_cache

    def get_queryset(self, **hints: Any):
        return self.field.model._base_manager.db_manager(hints=hints).all()

    def get_prefetch_querysets(self, instances, querysets=None):
        field = self.field
        rel_obj_attr = attrgetter(field.attname)
        instance_attr = attrgetter(field.target_field.attname)
        queryset = prefetch_queryset(
            querysets, self.get_queryset, instances, instance_attr, field.attname
        )
        return queryset, rel_obj_attr, instance_attr, True, self.cache_name, False

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
            instance._state.fields_cache.pop(self.cache_name, None)
            return
        if not isinstance(value, self.field.model):
            raise ValueError(
                f'Cannot assign "{value!r}": "{instance.__class__.__name__}.'
                f'{self.cache_name}" must be a "{self.field.model.__name__}" instance.'
            )
        setattr(value, self.field.name, instance)
        instance._state.fields_cache[self.cache_name] = value


class RelatedManagerDescriptor:
    """An accessor that hands out a related manager bound to the instance.

    Subclasses build ``related_manager_cls`` once, from the default manager class of
    the model the manager reads, like Django's ``ReverseManyToOneDescriptor``.
    """

    related_manager_cls: type

    def __get__(self, instance: Model | None, cls=None):
        if instance is None:
            return self
        return self.related_manager_cls(instance)


class ReverseWeakManyDescriptor(RelatedManagerDescriptor):
    """``customer.orders``: a related manager over the dependents' database."""

    def __init__(self, rel: ReverseWeakRelation) -> None:
        self.rel = rel
        self.field = rel.field

    @cached_property
    def related_manager_cls(self):
        from weakrel.managers import create_weak_reverse_manager

        return create_weak_reverse_manager(self.field.model._default_manager.__class__, self.field)

    def __set__(self, instance: Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Use {self.field.accessor_name}.set() instead."
        )
