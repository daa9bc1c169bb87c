"""Weak relation fields: keys to rows in another database, enforced by weakrel.

``WeakForeignKey`` (BelongsTo) and ``WeakOneToOneField`` (HasOne) are concrete
columns holding the target's key, like ``ForeignKey``'s ``<name>_id``, but Django's
ORM does not treat them as relations: no database constraint, no join, no
``allow_relation`` check. weakrel adds back what the constraint gave:

* a forward descriptor and, on the target, a reverse descriptor and related manager
  (``descriptors.py``, ``managers.py``);
* a private :class:`ReverseWeakRelation` field on the target, which lets Django's
  deletion ``Collector`` hand cross-database ``on_delete`` work to weakrel
  (``deletion.py``) and lets the target filter through the relation;
* lookups that resolve a path in the target's database first (``lookups.py``);
* an existence check on save (``enforcement.py``) and in ``full_clean()``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core import checks, exceptions
from django.db import models, router
from django.db.models import DO_NOTHING, PROTECT, RESTRICT, SET_DEFAULT, SET_NULL
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.fields.related import lazy_related_operation
from django.db.models.lookups import Transform
from django.utils.translation import gettext_lazy as _

from weakrel import deletion, enforcement, lookups
from weakrel.descriptors import (
    ForwardWeakDescriptor,
    ReverseWeakManyDescriptor,
    ReverseWeakOneDescriptor,
)

if TYPE_CHECKING:
    from collections.abc import Callable

# What a key column stores for each kind of target key: AutoFields become plain integers.
_KEY_INTERNAL_TYPES = {
    "AutoField": "IntegerField",
    "BigAutoField": "BigIntegerField",
    "SmallAutoField": "SmallIntegerField",
}


class WeakRel:
    """The ``remote_field`` of a weak relation.

    Django's migration autodetector reads ``model``, ``field_name`` and
    ``parent_link`` here to order migrations; Django's deletion collector reads
    ``on_delete``, which is weakrel's hook rather than the user's choice (that one is
    ``field.on_delete``), so Django never acts on another database by itself.
    """

    through = None
    multiple = True
    symmetrical = False
    limit_choices_to: dict = {}

    def __init__(
        self,
        field: WeakForeignKey,
        to: Any,
        field_name: str | None,
        related_name: str | None,
        related_query_name: str | None,
        on_delete: Callable,
    ) -> None:
        self.field = field
        self.model = to
        self.field_name = field_name
        self.related_name = related_name
        self.related_query_name = related_query_name
        self.on_delete = DO_NOTHING if on_delete is DO_NOTHING else deletion.weak_on_delete

    def is_hidden(self) -> bool:
        return bool(self.related_name) and self.related_name[-1] == "+"

    hidden = property(is_hidden)

    @property
    def parent_link(self) -> bool:
        """True on a model class, so a bare ``select_related()`` never joins a weak key.

        Django's compiler skips relations marked as parent links. The migration
        autodetector reads unbound clones of the field, where this stays False, so a
        migration still depends on the one that creates the target.
        """
        return hasattr(self.field, "model")


class WeakRelationField:
    """What every weak relation field shares: its reverse names, and how it wires
    itself and its reverse side onto model classes once the target is known.

    A field builds the private field it adds to the target in ``reverse_field()``,
    and its descriptors in ``forward_descriptor()`` / ``reverse_descriptor()``.
    """

    one_to_one_relation = False

    def forward_descriptor(self) -> Any:
        raise NotImplementedError

    def reverse_field(self) -> models.Field:
        raise NotImplementedError

    def reverse_descriptor(self, reverse: models.Field) -> Any:
        raise NotImplementedError

    def related_models(self) -> tuple[Any, ...]:
        """The models to wait for before the relation resolves (lazy references)."""
        return (self.remote_field.model,)

    def resolve_related(self, target: type[models.Model], *others: type[models.Model]) -> None:
        self.remote_field.model = target
        self.contribute_to_related_class(target)

    def contribute_to_class(self, cls, name, private_only=False, **kwargs):
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        setattr(cls, self.name, self.forward_descriptor())
        if cls._meta.abstract:
            return
        rel = self.remote_field
        if rel.related_name:
            rel.related_name = rel.related_name % {
                "class": cls.__name__.lower(),
                "model_name": cls._meta.model_name,
                "app_label": cls._meta.app_label.lower(),
            }
        lazy_related_operation(_resolve_related, cls, *self.related_models(), field=self)

    def contribute_to_related_class(self, target: type[models.Model]) -> None:
        """Give the target its private reverse field and its reverse accessor."""
        if target._meta.swapped:
            return
        reverse = self.reverse_field()
        reverse.contribute_to_class(target, self.related_query_name(), private_only=True)
        if not self.remote_field.is_hidden():
            setattr(target, self.accessor_name, self.reverse_descriptor(reverse))

    @property
    def accessor_name(self) -> str:
        """Name of the reverse accessor on the target (``orders``, ``order_set``)."""
        if self.remote_field.related_name:
            return self.remote_field.related_name
        suffix = "" if self.one_to_one_relation else "_set"
        return f"{self.model._meta.model_name}{suffix}"

    def related_query_name(self) -> str:
        """Name the target filters by (``Customer.objects.filter(orders__total=1)``)."""
        rel = self.remote_field
        if rel.is_hidden():
            return f"_weakrel_{self.model._meta.label_lower.replace('.', '_')}_{self.name}+"
        return rel.related_query_name or rel.related_name or self.model._meta.model_name

    @property
    def cache_name(self) -> str:
        return self.name


class WeakForeignKey(WeakRelationField, FieldCacheMixin, models.Field):
    """BelongsTo: a key column pointing at a row of ``to``, in any database.

    ``order.customer`` loads the target through the router, ``order.customer_id`` is
    the raw key, ``customer.orders`` is a related manager over Order's database.
    """

    empty_strings_allowed = False
    # Read by Django's schema editor: weak keys never get a database constraint.
    db_constraint = False
    one_to_one_relation = False
    reverse_descriptor_class = ReverseWeakManyDescriptor
    default_error_messages = {
        "invalid": _("%(model)s instance with %(field)s %(value)r does not exist."),
        "invalid_key": _("%(value)r is not a valid key for %(model)s.%(field)s."),
        "null_characters": _("A key for %(model)s may not contain null characters."),
    }
    description = _("Weak reference (type determined by related field)")

    def __init__(
        self,
        to: type[models.Model] | str,
        on_delete: Callable,
        *,
        related_name: str | None = None,
        related_query_name: str | None = None,
        to_field: str | None = None,
        null: bool = False,
        blank: bool = False,
        enforce: bool = True,
        db_index: bool = True,
        **kwargs: Any,
    ) -> None:
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
        kwargs["rel"] = WeakRel(self, to, to_field, related_name, related_query_name, on_delete)
        super().__init__(null=null, blank=blank, db_index=db_index, **kwargs)
        # A column of keys, not a relation Django should join through or cascade on.
        self.is_relation = False

    # -- model class wiring -------------------------------------------------------

    def get_attname(self) -> str:
        return f"{self.name}_id"

    def forward_descriptor(self) -> ForwardWeakDescriptor:
        return ForwardWeakDescriptor(self)

    def reverse_field(self) -> ReverseWeakRelation:
        return ReverseWeakRelation(self)

    def reverse_descriptor(self, reverse: ReverseWeakRelation) -> Any:
        return self.reverse_descriptor_class(reverse)

    @property
    def related_model(self) -> type[models.Model] | str:
        return self.remote_field.model

    @property
    def target_resolved(self) -> bool:
        return not isinstance(self.remote_field.model, str)

    @cached_property
    def target_field(self) -> models.Field:
        """The target's key field: its primary key, or ``to_field``."""
        opts = self.related_model._meta
        if self.remote_field.field_name is None:
            return opts.pk
        return opts.get_field(self.remote_field.field_name)

    @property
    def foreign_related_fields(self) -> tuple[models.Field, ...]:
        # Read by Django's deletion Collector when it defers unneeded columns.
        return (self.target_field,)

    # Read by QuerySet._known_related_objects (the key lives in this field's attname) and
    # by the migration autodetector, which renames them like a ForeignObject's.
    from_fields = ("self",)

    # -- column type and values ---------------------------------------------------

    def get_internal_type(self) -> str:
        internal = self.target_field.get_internal_type()
        return _KEY_INTERNAL_TYPES.get(internal, internal)

    def db_type(self, connection) -> str | None:
        return self.target_field.rel_db_type(connection=connection)

    def db_check(self, connection) -> None:
        return None

    def db_parameters(self, connection) -> dict[str, Any]:
        target = self.target_field.db_parameters(connection)
        return {
            "type": self.db_type(connection),
            "check": None,
            "collation": target.get("collation"),
        }

    def cast_db_type(self, connection) -> str | None:
        return self.target_field.cast_db_type(connection=connection)

    def key_of(self, obj: models.Model) -> Any:
        return getattr(obj, self.target_field.attname)

    def to_python(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, models.Model):
            return self.key_of(value)
        try:
            key = self.target_field.to_python(value)
        except (TypeError, ValueError, OverflowError) as exc:
            # Django's fields let these through for some inputs (int(inf), bytes to UUID).
            raise exceptions.ValidationError(
                self.error_messages["invalid_key"],
                code="invalid_key",
                params={"value": value, **self._key_params()},
            ) from exc
        if isinstance(key, str) and "\x00" in key:
            # PostgreSQL cannot even compare such a string; no database stores it as a key.
            raise exceptions.ValidationError(
                self.error_messages["null_characters"],
                code="null_characters",
                params={"value": value, **self._key_params()},
            )
        return key

    def _key_params(self) -> dict[str, str]:
        target = self.related_model
        name = target._meta.object_name if not isinstance(target, str) else target
        return {"model": name, "field": self.target_field.name}

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return self.target_field.get_prep_value(self.to_python(value))

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        value = self.target_field.get_db_prep_value(value, connection, prepared=True)
        internal = self.get_internal_type()
        if isinstance(value, int) and internal in connection.ops.integer_field_ranges:
            low, high = connection.ops.integer_field_range(internal)
            if (low is not None and value < low) or (high is not None and value > high):
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

    def formfield(self, **kwargs: Any):
        from django import forms

        if not self.target_resolved:
            return None
        defaults = {
            "form_class": forms.ModelChoiceField,
            "queryset": self.related_model._default_manager.all(),
            "to_field_name": self.remote_field.field_name,
        }
        defaults.update(kwargs)
        return super().formfield(**defaults)

    # -- enforcement ----------------------------------------------------------------

    def target_queryset(self, *, instance: models.Model | None = None, using: str | None = None):
        """The target's base manager, routed for reading (Django's hints convention)."""
        model = self.related_model
        db = using or router.db_for_read(model, instance=instance)
        return model._base_manager.db_manager(db).all()

    def target_exists(self, key: Any, *, instance: models.Model | None = None) -> bool:
        return (
            self.target_queryset(instance=instance)
            .filter(**{self.target_field.attname: key})
            .exists()
        )

    def validate(self, value: Any, model_instance: models.Model) -> None:
        super().validate(value, model_instance)
        if value is None or not self.enforce:
            return
        if not self.target_exists(value, instance=model_instance):
            raise exceptions.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={
                    "model": self.related_model._meta.verbose_name,
                    "pk": value,
                    "field": self.target_field.name,
                    "value": value,
                },
            )

    def check_on_save(self, instance: models.Model) -> None:
        """Called before ``instance`` is saved: convert the key, refuse a dangling one."""
        enforcement.check_key(self, instance)

    def collect_dependents(self, collector: deletion.WeakCollector, targets: list) -> None:
        """Apply ``on_delete`` to the rows pointing at ``targets`` (being deleted)."""
        deletion.collect_key_dependents(collector, self, targets)

    # -- lookups ----------------------------------------------------------------

    def get_lookup(self, lookup_name: str):
        if lookup_name == "in":
            return lookups.WeakIn
        if self.target_resolved and isinstance(self.target_field, models.IntegerField):
            # Django's integer lookups: a key out of the column's range matches nothing.
            return self.target_field.get_lookup(lookup_name)
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str):
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

    # -- migrations -----------------------------------------------------------------

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        rel = self.remote_field
        if isinstance(rel.model, str):
            if "." in rel.model:
                app_label, model_name = rel.model.split(".")
                kwargs["to"] = f"{app_label}.{model_name.lower()}"
            else:
                kwargs["to"] = rel.model.lower()
        else:
            kwargs["to"] = rel.model._meta.label_lower
        kwargs["on_delete"] = self.on_delete
        if rel.related_name is not None:
            kwargs["related_name"] = rel.related_name
        if rel.related_query_name is not None:
            kwargs["related_query_name"] = rel.related_query_name
        if rel.field_name is not None:
            kwargs["to_field"] = rel.field_name
        if not self.enforce:
            kwargs["enforce"] = False
        if self.db_index:
            kwargs.pop("db_index", None)
        else:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    # -- system checks --------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs) if self.target_resolved else []
        errors += self._check_target_model()
        if not self.target_resolved:
            return errors
        errors += self._check_target_field()
        errors += self._check_on_delete()
        errors += self._check_clashes()
        errors += self._check_db_index_kept()
        return errors

    def _check_target_model(self) -> list[checks.CheckMessage]:
        model = self.remote_field.model
        if isinstance(model, str) or model._meta.abstract:
            name = model if isinstance(model, str) else model._meta.label
            return [
                checks.Error(
                    f"Field defines a weak relation with model '{name}', which is either "
                    "not installed, or is abstract.",
                    obj=self,
                    id="weakrel.E001",
                )
            ]
        return []

    def _check_target_field(self) -> list[checks.CheckMessage]:
        name = self.remote_field.field_name
        opts = self.related_model._meta
        if name is not None:
            try:
                field = opts.get_field(name)
            except exceptions.FieldDoesNotExist:
                return [
                    checks.Error(
                        f"The to_field '{name}' does not exist on {opts.label}.",
                        obj=self,
                        id="weakrel.E002",
                    )
                ]
            if not (field.primary_key or field.unique):
                return [
                    checks.Error(
                        f"'{opts.label}.{name}' must be unique because a weak relation "
                        "refers to it.",
                        hint=f"Add unique=True to {opts.label}.{name}.",
                        obj=self,
                        id="weakrel.E003",
                    )
                ]
        return []

    def _check_on_delete(self) -> list[checks.CheckMessage]:
        if self.on_delete not in self.supported_on_delete:
            names = ", ".join(f.__name__ for f in self.supported_on_delete)
            return [
                checks.Error(
                    f"on_delete={getattr(self.on_delete, '__name__', self.on_delete)!s} is not "
                    f"supported by {self.__class__.__name__}; use one of {names}.",
                    obj=self,
                    id="weakrel.E004",
                )
            ]
        if self.on_delete is SET_NULL and not self.null:
            return [
                checks.Error(
                    "Field specifies on_delete=SET_NULL, but cannot be null.",
                    hint="Set null=True argument on the field, or change the on_delete rule.",
                    obj=self,
                    id="weakrel.E005",
                )
            ]
        if self.on_delete is SET_DEFAULT and not self.has_default():
            return [
                checks.Error(
                    "Field specifies on_delete=SET_DEFAULT, but has no default value.",
                    hint="Set a default value, or change the on_delete rule.",
                    obj=self,
                    id="weakrel.E006",
                )
            ]
        return []

    def _check_clashes(self) -> list[checks.CheckMessage]:
        """The reverse accessor and query name must be free on the target."""
        if self.remote_field.is_hidden():
            return []
        target = self.related_model
        errors = []
        label = f"{self.model._meta.label}.{self.name}"
        taken: dict[str, str] = {}
        for field in target._meta.get_fields(include_hidden=False):
            if isinstance(field, ReverseWeakRelation):
                if field.field is not self:
                    other = field.field
                    taken[field.name] = f"{other.model._meta.label}.{other.name}"
                    if not other.remote_field.is_hidden():
                        taken[other.accessor_name] = taken[field.name]
                continue
            owner = f"{target._meta.label}.{field.name}"
            taken[field.name] = owner
            accessor = getattr(field, "get_accessor_name", None)
            if accessor is not None and accessor():
                taken[accessor()] = owner
        for kind, name in (
            ("accessor", self.accessor_name),
            ("query name", self.related_query_name()),
        ):
            if name in taken:
                errors.append(
                    checks.Error(
                        f"Reverse {kind} '{target._meta.object_name}.{name}' for '{label}' "
                        f"clashes with '{taken[name]}'.",
                        hint="Add or change a related_name argument to the definition "
                        f"for '{label}'.",
                        obj=self,
                        id="weakrel.E007",
                    )
                )
        return errors

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

    supported_on_delete = (
        models.CASCADE,
        PROTECT,
        RESTRICT,
        SET_NULL,
        SET_DEFAULT,
        DO_NOTHING,
    )


class WeakOneToOneField(WeakForeignKey):
    """HasOne: a unique weak key; the target's reverse accessor returns one object."""

    one_to_one_relation = True
    reverse_descriptor_class = ReverseWeakOneDescriptor
    description = _("Weak one-to-one reference")

    def __init__(self, to: type[models.Model] | str, on_delete: Callable, **kwargs: Any) -> None:
        kwargs["unique"] = True
        super().__init__(to, on_delete, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("unique", None)
        return name, path, args, kwargs


class _ReverseRemote:
    """``remote_field`` of a :class:`ReverseWeakRelation`.

    ``model`` is the source model's label, a string: Django's relation graph skips
    string targets, so the source model grows no reverse entry of its own.
    """

    hidden = True
    parent_link = False

    def __init__(self, label: str) -> None:
        self.model = label


class ReverseSide(FieldCacheMixin):
    """What a weak relation's private field on the target shares, whatever the
    relation type: no column, the source model as ``related_model``, and the reverse
    accessor's name as its cache name."""

    field: Any

    @property
    def related_model(self) -> type[models.Model]:
        return self.field.model

    @property
    def cache_name(self) -> str:
        return self.field.accessor_name

    def get_attname_column(self):
        return self.get_attname(), None


class ReverseWeakRelation(ReverseSide, models.Field):
    """The target's side of a weak relation, added as a private field.

    It makes ``Customer.objects.filter(orders__total__gt=1)`` resolvable (the path is
    answered in Order's database, then filtered on the key) and it is the relation
    Django's deletion ``Collector`` finds on the target: its ``field.remote_field``
    carries weakrel's ``on_delete`` hook, which takes over the cross-database work.
    """

    auto_created = True
    concrete = False
    # Like GenericRelation: kept out of _meta.fields, forms, serializers and clean_fields.
    many_to_many = False
    many_to_one = False
    one_to_many = True
    one_to_one = False

    def __init__(self, field: WeakForeignKey) -> None:
        self.field = field
        super().__init__(
            auto_created=True,
            editable=False,
            serialize=False,
            blank=True,
            null=True,
            rel=_ReverseRemote(field.model._meta.label),
        )

    def get_col(self, alias, output_field=None):
        return lookups.RelationCol(alias, self.field.target_field, output_field=self)

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull" and isinstance(self.field, WeakForeignKey):
            return lookups.reverse_isnull
        return None

    def get_transform(self, name: str) -> type[Transform] | None:
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            if name != "pk":
                return None
        return lookups.reverse_path(name)

    def deconstruct(self):  # never migrated: it exists only on model classes
        name, path, args, kwargs = super().deconstruct()
        return name, path, [self.field], {}


def _resolve_related(model, *related, field: WeakRelationField) -> None:
    field.resolve_related(*related)


def get_weak_fields(model: type[models.Model]) -> list[WeakForeignKey]:
    """The weak key fields declared on ``model`` and its parents."""
    return [f for f in model._meta.concrete_fields if isinstance(f, WeakForeignKey)]


def get_reverse_relations(model: type[models.Model]) -> list[ReverseWeakRelation]:
    """The weak relations that point at ``model`` (and its parents)."""
    return [
        f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, ReverseWeakRelation)
    ]
