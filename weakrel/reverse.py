"""The private field a weak relation adds to its target: :class:`ReverseSide`.

It has no column. It makes the relation's query name resolvable on the target
(``Customer.objects.filter(orders__total=1)``, each kind answering the lookups) and,
for the kinds whose rows depend on the target, it is the relation Django's deletion
``Collector`` meets, whose ``field.remote_field.on_delete`` hands the work to weakrel.
"""

from __future__ import annotations

from typing import Any

from django.core import exceptions
from django.db import models
from django.db.models.fields.mixins import FieldCacheMixin

from weakrel.inheritance import key_column
from weakrel.lookups import RelationCol


class _ReverseRemote:
    """``remote_field`` of a :class:`ReverseSide`.

    ``model`` is the source model's label, a string: Django's relation graph skips
    string targets, so the source model grows no reverse entry of its own.
    """

    hidden = True
    parent_link = False

    def __init__(self, label: str) -> None:
        self.model = label


class ManagerValuedField:
    """A private field whose value on an instance is a related manager.

    ``Model.clean_fields()`` reads every field in ``_meta.fields`` and skips a blank
    one whose value is "empty"; a manager has nothing to clean, so it always is.
    """

    class _Everything:
        def __contains__(self, value: Any) -> bool:
            return True

    empty_values: Any = _Everything()

    def contribute_to_class(self, cls, name, private_only=False, **kwargs):
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        if not hasattr(cls, self.attname):
            # A hidden relation has no accessor, yet clean_fields() reads the name.
            setattr(cls, self.attname, None)


class ReverseSide(ManagerValuedField, FieldCacheMixin, models.Field):
    """The private, column-less field a weak relation adds to its target.

    It makes the relation's query name resolvable on the target
    (``Customer.objects.filter(orders__total=1)``); each kind answers the lookups.
    """

    auto_created = True
    concrete = False
    many_to_many = False
    many_to_one = False
    one_to_many = True
    one_to_one = False

    # The weak relation field (a WeakRelationField: base.py builds on this module).
    field: Any

    def __init__(self, field: Any) -> None:
        self.field = field
        super().__init__(
            auto_created=True,
            editable=False,
            serialize=False,
            blank=True,
            null=True,
            rel=_ReverseRemote(field.model._meta.label),  # type: ignore[arg-type]
        )
        # Not a relation Django follows: it would check a value filtered by it
        # (filter(orders=order)) against this model; the side's own lookups answer.
        # So it is one of _meta.fields, which full_clean() reads through its attname.
        self.is_relation = False

    @property
    def related_model(self) -> type[models.Model]:  # type: ignore[override]
        return self.field.model

    @property
    def cache_name(self) -> str:
        return self.field.accessor_name

    def contribute_to_class(self, cls, name, private_only=True, **kwargs):
        # Always private, the copies Django makes for subclasses included: never a
        # column, a form field or a migrated field.
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def get_attname(self) -> str:
        # Not the accessor, which may query or raise: an attribute that is always None.
        return f"_weakrel_reverse_{self.name}"

    def get_attname_column(self):
        return self.get_attname(), None

    def get_col(self, alias, output_field=None):
        # Only the start of a path: the target's key column, which the path filters.
        column = key_column(self.model, self.field.key_field)
        return RelationCol(alias, column, output_field=self)

    def get_lookup(self, lookup_name: str):
        return None

    def get_transform(self, name: str):
        """``<query name>__<name>``: a path on into the source model, if it has ``name``."""
        if name != "pk":
            try:
                self.related_model._meta.get_field(name)
            except exceptions.FieldDoesNotExist:
                return None
        return self.path(name)

    def path(self, name: str):
        """The transform that continues a lookup path to the source's ``name``."""
        raise NotImplementedError

    def deconstruct(self):  # never migrated: it exists only on model classes
        name, path, args, kwargs = super().deconstruct()
        return name, path, [self.field], {}
