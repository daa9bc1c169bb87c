"""Polymorphic HasManyThrough: a many-to-many relation whose through model's far key
is a ``WeakGenericForeignKey``.

Given::

    class Reader(Model):                         # database "default"
        favorites = WeakManyToManyField(
            to=["blog.Article", "shop.Product"], through="blog.Favorite"
        )

    class Favorite(Model):                       # database "orders"
        reader = WeakForeignKey(Reader, on_delete=CASCADE)
        item = WeakGenericForeignKey(to=["blog.Article", "shop.Product"], on_delete=CASCADE)

``WeakManyToManyField`` with a list of models hands out a :class:`GenericThroughField`:
a private, column-less field that is its own descriptor, like the generic key.
``reader.favorites`` is a :class:`GenericThroughManager`: it reads the through rows,
then one query per target type that occurs, each in that type's database; it
prefetches the same way per batch, and writes through rows. Deleting a reader or an
item applies the through model's own keys' ``on_delete``. The through model's keys are
found by duck typing, so this module imports no other relation kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property, partial
from typing import Any

from django.core import checks, exceptions
from django.db import models
from django.db.models.expressions import Col

from weakrel.base import WeakRelationField, model_label
from weakrel.inheritance import key_column
from weakrel.lookups import RelatedPath, RelationCol, RemoteLookup, Unlinked
from weakrel.relations.many_to_many_generic_managers import GenericThroughManager


def is_generic_key(field: Any) -> bool:
    """A ``WeakGenericForeignKey`` (a private field holding a (type, key) pair)."""
    return bool(getattr(field, "holds_weak_keys", False) and hasattr(field, "target_for_label"))


class GenericThroughField(models.Field):
    """Polymorphic HasManyThrough: the rows of several models linked by a ``through``
    model whose key to them is a ``WeakGenericForeignKey``."""

    concrete = False
    auto_created = False
    many_to_many = True
    many_to_one = False
    one_to_many = False
    one_to_one = False
    related_model = None
    remote_field = None
    # Read by generic_checks.check_generic_keys, which runs check() for it.
    generic_checks = True

    def __init__(
        self,
        to: Iterable[type[models.Model] | str],
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        if through is None:
            raise TypeError("WeakManyToManyField requires a through model.")
        if kwargs:
            raise TypeError(
                f"WeakManyToManyField(to=[...]) takes no {', '.join(sorted(kwargs))}: the "
                "targets' side is the through model's generic key's related_name."
            )
        self.to = list(to)
        self.through_label = through if isinstance(through, str) else through._meta.label
        self.through_fields = through_fields
        super().__init__(editable=False, serialize=False, blank=True)
        self.is_relation = False

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, private_only=True, **kwargs)
        setattr(cls, name, self)

    def get_attname_column(self):
        return self.get_attname(), None

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        to = [m if isinstance(m, str) else m._meta.label for m in self.to]
        kwargs = {"to": to, "through": self.through_label}
        if self.through_fields:
            kwargs["through_fields"] = tuple(self.through_fields)
        return name, "weakrel.WeakManyToManyField", [], kwargs

    def __get__(self, instance: models.Model | None, cls=None):
        if instance is None:
            return self
        return GenericThroughManager(self, instance)

    def __set__(self, instance: models.Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the forward side of a many-to-many set is prohibited. "
            f"Use {self.name}.set() instead."
        )

    # -- the through model's keys ---------------------------------------------------

    @cached_property
    def through(self) -> type[models.Model]:
        """The through model (``LookupError`` while it is not installed)."""
        return self.model._meta.apps.get_model(self.through_label)

    @cached_property
    def through_keys(self) -> tuple[Any, Any]:
        """(the through model's weak key to this model, its generic key)."""
        errors = self._check_through()
        if errors:
            raise exceptions.ImproperlyConfigured(errors[0].msg)
        return self._keys()

    def _keys(self) -> tuple[Any, Any]:
        opts = self.through._meta
        if self.through_fields:
            near_name, far_name = self.through_fields
            fields = {f.name: f for f in [*opts.fields, *opts.private_fields]}
            near, far = fields.get(near_name), fields.get(far_name)
            return (near if _is_key_to(near, self.model) else None), (
                far if is_generic_key(far) else None
            )
        nears = [f for f in opts.fields if _is_key_to(f, self.model)]
        fars = [f for f in opts.private_fields if is_generic_key(f)]
        return (nears[0] if len(nears) == 1 else None), (fars[0] if len(fars) == 1 else None)

    # -- lookups: resolved in the through model's database first ----------------------

    def get_col(self, alias, output_field=None):
        near, _far = self.through_keys
        return RelationCol(alias, key_column(self.model, near.target_field), output_field=self)

    def get_lookup(self, lookup_name: str):
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return _through_isnull
        return None

    def get_transform(self, name: str):
        """``favorites__article__title``: the through rows whose item is such an article."""
        _near, far = self.through_keys
        if any(target.name == name for target in far.targets):
            return partial(_through_path, name=name)
        return None

    # -- checks ---------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return self._check_through()

    def _error(self, message: str, id: str, hint: str | None = None) -> checks.Error:
        return checks.Error(message, hint=hint, obj=self, id=id)

    def _check_through(self) -> list[checks.CheckMessage]:
        label = f"'{self.model._meta.label}.{self.name}'"
        try:
            through = self.through
        except (LookupError, ValueError):
            return [
                self._error(
                    f"{label} names the through model '{self.through_label}', which is not "
                    "installed.",
                    "weakrel.E230",
                )
            ]
        near, far = self._keys()
        hint = "Name them with through_fields=(key to the source, generic key)."
        if near is None:
            return [
                self._error(
                    f"The through model '{through._meta.label}' of {label} has no single "
                    f"weak key to '{self.model._meta.label}'.",
                    "weakrel.E231",
                    hint,
                )
            ]
        if far is None:
            return [
                self._error(
                    f"The through model '{through._meta.label}' of {label} has no single "
                    "WeakGenericForeignKey.",
                    "weakrel.E232",
                    hint,
                )
            ]
        allowed = {target.label for target in far.targets}
        unknown = [model_label(m) for m in self.to if model_label(m) not in allowed]
        if unknown or not self.to:
            return [
                self._error(
                    f"{label}: to={[model_label(m) for m in self.to]} must name models "
                    f"'{through._meta.label}.{far.name}' may point at ({sorted(allowed)}).",
                    "weakrel.E233",
                )
            ]
        return []


def _hop(lhs, name: str | None = None) -> RelatedPath:
    """``<through>.<generic key>`` (or one of its types, ``name``), answered with keys
    of the source."""
    near, far = lhs.output_field.through_keys
    path = RelatedPath(lhs, name or far.name, remote_model=near.model, key_attname=near.attname)
    path.column = Col(lhs.alias, lhs.target)
    path.column_field = near.target_field
    return path


def _through_lookup(lhs, rhs, *, lookup_name: str) -> RemoteLookup:
    """``favorites=article`` / ``favorites__in=[article, product]``."""
    return RemoteLookup(_hop(lhs), rhs, lookup_name=lookup_name)


def _through_isnull(lhs, rhs) -> Unlinked:
    return Unlinked(_hop(lhs), rhs)


def _through_path(lhs, *, name: str) -> RelatedPath:
    return _hop(lhs, name)


def _is_key_to(field: Any, model: type[models.Model]) -> bool:
    """A concrete weak key naming rows of ``model`` (or of an ancestor of it)."""
    if not (isinstance(field, WeakRelationField) and field.concrete):
        return False
    to = field.remote_field.model
    if isinstance(to, str):
        return model_label(to) == model._meta.label_lower
    return to._meta.concrete_model is model._meta.concrete_model or issubclass(model, to)
