"""The change list over weak keys: columns, filters and the queries behind them.

* :class:`WeakKeyColumn`: what ``list_display = ["customer"]`` becomes for a weak key,
  a link to the target's change page, a dangling key shown as "missing", sorted by
  the key column (the target's columns are in another database).
* :class:`WeakChangeList`: prefetches those columns' targets, one query per target
  database per page, and turns ``list_filter`` paths that cross a weak key into
  :class:`WeakRelatedFieldListFilter` (the path ends at a weak key) or
  :class:`WeakAllValuesFieldListFilter` (it ends at a column of the far model), whose
  choices are read from the far model's own database.
* :func:`weak_field_path`: the fields along such a path, for the filters and checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from django.contrib.admin import FieldListFilter
from django.contrib.admin.filters import (  # type: ignore[attr-defined]  # see below
    AllValuesFieldListFilter,
    RelatedFieldListFilter,
    get_last_value_from_parameters,  # Django 5.0+, which django-stubs leaves out
)
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.db.models import Field, Model
from django.db.models.constants import LOOKUP_SEP
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from weakrel import routing
from weakrel.relations.foreign_key import WeakForeignKey

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite, ModelAdmin

_MISSING = object()


def weak_field_path(model: type[Model], path: str) -> list[Field] | None:
    """The fields along ``path`` (``customer__country``) when it crosses a weak key.

    None when it crosses none (Django's admin handles it). Raises
    ``FieldDoesNotExist`` for a name that is not a field, ``ValueError`` for a path
    that continues past a column.
    """
    fields: list[Field] = []
    crossed = False
    for piece in path.split(LOOKUP_SEP):
        if fields:
            last = fields[-1]
            if isinstance(last, WeakForeignKey):
                model, crossed = last.related_model, True
            elif getattr(last, "path_infos", None):
                model = last.path_infos[-1].to_opts.model  # type: ignore[attr-defined]
            else:
                raise ValueError(f"'{last.name}' in '{path}' is not a relation.")
        fields.append(model._meta.get_field(piece))  # type: ignore[arg-type]  # or a rel
    return fields if crossed or isinstance(fields[-1], WeakForeignKey) else None


class WeakKeyColumn:
    """A ``list_display`` column for a weak key: the target as a link to its change
    page, ``<key> (missing)`` when no row has the key, the empty value for ``NULL``."""

    def __init__(
        self, field: WeakForeignKey[Any, Any], admin_site: AdminSite, *, sorted_by_key: bool = False
    ) -> None:
        self.weak_field = field
        self.admin_site = admin_site
        self.__name__ = field.name
        self.admin_order_field = field.attname
        self.short_description = field.verbose_name
        if sorted_by_key:
            # The target's columns live in another database: the sort is by key.
            self.short_description = f"{field.verbose_name} (sorted by {field.attname})"

    # Equal to the column of the same field, so ``sortable_by`` (another call of
    # get_list_display()) still finds it.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, WeakKeyColumn) and other.weak_field is self.weak_field

    def __hash__(self) -> int:
        return hash(self.weak_field)

    def target(self, obj: Model) -> Model | None:
        """The prefetched target, or None when no row has the key."""
        field = self.weak_field
        cached = field.get_cached_value(obj, _MISSING)
        if cached is not _MISSING:
            if cached is not None and field.key_of(cached) == getattr(obj, field.attname):
                return cached
            if cached is None:
                return None
        try:
            return getattr(obj, field.name)
        except field.related_model.DoesNotExist:  # type: ignore[attr-defined]  # per model
            return None

    def __call__(self, obj: Model) -> str | None:
        field = self.weak_field
        key = getattr(obj, field.attname)
        if key is None:
            return None
        target = self.target(obj)
        if target is None:
            return format_html(
                '<span class="weakrel-missing" style="color: var(--error-fg, #ba2121)" '
                'title="No {} has this key.">{} (missing)</span>',
                field.related_model._meta.verbose_name,
                key,
            )
        url = self.change_url(target)
        return format_html('<a href="{}">{}</a>', url, target) if url else str(target)

    def change_url(self, target: Model) -> str | None:
        return admin_change_url(self.admin_site, target)

    def sort(self, ordering: list[Any]) -> list[Any]:
        """The changelist's ordering once this column is sorted (the key column)."""
        return ordering


def admin_change_url(admin_site, target: Model) -> str | None:
    """``target``'s change page on ``admin_site``; None when its model is not there."""
    opts = target._meta
    if not admin_site.is_registered(type(target)):
        return None
    try:
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change",
            args=(quote(target.pk),),
            current_app=admin_site.name,
        )
    except NoReverseMatch:
        return None


def weak_columns(model_admin: ModelAdmin[Any], list_display: Sequence[Any]) -> list[Any]:
    """``list_display`` with each weak key name replaced by a :class:`WeakKeyColumn`."""
    return key_columns(model_admin, list_display, _weak_key, WeakKeyColumn)


def key_columns(
    model_admin: ModelAdmin[Any],
    list_display: Sequence[Any],
    find: Callable[[type[Model], Any], Any],
    column: Callable[..., Any],
) -> list[Any]:
    """``list_display`` with each name ``find`` knows as a key replaced by a
    ``column(field, admin_site)``. Names in ``list_editable`` or used as the row's link
    stay names."""
    links = model_admin.list_display_links
    if links is not None and not links:
        links = list(list_display)[:1]
    keep = set(model_admin.list_editable) | set(links or ())
    columns = []
    for name in list_display:
        field = find(model_admin.model, name) if name not in keep else None
        columns.append(name if field is None else column(field, model_admin.admin_site))
    return columns


def _weak_key(model: type[Model], name: Any) -> WeakForeignKey | None:
    if not isinstance(name, str):
        return None
    field = next((f for f in model._meta.fields if f.name == name), None)
    return field if isinstance(field, WeakForeignKey) else None


def weak_list_display_names(model: type[Model], list_display: Sequence[Any]) -> list[str]:
    """The weak keys shown in ``list_display`` (names or :class:`WeakKeyColumn`).

    Reverse accessors (``profile``) are not columns: Django's admin checks refuse
    reverse relations in ``list_display`` (admin.E109), weak or not.
    """
    names = []
    for name in list_display:
        if isinstance(name, WeakKeyColumn):
            names.append(name.weak_field.name)
        elif _weak_key(model, name) is not None:
            names.append(name)
    return names


class WeakRelatedFieldListFilter(RelatedFieldListFilter):
    """Filter on a weak key (``customer``, ``customer__region``): one choice per target,
    read from the target's database; the filter is on the key column."""

    def __init__(
        self,
        field: Any,
        request: Any,
        params: dict[str, Any],
        model: type[Model],
        model_admin: Any,
        field_path: str,
    ) -> None:
        prefix = field_path[: -len(field.name)]
        self.lookup_kwarg = f"{prefix}{field.attname}__exact"
        self.lookup_kwarg_isnull = f"{field_path}__isnull"
        self.lookup_val = params.get(self.lookup_kwarg)
        self.lookup_val_isnull = get_last_value_from_parameters(params, self.lookup_kwarg_isnull)
        FieldListFilter.__init__(self, field, request, params, model, model_admin, field_path)
        self.lookup_choices = self.field_choices(field, request, model_admin)
        self.lookup_title = self.title = field.verbose_name
        self.empty_value_display = model_admin.get_empty_value_display()

    def field_choices(self, field: Any, request: Any, model_admin: Any) -> Any:
        target = field.related_model
        queryset = target._default_manager.using(routing.db_for_read(target))
        queryset = queryset.complex_filter(field.get_limit_choices_to())
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(field.key_of(obj), str(obj)) for obj in queryset]


class WeakAllValuesFieldListFilter(AllValuesFieldListFilter):
    """Filter on a column beyond a weak key (``customer__country``): its distinct values,
    read from the far model's database."""

    def __init__(
        self,
        field: Any,
        request: Any,
        params: dict[str, Any],
        model: type[Model],
        model_admin: Any,
        field_path: str,
    ) -> None:
        self.lookup_kwarg = field_path
        self.lookup_kwarg_isnull = f"{field_path}__isnull"
        self.lookup_val = params.get(self.lookup_kwarg)
        self.lookup_val_isnull = get_last_value_from_parameters(params, self.lookup_kwarg_isnull)
        self.empty_value_display = model_admin.get_empty_value_display()
        far = field.model
        values = far._default_manager.using(routing.db_for_read(far))
        # Read once, into a list (Django keeps the queryset there).
        self.lookup_choices = list(  # type: ignore[assignment]
            values.distinct().order_by(field.name).values_list(field.name, flat=True)
        )
        FieldListFilter.__init__(self, field, request, params, model, model_admin, field_path)


def weak_filter(path: str, fields: list[Field], request, params, model, model_admin):
    """The list filter for a path that crosses a weak key (see the module docstring)."""
    field = fields[-1]
    filter_class: type[FieldListFilter]
    if isinstance(field, WeakForeignKey):
        filter_class = WeakRelatedFieldListFilter
    else:
        # The registry FieldListFilter.register() fills: Django's private list.
        registered = FieldListFilter._field_list_filters  # type: ignore[attr-defined]
        filter_class = next(cls for test, cls in registered if test(field))
        if filter_class is AllValuesFieldListFilter:
            filter_class = WeakAllValuesFieldListFilter
    return filter_class(field, request, params, model, model_admin, field_path=path)


class WeakChangeList(ChangeList):
    """A changelist that prefetches the weak keys in its columns and filters through
    weak keys."""

    def __init__(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        # A column sorted by its weak key says so in its header.
        for index in self.get_ordering_field_columns():
            column = self.list_display[index]
            if isinstance(column, WeakKeyColumn):
                # A list: WeakRelationAdminMixin.get_list_display() returns one.
                self.list_display[index] = type(column)(  # type: ignore[index,assignment]
                    column.weak_field, column.admin_site, sorted_by_key=True
                )

    def get_ordering(self, request: Any, queryset: Any) -> list[Any]:
        ordering = super().get_ordering(request, queryset)
        for index in self.get_ordering_field_columns():
            column = self.list_display[index]
            if isinstance(column, WeakKeyColumn):
                ordering = column.sort(ordering)
        return ordering

    def get_filters(self, request: Any) -> Any:
        # A path through a weak key becomes a filter Django calls as a list filter
        # class: Django's own would look for a join that does not exist.
        list_filter: list[Any] = []
        for item in self.list_filter:
            fields = weak_field_path(self.model, item) if isinstance(item, str) else None
            if fields is None or not isinstance(item, str):
                list_filter.append(item)
            else:
                list_filter.append(partial(weak_filter, item, fields))
        self.list_filter = list_filter
        return super().get_filters(request)

    def apply_select_related(self, qs: Any) -> Any:
        qs = super().apply_select_related(qs)
        names = weak_list_display_names(self.model, self.list_display)
        return qs.prefetch_related(*names) if names else qs
