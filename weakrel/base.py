"""What every weak relation field shares, whatever its kind.

* :class:`WeakRel` is a weak field's ``remote_field``: what Django's migration
  autodetector and deletion collector read.
* :class:`WeakRelationField` is the mixin every weak field starts with: reverse names,
  lazy resolution of the target, the private field and accessor it adds to the
  target, the key codec (:class:`~weakrel.keys.TargetKey`) and the checks every kind
  runs (target installed, ``on_delete`` supported, reverse names free).
* :class:`~weakrel.reverse.ReverseSide` (in ``reverse.py``) is the base of the private
  field a relation adds to its target.
* :func:`weak_fields` and :func:`reverse_sides` are
  the registry: the weak fields a model declares, the reverse sides that point at it,
  and the weak fields whose rows depend on its rows (for ``on_delete``).

Nothing here knows a relation kind: ``weakrel.relations`` builds on this module.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import SettingsReference
from django.core import checks, exceptions
from django.db import models
from django.db.models import DO_NOTHING, SET_DEFAULT, SET_NULL
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.fields.related import lazy_related_operation
from django.utils.translation import gettext_lazy as _

from weakrel.background import CASCADE_LATER, check_task_backend
from weakrel.generics import _GT, _ST, FieldBase
from weakrel.inheritance import inherit, is_inherited
from weakrel.keys import TargetKey
from weakrel.reverse import ReverseSide

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


class WeakRel:
    """The ``remote_field`` of a weak relation.

    Django's migration autodetector reads ``model``, ``field_name`` and
    ``parent_link`` here to order migrations; Django's deletion collector reads
    ``on_delete``. That is the hook the relation kind passes in
    (``weakrel.deletion.weak_on_delete``), not the user's choice (``field.on_delete``),
    so Django never acts on another database by itself.
    """

    through: Any = None
    multiple = True
    symmetrical = False
    limit_choices_to: Any = {}

    def __init__(
        self,
        field: WeakRelationField[Any, Any],
        to: type[models.Model] | str,
        field_name: str | None,
        related_name: str | None,
        related_query_name: str | None,
        on_delete: Callable[..., Any] = DO_NOTHING,
    ) -> None:
        self.field = field
        self.model: Any = to  # its label until the model is loaded
        self.field_name = field_name
        self.related_name = related_name
        self.related_query_name = related_query_name
        self.on_delete = on_delete

    def is_hidden(self) -> bool:
        return self.related_name is not None and self.related_name.endswith("+")

    @property
    def accessor_name(self) -> str:
        return self.field.accessor_name

    def get_accessor_name(self, model: type[models.Model] | None = None) -> str:
        """The reverse accessor's name (read by inline formsets for their prefix)."""
        return self.field.accessor_name

    def get_related_field(self) -> models.Field[Any, Any]:
        """The target's key field; ``Model.prepare_database_save()`` reads it when a
        target instance is given to ``QuerySet.update()``."""
        return self.field.key_field

    hidden = property(is_hidden)

    @property
    def parent_link(self) -> bool:
        """True on a model class, so a bare ``select_related()`` never joins a weak key.

        Django's compiler skips relations marked as parent links. The migration
        autodetector reads unbound clones of the field, where this stays False, so a
        migration still depends on the one that creates the target.
        """
        return hasattr(self.field, "model")


def model_label(model: type[models.Model] | str) -> str:
    """``app_label.modelname`` of a model or of a lazy reference to one."""
    if isinstance(model, str):
        app_label, _sep, name = model.rpartition(".")
        return f"{app_label}.{name.lower()}" if app_label else name.lower()
    return model._meta.label_lower


class WeakRelationField(FieldCacheMixin, FieldBase[_ST, _GT]):
    """The mixin every weak relation field starts with.

    A kind says what differs: the private field it adds to the target
    (``reverse_field()``), its accessors (``forward_descriptor()``,
    ``reverse_descriptor()``), the target key it stores (``target_field``) and the
    ``on_delete`` rules it carries out (``supported_on_delete``). A type checker
    sees django-stubs' ``Field[_ST, _GT]`` (``weakrel.generics``).
    """

    remote_field: WeakRel  # type: ignore[assignment]
    on_delete: Callable[..., Any]
    enforce: bool

    one_to_one_relation = False
    # Where migrations import the field from; kept stable whatever module defines it.
    migration_path = ""
    supported_on_delete: Sequence[Callable[..., Any]] = ()
    # The system check ids of this kind (ids were given out per kind).
    check_ids = {"target": "weakrel.E001", "on_delete": "weakrel.E004", "clash": "weakrel.E007"}
    default_error_messages = {
        "invalid_key": _("%(value)r is not a valid key for %(model)s.%(field)s."),
        "null_characters": _("A key for %(model)s may not contain null characters."),
    }

    def forward_descriptor(self) -> Any:
        raise NotImplementedError

    def reverse_field(self) -> ReverseSide:
        raise NotImplementedError

    def reverse_descriptor(self, reverse: ReverseSide) -> Any:
        raise NotImplementedError

    # -- the target ---------------------------------------------------------------

    @property
    def related_model(self) -> type[models.Model]:  # type: ignore[override]
        return self.remote_field.model

    @property
    def target_resolved(self) -> bool:
        return not isinstance(self.remote_field.model, str)

    @cached_property
    def key_field(self) -> models.Field[Any, Any]:
        """The target's key field: its primary key, or ``to_field``."""
        opts = self.related_model._meta
        name = self.remote_field.field_name
        return opts.pk if name is None else opts.get_field(name)  # type: ignore[return-value]

    @cached_property
    def target_key(self) -> TargetKey:
        """The codec for the keys this relation stores."""
        return TargetKey(self, self.key_field)

    def get_limit_choices_to(self) -> dict[str, Any] | models.Q:
        """``limit_choices_to``, called if callable (read by forms and the admin)."""
        limit = self.remote_field.limit_choices_to
        return limit() if callable(limit) else limit

    def key_of(self, obj: models.Model) -> Any:
        """The key ``obj`` (a target) is referred to by."""
        return getattr(obj, self.key_field.attname)

    # -- wiring onto model classes ------------------------------------------------

    def related_models(self) -> tuple[Any, ...]:
        """The models to wait for before the relation resolves (lazy references)."""
        return (self.remote_field.model,)

    def resolve_related(self, target: type[models.Model], *others: type[models.Model]) -> None:
        self.remote_field.model = target
        self.contribute_to_related_class(target)

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False, **kwargs: Any
    ) -> None:
        if is_inherited(self):
            # Django's copy of a parent's private field into a proxy or multi-table
            # child: the parent's relation, wired already, and reached through it.
            super().contribute_to_class(cls, name, private_only=True, **kwargs)
            return
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        setattr(cls, self.name, self.forward_descriptor())
        if cls._meta.abstract:
            return
        rel = self.remote_field
        names = {
            "class": cls.__name__.lower(),
            "model_name": cls._meta.model_name,
            "app_label": cls._meta.app_label.lower(),
        }
        if rel.related_name:
            rel.related_name = rel.related_name % names
        if rel.related_query_name:
            rel.related_query_name = rel.related_query_name % names
        lazy_related_operation(_resolve_related, cls, *self.related_models(), field=self)

    def contribute_to_related_class(self, target: type[models.Model]) -> None:
        """Give the target its private reverse field and its reverse accessor.

        The reverse field goes on the target's concrete model (a relation to a proxy
        is followed when the concrete row is deleted, as Django's is), and from there
        into every proxy and multi-table child; the accessor goes on the target.
        """
        if target._meta.swapped:
            return
        reverse = self.reverse_field()
        concrete = target._meta.concrete_model
        reverse.contribute_to_class(concrete, self.related_query_name())
        inherit(reverse, concrete)  # type: ignore[arg-type]
        if not self.remote_field.is_hidden():
            setattr(target, self.accessor_name, self.reverse_descriptor(reverse))

    @property
    def accessor_name(self) -> str:
        """Name of the reverse accessor on the target (``orders``, ``order_set``)."""
        if self.remote_field.related_name:
            return self.remote_field.related_name
        suffix = "" if self.one_to_one_relation else "_set"
        return f"{self.model._meta.model_name}{suffix}"

    def related_query_name(self) -> str:
        """Name the target filters by (``Customer.objects.filter(orders__total=1)``)."""
        rel = self.remote_field
        if rel.is_hidden():
            return f"_weakrel_{self.model._meta.label_lower.replace('.', '_')}_{self.name}+"
        return rel.related_query_name or rel.related_name or self.model._meta.model_name or ""

    @property
    def cache_name(self) -> str:
        return self.name

    swappable = False

    @property
    def swappable_setting(self) -> str | None:
        """The setting that names a swappable target (``AUTH_USER_MODEL``), as a
        ``ForeignKey`` has it: migrations then depend on the setting."""
        if not self.swappable:
            return None
        model = self.remote_field.model
        label = model if isinstance(model, str) else model._meta.label
        return apps.get_swappable_settings_name(label)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        rel = self.remote_field
        kwargs["to"] = model_label(rel.model)
        setting = self.swappable_setting
        if setting is not None:
            kwargs["to"] = SettingsReference(kwargs["to"], setting)
        if rel.related_name is not None:
            kwargs["related_name"] = rel.related_name
        if rel.related_query_name is not None:
            kwargs["related_query_name"] = rel.related_query_name
        return name, self.migration_path or path, args, kwargs

    # -- system checks ------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        # Django's own field checks read the column type, which needs the target.
        errors = super().check(**kwargs) if self.target_resolved else []
        errors += self._check_app_installed()
        unusable = self._check_target_model()
        return [*errors, *unusable] if unusable else [*errors, *self._check_relation()]

    def _check_app_installed(self) -> list[checks.CheckMessage]:
        """weakrel's app config connects the save check: without it keys go unchecked.

        A field check, so it runs whether or not the app is installed.
        """
        if apps.is_installed("weakrel"):
            return []
        return [
            checks.Error(
                "A weak relation is declared, but 'weakrel' is not in INSTALLED_APPS: "
                "its keys are not checked on save, so a key naming no row is stored.",
                hint="Add 'weakrel' to INSTALLED_APPS.",
                obj=self,
                id="weakrel.E008",
            )
        ]

    def _check_relation(self) -> list[checks.CheckMessage]:
        """The checks that need the target (and its other models) installed."""
        return [*self._check_target_field(), *self._check_on_delete(), *self._check_clashes()]

    def _check_target_model(self) -> list[checks.CheckMessage]:
        return [
            checks.Error(
                f"Field defines a weak relation with {what} '{name}', which is either "
                "not installed, or is abstract.",
                obj=self,
                id=self.check_ids["target"],
            )
            for what, name in self._unusable_models()
        ]

    def _unusable_models(self) -> list[tuple[str, str]]:
        model = self.remote_field.model
        if isinstance(model, str) or model._meta.abstract:
            return [("model", model if isinstance(model, str) else model._meta.label)]
        return []

    def _check_target_field(self) -> list[checks.CheckMessage]:
        name = self.remote_field.field_name
        opts = self.related_model._meta
        if name is None:
            return []
        try:
            field: Any = opts.get_field(name)
        except exceptions.FieldDoesNotExist:
            return [
                checks.Error(
                    f"The to_field '{name}' does not exist on {opts.label}.",
                    obj=self,
                    id="weakrel.E002",
                )
            ]
        if field.primary_key or field.unique:
            return []
        return [
            checks.Error(
                f"'{opts.label}.{name}' must be unique because a weak relation refers to it.",
                hint=f"Add unique=True to {opts.label}.{name}.",
                obj=self,
                id="weakrel.E003",
            )
        ]

    def _check_on_delete(self) -> list[checks.CheckMessage]:
        on_delete = getattr(self, "on_delete", None)
        if on_delete is None:
            return []
        if on_delete not in self.supported_on_delete:
            names = ", ".join(f.__name__ for f in self.supported_on_delete)
            return [
                checks.Error(
                    f"on_delete={getattr(on_delete, '__name__', on_delete)!s} is not "
                    f"supported by {self.__class__.__name__}; use one of {names}.",
                    obj=self,
                    id=self.check_ids["on_delete"],
                )
            ]
        if on_delete is SET_NULL and not self.null:
            return [
                checks.Error(
                    "Field specifies on_delete=SET_NULL, but cannot be null.",
                    hint="Set null=True argument on the field, or change the on_delete rule.",
                    obj=self,
                    id="weakrel.E005",
                )
            ]
        if on_delete is SET_DEFAULT and not self.has_default():
            return [
                checks.Error(
                    "Field specifies on_delete=SET_DEFAULT, but has no default value.",
                    hint="Set a default value, or change the on_delete rule.",
                    obj=self,
                    id="weakrel.E006",
                )
            ]
        if on_delete is CASCADE_LATER:
            return check_task_backend(self)
        return []

    def _check_clashes(self) -> list[checks.CheckMessage]:
        """The reverse accessor and query name must be free on the target."""
        if self.remote_field.is_hidden():
            return []
        target = self.related_model
        taken: dict[str, str] = {}
        for field in target._meta.get_fields(include_hidden=True):
            if isinstance(field, ReverseSide):
                other = field.field
                if other is self:
                    continue
                owner = f"{other.model._meta.label}.{other.name}"
                taken[field.name] = owner
                if not other.remote_field.is_hidden():
                    taken[other.accessor_name] = owner
                continue
            owner = f"{target._meta.label}.{field.name}"
            taken[field.name] = owner
            accessor = getattr(field, "get_accessor_name", None)
            if accessor is not None and accessor():
                taken[accessor()] = owner
        label = f"{self.model._meta.label}.{self.name}"
        return [
            checks.Error(
                f"Reverse {kind} '{target._meta.object_name}.{name}' for '{label}' "
                f"clashes with '{taken[name]}'.",
                hint=f"Add or change a related_name argument to the definition for '{label}'.",
                obj=self,
                id=self.check_ids["clash"],
            )
            for kind, name in (
                ("accessor", self.accessor_name),
                ("query name", self.related_query_name()),
            )
            if name in taken
        ]


def _resolve_related(model: type[models.Model], *related: Any, field: Any) -> None:
    field.resolve_related(*related)


# -- the registry -----------------------------------------------------------------------


def weak_fields(model: type[models.Model]) -> list[WeakRelationField[Any, Any]]:
    """The weak fields whose keys ``save()`` checks, declared on ``model`` and its
    parents: the weak relations with a column, and the column-less fields that manage
    key columns of their own (``holds_weak_keys``, as ``WeakGenericForeignKey``)."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, WeakRelationField)]
    return fields + [f for f in model._meta.private_fields if getattr(f, "holds_weak_keys", False)]


def reverse_sides(model: type[models.Model]) -> list[ReverseSide]:
    """The reverse sides of the weak relations that point at ``model``."""
    return [f for f in model._meta.get_fields(include_hidden=True) if isinstance(f, ReverseSide)]


@checks.register(checks.Tags.models)
def check_private_fields(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run the checks of column-less weak fields: Django checks only non-private ones."""
    if app_configs is None:
        model_list = apps.get_models()
    else:
        model_list = [m for config in app_configs for m in config.get_models()]
    errors: list[checks.CheckMessage] = []
    for model in model_list:
        for field in model._meta.private_fields:
            if isinstance(field, WeakRelationField) and not is_inherited(field):
                errors.extend(field.check())
    return errors
