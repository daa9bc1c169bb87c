"""Writable key fields for weak relations: ``customer_id``, ``tag_ids``.

A weak key has no database constraint, so the serializer is where a bad key must
become a 400: the value is converted with the key field's ``to_python`` and looked up
in the target's own database, with the weak field's own error message.
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions as django_exceptions
from django.core.validators import ProhibitNullCharactersValidator
from django.db import connections, models, router
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from weakrel.routing import filter_in

_INTEGER_TYPES = {
    "AutoField": "IntegerField",
    "BigAutoField": "BigIntegerField",
    "SmallAutoField": "SmallIntegerField",
}


class WeakKeyField(serializers.Field):
    """The raw key of a weak relation, checked against the target's database.

    ``model_field`` is the ``WeakForeignKey`` (or any field with ``related_model``,
    ``target_field`` and ``error_messages["invalid"]``).
    """

    default_error_messages = {
        "incorrect_type": _("Incorrect type. Expected pk value, received {data_type}."),
    }

    def __init__(self, model_field: models.Field, **kwargs: Any) -> None:
        self.model_field = model_field
        kwargs.setdefault("required", not (model_field.null or model_field.has_default()))
        kwargs.setdefault("allow_null", model_field.null)
        super().__init__(**kwargs)

    @property
    def target_model(self) -> type[models.Model]:
        return self.model_field.related_model

    @property
    def target_field(self) -> models.Field:
        return self.model_field.target_field

    def target_queryset(self) -> models.QuerySet:
        model = self.target_model
        return model._base_manager.db_manager(router.db_for_read(model)).all()

    def to_key(self, data: Any) -> Any:
        """Convert and range-check one key, without touching the database."""
        if isinstance(data, bool) or not isinstance(data, (str, int, float)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, float) and not data.is_integer():
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            ProhibitNullCharactersValidator()(data)
        target = self.target_field
        try:
            key = self.model_field.to_python(data)
            target.run_validators(key)
        except django_exceptions.ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from None
        except (TypeError, ValueError, OverflowError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        internal = target.get_internal_type()
        internal = _INTEGER_TYPES.get(internal, internal)
        if isinstance(key, int):
            alias = router.db_for_read(self.target_model)
            low, high = connections[alias].ops.integer_field_range(internal)
            low = -(2**63) if low is None else low
            high = 2**63 - 1 if high is None else high
            if not low <= key <= high:
                raise serializers.ValidationError(self._missing_message(key))
        return key

    def _missing_message(self, key: Any) -> str:
        field = self.model_field
        return field.error_messages["invalid"] % {
            "model": self.target_model._meta.verbose_name,
            "pk": key,
            "field": self.target_field.name,
            "value": key,
        }

    def to_internal_value(self, data: Any) -> Any:
        key = self.to_key(data)
        if getattr(self.model_field, "enforce", True):
            exists = self.target_queryset().filter(**{self.target_field.attname: key}).exists()
            if not exists:
                raise serializers.ValidationError(self._missing_message(key))
        return key

    def to_representation(self, value: Any) -> Any:
        if value is None or isinstance(value, (int, str)):
            return value
        return str(value)


class WeakKeyListField(serializers.ListField):
    """A list of weak keys (HasManyThrough, ReferencesMany), checked in one query."""

    default_error_messages = {
        "does_not_exist": _("{model} instances with {field} {values} do not exist."),
    }

    def __init__(self, model_field: models.Field, **kwargs: Any) -> None:
        self.model_field = model_field
        kwargs.setdefault("child", _UncheckedKeyField(model_field, required=True, allow_null=False))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[Any]:
        keys = super().to_internal_value(data)
        if not keys or not getattr(self.model_field, "enforce", True):
            return keys
        child: WeakKeyField = self.child
        attname = child.target_field.attname
        unique = list(dict.fromkeys(keys))
        rows = filter_in(child.target_queryset().only(attname), attname, unique)
        found = {getattr(row, attname) for row in rows}
        missing = [key for key in unique if key not in found]
        if missing:
            self.fail(
                "does_not_exist",
                model=child.target_model._meta.verbose_name,
                field=child.target_field.name,
                values=", ".join(repr(key) for key in missing),
            )
        return keys


class _UncheckedKeyField(WeakKeyField):
    """A list item: converted one by one, looked up by the list in one query."""

    def to_internal_value(self, data: Any) -> Any:
        return self.to_key(data)
