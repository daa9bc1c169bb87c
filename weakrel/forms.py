"""Inline formsets over a weak key: the dependents of one parent, in their own database.

``django.forms.inlineformset_factory()`` looks for a ``ForeignKey`` to the parent and
refuses a weak key. :func:`inlineformset_factory` takes the same arguments, with the
same defaults, and finds the weak key the way Django finds a foreign key: the only one
to the parent (or one of its parents), or ``fk_name``. The formset is Django's own
``BaseInlineFormSet``: it reads the parent's dependents with
``filter(<key>=parent)``, sets the key on new rows and saves each row through the
router, in the dependents' database.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from django.db.models import Model
from django.forms import models as model_forms

from weakrel.relations.foreign_key import WeakForeignKey

# Django's own defaults, which differ from modelformset_factory()'s (extra=3, ...).
INLINE_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(model_forms.inlineformset_factory).parameters.items()
    if parameter.default is not inspect.Parameter.empty
    and name not in ("form", "formset", "fk_name")
}


def weak_key_to(
    parent_model: type[Model], model: type[Model], fk_name: str | None = None
) -> WeakForeignKey[Any, Any] | None:
    """``model``'s weak key to ``parent_model`` (Django's rules), or None if it has none."""
    keys = [
        field
        for field in model._meta.fields
        if isinstance(field, WeakForeignKey)
        and field.target_resolved
        and issubclass(parent_model, cast("type[Model]", field.related_model._meta.concrete_model))
    ]
    label = f"'{model._meta.label}'", f"'{parent_model._meta.label}'"
    if fk_name is not None:
        named = [field for field in model._meta.fields if field.name == fk_name]
        if named and isinstance(named[0], WeakForeignKey):
            if named[0] not in keys:
                raise ValueError(f"fk_name '{fk_name}' is not a ForeignKey to {label[1]}.")
            return named[0]
        return None
    if len(keys) > 1:
        raise ValueError(
            f"{label[0]} has more than one ForeignKey to {label[1]}. You must specify "
            "a 'fk_name' attribute."
        )
    return keys[0] if keys else None


def inlineformset_factory(
    parent_model: type[Model],
    model: type[Model],
    form: type[model_forms.ModelForm[Any]] = model_forms.ModelForm,
    formset: type[model_forms.BaseInlineFormSet[Any, Any, Any]] = model_forms.BaseInlineFormSet,
    fk_name: str | None = None,
    **kwargs: Any,
) -> type[model_forms.BaseModelFormSet[Any, Any]]:
    """``django.forms.inlineformset_factory()`` for a weak key (or a ``ForeignKey``)."""
    fk = weak_key_to(parent_model, model, fk_name)
    if fk is None:
        return model_forms.inlineformset_factory(
            parent_model, model, form, formset, fk_name, **kwargs
        )
    options = {**INLINE_DEFAULTS, **kwargs}
    if fk.unique:  # as Django: a unique key to the parent allows one form
        options["max_num"] = 1
    formset_class = model_forms.modelformset_factory(model, form=form, formset=formset, **options)
    formset_class.fk = fk  # type: ignore[attr-defined]  # as Django's inline formsets have
    return formset_class
