"""Inlines over ReferencesMany lists: a tag's page edits the articles that list it.

Given ``Article.tags = WeakReferencesMany(Tag)``, an inline of ``Article`` on the
tag's page lists the articles whose ``tags`` list holds the tag, the way Django's
inline of an M2M's through model lists a tag's memberships:

* the rows are read with one query on the articles' database (``tags`` contains the
  key);
* a new row is an article saved with the tag appended to its list;
* a changed row saves the article, its list unchanged;
* a row marked for deletion loses the tag from its list (``pull_keys()``): the
  article stays, as a through row's delete leaves both ends;
* the lists of the rows to save are checked for keys that name no row (left by a
  ``DO_NOTHING`` or written with ``enforce=False``): one query for all rows, a form
  error instead of a failed save.

The list is found as Django finds a ``ForeignKey``: the only ``WeakReferencesMany``
of the inline's model to the parent, or ``fk_name``.
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms.models import BaseModelFormSet, modelformset_factory

from weakrel import routing
from weakrel.relations.references import WeakReferencesMany


def weak_list_to(parent_model, model, fk_name: str | None = None) -> WeakReferencesMany | None:
    """``model``'s ReferencesMany to ``parent_model`` (Django's rules), or None."""
    lists = [
        field
        for field in model._meta.fields
        if isinstance(field, WeakReferencesMany)
        and field.target_resolved
        and issubclass(parent_model, cast("type[Model]", field.related_model._meta.concrete_model))
    ]
    if fk_name is not None:
        return next((field for field in lists if field.name == fk_name), None)
    if len(lists) > 1:
        raise ValueError(
            f"'{model._meta.label}' has more than one ReferencesMany to "
            f"'{parent_model._meta.label}'. You must specify a 'fk_name' attribute."
        )
    return lists[0] if lists else None


class WeakReferencesInlineFormSet(BaseModelFormSet):
    """The rows whose ReferencesMany list holds the parent's key."""

    field: WeakReferencesMany

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        instance: Model | None = None,
        save_as_new: bool = False,
        prefix: str | None = None,
        queryset: Any = None,
        **kwargs: Any,
    ) -> None:
        self.instance = self.field.related_model() if instance is None else instance
        self.save_as_new = save_as_new
        if queryset is None:
            queryset = cast("type[Model]", self.model)._default_manager  # set by the factory
        if self.instance.pk is not None:
            queryset = queryset.filter(**{self.field.name: self.parent_key})
        else:
            queryset = queryset.none()
        super().__init__(data, files, prefix=prefix, queryset=queryset, **kwargs)

    @property
    def parent_key(self) -> Any:
        return self.field.to_key(self.instance)

    @classmethod
    def get_default_prefix(cls) -> str:
        # The class attribute the factory sets (a field read on a class, to mypy).
        return cast("WeakReferencesMany[Any, Any]", cls.field).accessor_name

    def initial_form_count(self) -> int:
        return 0 if self.save_as_new else super().initial_form_count()

    def clean(self) -> None:
        """Keys that name no row in the lists to be saved: one query for all rows."""
        super().clean()
        field = self.field
        if not field.enforce:
            return
        saved = [
            form
            for form in self.forms
            if form.is_valid()
            and form.has_changed()
            # BaseFormSet's own test, which django-stubs leaves out.
            and not (self.can_delete and self._should_delete_form(form))  # type: ignore[attr-defined]
        ]
        held = {form: field.key_list(getattr(form.instance, field.attname)) for form in saved}
        keys = [key for form_keys in held.values() for key in form_keys]
        if not keys:
            return
        alias = routing.db_for_read(field.related_model, instance=self.instance)
        missing = set(field.target_key.missing(keys, alias))
        for form, form_keys in held.items():
            for key in (key for key in form_keys if key in missing):
                form.add_error(
                    None,
                    ValidationError(
                        field.error_messages["dangling"],
                        code="dangling",
                        params={
                            "model": field.related_model._meta.verbose_name,
                            "field": field.key_field.name,
                            "value": key,
                        },
                    ),
                )

    def save_new(self, form: Any, commit: bool = True) -> Model:
        """The new row, with the parent's key appended to its list."""
        obj = form.save(commit=False)
        keys = self.field.key_list(getattr(obj, self.field.attname))
        if self.parent_key not in keys:
            setattr(obj, self.field.attname, [*keys, self.parent_key])
        if commit:
            obj.save()
            form.save_m2m()
        return obj

    def delete_existing(self, obj: Model, commit: bool = True) -> None:
        """Remove the parent's key from the row's list; the row stays."""
        if commit:
            rows = type(obj)._base_manager.using(obj._state.db).filter(pk=obj.pk)
            self.field.pull_keys(rows, [self.parent_key])


def references_inlineformset_factory(
    parent_model, model, fk_name: str | None = None, **kwargs: Any
) -> type[WeakReferencesInlineFormSet]:
    """``inlineformset_factory()`` over a ReferencesMany list to ``parent_model``."""
    field = weak_list_to(parent_model, model, fk_name)
    if field is None:
        raise ValueError(
            f"'{model._meta.label}' has no ReferencesMany to '{parent_model._meta.label}'."
        )
    formset = kwargs.pop("formset", WeakReferencesInlineFormSet)
    if not issubclass(formset, WeakReferencesInlineFormSet):
        formset = WeakReferencesInlineFormSet  # the inline's default, over a weak key
    exclude = [*(kwargs.pop("exclude", None) or ()), field.name]
    fields = kwargs.pop("fields", None)
    if fields is not None and fields != "__all__":
        fields = [name for name in fields if name != field.name]
    kwargs = {"extra": 3, "can_delete": True, **kwargs}
    formset_class = cast(
        "type[WeakReferencesInlineFormSet]",
        modelformset_factory(model, formset=formset, fields=fields, exclude=exclude, **kwargs),
    )
    formset_class.field = field
    return formset_class
