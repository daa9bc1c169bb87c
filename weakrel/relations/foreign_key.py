"""BelongsTo, HasMany and HasOne: a key column naming one row of another database.

Given::

    class Customer(Model):                       # database "default"
        pass

    class Order(Model):                          # database "orders"
        customer = WeakForeignKey(Customer, CASCADE, related_name="orders")

    class Profile(Model):                        # any database
        customer = WeakOneToOneField(Customer, CASCADE, related_name="profile")

``WeakForeignKey`` (BelongsTo) and ``WeakOneToOneField`` (HasOne) are concrete
columns holding the target's key, like ``ForeignKey``'s ``<name>_id``, but Django's
ORM does not treat them as relations: no database constraint, no join, no
``allow_relation`` check. This module says what differs from the other kinds:

* the column's type and values (the target key's, through :class:`TargetKey`);
* the save check and ``full_clean()`` check of one key per row;
* ``on_delete`` for the rows whose key names a deleted target;
and, in the modules beside it, ``ReverseWeakRelation``, the target's private field,
which Django's deletion ``Collector`` meets and which the target filters through
(``foreign_key_reverse``), the accessors (``foreign_key_descriptors``) and the HasMany
related manager (``foreign_key_managers``).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from django.core import checks, exceptions
from django.db import models
from django.db.models import CASCADE, DO_NOTHING, PROTECT, RESTRICT, SET_DEFAULT, SET_NULL
from django.db.models.query_utils import check_rel_lookup_compatibility
from django.utils.translation import gettext_lazy as _

from weakrel import lookups
from weakrel.base import WeakRel
from weakrel.deletion import CASCADE_LATER, WeakCollector, collector_hook
from weakrel.generics import _GT, _M, _ST
from weakrel.keys import sorted_keys
from weakrel.on_delete import is_set, set_value
from weakrel.relations.foreign_key_descriptors import (
    CachedTarget,
    ForwardWeakDescriptor,
    ReverseWeakManyDescriptor,
    ReverseWeakOneDescriptor,
)
from weakrel.relations.foreign_key_enforcement import KeyEnforcement
from weakrel.relations.foreign_key_reverse import ReverseWeakRelation

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from django.db.backends.base.base import BaseDatabaseWrapper

    from weakrel.reverse import ReverseSide

ON_DELETE = (CASCADE, CASCADE_LATER, PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, DO_NOTHING)


class WeakForeignKey(KeyEnforcement[_ST, _GT], models.Field):
    """BelongsTo: a key column pointing at a row of ``to``, in any database.

    ``order.customer`` loads the target through the router, ``order.customer_id`` is
    the raw key, ``customer.orders`` is a related manager over Order's database.
    A type checker sees ``WeakForeignKey[Customer, Customer]``, or
    ``[Customer | None, Customer | None]`` with ``null=True``, as ``ForeignKey``'s.
    """

    empty_strings_allowed = False
    db_index: bool
    # Read by Django's schema editor: weak keys never get a database constraint.
    db_constraint = False
    migration_path = "weakrel.fields.WeakForeignKey"
    reverse_descriptor_class: type = ReverseWeakManyDescriptor
    supported_on_delete = ON_DELETE
    default_error_messages = {
        "invalid": _("%(model)s instance with %(field)s %(value)r does not exist."),
    }
    description = _("Weak reference (type determined by related field)")
    # Read by QuerySet._known_related_objects (the key lives in this field's attname) and
    # by the migration autodetector, which renames them like a ForeignObject's.
    from_fields = ("self",)

    @overload
    def __init__(
        self: WeakForeignKey[_M | None, _M | None],
        to: type[_M],
        on_delete: Callable[..., Any],
        *,
        null: Literal[True],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: WeakForeignKey[_M, _M], to: type[_M], on_delete: Callable[..., Any], **kwargs: Any
    ) -> None: ...
    @overload
    def __init__(
        self: WeakForeignKey[Any, Any], to: str, on_delete: Callable[..., Any], **kwargs: Any
    ) -> None: ...
    def __init__(
        self,
        to: type[models.Model] | str,
        on_delete: Callable[..., Any],
        *,
        related_name: str | None = None,
        related_query_name: str | None = None,
        to_field: str | None = None,
        null: bool = False,
        blank: bool = False,
        enforce: bool = True,
        db_index: bool = True,
        limit_choices_to: dict[str, Any] | models.Q | Callable[[], Any] | None = None,
        swappable: bool = True,
        db_constraint: bool = False,
        **kwargs: Any,
    ) -> None:
        if db_constraint:
            raise ValueError("A weak key never has a database constraint: db_constraint=False.")
        if not callable(on_delete):
            raise TypeError("on_delete must be callable.")
        if not isinstance(to, str) and not (isinstance(to, type) and issubclass(to, models.Model)):
            raise TypeError(
                f"{self.__class__.__name__}({to!r}) is invalid. First parameter must be "
                "either a model, a model name, or the string 'self'."
            )
        self.on_delete = on_delete
        self.enforce = enforce
        self.to_fields = (to_field,)
        self.swappable = swappable
        kwargs["rel"] = WeakRel(
            self, to, to_field, related_name, related_query_name, collector_hook(on_delete)
        )
        kwargs["rel"].limit_choices_to = limit_choices_to or {}
        super().__init__(null=null, blank=blank, db_index=db_index, **kwargs)
        # A column of keys, not a relation Django should join through or cascade on.
        self.is_relation = False

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def resolve_related(self, target: type[models.Model], *others: type[models.Model]) -> None:
        # As ForeignKey does: the key field is named even when it is the primary key
        # (model formsets and inline formsets read remote_field.field_name).
        if self.remote_field.field_name is None:
            self.remote_field.field_name = target._meta.pk.name
        super().resolve_related(target, *others)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        if not cls._meta.abstract:
            CachedTarget(self).contribute_to_class(
                cls, f"_weakrel_{name}_cache+", private_only=True
            )

    def forward_descriptor(self) -> ForwardWeakDescriptor:
        return ForwardWeakDescriptor(self)

    def reverse_field(self) -> ReverseWeakRelation:
        return ReverseWeakRelation(self)

    def reverse_descriptor(self, reverse: ReverseSide) -> Any:
        return self.reverse_descriptor_class(reverse)

    @cached_property
    def target_field(self) -> models.Field:
        """The target's key field (Django's name for it on a ``ForeignKey``)."""
        return self.key_field

    @property
    def foreign_related_fields(self) -> tuple[models.Field, ...]:
        # Read by Django's deletion Collector when it defers unneeded columns.
        return (self.target_field,)

    # -- column type and values ---------------------------------------------------

    def get_internal_type(self) -> str:
        return self.target_key.internal_type

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return self.target_field.rel_db_type(connection=connection)

    def db_check(self, connection: BaseDatabaseWrapper) -> None:
        return None

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        target = self.target_field.db_parameters(connection)
        return {
            "type": self.db_type(connection),
            "check": None,
            "collation": target.get("collation"),
        }

    def cast_db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        return self.target_field.cast_db_type(connection=connection)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, models.Model):
            return self.key_of(value)
        return self.target_key.to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        """A key for a query: refused with ``ValueError``, as Django refuses a value its
        field cannot prepare, or an instance of another model."""
        value = super().get_prep_value(value)
        if value is None:
            return None
        if isinstance(value, models.Model):
            if not check_rel_lookup_compatibility(type(value), self.related_model._meta, self):
                raise ValueError(
                    f'Cannot query "{value}": Must be "{self.related_model._meta.object_name}" '
                    "instance."
                )
            return self.target_field.get_prep_value(self._key_of_related(value))
        try:
            key = self.target_key.to_python(value)
        except exceptions.ValidationError as exc:
            raise ValueError(exc.messages[0]) from exc
        return self.target_field.get_prep_value(key)

    def _key_of_related(self, obj: models.Model) -> Any:
        """The key of ``obj``, a target or an instance of its parent or child: up the
        parent links while ``obj`` is not of the key field's model, as Django does."""
        source = self.target_field
        while not isinstance(obj, source.model) and source.remote_field:
            remote = source.remote_field
            source = remote.model._meta.get_field(remote.field_name)
        return getattr(obj, source.attname, obj.pk)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        value = self.target_field.get_db_prep_value(value, connection, prepared=True)
        if not self.target_key.in_range(value, connection.alias):
            low, high = self.target_key.column_range(connection.alias) or (None, None)
            raise ValueError(
                f"{self.model.__name__}.{self.name}: key {value} is out of range for "
                f"the key column on database {connection.alias!r} ({low} to {high})."
            )
        return value

    def get_default(self) -> Any:
        value = super().get_default()
        if isinstance(value, models.Model):
            return self.key_of(value)
        return value

    def value_from_object(self, obj: models.Model) -> Any:
        return getattr(obj, self.attname)

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        setattr(instance, self.name, data)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        if not self.target_resolved:
            return None
        defaults = {
            "form_class": forms.ModelChoiceField,
            "queryset": self.related_model._default_manager.all(),
            "to_field_name": self.remote_field.field_name,
            "limit_choices_to": self.remote_field.limit_choices_to,
        }
        defaults.update(kwargs)
        return super().formfield(**defaults)

    # -- deletion -------------------------------------------------------------------

    def collect_dependents(self, collector: WeakCollector, targets: list[models.Model]) -> None:
        """Apply ``on_delete`` to the rows pointing at ``targets`` (being deleted)."""
        if self.on_delete is DO_NOTHING:
            return
        keys = sorted_keys({self.key_of(target) for target in targets} - {None})
        alias = collector.alias_for(self, targets)
        # One statement whatever the number of keys, read from rows: no conversion.
        dependents = lookups.filter_keys(self.model._base_manager.using(alias), self.attname, keys)
        if self.on_delete in (CASCADE, CASCADE_LATER):
            collector.add_cascade(alias, dependents, later=self.on_delete is CASCADE_LATER)
        elif self.on_delete is PROTECT:
            collector.add_protected(self, list(dependents))
        elif self.on_delete is RESTRICT:
            collector.add_restricted(alias, self, list(dependents))
        elif self.on_delete in (SET_NULL, SET_DEFAULT) or is_set(self.on_delete):
            collector.add_field_update(alias, self, set_value(self), dependents)
        else:
            raise ValueError(f"Unsupported on_delete for {self}: {self.on_delete!r}")

    # -- lookups ----------------------------------------------------------------

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "in":
            return lookups.WeakIn
        if self.target_resolved and isinstance(self.target_field, models.IntegerField):
            # Django's integer lookups: a key out of the column's range matches nothing.
            return self.target_field.get_lookup(lookup_name)
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str) -> Any:
        transform = super().get_transform(name)
        if transform is not None or not self.target_resolved:
            return transform
        if name in ("pk", self.target_field.name, self.target_field.attname):
            return lookups.KeyTransform
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            return None
        return lookups.related_path(name)

    # -- migrations and checks ------------------------------------------------------

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["on_delete"] = self.on_delete
        # As ForeignKey's: a to_field naming the target's primary key is left out.
        field_name = self.remote_field.field_name
        pk = getattr(getattr(self.remote_field.model, "_meta", None), "pk", None)
        if field_name is not None and (pk is None or field_name != pk.name):
            kwargs["to_field"] = field_name
        if not self.enforce:
            kwargs["enforce"] = False
        if self.db_index:
            kwargs.pop("db_index", None)
        else:
            kwargs["db_index"] = False
        if self.remote_field.limit_choices_to:
            kwargs["limit_choices_to"] = self.remote_field.limit_choices_to
        return name, path, args, kwargs

    def _check_relation(self) -> list[checks.CheckMessage]:
        return [*super()._check_relation(), *self._check_db_index_kept()]

    def _check_on_delete(self) -> list[checks.CheckMessage]:
        if is_set(self.on_delete):  # Django's SET(value): any value, as for ForeignKey
            return []
        return super()._check_on_delete()

    def _check_db_index_kept(self) -> list[checks.CheckMessage]:
        if self.db_index or self.unique:
            return []
        return [
            checks.Warning(
                "Weak key declared with db_index=False.",
                hint="Every prefetch, filter and on_delete cascade looks this column up; "
                "keep the index unless another index covers it.",
                obj=self,
                id="weakrel.W001",
            )
        ]


class WeakOneToOneField(WeakForeignKey[_ST, _GT]):
    """HasOne: a unique weak key; the target's reverse accessor returns one object."""

    one_to_one_relation = True
    migration_path = "weakrel.fields.WeakOneToOneField"
    reverse_descriptor_class = ReverseWeakOneDescriptor
    description = _("Weak one-to-one reference")

    @overload
    def __init__(
        self: WeakOneToOneField[_M | None, _M | None],
        to: type[_M],
        on_delete: Callable[..., Any],
        *,
        null: Literal[True],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: WeakOneToOneField[_M, _M], to: type[_M], on_delete: Callable[..., Any], **kwargs: Any
    ) -> None: ...
    @overload
    def __init__(
        self: WeakOneToOneField[Any, Any], to: str, on_delete: Callable[..., Any], **kwargs: Any
    ) -> None: ...
    def __init__(self, to: Any, on_delete: Callable[..., Any], **kwargs: Any) -> None:
        kwargs["unique"] = True
        super().__init__(to, on_delete, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("unique", None)
        return name, path, args, kwargs
