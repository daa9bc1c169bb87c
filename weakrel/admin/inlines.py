"""Inlines over weak relations, after ``django.contrib.admin.options.InlineModelAdmin``.

An inline edits the rows whose weak key names the parent (HasMany: a customer's
orders; HasOne: its profile; the through rows of a HasManyThrough: a physician's
appointments), in their own database. The key to the parent is found as Django finds
a ``ForeignKey``: the only one to the parent, or ``fk_name``
(:func:`weakrel.forms.weak_key_to`). Over a native ``ForeignKey`` the inline is
Django's, with weak keys of its rows edited as typed keys.

* :class:`WeakInlineFormSet` reads the targets of the rows' other weak keys (an
  appointment's patient) with one query per key column, for the labels and for
  validation, instead of one per row.
* A row marked for deletion that a ``PROTECT`` or ``RESTRICT`` would refuse, native or
  weak, is a form error, as Django's inlines report native ones.
* Each database is written in its own transaction:
  :meth:`weakrel.admin.WeakRelationAdminMixin.changeform_view`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import ValidationError
from django.db.models import Model, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet, modelform_defines_fields
from django.http import HttpRequest
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from weakrel import routing
from weakrel.admin.checks import WeakInlineModelAdminChecks
from weakrel.admin.forms import WeakKeyField
from weakrel.admin.options import WeakRelationFormMixin
from weakrel.admin.references import references_inlineformset_factory, weak_list_to
from weakrel.forms import inlineformset_factory, weak_key_to

if TYPE_CHECKING:
    # What the mixins are put before: a type checker sees Django's API through them.
    _ModelFormBase = forms.ModelForm[Any]
    _InlineBase = admin.options.InlineModelAdmin[Any, Any]
else:
    _ModelFormBase = _InlineBase = object


def deletion_blockers(objs: list[Model]) -> list[Model]:
    """The rows (in any database) whose ``PROTECT`` or ``RESTRICT`` refuses deleting
    ``objs``; collected without deleting."""
    collector = Collector(using=routing.db_for_write(type(objs[0])), origin=objs[0])
    try:
        collector.collect(objs)
        weak = getattr(collector, "weakrel_collector", None)
        if weak is not None:
            weak.collect()
            weak.check_blocked()
    except ProtectedError as exc:
        return list(exc.protected_objects)
    except RestrictedError as exc:
        return list(exc.restricted_objects)
    return []


def preload_targets(forms_: Sequence[forms.BaseForm]) -> None:
    """Read the targets named by the forms' weak keys, one query per key column, and
    hand them to each form's :class:`WeakKeyField` and widget."""
    keys: dict[str, set[Any]] = {}
    fields: dict[str, WeakKeyField] = {}
    for form in forms_:
        for name, field in form.fields.items():
            if not isinstance(field, WeakKeyField):
                continue
            try:
                key = field.to_python(field.prepare_value(form[name].value()))
            except ValidationError:
                continue
            fields.setdefault(name, field)
            if key is not None:
                keys.setdefault(name, set()).add(key)
    for name, field in fields.items():
        model_field = field.model_field
        queryset = model_field.target_queryset(using=field.using)
        attname = model_field.target_field.attname
        known: dict[Any, Model | None] = dict.fromkeys(keys.get(name, ()))
        for obj in routing.filter_in(queryset, attname, list(known)):
            known[getattr(obj, attname)] = obj
        for form in forms_:
            if name in form.fields:
                field = cast("WeakKeyField", form.fields[name])  # collected above
                field.known = known
                field.widget.known = known  # type: ignore[attr-defined]  # WeakRawIdWidget


class WeakInlineFormSet(BaseInlineFormSet):
    """Django's inline formset, reading its rows' weak targets in one query per key."""

    @cached_property
    def forms(self) -> list[Any]:
        forms_ = super().forms
        preload_targets(forms_)
        return forms_


class CheckedKeysMixin(_ModelFormBase):
    """A weak key the form field has just read its target for is not read again by
    the model's ``full_clean()``: one query per key column for a whole formset."""

    def _get_validation_exclusions(self) -> set[str]:
        # ModelForm's private hook (Django 4.2+), which django-stubs leaves out.
        exclude = super()._get_validation_exclusions()  # type: ignore[misc]
        for name, field in self.fields.items():
            if isinstance(field, WeakKeyField) and isinstance(self.cleaned_data.get(name), Model):
                exclude.add(name)
        return exclude


class DeleteProtectedMixin(_ModelFormBase):
    """A row whose delete ``PROTECT`` or ``RESTRICT`` would refuse is a form error."""

    def hand_clean_DELETE(self) -> None:  # noqa: N802 - Django's name
        if not self.cleaned_data.get(DELETION_FIELD_NAME) or self.instance._state.adding:
            return
        blockers = deletion_blockers([self.instance])
        if blockers:
            objs = [
                _("%(class_name)s %(instance)s")
                % {"class_name": obj._meta.verbose_name, "instance": obj}
                for obj in blockers
            ]
            raise ValidationError(
                _(
                    "Deleting %(class_name)s %(instance)s would require deleting the "
                    "following protected related objects: %(related_objects)s"
                ),
                code="deleting_protected",
                params={
                    "class_name": self._meta.model._meta.verbose_name,
                    "instance": self.instance,
                    "related_objects": get_text_list(objs, _("and")),
                },
            )

    def is_valid(self) -> bool:
        result = super().is_valid()
        self.hand_clean_DELETE()
        return result


class WeakInlineMixin(WeakRelationFormMixin, _InlineBase):
    """Inline over a weak key to the parent (or a native ``ForeignKey``)."""

    formset = WeakInlineFormSet
    checks_class = WeakInlineModelAdminChecks

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        """Django's ``InlineModelAdmin.get_formset()``, over a weak key to the parent."""
        weak_key = weak_key_to(self.parent_model, self.model, self.fk_name)
        weak_list = None if weak_key else weak_list_to(self.parent_model, self.model, self.fk_name)
        if weak_key is None and weak_list is None:
            form = type(self.form.__name__, (CheckedKeysMixin, kwargs.get("form", self.form)), {})
            return super().get_formset(request, obj, **{**kwargs, "form": form})
        if "fields" in kwargs:
            fields = kwargs.pop("fields")
        else:
            fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        excluded = self.get_exclude(request, obj)
        exclude = [] if excluded is None else list(excluded)
        exclude.extend(self.get_readonly_fields(request, obj))
        if excluded is None and hasattr(self.form, "_meta") and self.form._meta.exclude:
            exclude.extend(self.form._meta.exclude)
        defaults = {
            "form": self.form,
            "formset": self.formset,
            "fk_name": self.fk_name,
            "fields": fields,
            "exclude": exclude or None,
            "formfield_callback": partial(self.formfield_for_dbfield, request=request),
            "extra": self.get_extra(request, obj, **kwargs),
            "min_num": self.get_min_num(request, obj, **kwargs),
            "max_num": self.get_max_num(request, obj, **kwargs),
            "can_delete": self.can_delete and self.has_delete_permission(request, obj),
            **kwargs,
        }
        can_change = self.has_change_permission(request, obj) if request else True
        can_add = self.has_add_permission(request, obj) if request else True

        # The form class is the inline's, chosen at run time.
        form_class: Any = defaults["form"]

        class PermittedForm(form_class):
            def has_changed(self) -> bool:
                # As Django's: no edits the user may not make.
                if not can_change and not self.instance._state.adding:
                    return False
                if not can_add and self.instance._state.adding:
                    return False
                return super().has_changed()

        if weak_list is not None:  # a removed row leaves the list, nothing is deleted
            defaults["form"] = PermittedForm
            return references_inlineformset_factory(self.parent_model, self.model, **defaults)

        class DeleteProtectedModelForm(DeleteProtectedMixin, CheckedKeysMixin, PermittedForm):
            pass

        defaults["form"] = DeleteProtectedModelForm
        if defaults["fields"] is None and not modelform_defines_fields(defaults["form"]):
            defaults["fields"] = forms.ALL_FIELDS
        return inlineformset_factory(self.parent_model, self.model, **defaults)


class WeakTabularInline(WeakInlineMixin, admin.TabularInline):
    """A tabular inline over a weak key to the parent (or a native ``ForeignKey``)."""


class WeakStackedInline(WeakInlineMixin, admin.StackedInline):
    """A stacked inline over a weak key to the parent (or a native ``ForeignKey``)."""
