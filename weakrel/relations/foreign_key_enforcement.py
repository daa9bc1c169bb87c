"""BelongsTo's checks of its keys: the save check, ``full_clean()`` and bulk writes.

:class:`KeyEnforcement` is the part of ``WeakForeignKey`` (``foreign_key``) that looks
a row's key up in the target's database before the row is written, one key per row
on ``save()``, a batch per database for ``check_references()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core import exceptions
from django.db import models

from weakrel import routing
from weakrel.base import WeakRelationField
from weakrel.conf import weakrel_settings
from weakrel.enforcement import check_keys, loaded_keys
from weakrel.generics import _GT, _ST
from weakrel.relations.foreign_key_descriptors import pending_name

if TYPE_CHECKING:
    from django.db.models import QuerySet

_UNSET = object()


class KeyEnforcement(WeakRelationField[_ST, _GT]):
    """Looks up the keys a ``WeakForeignKey`` is about to write."""

    target_field: models.Field[Any, Any]

    def get_forward_related_filter(self, obj: models.Model) -> dict[str, Any]:
        """The filter for the rows pointing at ``obj`` (``Meta.order_with_respect_to``)."""
        return {self.attname: self.key_of(obj)}

    def target_queryset(
        self, *, instance: models.Model | None = None, using: str | None = None
    ) -> QuerySet[Any]:
        """The target's base manager, routed for reading (Django's hints convention)."""
        model = self.related_model
        db = using or routing.db_for_read(model, instance=instance)
        return model._base_manager.db_manager(db).all()

    def target_exists(self, key: Any, *, instance: models.Model | None = None) -> bool:
        """Whether ``key`` names a row in the database the target is read from."""
        db = routing.db_for_read(self.related_model, instance=instance)
        return bool(self.target_key.existing([key], db))

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
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

    def prepare_key(self, instance: models.Model) -> Any:
        """Normalise the key on ``instance`` before it is written.

        Picks up the key of a target that was assigned before it was saved, and
        converts the raw value (``"3"`` becomes ``3``; a malformed key raises
        ``ValidationError`` rather than a database error).
        """
        key = getattr(instance, self.attname)
        pending = instance.__dict__.get(pending_name(self))
        if key is None and pending is not None:
            key = self.key_of(pending)
            if key is None:
                raise ValueError(
                    "save() prohibited to prevent data loss due to unsaved related object "
                    f"'{self.name}'."
                )
            # Taken once: a key set to None afterwards stays None.
            del instance.__dict__[pending_name(self)]
        key = self.to_python(key)
        instance.__dict__[self.attname] = key
        return key

    def unchecked_key(self, instance: models.Model) -> Any:
        """The key of ``instance`` still to look up: None when there is none, or when
        it is that of a saved target assigned to the instance."""
        key = self.prepare_key(instance)
        cached = self.get_cached_value(instance, None)
        if cached is not None and not cached._state.adding and self.key_of(cached) == key:
            return None
        return key

    def check_on_save(self, instance: models.Model) -> None:
        """Called before ``instance`` is saved: convert the key, refuse a dangling one."""
        key = self.unchecked_key(instance)
        if getattr(instance, self.attname) is None and not self.null:
            # Said here rather than left to the database's NOT NULL error.
            raise ValueError(
                f"{type(instance).__name__}.{self.name} cannot be None: the field is not nullable."
            )
        if key is not None and self.enforce and not self._unchanged_and_trusted(instance, key):
            check_keys(self, [(instance, key)])

    def _unchanged_and_trusted(self, instance: models.Model, key: Any) -> bool:
        """``WEAKREL["CHECK_UNCHANGED_KEYS"] = False``: a saved row re-saved with the key
        it was loaded with is not looked up again."""
        if weakrel_settings.CHECK_UNCHANGED_KEYS or instance._state.adding:
            return False
        return loaded_keys(instance).get(self.attname, _UNSET) == key

    def checked_value(self, value: Any) -> Any:
        """A key written by ``WeakQuerySet.update()``: converted, and checked."""
        key = self.to_python(value)
        if key is not None and self.enforce:
            check_keys(self, [(None, key)])
        return key

    def check_batch(self, instances: list[models.Model]) -> None:
        """``check_references()``: the keys of a batch, one query per database."""
        pairs = ((obj, self.unchecked_key(obj)) for obj in instances)
        check_keys(self, [(obj, key) for obj, key in pairs if key is not None])
