"""A form field for a weak key: a typed key that must name a row in the target's database.

``ModelChoiceField`` would do, but it says "Select a valid choice" for a malformed
key and for a missing row alike, and its ``<select>`` lists the whole target table.
This field converts the input with the model field's ``to_python`` (so ``"abc"`` for
an integer key is an input error), then looks the row up in the database the router
picks for the target and returns it, so the instance saved by the form carries the
target already and the save-time existence check has nothing left to ask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from weakrel.relations.foreign_key import WeakForeignKey


class WeakKeyField(forms.Field):
    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("“%(value)s” is not a valid %(field)s for %(model)s."),
        "does_not_exist": _("%(model)s with %(field)s %(value)s does not exist."),
    }

    def __init__(self, model_field: WeakForeignKey, *, using: str | None = None, **kwargs: Any):
        self.model_field = model_field
        self.using = using
        # Targets read already, by key (None: no such row); an inline formset fills it
        # for all its rows with one query (weakrel.admin.inlines.preload_targets).
        self.known: dict[Any, Model | None] | None = None
        super().__init__(**kwargs)

    def _params(self, value: Any) -> dict[str, Any]:
        return {
            "model": self.model_field.related_model._meta.verbose_name,
            "field": self.model_field.target_field.verbose_name,
            "value": value,
        }

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Model):
            return self.model_field.key_of(value)
        return value

    def to_python(self, value: Any) -> Any:
        """The key, converted like the model field converts it; ``None`` when empty."""
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        try:
            return self.model_field.to_python(value)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise ValidationError(
                self.error_messages["invalid"], code="invalid", params=self._params(value)
            ) from None

    def clean(self, value: Any) -> Model | Any | None:
        """The target instance, read from its own database; the bare key if not enforced."""
        key = super().clean(value)
        if key is None:
            return None
        field = self.model_field
        try:
            if self.known is not None and key in self.known:
                if self.known[key] is None:
                    raise field.related_model.DoesNotExist  # type: ignore[attr-defined]
                return self.known[key]
            return field.target_queryset(using=self.using).get(**{field.target_field.attname: key})
        except field.related_model.DoesNotExist:  # type: ignore[attr-defined]
            if not field.enforce:
                return key
            raise ValidationError(
                self.error_messages["does_not_exist"],
                code="does_not_exist",
                params=self._params(key),
            ) from None

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            data = self.to_python(data)
        except ValidationError:
            return True
        return self.prepare_value(initial) != data
