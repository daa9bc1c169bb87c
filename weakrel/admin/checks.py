"""System checks of admins over weak relations, after ``django.contrib.admin.checks``.

Django's checks look for joins: they refuse a ``list_filter`` path through a weak key
(admin.E116) and an inline whose parent is reached by a weak key (admin.E202). These
accept them and check what weakrel needs instead:

* ``weakrel.E401``: a ``list_filter`` path through a weak key that names no field;
* ``weakrel.E402``: an inline whose weak key (or ReferencesMany list) to the parent
  cannot be chosen (none, several without ``fk_name``, or an ``fk_name`` that is not
  one);
* ``weakrel.E403``: an inline that excludes its weak key to the parent.
"""

from __future__ import annotations

from django.contrib.admin.checks import InlineModelAdminChecks, ModelAdminChecks
from django.core import checks
from django.core.exceptions import FieldDoesNotExist

from weakrel.admin.changelist import weak_field_path
from weakrel.admin.references import weak_list_to
from weakrel.forms import weak_key_to
from weakrel.relations.foreign_key import WeakForeignKey
from weakrel.relations.references import WeakReferencesMany


class WeakModelAdminChecks(ModelAdminChecks):
    def _check_list_filter_item(self, obj, item, label):
        if isinstance(item, str) and "__" in item:
            try:
                fields = weak_field_path(obj.model, item)
            except (FieldDoesNotExist, ValueError) as exc:
                if _crosses_weak_key(obj.model, item):
                    return [
                        checks.Error(
                            f"The value of '{label}' refers to '{item}', which does not "
                            f"name a field through a weak key: {exc}",
                            obj=obj.__class__,
                            id="weakrel.E401",
                        )
                    ]
            else:
                if fields is not None:
                    return []
        elif isinstance(item, str) and isinstance(_field(obj.model, item), WeakForeignKey):
            return []
        return super()._check_list_filter_item(obj, item, label)


def _field(model, name):
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _crosses_weak_key(model, path: str) -> bool:
    """Whether the path's first name is a weak key (it is then weakrel's to check)."""
    return isinstance(_field(model, path.split("__")[0]), WeakForeignKey)


class WeakInlineModelAdminChecks(InlineModelAdminChecks):
    def _weak_key(self, obj, parent_model):
        """(the weak key to the parent or None, the error finding it or None)."""
        try:
            key = weak_key_to(parent_model, obj.model, obj.fk_name)
            return key or weak_list_to(parent_model, obj.model, obj.fk_name), None
        except ValueError as exc:
            return None, str(exc)

    def _check_relation(self, obj, parent_model):
        fk, error = self._weak_key(obj, parent_model)
        if fk is not None:
            return []
        if error is None and not super()._check_relation(obj, parent_model):
            return []  # a native ForeignKey: Django's inline
        return [
            checks.Error(
                error
                or f"'{obj.model._meta.label}' has no weak key or ForeignKey to "
                f"'{parent_model._meta.label}'.",
                hint="Give the inline's model a WeakForeignKey to the parent, or name "
                "it with fk_name.",
                obj=obj.__class__,
                id="weakrel.E402",
            )
        ]

    def _check_exclude_of_parent_model(self, obj, parent_model):
        fk, _error = self._weak_key(obj, parent_model)
        if fk is None:
            return super()._check_exclude_of_parent_model(obj, parent_model)
        if obj.exclude and fk.name in obj.exclude and not isinstance(fk, WeakReferencesMany):
            return [
                checks.Error(
                    f"Cannot exclude the field '{fk.name}', because it is the weak key "
                    f"to the parent model '{parent_model._meta.label}'.",
                    obj=obj.__class__,
                    id="weakrel.E403",
                )
            ]
        return []
