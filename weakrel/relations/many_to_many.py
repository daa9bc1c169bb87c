"""HasManyThrough: a many-to-many relation kept in a through model, across databases.

Given::

    class Physician(Model):                      # database "default"
        patients = WeakManyToManyField(
            "clinic.Patient", through="clinic.Appointment", related_name="physicians"
        )

    class Appointment(Model):                    # database "orders"
        physician = WeakForeignKey(Physician, on_delete=CASCADE)
        patient = WeakForeignKey("clinic.Patient", on_delete=CASCADE)

    class Patient(Model):                        # database "third"
        pass

``WeakManyToManyField`` has no column, like ``GenericRelation``: the links are the
through model's rows, and its two weak keys are ordinary weak keys, so deleting a
physician or a patient applies *their* ``on_delete`` through the core's
cross-database collector. This module says what differs from the other kinds:

* ``physician.patients`` and ``patient.physicians`` (``many_to_many_descriptors``):
  a related manager that reads the through rows first, then the targets (two
  queries, never a cross-database join), and writes through rows;
* filtering: ``Physician.objects.filter(patients__name="Bo")`` asks Patient's
  database for keys, then the through model's database for the physicians' keys.

The through model's keys are found by duck typing (a concrete weak field with a
``target_key``), so this module imports no other relation kind. Being a private,
column-less field it is not part of migrations (the through model is).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, overload

from django.core import checks, exceptions
from django.db import models
from django.db.models.expressions import Col
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from weakrel.base import (
    WeakRel,
    WeakRelationField,
    model_label,
    weak_fields,
)
from weakrel.generics import _GT, _M, _ST
from weakrel.inheritance import key_column
from weakrel.lookups import RelatedPath, RelationCol, RemoteLookup, Unlinked
from weakrel.relations.many_to_many_descriptors import ThroughDescriptor
from weakrel.relations.many_to_many_generic import GenericThroughField
from weakrel.reverse import ManagerValuedField, ReverseSide

if TYPE_CHECKING:
    from collections.abc import Sequence

    class Unassignable:
        """What a manager-valued field takes on assignment: nothing (use ``set()``)."""

    from weakrel.relations.many_to_many_descriptors import ThroughManager
    from weakrel.relations.many_to_many_generic_managers import GenericThroughManager


class ThroughRel(WeakRel):
    """``remote_field`` of a :class:`WeakManyToManyField` (Django's ``ManyToManyRel``)."""

    parent_link = False

    def __init__(
        self,
        field: WeakManyToManyField[Any, Any],
        to: type[models.Model] | str,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None,
        related_name: str | None,
        related_query_name: str | None,
    ) -> None:
        super().__init__(field, to, None, related_name, related_query_name)
        self.through = through
        self.through_fields = through_fields


class WeakManyToManyField(WeakRelationField[_ST, _GT], ManagerValuedField, models.Field):
    """HasManyThrough: targets linked by the rows of a ``through`` model.

    ``physician.patients`` is a ``ThroughManager[Patient]`` to a type checker; the
    field takes no assignment (use ``set()``): its assignment type is ``Unassignable``.
    """

    # Private and column-less, like GenericRelation: no migration, no form field.
    concrete = False
    many_to_many = True
    many_to_one = False
    one_to_many = False
    one_to_one = False
    description = _("Weak many-to-many relation through an intermediate model")
    migration_path = "weakrel.through.WeakManyToManyField"
    check_ids = {"target": "weakrel.E101", "clash": "weakrel.E104"}
    remote_field: ThroughRel  # type: ignore[assignment]

    def __new__(cls, to: Any = None, *args: Any, **kwargs: Any) -> Any:
        # A list of models: the through model's far key is a WeakGenericForeignKey.
        if cls is WeakManyToManyField and isinstance(to, list | tuple):
            return GenericThroughField(to, *args, **kwargs)
        return super().__new__(cls)

    @overload
    def __init__(
        self: WeakManyToManyField[Unassignable, ThroughManager[_M]],
        to: type[_M],
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: WeakManyToManyField[Unassignable, ThroughManager[Any]],
        to: str,
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: WeakManyToManyField[Unassignable, GenericThroughManager],
        to: list[type[models.Model] | str] | tuple[type[models.Model] | str, ...],
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
    ) -> None: ...
    def __init__(
        self,
        to: Any,
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if through is None:
            raise TypeError("WeakManyToManyField requires a through model.")
        kwargs.update(blank=True, editable=False, serialize=False)
        kwargs["rel"] = ThroughRel(
            self, to, through, through_fields, related_name, related_query_name
        )
        super().__init__(**kwargs)
        # Not a relation Django should join through, cascade on or serialize.
        self.is_relation = False

    # -- model class wiring -------------------------------------------------------

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        # No column: a private field, like GenericRelation.
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def forward_descriptor(self) -> ThroughDescriptor:
        return ThroughDescriptor(self, reverse=False)

    def reverse_field(self) -> ReverseWeakManyToMany:
        return ReverseWeakManyToMany(self)

    def reverse_descriptor(self, reverse: ReverseSide) -> ThroughDescriptor:
        return ThroughDescriptor(self, reverse=True)

    def related_models(self) -> tuple[Any, ...]:
        return (self.remote_field.model, self.remote_field.through)

    def resolve_related(self, target: type[models.Model], *others: type[models.Model]) -> None:
        (through,) = others
        self.remote_field.through = through
        super().resolve_related(target)

    def get_attname_column(self) -> tuple[str, None]:
        return self.get_attname(), None

    @property
    def through(self) -> type[models.Model]:
        """The through model (its label while the relation is not resolved)."""
        return self.remote_field.through

    def sides(self, reverse: bool) -> tuple[Any, Any]:
        """(through key to the side a query or manager starts from, key to the other)."""
        source, target = self.through_keys
        return (target, source) if reverse else (source, target)

    @cached_property
    def through_keys(self) -> tuple[Any, Any]:
        """The through model's weak keys to this model and to the target."""
        source, target, errors = self._find_through_keys()
        if errors:
            raise exceptions.ImproperlyConfigured(errors[0].msg)
        return source, target

    def _find_through_keys(self) -> tuple[Any, Any, list[checks.CheckMessage]]:
        """(key to the source, key to the target, errors) of the through model."""
        names = self.remote_field.through_fields
        try:
            if names:
                source, target = self._named_keys(names)
            else:
                source, target = (self._only_key_to(m) for m in (self.model, self.related_model))
        except _ThroughKeyError as exc:
            return None, None, [exc.error]
        return source, target, []

    def _named_keys(self, names) -> list[Any]:
        """The keys ``through_fields`` names: (key to the source, key to the target)."""
        if len(names) != 2:
            raise _ThroughKeyError(
                self,
                "weakrel.E103",
                "through_fields must name two weak keys of the through model: "
                "(key to the source, key to the target).",
            )
        keys = []
        for name, model in zip(names, (self.model, self.related_model), strict=True):
            try:
                key = self.through._meta.get_field(name)
            except exceptions.FieldDoesNotExist:
                key = None
            if not _is_weak_key(key) or not _points_at(key, model):
                raise _ThroughKeyError(
                    self,
                    "weakrel.E103",
                    f"through_fields '{name}' of '{self.model._meta.label}.{self.name}' is "
                    f"not a weak key from '{self.through._meta.label}' to "
                    f"'{model._meta.label}'.",
                )
            keys.append(key)
        return keys

    def _only_key_to(self, model: type[models.Model]) -> Any:
        """The through model's one weak key to ``model``, found without through_fields."""
        label = f"'{self.model._meta.label}.{self.name}'"
        if self.model is self.related_model:
            message = f"{label} relates '{model._meta.label}' to itself."
            raise _ThroughKeyError(self, "weakrel.E102", message, hint=_THROUGH_HINT)
        keys = [f for f in weak_fields(self.through) if _is_weak_key(f) and _points_at(f, model)]
        if len(keys) != 1:
            how = "more than one" if keys else "no"
            message = (
                f"The through model '{self.through._meta.label}' of {label} has {how} "
                f"weak key to '{model._meta.label}'."
            )
            raise _ThroughKeyError(self, "weakrel.E102", message, hint=_THROUGH_HINT)
        return keys[0]

    # -- lookups ------------------------------------------------------------------

    def get_col(self, alias: str, output_field: Any = None) -> RelationCol:
        source, _target = self.through_keys
        return RelationCol(alias, key_column(self.model, source.target_field), output_field=self)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, reverse=False, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return partial(_through_isnull, reverse=False)
        return None

    def get_transform(self, name: str) -> Any:
        if isinstance(self.related_model, str):
            return None
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            if name != "pk":
                return None
        return partial(_through_path, reverse=False, name=name)

    # -- migrations and checks ----------------------------------------------------

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        for key in ("blank", "editable", "serialize"):
            kwargs.pop(key, None)
        kwargs["through"] = model_label(self.remote_field.through)
        if self.remote_field.through_fields:
            kwargs["through_fields"] = tuple(self.remote_field.through_fields)
        return name, path, args, kwargs

    def _unusable_models(self) -> list[tuple[str, str]]:
        return [
            (what, model if isinstance(model, str) else model._meta.label)
            for what, model in (("model", self.related_model), ("through model", self.through))
            if isinstance(model, str) or model._meta.abstract
        ]

    @cached_property
    def unique_pair(self) -> bool:
        """Whether a unique constraint of the through model keeps each pair of keys
        to one row: ``unique_together``, an unconditional ``UniqueConstraint`` checked
        at once (not deferred), or ``unique=True``, on the two keys or one of them."""
        opts = self.through._meta
        pair = {key.name for key in self.through_keys}
        sets = [set(names) for names in opts.unique_together]
        sets += [
            set(constraint.fields)
            for constraint in opts.total_unique_constraints
            if constraint.deferrable in (None, models.Deferrable.IMMEDIATE)
        ]
        sets += [{key.name} for key in self.through_keys if key.unique]
        return any(fields and _field_names(opts, fields) <= pair for fields in sets)

    def _check_relation(self) -> list[checks.CheckMessage]:
        source, target, errors = self._find_through_keys()
        if errors or self.unique_pair:
            return errors + self._check_clashes()
        through = self.through._meta.label
        fields = f"['{source.name}', '{target.name}']"
        warning = checks.Warning(
            f"The through model '{through}' of '{self.model._meta.label}.{self.name}' "
            f"has no unique constraint on {fields}: add() calls made at the same time "
            "can store the same link twice.",
            hint=f"Add UniqueConstraint(fields={fields}, name=...) to the constraints "
            f"of {through}.",
            obj=self,
            id="weakrel.W101",
        )
        return [*self._check_clashes(), warning]


_THROUGH_HINT = (
    "Give the through model exactly one WeakForeignKey to each side, or name them with "
    "through_fields=(source, target)."
)


class _ThroughKeyError(Exception):
    """A through model whose keys cannot be found; carries the check error to report."""

    def __init__(self, field, check_id: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.error = checks.Error(message, hint=hint, obj=field, id=check_id)


def _field_names(opts, names) -> set[str]:
    """The names of the fields ``names`` (names or attnames) give; None for a name
    of no field (Django's own checks report it)."""
    found = set()
    for name in names:
        try:
            found.add(opts.get_field(name).name)
        except exceptions.FieldDoesNotExist:
            found.add(None)
    return found


def _is_weak_key(field) -> bool:
    """A concrete weak key of one target (what a through model links with)."""
    return isinstance(field, WeakRelationField) and field.concrete and not field.many_to_many


def _points_at(key, model: type[models.Model]) -> bool:
    """Whether ``key`` names rows of ``model``: the model itself, a proxy of it, or
    an ancestor of it (a multi-table child inherits its parent's relations)."""
    to = key.remote_field.model
    if isinstance(to, str):
        return model_label(to) == model._meta.label_lower
    return to._meta.concrete_model is model._meta.concrete_model or issubclass(model, to)


class ReverseWeakManyToMany(ReverseSide):
    """The target's side of a :class:`WeakManyToManyField`, a private field.

    It lets ``Patient.objects.filter(physicians__name="Ann")`` resolve. Unlike the
    core's ``ReverseWeakRelation`` it is not one-to-many, so Django's deletion
    collector passes it by: the through model's own weak keys carry ``on_delete``.
    """

    many_to_many = True
    one_to_many = False

    def get_col(self, alias: str, output_field: Any = None) -> RelationCol:
        _source, target = self.field.through_keys
        return RelationCol(alias, key_column(self.model, target.target_field), output_field=self)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, reverse=True, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return partial(_through_isnull, reverse=True)
        return None

    def path(self, name: str):
        return partial(_through_path, reverse=True, name=name)


def _first_hop(lhs, reverse: bool) -> RelatedPath:
    """``<through>.<key to the far side>``, answered with keys of the near side."""
    near, far = (lhs.output_field.field if reverse else lhs.output_field).sides(reverse)
    path = RelatedPath(lhs, far.name, remote_model=near.model, key_attname=near.attname)
    path.column = Col(lhs.alias, lhs.target)
    path.column_field = near.target_field
    return path


def _through_path(lhs, *, reverse: bool, name: str) -> RelatedPath:
    """``patients__name``: the through rows whose patient matches, as physician keys."""
    return RelatedPath(_first_hop(lhs, reverse), name)


def _through_lookup(lhs, rhs, *, reverse: bool, lookup_name: str) -> RemoteLookup:
    """``patients=patient`` / ``patients__in=[...]``: through rows naming those targets."""
    return RemoteLookup(_first_hop(lhs, reverse), rhs, lookup_name=lookup_name)


def _through_isnull(lhs, rhs, *, reverse: bool) -> Unlinked:
    return Unlinked(_first_hop(lhs, reverse), rhs)
