"""ModelAdmin support for weak relations, after ``django.contrib.admin.options``.

* Change forms edit a weak key through :class:`~weakrel.admin.widgets.WeakRawIdWidget`
  and :class:`~weakrel.admin.forms.WeakKeyField`: a typed key, looked up in the
  target's own database, never a ``<select>`` of the whole target table.
* The changelist shows a weak key in ``list_display`` as a link to its target (a
  dangling key as "missing"), prefetched: ``list_display = ["id", "customer"]`` costs
  one query per page for the customers rather than one per row; ``list_filter`` and
  ``search_fields`` follow weak keys (:mod:`weakrel.admin.changelist`).
* Inlines edit the rows of another database (:mod:`weakrel.admin.inlines`); the
  change view writes each database in its own transaction (:meth:`changeform_view`).
* The delete confirmation lists what weakrel's collector would delete in the other
  databases and refuses (like Django's for ``PROTECT``) when a weak ``PROTECT`` or
  ``RESTRICT`` relation blocks the delete; the delete itself is the model's or the
  queryset's ``delete()``, which weakrel's collector already carries across databases.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.utils import quote
from django.core.exceptions import FieldDoesNotExist
from django.db import router, transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.db.models.deletion import Collector
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from weakrel import routing
from weakrel.admin.changelist import WeakChangeList, weak_columns
from weakrel.admin.checks import WeakModelAdminChecks
from weakrel.admin.forms import WeakKeyField
from weakrel.admin.generic import (
    generic_column,
    generic_columns,
    generic_keys,
    key_formfield,
    type_formfield,
    with_pair_validation,
)
from weakrel.admin.widgets import WeakRawIdWidget
from weakrel.base import reverse_sides
from weakrel.relations.foreign_key import WeakForeignKey

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from django import forms
    from django.contrib.admin import AdminSite
    from django.db.models import Field, QuerySet

    # What the mixins are put before: a type checker sees the admin's API through them.
    _AdminBase = admin.options.BaseModelAdmin[Any]
    _ModelAdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = _ModelAdminBase = object


class WeakRelationFormMixin(_AdminBase):
    """Form field and widget for weak keys; shared by model admins and inlines."""

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if isinstance(db_field, WeakForeignKey):
            return self.formfield_for_weak_key(db_field, request, **kwargs)
        column = generic_column(db_field)
        if column is not None:
            generic, role = column
            if role == "type":
                return type_formfield(generic, db_field)
            return key_formfield(generic, db_field, self.admin_site)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_weak_key(
        self, db_field: WeakForeignKey, request: HttpRequest, **kwargs: Any
    ) -> WeakKeyField | None:
        if not db_field.target_resolved:
            return None
        using = kwargs.pop("using", None)
        kwargs.setdefault("widget", WeakRawIdWidget(db_field, self.admin_site, using=using))
        # Field.formfield(), not WeakForeignKey.formfield(): that one builds a
        # ModelChoiceField over the whole target table.
        return super(WeakForeignKey, db_field).formfield(  # type: ignore[return-value]
            form_class=WeakKeyField, model_field=db_field, using=using, **kwargs
        )


class WeakRelationAdminMixin(WeakRelationFormMixin, _ModelAdminBase):
    """Mix into a ``ModelAdmin`` whose model has weak relations, or is the target of some."""

    checks_class = WeakModelAdminChecks

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[WeakChangeList]:
        return WeakChangeList

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        """Weak keys become links to their targets (:class:`WeakKeyColumn`, and
        ``GenericKeyColumn`` for a generic key)."""
        return generic_columns(self, weak_columns(self, super().get_list_display(request)))

    def get_sortable_by(self, request: HttpRequest) -> list[Any]:
        return generic_columns(self, weak_columns(self, super().get_sortable_by(request)))

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        """The form validates the generic pairs it edits (``GenericPairFormMixin``)."""
        if generic_keys(self.model):
            kwargs["form"] = with_pair_validation(kwargs.get("form", self.form))
        return super().get_form(request, obj, change, **kwargs)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """Django's view, with a transaction on each database the inlines write.

        Django's opens one on the parent's database. The inlines' databases are opened
        around it, as weakrel's deletion opens them: nothing is written before every
        transaction is open, an error anywhere rolls every database back, and the
        parent's database commits first, the others after it.
        """
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return super().changeform_view(request, object_id, form_url, extra_context)
        root = router.db_for_write(self.model)
        others = []
        for inline in self.inlines:
            alias = routing.db_for_write(inline.model)
            if alias != root and alias not in others:
                others.append(alias)
        with ExitStack() as stack:
            for alias in reversed(others):
                stack.enter_context(transaction.atomic(using=alias))
            return super().changeform_view(request, object_id, form_url, extra_context)

    def to_field_allowed(self, request: HttpRequest, to_field: str) -> bool:
        """Also allow the popup to return a ``to_field`` that a weak key refers to."""
        if super().to_field_allowed(request, to_field):
            return True
        try:
            field = self.opts.get_field(to_field)
        except FieldDoesNotExist:
            return False
        registered = set(self.admin_site._registry)
        for model_admin in self.admin_site._registry.values():
            registered.update(inline.model for inline in model_admin.inlines)
        return any(
            relation.field.key_field == field
            and any(issubclass(model, relation.field.model) for model in registered)
            for relation in reverse_sides(self.model)
            if relation.one_to_many
        )

    def get_deleted_objects(
        self, objs: Sequence[Model] | QuerySet[Model], request: HttpRequest
    ) -> tuple[list[Any], dict[Any, Any], set[Any], list[Any]]:
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        weak = weak_deleted_objects(objs, request, self.admin_site)
        to_delete += weak[0]
        for name, count in weak[1].items():
            model_count[name] = model_count.get(name, 0) + count
        perms_needed |= weak[2]
        protected += weak[3]
        return to_delete, model_count, perms_needed, protected


class WeakModelAdmin(WeakRelationAdminMixin, admin.ModelAdmin):
    pass


def _admin_label(obj: Model, request: HttpRequest, admin_site, perms_needed: set) -> str:
    """``Verbose name: <a href=change page>str(obj)</a>``, as Django's confirmation shows."""
    opts = obj._meta
    if not admin_site.is_registered(type(obj)):
        return f"{capfirst(opts.verbose_name)}: {obj}"
    if not admin_site.get_model_admin(type(obj)).has_delete_permission(request, obj):
        perms_needed.add(opts.verbose_name)
    try:
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(quote(obj.pk),),
            current_app=admin_site.name,
        )
    except NoReverseMatch:
        return f"{capfirst(opts.verbose_name)}: {obj}"
    return format_html('{}: <a href="{}">{}</a>', capfirst(opts.verbose_name), url, obj)


def weak_deleted_objects(
    objs: Iterable[Model], request: HttpRequest, admin_site: AdminSite
) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
    """What deleting ``objs`` takes with it through weak relations, in admin format.

    Runs weakrel's collector without deleting and returns, like
    ``django.contrib.admin.utils.get_deleted_objects``, ``(to_delete, model_count,
    perms_needed, protected)``, holding only what Django's own collector does not see:
    the rows reached through weak relations, in any database.
    """
    objs = list(objs)
    if not objs:
        return [], {}, set(), []
    collector = Collector(using=routing.db_for_write(type(objs[0])), origin=objs[0])
    try:
        collector.collect(objs)
    except (ProtectedError, RestrictedError):
        return [], {}, set(), []  # Django's confirmation already lists these.
    weak = getattr(collector, "weakrel_collector", None)
    if weak is None:
        return [], {}, set(), []
    seen_by_django = {(model, obj.pk) for model, items in collector.data.items() for obj in items}
    fast_by_django = len(collector.fast_deletes)
    weak.collect()
    perms_needed: set[str] = set()
    try:
        weak.check_blocked()
    except ProtectedError as exc:
        blocked = exc.protected_objects
    except RestrictedError as exc:
        blocked = exc.restricted_objects
    else:
        blocked = set()
    protected = [_admin_label(obj, request, admin_site, set()) for obj in blocked]
    to_delete: list[str] = []
    model_count: dict[str, int] = {}
    for alias_collector in weak.collectors.values():
        found = [
            obj
            for items in alias_collector.data.values()
            for obj in items
            if (type(obj), obj.pk) not in seen_by_django or alias_collector is not collector
        ]
        fast = alias_collector.fast_deletes
        if alias_collector is collector:
            fast = fast[fast_by_django:]
        for queryset in fast:
            found.extend(queryset)
        for obj in found:
            to_delete.append(_admin_label(obj, request, admin_site, perms_needed))
            name = obj._meta.verbose_name_plural
            model_count[name] = model_count.get(name, 0) + 1
    return to_delete, model_count, perms_needed, protected
