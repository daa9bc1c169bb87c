"""The admin over a ``WeakGenericForeignKey`` (``Comment.target``: an article or a product).

* :class:`GenericKeyColumn`: what ``list_display = ["target"]`` becomes, a link to the
  target's change page, ``<type> <key> (missing)`` for a pair naming no row, sorted by
  the pair's columns (``target_type``, then ``target_id``). ``WeakChangeList``
  prefetches the page's targets: one query per type that occurs, in its database.
* The change form edits the pair's two columns: the type as a choice of the allowed
  labels (:func:`type_formfield`), the key as text (:func:`key_formfield`), with the
  current target linked next to it (:class:`GenericKeyWidget`).
* :class:`GenericPairFormMixin` validates the typed-in pair, an unknown type, a
  malformed key and a key naming no row being errors on their field (never the
  ``ValueError`` or ``DanglingReferenceError`` of ``save()``), and hands the target it
  read to the instance, so that ``save()`` does not read it again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Field, Model
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from weakrel import routing
from weakrel.admin.changelist import WeakKeyColumn, admin_change_url, key_columns
from weakrel.relations.generic import WeakGenericForeignKey


def generic_keys(model: type[Model]) -> list[WeakGenericForeignKey]:
    return [f for f in model._meta.private_fields if isinstance(f, WeakGenericForeignKey)]


def generic_key(model: type[Model], name: Any) -> WeakGenericForeignKey | None:
    """The generic key named ``name`` (a ``list_display`` item), if it is one."""
    if not isinstance(name, str):
        return None
    return next((f for f in generic_keys(model) if f.name == name), None)


def read_target(generic: WeakGenericForeignKey, obj: Model) -> Model | None:
    """``obj``'s target (prefetched, or read); None for a pair naming no row or a type
    no longer allowed."""
    try:
        return getattr(obj, generic.name)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        return None


class GenericKeyColumn(WeakKeyColumn):
    """A ``list_display`` column for a generic key (see the module docstring)."""

    weak_field: Any  # a WeakGenericForeignKey

    def __init__(self, field: Any, admin_site: Any, *, sorted_by_key: bool = False) -> None:
        self.weak_field = field
        self.admin_site = admin_site
        self.__name__ = field.name
        # WeakChangeList.get_ordering() follows the type column with the key column.
        self.admin_order_field = field.type_attname
        self.short_description = field.verbose_name
        if sorted_by_key:
            self.short_description = (
                f"{field.verbose_name} (sorted by {field.type_attname}, {field.id_attname})"
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GenericKeyColumn) and other.weak_field is self.weak_field

    def __hash__(self) -> int:
        return hash(self.weak_field)

    def target(self, obj: Model) -> Model | None:
        return read_target(self.weak_field, obj)

    def __call__(self, obj: Model):
        label, stored = self.weak_field.pair(obj)
        if label is None or stored is None:
            return None
        target = self.target(obj)
        if target is None:
            return format_html(
                '<span class="weakrel-missing" style="color: var(--error-fg, #ba2121)" '
                'title="No row of an allowed type has this key.">{} {} (missing)</span>',
                label,
                stored,
            )
        url = self.change_url(target)
        return format_html('<a href="{}">{}</a>', url, target) if url else str(target)

    def sort(self, ordering: list[Any]) -> list[Any]:
        """The type column, then the key column in the same direction."""
        type_attname, id_attname = self.weak_field.type_attname, self.weak_field.id_attname
        result: list[Any] = []
        for item in ordering:
            result.append(item)
            if isinstance(item, str) and item.lstrip("-") == type_attname:
                result.append(item[: len(item) - len(type_attname)] + id_attname)
        return result


def generic_columns(model_admin: Any, list_display: Any) -> list[Any]:
    """``list_display`` with each generic key name replaced by a :class:`GenericKeyColumn`."""
    return key_columns(model_admin, list_display, generic_key, GenericKeyColumn)


# -- the change form ----------------------------------------------------------------


def generic_column(db_field: Field) -> tuple[WeakGenericForeignKey, str] | None:
    """(the generic key, ``"type"`` or ``"id"``) when ``db_field`` is one of its columns."""
    model = getattr(db_field, "model", None)
    if model is None:
        return None
    for generic in generic_keys(model):
        if db_field.name == generic.type_name:
            return generic, "type"
        if db_field.name == generic.id_name:
            return generic, "id"
    return None


def type_formfield(generic: WeakGenericForeignKey, db_field: Field) -> forms.Field:
    """The type column as a choice of the allowed labels."""
    choices = [("", "---------")] + [
        (target.label, f"{capfirst(target.related_model._meta.verbose_name)} ({target.label})")
        for target in generic.targets
    ]
    return forms.TypedChoiceField(
        choices=choices,
        required=not db_field.blank,
        empty_value=None if db_field.null else "",
        label=capfirst(db_field.verbose_name),
    )


def key_formfield(generic: WeakGenericForeignKey, db_field: Field, admin_site) -> forms.Field:
    """The id column as text, whatever the column (the type decides what is valid)."""
    return forms.CharField(
        required=not db_field.blank,
        empty_value=None if db_field.null else "",
        max_length=getattr(db_field, "max_length", None),
        label=capfirst(db_field.verbose_name),
        widget=GenericKeyWidget(admin_site),
    )


class GenericKeyWidget(forms.TextInput):
    """The key input, then the current target as a link to its change page (or
    "missing"), as Django's raw-id widget shows its target."""

    def __init__(self, admin_site: Any, attrs: dict[str, Any] | None = None) -> None:
        self.admin_site = admin_site
        self.target: Model | None = None
        self.missing = False
        super().__init__(attrs)

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        if self.missing:
            return format_html(
                '{} <span class="weakrel-missing" style="color: var(--error-fg, #ba2121)">'
                "(missing)</span>",
                html,
            )
        if self.target is None:
            return html
        url = admin_change_url(self.admin_site, self.target)
        if not url:
            return format_html("{} <strong>{}</strong>", html, self.target)
        return format_html('{} <strong><a href="{}">{}</a></strong>', html, url, self.target)


class GenericPairFormMixin:
    """A ``ModelForm`` mixin validating the generic pairs whose two columns it edits."""

    generic_error_messages = {
        "incomplete": _("Give both a type and a key, or neither."),
        "invalid": _("“%(value)s” is not a valid %(field)s for %(model)s."),
        "does_not_exist": _("%(model)s with %(field)s %(value)s does not exist."),
    }

    # Given by the ModelForm this is mixed into.
    fields: dict[str, forms.Field]
    instance: Model
    cleaned_data: dict[str, Any]
    errors: Any
    add_error: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._generic_targets: dict[WeakGenericForeignKey, Model] = {}
        for generic in self.edited_pairs():
            widget = self.fields[generic.id_name].widget
            label, stored = generic.pair(self.instance)
            if isinstance(widget, GenericKeyWidget) and label and stored is not None:
                widget.target = read_target(generic, self.instance)
                widget.missing = widget.target is None

    def edited_pairs(self) -> list[WeakGenericForeignKey]:
        return [
            generic
            for generic in generic_keys(self.instance._meta.model)
            if generic.type_name in self.fields and generic.id_name in self.fields
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()  # type: ignore[misc]
        for generic in self.edited_pairs():
            if generic.type_name not in self.errors and generic.id_name not in self.errors:
                self.clean_pair(generic)
        return cleaned

    def clean_pair(self, generic: WeakGenericForeignKey) -> None:
        """Check one pair in its type's database; errors go on the column at fault."""
        label = self.cleaned_data.get(generic.type_name) or None
        raw = self.cleaned_data.get(generic.id_name)
        raw = None if raw is None or str(raw).strip() == "" else str(raw).strip()
        if label is None and raw is None:
            return
        if label is None or raw is None:
            missing = generic.type_name if label is None else generic.id_name
            self.add_error(missing, self.generic_error_messages["incomplete"])
            return
        try:
            target = generic.target_for_label(label)
        except ValueError as exc:
            self.add_error(generic.type_name, str(exc))
            return
        model = target.related_model
        params = {
            "model": model._meta.verbose_name,
            "field": target.key_field.verbose_name,
            "value": raw,
        }
        try:
            key = target.key_from_stored(raw)
        except ValidationError:
            message = self.generic_error_messages["invalid"] % params
            self.add_error(generic.id_name, ValidationError(message, code="invalid"))
            return
        db = routing.db_for_read(model, instance=self.instance)
        with routing.database_errors(db, f"reading {model._meta.label}"):
            obj = model._base_manager.using(db).filter(**{target.key_field.attname: key}).first()
        if obj is None and generic.enforce:
            params["value"] = key
            message = self.generic_error_messages["does_not_exist"] % params
            self.add_error(generic.id_name, ValidationError(message, code="does_not_exist"))
            return
        self.cleaned_data[generic.id_name] = generic.stored(key)
        if obj is not None:
            self._generic_targets[generic] = obj

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        # The target read by clean_pair(): save() finds it and does not ask again.
        for generic, obj in self._generic_targets.items():
            if generic.pair(self.instance) == generic.pair_of(obj):
                generic.set_cached_value(self.instance, obj)


def with_pair_validation(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """``form_class`` with :class:`GenericPairFormMixin` mixed in, if not already."""
    if issubclass(form_class, GenericPairFormMixin):
        return form_class
    return type(form_class.__name__, (GenericPairFormMixin, form_class), {})
