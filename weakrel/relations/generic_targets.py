"""One allowed target type of a ``WeakGenericForeignKey``: :class:`GenericTarget`.

Given::

    class Comment(Model):                        # database "third"
        target = WeakGenericForeignKey(
            to=["blog.Article", "shop.Product"], on_delete=CASCADE, related_name="comments"
        )

the generic field adds to Comment, for each model in ``to``, a private, column-less
:class:`GenericTarget` named after that model (``article``, ``product``): the weak
relation the core knows, one per type. Through it

* the target gets its accessor, ``article.comments`` (``generic_managers``), and its
  private :class:`GenericReverseSide`, through which Article filters
  (``comments__text="x"``) and Django's deletion ``Collector`` reaches weakrel's;
* deleting an article applies ``on_delete`` to the comments of that type
  (``collect_dependents``), in the core's all-databases transaction and journal;
* Comment filters on one type (``article=a``, ``article__title__startswith="A"``).

``comment.article`` is the target when it is an Article, else None.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, cast

from django.core import exceptions
from django.db import models
from django.db.models import CASCADE, PROTECT, RESTRICT, SET_NULL

from weakrel import lookups
from weakrel.base import WeakRel, WeakRelationField, model_label
from weakrel.deletion import collector_hook
from weakrel.enforcement import check_keys
from weakrel.keys import TargetKey, sorted_keys
from weakrel.relations.generic_lookups import (
    GenericReversePath,
    TypedIsNull,
    TypedKeysIn,
    forward_path,
    reverse_isnull,
)
from weakrel.relations.generic_managers import GenericReverseDescriptor
from weakrel.reverse import ManagerValuedField, ReverseSide

if TYPE_CHECKING:
    from weakrel.deletion import WeakCollector


class GenericTargetKey(TargetKey):
    """The keys of one target type; a dangling one is named after the generic field."""

    def dangling(self, key: Any, alias: str):
        error = super().dangling(key, alias)
        generic = cast("GenericTarget", self.field).generic
        error.args = (
            f"{generic.model.__name__}.{generic.name}: no {self.model.__name__} with "
            f"{self.target_field.name}={key!r} in database {alias!r}.",
        )
        error.field = generic
        return error


class TypeDescriptor:
    """``comment.article``: the target when it is an Article, else None."""

    def __init__(self, target: GenericTarget) -> None:
        self.target = target

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        generic = self.target.generic
        if getattr(instance, generic.type_attname) != self.target.label:
            return None
        return getattr(instance, generic.name)


class GenericTarget(ManagerValuedField, WeakRelationField, models.Field):
    """One allowed target type of a generic key: a private, column-less weak relation."""

    concrete = False
    many_to_many = False
    many_to_one = False
    one_to_many = False
    one_to_one = False
    empty_strings_allowed = False
    check_ids = {"target": "weakrel.E204", "on_delete": "weakrel.E205", "clash": "weakrel.E206"}

    def __init__(self, generic, to: type[models.Model] | str) -> None:
        self.generic = generic
        self.on_delete = generic.on_delete
        self.enforce = generic.enforce
        rel = WeakRel(
            self,
            to,
            None,
            generic.related_name,
            generic.related_query_name,
            collector_hook(generic.on_delete),
        )
        # A WeakRel, which Django reads as the ForeignObjectRel it stands for.
        super().__init__(editable=False, serialize=False, blank=True, null=False, rel=rel)  # type: ignore[arg-type]
        self.is_relation = False

    @staticmethod
    def query_name(to: type[models.Model] | str) -> str:
        """The name one type is filtered by: its model's name in lower case."""
        return model_label(to).rpartition(".")[2]

    @cached_property
    def label(self) -> str:
        """What the type column holds for this type: the model's label in lower case
        (the same before and after the model is resolved)."""
        return model_label(self.remote_field.model)

    def contribute_to_class(self, cls, name, private_only=True, **kwargs):
        # Always private: never a column, a form field or a migrated field.
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def get_attname(self) -> str:
        return f"_weakrel_generic_{self.name}"

    def get_attname_column(self):
        return self.get_attname(), None

    def forward_descriptor(self) -> TypeDescriptor:
        return TypeDescriptor(self)

    def reverse_field(self) -> GenericReverseSide:
        return GenericReverseSide(self)

    def reverse_descriptor(self, reverse: ReverseSide) -> GenericReverseDescriptor:
        return GenericReverseDescriptor(reverse)

    @cached_property
    def target_key(self) -> GenericTargetKey:
        return GenericTargetKey(self, self.key_field)

    @property
    def foreign_related_fields(self) -> tuple[models.Field, ...]:
        # Read by Django's deletion Collector when it defers unneeded columns.
        return (self.key_field,)

    def check(self, **kwargs: Any) -> list:
        # Only what is per type; the generic field checks the rest once.
        return self._check_target_model() or self._check_clashes()

    def deconstruct(self):  # never migrated: it exists only on model classes
        name, path, args, kwargs = super().deconstruct()
        return name, path, [self.generic, self.remote_field.model], {}

    # -- keys -----------------------------------------------------------------------

    def to_key(self, value: Any) -> Any:
        """A target instance or a raw key, as the target's key (``"3"`` becomes 3)."""
        if isinstance(value, models.Model):
            if not isinstance(value, self.related_model):
                raise ValueError(
                    f'Cannot query "{value!r}": Must be "{self.related_model._meta.object_name}" '
                    "instance."
                )
            return self.key_of(value)
        try:
            return self.target_key.to_python(value)
        except exceptions.ValidationError as exc:
            raise ValueError(exc.messages[0]) from exc

    def key_from_stored(self, stored: Any, *, strict: bool = True) -> Any:
        """The target's key for what the id column holds; None for a malformed one
        unless ``strict`` (then ``ValidationError``)."""
        if stored is None:
            return None
        try:
            return self.target_key.to_python(stored)
        except exceptions.ValidationError:
            if strict:
                raise
            return None

    def check_keys(self, pairs: list[tuple[models.Model | None, Any]]) -> None:
        """Raise ``DanglingReferenceError`` for the first key naming no row (one query
        per database)."""
        check_keys(self, pairs)

    # -- lookups ----------------------------------------------------------------------

    def get_col(self, alias, output_field=None):
        # ``article__...`` starts from the id column; the lookups add the type.
        return lookups.RelationCol(alias, self.generic.id_column, output_field=self)

    def get_db_prep_value(self, value: Any, connection, prepared: bool = False) -> Any:
        return self.generic.id_column.get_db_prep_value(value, connection, prepared=prepared)

    def get_lookup(self, lookup_name: str):
        if lookup_name in ("exact", "in"):
            return partial(TypedKeysIn, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return TypedIsNull
        return None

    def get_transform(self, name: str):
        if not self.target_resolved:
            return None
        if name != "pk":
            try:
                self.related_model._meta.get_field(name)
            except exceptions.FieldDoesNotExist:
                return None
        return forward_path(name)

    # -- deletion ---------------------------------------------------------------------

    def dependents(self, alias: str, keys: list[Any]):
        """The rows of this type whose key is one of ``keys``, in ``alias``."""
        generic = self.generic
        rows = self.model._base_manager.using(alias).filter(**{generic.type_attname: self.label})
        stored = sorted_keys({generic.stored(key) for key in keys})
        return lookups.filter_keys(rows, generic.id_attname, stored)

    def collect_dependents(self, collector: WeakCollector, targets: list) -> None:
        """Apply ``on_delete`` to the rows pointing at ``targets`` (being deleted)."""
        on_delete, generic = self.on_delete, self.generic
        keys = [key for key in (self.key_of(target) for target in targets) if key is not None]
        if on_delete is models.DO_NOTHING or not keys:
            return
        alias = collector.alias_for(self, targets)
        dependents = self.dependents(alias, keys)
        if on_delete is CASCADE:
            collector.add_cascade(alias, dependents)
        elif on_delete is PROTECT:
            collector.add_protected(generic, list(dependents))
        elif on_delete is RESTRICT:
            collector.add_restricted(alias, generic, list(dependents))
        elif on_delete is SET_NULL:
            # Read once: the second update must not look for rows the first changed.
            rows = list(dependents.only("pk"))
            collector.add_field_update(alias, generic.type_column, None, rows)
            collector.add_field_update(alias, generic.id_column, None, rows)
        else:
            raise ValueError(f"Unsupported on_delete for {generic}: {on_delete!r}")


class GenericReverseSide(ReverseSide):
    """The target's side of one type (``Article.comments``): filtering from the target
    (``comments__text="x"``, ``comments__isnull``) and the relation Django's deletion
    collector meets, which hands ``on_delete`` to weakrel."""

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return reverse_isnull
        return None

    def path(self, name: str):
        return partial(GenericReversePath, name=name)
