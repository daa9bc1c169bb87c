"""One key codec for every weak relation: :class:`TargetKey`.

A weak relation stores keys of its target's key field (its primary key, or a unique
``to_field``). Whatever the kind, a key is converted the same way (``"3"`` becomes 3
with the target field's ``to_python``), refused the same way when no database could
store it, written the same way inside a JSON list, and looked up the same way: one
``IN`` query per chunk of keys, in the target's database.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import Any, cast

from django.core import exceptions
from django.db import connections, models

from weakrel.exceptions import DanglingReferenceError
from weakrel.routing import chunks, database_errors, db_for_read, key_chunk_size

# What a key column stores for each kind of target key: AutoFields become plain integers.
INTEGER_TYPES = {
    "AutoField": "IntegerField",
    "BigAutoField": "BigIntegerField",
    "SmallAutoField": "SmallIntegerField",
}
# No backend stores an integer key wider than 64 bits.
INT64 = (-(2**63), 2**63 - 1)


def sorted_keys(keys: Iterable[Any]) -> list[Any]:
    """``keys`` in a stable order (for repeatable SQL): their own order when they
    compare, else by their text."""
    keys = list(keys)
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=str)


class TargetKey:
    """The keys one weak relation stores: ``field`` refers to ``target_field``."""

    def __init__(self, field: models.Field, target_field: models.Field) -> None:
        self.field = field
        self.target_field = target_field
        self._ranges: dict[str, tuple[int, int] | None] = {}

    @property
    def model(self) -> type[models.Model]:
        """The target model (a multi-table child, not the parent a field came from)."""
        # A relation's field: its target is resolved by the time keys are read.
        return cast("type[models.Model]", self.field.related_model)

    @cached_property
    def value_field(self) -> models.Field:
        """The field whose values the key holds: through a multi-table child's parent
        link to the parent's primary key."""
        field = self.target_field
        while field.remote_field is not None and getattr(field, "target_field", None):
            field = field.target_field  # type: ignore[attr-defined]  # a parent link
        return field

    @cached_property
    def internal_type(self) -> str:
        """The internal type of a column holding these keys (AutoFields as integers)."""
        internal = self.value_field.get_internal_type()
        return INTEGER_TYPES.get(internal, internal)

    # -- converting ---------------------------------------------------------------

    def to_python(self, value: Any) -> Any:
        """``value`` as a key, or ``ValidationError`` for what no key column holds.

        A list or tuple is a natural key when the target's manager has
        ``get_by_natural_key()`` (``loaddata`` of ``dumpdata --natural-foreign``): it is
        looked up in the target's own database.
        """
        if value is None:
            return None
        if isinstance(value, list | tuple) and self.natural_keys:
            return self.from_natural_key(value)
        try:
            key = self.target_field.to_python(value)
        except (TypeError, ValueError, OverflowError) as exc:
            # Django's fields let these through for some inputs (int(inf), bytes to UUID).
            raise self.error("invalid_key", value) from exc
        if isinstance(key, str) and "\x00" in key:
            # PostgreSQL cannot even compare such a string; no database stores it as a key.
            raise self.error("null_characters", value)
        return key

    @cached_property
    def natural_keys(self) -> bool:
        return hasattr(self.model._default_manager, "get_by_natural_key")

    def from_natural_key(self, natural_key: list | tuple) -> Any:
        manager = self.model._default_manager
        db = db_for_read(self.model)
        try:
            with database_errors(db, f"reading {self.model._meta.label}"):
                target = manager.db_manager(db).get_by_natural_key(*natural_key)
        # DoesNotExist is added to each model class; django-stubs declares it per model.
        except (self.model.DoesNotExist, TypeError, ValueError) as exc:  # type: ignore[attr-defined]
            raise self.error("invalid_key", list(natural_key)) from exc
        return getattr(target, self.target_field.attname)

    def error(self, code: str, value: Any) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            self.field.error_messages[code],
            code=code,
            params={
                "value": value,
                "model": self.model._meta.object_name,
                "field": self.target_field.name,
            },
        )

    def json(self, key: Any) -> int | str:
        """How one key is written inside a JSON array: a number or a string."""
        value = self.target_field.get_prep_value(key)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return str(value)

    # -- ranges -------------------------------------------------------------------

    def column_range(self, alias: str) -> tuple[int, int] | None:
        """The integers a key column holds on ``alias``; None for other key types.

        Worked out once per alias: a lookup checks every key it is given.
        """
        try:
            return self._ranges[alias]
        except KeyError:
            pass
        ops = connections[alias].ops
        bounds = None
        if self.internal_type in ops.integer_field_ranges:
            low, high = ops.integer_field_range(self.internal_type)
            bounds = (INT64[0] if low is None else low, INT64[1] if high is None else high)
        self._ranges[alias] = bounds
        return bounds

    def in_range(self, key: Any, alias: str) -> bool:
        """False for an integer the key column on ``alias`` cannot hold: it names no row."""
        if not isinstance(key, int):
            return True
        bounds = self.column_range(alias)
        return bounds is None or bounds[0] <= key <= bounds[1]

    # -- existence ----------------------------------------------------------------

    def existing(self, keys: Iterable[Any], alias: str) -> set[Any]:
        """The keys among ``keys`` that name a row in ``alias``: one query per chunk."""
        attname = self.target_field.attname
        wanted = sorted({key for key in keys if self.in_range(key, alias)}, key=str)
        if not wanted:
            return set()
        rows = self.model._base_manager.using(alias).values_list(attname, flat=True)
        found: set[Any] = set()
        with database_errors(alias, f"checking {self.field.model.__name__}.{self.field.name}"):
            for chunk in chunks(wanted, key_chunk_size(alias)):
                found.update(rows.filter(**{f"{attname}__in": chunk}))
        return found

    def missing(self, keys: Iterable[Any], alias: str) -> list[Any]:
        """The keys among ``keys`` that name no row in ``alias``, in their order."""
        keys = list(dict.fromkeys(keys))
        found = self.existing(keys, alias)
        return [key for key in keys if key not in found]

    def dangling(self, key: Any, alias: str) -> DanglingReferenceError:
        field = self.field
        return DanglingReferenceError(
            f"{field.model.__name__}.{field.name}: no {self.model.__name__} with "
            f"{self.target_field.name}={key!r} in database {alias!r}.",
            model=field.model,
            field=field,
            value=key,
            database=alias,
        )

    def check(self, keys: Iterable[Any], alias: str) -> None:
        """Raise ``DanglingReferenceError`` for the first of ``keys`` that names nothing."""
        missing = self.missing(keys, alias)
        if missing:
            raise self.dangling(missing[0], alias)
