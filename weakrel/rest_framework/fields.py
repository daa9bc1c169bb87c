"""Writable key fields for weak relations: ``customer_id``, ``tags_ids``, ``patients_ids``.

A weak key has no database constraint, so the serializer is where a bad key must
become a 400: the value is converted with the key field's ``to_python`` and looked up
in the target's own database, with the weak field's own error message. A list of
keys is looked up in one query, and a key given twice is refused unless the relation
allows duplicates.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django.core import exceptions as django_exceptions
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from weakrel import routing
from weakrel.base import WeakRelationField
from weakrel.keys import TargetKey
from weakrel.relations.foreign_key import WeakForeignKey
from weakrel.relations.many_to_many import WeakManyToManyField
from weakrel.relations.references import WeakReferencesMany
from weakrel.routing import filter_in


class WeakKeyField(serializers.Field):
    """The raw key of a weak relation, checked against the target's database.

    ``model_field`` is the ``WeakForeignKey``. A ``WeakReferencesMany`` item passes
    its list field with ``target_field``, the target key it stores.
    """

    default_error_messages = {
        "incorrect_type": _("Incorrect type. Expected pk value, received {data_type}."),
        "does_not_exist": _("{model} instance with {field} {value} does not exist."),
    }

    def __init__(
        self,
        model_field: WeakRelationField[Any, Any],
        target_field: models.Field[Any, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.model_field = model_field
        self._target_field = target_field
        kwargs.setdefault("required", not (model_field.null or model_field.has_default()))
        kwargs.setdefault("allow_null", model_field.null)
        super().__init__(**kwargs)

    @property
    def target_model(self) -> type[models.Model]:
        return self.model_field.related_model

    @property
    def target_field(self) -> models.Field:
        return self.target_key.target_field

    @cached_property
    def target_key(self) -> TargetKey:
        """The codec of the keys: the model field's own, or one for ``target_field``."""
        if self._target_field is None:
            return self.model_field.target_key
        return TargetKey(self.model_field, self._target_field)

    @property
    def target_alias(self) -> str:
        return routing.db_for_read(self.target_model)

    @property
    def enforce(self) -> bool:
        return getattr(self.model_field, "enforce", True)

    def to_key(self, data: Any) -> Any:
        """Convert and range-check one key, without touching the database."""
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, float) and not data.is_integer():
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            ProhibitNullCharactersValidator()(data)
        try:
            key = self.target_key.to_python(data)
            self.target_field.run_validators(key)
        except django_exceptions.ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        except (TypeError, ValueError, OverflowError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not self.target_key.in_range(key, self.target_alias):
            raise serializers.ValidationError(self._missing_message(key))
        return key

    def _missing_message(self, key: Any) -> str:
        field = self.model_field
        if not isinstance(field, WeakForeignKey):
            return self.error_messages["does_not_exist"].format(
                model=self.target_model._meta.verbose_name, field=self.target_field.name, value=key
            )
        return field.error_messages["invalid"] % {
            "model": self.target_model._meta.verbose_name,
            "pk": key,
            "field": self.target_field.name,
            "value": key,
        }

    def to_internal_value(self, data: Any) -> Any:
        key = self.to_key(data)
        if self.enforce and not self.target_key.existing([key], self.target_alias):
            raise serializers.ValidationError(self._missing_message(key))
        return key

    def to_representation(self, value: Any) -> Any:
        if value is None or isinstance(value, (int, str)):
            return value
        return str(value)


class _UncheckedKeyField(WeakKeyField):
    """A list item: converted one by one, looked up by the list in one query."""

    def to_internal_value(self, data: Any) -> Any:
        return self.to_key(data)


class WeakKeyListField(serializers.ListField):
    """A list of weak keys, checked in one query: ``tags_ids`` of a ``WeakReferencesMany``.

    ``model_field`` is the ``WeakReferencesMany`` (or a ``WeakForeignKey``, for a list
    of its values). The list keeps its order; a key given twice is a 400 unless
    ``allow_duplicates`` (by default the ``WeakReferencesMany``'s own setting).
    """

    default_error_messages = {
        "does_not_exist": _("{model} instances with {field} {values} do not exist."),
        "duplicate": _("{values} given more than once."),
    }

    def __init__(
        self,
        model_field: WeakRelationField[Any, Any],
        *,
        child: WeakKeyField | None = None,
        allow_duplicates: bool | None = None,
        **kwargs: Any,
    ) -> None:
        self.model_field = model_field
        if child is None and isinstance(model_field, WeakReferencesMany):
            child = _UncheckedKeyField(
                model_field, target_field=model_field.key_field, required=True, allow_null=False
            )
            kwargs.setdefault("allow_null", model_field.null)
        elif child is None:  # any list of one weak key's values
            child = _UncheckedKeyField(model_field, required=True, allow_null=False)
        if allow_duplicates is None:
            allow_duplicates = getattr(model_field, "allow_duplicates", True)
        self.allow_duplicates = allow_duplicates
        kwargs.setdefault("required", False)
        super().__init__(child=child, **kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        if isinstance(data, dict):  # DRF's ListField would read a dict as a form
            self.fail("not_a_list", input_type=type(data).__name__)
        keys = super().to_internal_value(data)
        unique = list(dict.fromkeys(keys))
        if len(unique) != len(keys) and not self.allow_duplicates:
            seen: set[Any] = set()
            repeated: dict[Any, None] = {}  # in the order they repeat
            for key in keys:
                if key in seen:
                    repeated[key] = None
                seen.add(key)
            self.fail("duplicate", values=", ".join(repr(key) for key in repeated))
        child = cast("WeakKeyField", self.child)
        if not unique or not child.enforce:
            return keys
        missing = child.target_key.missing(unique, child.target_alias)
        if missing:
            self.fail(
                "does_not_exist",
                model=child.target_model._meta.verbose_name,
                field=child.target_field.name,
                values=", ".join(repr(key) for key in missing),
            )
        return keys


class WeakLinkListField(WeakKeyListField):
    """The keys a ``WeakManyToManyField`` links: ``patients_ids`` (or, on the other
    side, ``physicians_ids``).

    The relation has no column, so the serializer saves the list with the related
    manager's ``set()`` after the instance itself. Reading costs one query on the
    through model's database, for the whole list when :meth:`prefetch_keys` ran.
    """

    def __init__(
        self, model_field: WeakManyToManyField, *, reverse: bool = False, **kwargs: Any
    ) -> None:
        source, target = model_field.through_keys
        self.near, self.far = (target, source) if reverse else (source, target)
        self.relation = model_field.accessor_name if reverse else model_field.name
        child = _UncheckedKeyField(self.far, required=True, allow_null=False)
        super().__init__(model_field, child=child, allow_duplicates=False, **kwargs)

    @property
    def cache_attr(self) -> str:
        return f"_weakrel_{self.relation}_keys"

    def _links(self):
        through = self.near.model
        return through._base_manager.db_manager(routing.db_for_read(through)).order_by("pk")

    def prefetch_keys(self, instances: list[models.Model]) -> None:
        """Read the linked keys of every instance in one query (per parameter chunk)."""
        near_keys = {self.near.key_of(obj) for obj in instances} - {None}
        linked: dict[Any, list[Any]] = {key: [] for key in near_keys}
        pairs = self._links().values_list(self.near.attname, self.far.attname)
        for near_key, far_key in filter_in(pairs, self.near.attname, sorted(near_keys, key=str)):
            linked[near_key].append(far_key)
        for obj in instances:
            setattr(obj, self.cache_attr, linked.get(self.near.key_of(obj), []))

    def get_attribute(self, instance: models.Model) -> list[Any]:
        if not hasattr(instance, self.cache_attr):
            self.prefetch_keys([instance])
        return getattr(instance, self.cache_attr)
