"""Polymorphic HasOne, as LoopBack has it: the source names its target's type in a
discriminator column, and each target model holds a ``WeakOneToOneField`` back.

Given::

    class Consignment(Model):                    # database "orders"
        delivery_type = CharField(max_length=100, blank=True)
        delivery = WeakGenericHasOne(
            to=["shop.CertifiedDelivery", "shop.ExpressDelivery"],
            discriminator="delivery_type",
        )

    class CertifiedDelivery(Model):              # database "third"
        consignment = WeakOneToOneField(Consignment, on_delete=CASCADE, related_name="+")

``consignment.delivery`` reads the one row of the type ``delivery_type`` names (a
model label, ``"shop.certifieddelivery"``) whose key points back, in that type's
database, and caches it; ``prefetch_related("delivery")`` costs one query per type
that occurs. The field has no column of its own and no migration; ``on_delete`` is
the targets' keys'. The targets' keys are found by duck typing.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property
from typing import Any

from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from django.db.models.fields.mixins import FieldCacheMixin

from weakrel import routing
from weakrel.base import WeakRelationField, model_label
from weakrel.keys import sorted_keys
from weakrel.routing import database_errors, filter_in

_MISSING = object()


class WeakGenericHasOne(FieldCacheMixin, models.Field):
    """Polymorphic HasOne: the one row of the type a discriminator column names."""

    concrete = False
    auto_created = False
    many_to_many = False
    many_to_one = False
    one_to_many = False
    one_to_one = True
    related_model = None
    remote_field = None
    # Read by generic_checks.check_generic_keys, which runs check() for it.
    generic_checks = True

    def __init__(self, to: list[type[models.Model] | str], *, discriminator: str) -> None:
        self.to = list(to)
        self.discriminator = discriminator
        super().__init__(editable=False, serialize=False, blank=True)
        self.is_relation = False

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = True, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=True, **kwargs)
        setattr(cls, name, self)

    def get_attname_column(self) -> tuple[str, None]:
        return self.get_attname(), None

    @property
    def cache_name(self) -> str:
        return self.name

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        to = [m if isinstance(m, str) else m._meta.label for m in self.to]
        return (
            name,
            "weakrel.WeakGenericHasOne",
            [],
            {"to": to, "discriminator": self.discriminator},
        )

    # -- the targets' keys back -------------------------------------------------------

    def _back_keys(self) -> tuple[dict[str, Any], list[checks.CheckMessage]]:
        """{label: the one WeakOneToOneField of that model back to this one}, errors."""
        found: dict[str, Any] = {}
        errors: list[checks.CheckMessage] = []
        for to in self.to:
            label = model_label(to)
            try:
                model = self.model._meta.apps.get_model(label)
            except (LookupError, ValueError):
                errors.append(self._error(f"'{label}' is not an installed model.", "weakrel.E235"))
                continue
            keys = [f for f in model._meta.fields if _is_one_to_one_to(f, self.model)]
            if len(keys) != 1:
                errors.append(
                    self._error(
                        f"'{model._meta.label}' has no single WeakOneToOneField to "
                        f"'{self.model._meta.label}'.",
                        "weakrel.E236",
                    )
                )
                continue
            found[model._meta.label_lower] = keys[0]
        return found, errors

    @cached_property
    def back_keys(self) -> dict[str, Any]:
        found, errors = self._back_keys()
        if errors:
            raise ImproperlyConfigured(errors[0].msg)
        return found

    def _error(self, message: str, id: str) -> checks.Error:
        where = f"{self.model._meta.label}.{self.name}"
        return checks.Error(f"{where}: {message}", obj=self, id=id)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = []
        try:
            column = self.model._meta.get_field(self.discriminator)
        except FieldDoesNotExist:
            column = None
        if column is None or not column.concrete:
            errors.append(
                self._error(
                    f"discriminator='{self.discriminator}' names no column of the model.",
                    "weakrel.E234",
                )
            )
        if not self.to:
            errors.append(self._error("to=[] names no model.", "weakrel.E235"))
        return errors + self._back_keys()[1]

    # -- the descriptor -----------------------------------------------------------------

    def token(self, instance: models.Model) -> tuple[str, Any] | None:
        """(the type's label, the key its row points back with), or None for no type."""
        label = (getattr(instance, self.discriminator) or "").lower()
        if not label:
            return None
        key = self.back_keys.get(label)
        if key is None:
            raise ValueError(
                f"{type(instance).__name__}.{self.discriminator}={label!r} is not one of "
                f"the models {self.name} may be ({', '.join(self.back_keys)})."
            )
        value = getattr(instance, key.target_field.attname)
        return None if value is None else (label, value)

    def __get__(self, instance: models.Model | None, cls=None):
        if instance is None:
            return self
        token = self.token(instance)
        cached = self.get_cached_value(instance, _MISSING)
        if cached is not _MISSING and _token_of(self, cached) == token:
            return cached
        obj = None
        if token is not None:
            label, value = token
            key = self.back_keys[label]
            model = key.model
            db = routing.db_for_read(model, instance=instance)
            with database_errors(db, f"reading {model._meta.label}"):
                obj = model._base_manager.using(db).get(**{key.attname: value})
        self.set_cached_value(instance, obj)
        return obj

    def __set__(self, instance: models.Model, value: Any) -> None:
        """Set the discriminator to ``value``'s type and point ``value`` back at
        ``instance`` (saving either is the caller's, as Django's reverse one-to-one)."""
        if value is None:
            setattr(instance, self.discriminator, "")
        else:
            label = value._meta.label_lower
            if label not in self.back_keys:
                raise ValueError(
                    f'Cannot assign "{value!r}": {type(instance).__name__}.{self.name} must '
                    f"be one of {', '.join(self.back_keys)}."
                )
            setattr(instance, self.discriminator, label)
            setattr(value, self.back_keys[label].name, instance)
        self.set_cached_value(instance, value)

    def is_cached(self, instance: models.Model) -> bool:
        cached = self.get_cached_value(instance, _MISSING)
        return cached is not _MISSING and _token_of(self, cached) == self.token(instance)

    def get_prefetch_querysets(self, instances: list[Any], querysets: Any = None) -> tuple:
        """One query per type that occurs among ``instances``, each in its database."""
        if querysets:
            raise ValueError(f"Prefetch('{self.name}') takes no queryset.")
        wanted: dict[str, set[Any]] = defaultdict(set)
        tokens = {id(instance): self.token(instance) for instance in instances}
        for token in tokens.values():
            if token is not None:
                wanted[token[0]].add(token[1])
        rows: list[models.Model] = []
        for label, values in wanted.items():
            key = self.back_keys[label]
            db = routing.db_for_read(key.model, instance=instances[0])
            queryset = key.model._base_manager.using(db)
            with database_errors(db, f"reading {key.model._meta.label}"):
                rows.extend(filter_in(queryset, key.attname, sorted_keys(values)))

        def rel_obj_attr(obj: models.Model) -> tuple[str, Any] | None:
            return _token_of(self, obj)

        def instance_attr(instance: models.Model) -> tuple[str, Any] | None:
            return tokens[id(instance)]

        return rows, rel_obj_attr, instance_attr, True, self.cache_name, False


def _token_of(field: WeakGenericHasOne, obj: models.Model | None) -> tuple[str, Any] | None:
    """The token ``obj`` (a target row, or None) answers."""
    if obj is None:
        return None
    label = obj._meta.label_lower
    key = field.back_keys.get(label)
    return None if key is None else (label, getattr(obj, key.attname))


def _is_one_to_one_to(field: Any, model: type[models.Model]) -> bool:
    """A concrete ``WeakOneToOneField`` naming rows of ``model``."""
    if not (isinstance(field, WeakRelationField) and field.concrete):
        return False
    if not getattr(field, "one_to_one_relation", False):
        return False
    to = field.remote_field.model
    if isinstance(to, str):
        return model_label(to) == model._meta.label_lower
    return to._meta.concrete_model is model._meta.concrete_model
