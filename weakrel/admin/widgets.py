"""The raw-id input for a weak key, after ``ForeignKeyRawIdWidget``.

Django's widget reads a ``ForeignKey``'s ``rel``; a weak key has no such relation,
so this one asks the model field for the target model and key instead. It renders
the same template: the key input, the lookup link to the target's changelist when
the target is registered on the same admin site, and the current target's label
linking to its change page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.core.exceptions import ValidationError
from django.db.models import UUIDField
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

    from weakrel.relations.foreign_key import WeakForeignKey


class WeakRawIdWidget(ForeignKeyRawIdWidget):
    def __init__(
        self,
        field: WeakForeignKey,
        admin_site: AdminSite,
        attrs: dict[str, Any] | None = None,
        using: str | None = None,
    ) -> None:
        self.field = field
        # Targets read already, by key (see WeakKeyField.known).
        self.known: dict[Any, Any] | None = None
        # A WeakRel reads as the ManyToOneRel Django's widget expects.
        super().__init__(field.remote_field, admin_site, attrs=attrs, using=using)  # type: ignore[arg-type]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # ForeignKeyRawIdWidget.get_context() reads rel.get_related_field(), which a
        # weak relation does not have; this is the same context, from the field.
        context = forms.TextInput.get_context(self, name, value, attrs)
        target = self.field.related_model
        context["related_url"] = None
        if self.admin_site.is_registered(target):
            related_url = reverse(
                f"admin:{target._meta.app_label}_{target._meta.model_name}_changelist",
                current_app=self.admin_site.name,
            )
            params = self.url_parameters()
            if params:
                related_url += "?" + urlencode(params)
            context["related_url"] = related_url
            context["link_title"] = _("Lookup")
            # The admin's JavaScript looks for these classes.
            css_class = "vForeignKeyRawIdAdminField"
            if isinstance(self.field.target_field, UUIDField):
                css_class += " vUUIDField"
            context["widget"]["attrs"].setdefault("class", css_class)
        context["link_label"] = None
        if context["widget"]["value"]:
            context["link_label"], context["link_url"] = self.label_and_url_for_value(value)
        return context

    def url_parameters(self) -> dict[str, str]:
        from django.contrib.admin.options import TO_FIELD_VAR

        params = self.base_url_parameters()
        target_field = self.field.target_field
        # The popup returns the primary key unless told otherwise; naming another
        # field needs the target's admin to allow it (WeakRelationAdminMixin does).
        if not target_field.primary_key:
            params[TO_FIELD_VAR] = target_field.name
        return params

    def label_and_url_for_value(self, value: Any) -> tuple[str, str]:
        field = self.field
        try:
            key = field.to_python(value)
            if self.known is not None and key in self.known:
                obj = self.known[key]
                if obj is None:
                    return "", ""
            else:
                queryset = field.target_queryset(using=self.db)
                obj = queryset.get(**{field.target_field.attname: key})
        except (ValueError, TypeError, ValidationError, field.related_model.DoesNotExist):  # type: ignore[attr-defined]
            return "", ""
        opts = obj._meta
        try:
            url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=(obj.pk,),
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            url = ""
        return Truncator(obj).words(14), url
