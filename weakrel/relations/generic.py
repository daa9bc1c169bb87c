"""Polymorphic BelongsTo: one key that names a row of one of several models, in any
database (after ``django.contrib.contenttypes``' ``GenericForeignKey``).

Given::

    class Comment(Model):                        # database "third"
        text = TextField()
        target = WeakGenericForeignKey(
            to=["blog.Article", "shop.Product"], on_delete=CASCADE, related_name="comments"
        )

``WeakGenericForeignKey`` is a private field that is its own descriptor, over two
concrete columns: ``target_type`` holds the target's model label (``"blog.article"``,
the same in every database, unlike a ContentType id) and ``target_id`` its key as text,
so integer, UUID and string keys mix. One composite index covers the pair. This
module says what is the generic field's own:

* the columns (added, or the user's, named by ``type_field=``/``id_field=``) and
  their index;
* ``comment.target``: read from the target's database and cached; assignment sets
  both columns; ``Comment.objects.prefetch_related("target")`` costs one query per
  target model that occurs, each in its own database;
* the save check, ``full_clean()`` and ``check_references()``;
* ``target=obj``, ``target__in=[...]``, ``target__isnull`` lookups;
* its system checks (``weakrel.E207``...).

Each model in ``to`` gets a ``GenericTarget`` (``generic_targets``): the per-type weak
relation the core wires, deletes through and filters through; ``article.comments``
is in ``generic_managers``, the lookups in ``generic_lookups``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from typing import Any, cast

from django.core import checks
from django.db import models
from django.db.backends.utils import names_digest
from django.db.models import CASCADE, DO_NOTHING, PROTECT, RESTRICT, SET_NULL
from django.db.models.expressions import Col
from django.db.models.fields.mixins import FieldCacheMixin
from django.utils.translation import gettext_lazy as _

from weakrel import routing
from weakrel.inheritance import is_inherited
from weakrel.relations.generic_checks import generic_checks as run_checks
from weakrel.relations.generic_checks import pair_index
from weakrel.relations.generic_clean import validate_pair
from weakrel.relations.generic_lookups import TargetIn, TargetIsNull
from weakrel.relations.generic_managers import prefetch_targets
from weakrel.relations.generic_scan import existing_pairs, scan_keys
from weakrel.relations.generic_targets import GenericTarget
from weakrel.routing import database_errors

ON_DELETE = (CASCADE, PROTECT, RESTRICT, SET_NULL, DO_NOTHING)
_MISSING = object()
TYPE_LENGTH = 100
ID_LENGTH = 255


class WeakGenericForeignKey(FieldCacheMixin, models.Field):
    """Polymorphic BelongsTo: a (type, key) pair naming a row of one of ``to``."""

    concrete = False
    auto_created = False
    many_to_many = False
    many_to_one = True
    one_to_many = False
    one_to_one = False
    related_model = None
    remote_field = None
    # Read by weakrel.base.weak_fields: save() checks the pair this field manages.
    holds_weak_keys = True
    # Read by generic_checks.check_generic_keys, which runs check() for it.
    generic_checks = True
    supported_on_delete = ON_DELETE
    description = _("Weak generic reference (a model label and a key)")
    default_error_messages = {
        "invalid": _("%(model)s instance with %(field)s %(value)r does not exist."),
        "invalid_type": _("%(value)r is not one of the models %(field)s may point at."),
        "incomplete": _("%(field)s needs both a type and a key, or neither."),
    }

    def __init__(
        self,
        to: Iterable[type[models.Model] | str],
        on_delete: Callable,
        *,
        related_name: str | None = None,
        related_query_name: str | None = None,
        type_field: str | None = None,
        id_field: str | None = None,
        null: bool = False,
        blank: bool = False,
        enforce: bool = True,
        db_index: bool = True,
    ) -> None:
        if not callable(on_delete):
            raise TypeError("on_delete must be callable.")
        if isinstance(to, str | type):
            to = [to]
        self.to = list(to)
        for model in self.to:
            if not isinstance(model, str) and not (
                isinstance(model, type) and issubclass(model, models.Model)
            ):
                raise TypeError(f"WeakGenericForeignKey(to=...): {model!r} is not a model.")
        self.on_delete = on_delete
        self.related_name = related_name
        self.related_query_name = related_query_name
        self.type_field = type_field
        self.id_field = id_field
        self.enforce = enforce
        self.index_pair = db_index
        self.targets: list[GenericTarget] = []
        super().__init__(editable=False, serialize=False, null=null, blank=blank)
        self.is_relation = False

    # Nothing counts as empty: full_clean() always asks clean() about the pair.
    empty_values = ()

    def get_attname(self) -> str:
        # Not the descriptor, which may query: full_clean() reads this attribute.
        return f"_weakrel_generic_{self.name}"

    def get_attname_column(self) -> tuple[str, None]:
        return self.get_attname(), None

    @property
    def cache_name(self) -> str:
        return self.name

    @property
    def type_attname(self) -> str:
        return self.type_column.attname

    @property
    def id_attname(self) -> str:
        return self.id_column.attname

    @cached_property
    def type_column(self) -> models.Field[Any, Any]:
        # A column (the checks, weakrel.E208, say so): never a reverse relation.
        return cast("models.Field[Any, Any]", self.model._meta.get_field(self.type_name))

    @cached_property
    def id_column(self) -> models.Field[Any, Any]:
        return cast("models.Field[Any, Any]", self.model._meta.get_field(self.id_name))

    @cached_property
    def integer_ids(self) -> bool:
        return isinstance(self.id_column, models.IntegerField)

    @cached_property
    def _by_label(self) -> dict[str, GenericTarget]:
        # Read for every row of a prefetch: worked out once, after the models load.
        return {target.label: target for target in self.targets}

    @cached_property
    def _by_model(self) -> dict[type[models.Model], GenericTarget]:
        return {
            cast("type[models.Model]", target.related_model._meta.concrete_model): target
            for target in self.targets
        }

    @property
    def from_fields(self) -> tuple[str]:
        # Read by Django for known related objects (article.comments' rows).
        return (self.id_name,)

    # -- wiring ---------------------------------------------------------------------

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = True, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, private_only=True, **kwargs)
        setattr(cls, self.attname, None)
        setattr(cls, name, self)
        self.type_name = self.type_field or f"{name}_type"
        self.id_name = self.id_field or f"{name}_id"
        if cls._meta.abstract or is_inherited(self):
            return
        if self.type_field is None:
            column = models.CharField(max_length=TYPE_LENGTH, null=self.null, blank=self.blank)
            cls.add_to_class(self.type_name, column)
        if self.id_field is None:
            column = models.CharField(max_length=ID_LENGTH, null=self.null, blank=self.blank)
            cls.add_to_class(self.id_name, column)
        if self.index_pair and pair_index(self, cls) is None:
            digest = names_digest(cls._meta.db_table, self.type_name, self.id_name, length=8)
            index = models.Index(
                fields=[self.type_name, self.id_name],
                name=f"{(cls._meta.model_name or '')[:14]}_{digest}_wrg",
            )
            cls._meta.indexes = [*cls._meta.indexes, index]
            # What makemigrations reads the model's options from.
            cls._meta.original_attrs["indexes"] = cls._meta.indexes
        self.targets = [GenericTarget(self, to) for to in self.to]
        for target in self.targets:
            cls.add_to_class(GenericTarget.query_name(target.remote_field.model), target)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        to = [model if isinstance(model, str) else model._meta.label for model in self.to]
        kwargs = {"to": to, "on_delete": self.on_delete}
        for attr in ("related_name", "related_query_name", "type_field", "id_field"):
            if getattr(self, attr) is not None:
                kwargs[attr] = getattr(self, attr)
        return name, "weakrel.WeakGenericForeignKey", [], kwargs

    # -- types and keys -------------------------------------------------------------

    def target_for_label(self, label: str | None, *, instance: Any = None) -> GenericTarget:
        """The target type a type column's value names; ``ValueError`` for another."""
        target = self._by_label.get((label or "").lower())
        if target is not None:
            return target
        raise ValueError(
            f"{self.model.__name__}.{self.name}: {label!r} is not one of the models it "
            f"may point at ({', '.join(t.label for t in self.targets)})."
        )

    def target_for_instance(self, obj: Any) -> GenericTarget:
        """The target type of ``obj``; ``ValueError`` for an instance of another model."""
        if isinstance(obj, models.Model):
            concrete = obj._meta.concrete_model
            if concrete in self._by_model:
                return self._by_model[concrete]
            for exact in (True, False):
                for target in self.targets:
                    model = target.related_model
                    if isinstance(model, str):
                        continue
                    same = model._meta.concrete_model is concrete
                    if same if exact else isinstance(obj, model):
                        return target
        raise ValueError(
            f'Cannot use "{obj!r}" for "{self.model.__name__}.{self.name}": it must be an '
            f"instance of {', '.join(t.label for t in self.targets)}."
        )

    def stored(self, key: Any) -> Any:
        """How the id column holds ``key``: as text, or as the integer an integer
        column of the user's holds."""
        if key is None:
            return None
        if self.integer_ids:
            return int(key)
        return str(key)

    @cached_property
    def _attnames(self) -> tuple[str, str]:
        return self.type_column.attname, self.id_column.attname

    def pair(self, instance: models.Model) -> tuple[str | None, Any]:
        """The (type, stored key) of ``instance``; an empty string, a text column's
        default, counts as none."""
        type_attname, id_attname = self._attnames
        label, stored = getattr(instance, type_attname), getattr(instance, id_attname)
        return (label or None), (None if stored == "" else stored)

    def pair_of(self, obj: models.Model) -> tuple[str, Any]:
        target = self.target_for_instance(obj)
        return target.label, self.stored(target.key_of(obj))

    # -- the descriptor -------------------------------------------------------------

    def _matches(self, cached: models.Model | None, instance: models.Model) -> bool:
        label, stored = self.pair(instance)
        if cached is None:
            return label is None or stored is None
        try:
            return self.pair_of(cached) == (label, stored)
        except ValueError:
            return False

    def is_cached(self, instance: models.Model) -> bool:
        cached = self.get_cached_value(instance, _MISSING)
        return cached is not _MISSING and self._matches(cached, instance)

    def __get__(self, instance: models.Model | None, cls=None):
        if instance is None:
            return self
        cached = self.get_cached_value(instance, _MISSING)
        # As Django's GenericForeignKey: None cached (a filtered prefetch) stays None.
        if cached is None or (cached is not _MISSING and self._matches(cached, instance)):
            return cached
        label, stored = self.pair(instance)
        obj = None
        if label is not None and stored is not None:
            target = self.target_for_label(label)
            obj = self.read_target(target, target.key_from_stored(stored), instance)
        self.set_cached_value(instance, obj)
        return obj

    def read_target(self, target: GenericTarget, key: Any, instance: models.Model) -> Any:
        model = target.related_model
        db = routing.db_for_read(model, instance=instance)
        queryset = model._base_manager.using(db)
        try:
            with database_errors(db, f"reading {self.model.__name__}.{self.name}"):
                return queryset.get(**{target.key_field.attname: key})
        except model.DoesNotExist:  # type: ignore[attr-defined]  # declared per model
            raise model.DoesNotExist(  # type: ignore[attr-defined]
                f"{self.model.__name__}.{self.name} points to {model.__name__} "
                f"{target.key_field.name}={key!r}, which does not exist in database {db!r}."
            ) from None

    def __set__(self, instance: models.Model, value: Any) -> None:
        pending = f"_weakrel_pending_{self.name}"
        instance.__dict__.pop(pending, None)
        if value is None:
            setattr(instance, self.type_attname, None)
            setattr(instance, self.id_attname, None)
            self.set_cached_value(instance, None)
            return
        target = self.target_for_instance(value)
        key = target.key_of(value)
        setattr(instance, self.type_attname, target.label)
        setattr(instance, self.id_attname, self.stored(key))
        self.set_cached_value(instance, value)
        if key is None or value._state.adding:
            # Saved later, before the instance is: save() then takes its key.
            instance.__dict__[pending] = value

    # -- prefetching ----------------------------------------------------------------

    def get_prefetch_querysets(self, instances: list[Any], querysets: Any = None) -> tuple:
        """One query per target model that occurs, each in its own database; a
        queryset given (``Prefetch``, Django's ``GenericPrefetch``) for a model is used
        for its rows, its own ``prefetch_related()`` included."""
        rows, rel_obj_attr, instance_attr = prefetch_targets(self, instances, querysets)
        return rows, rel_obj_attr, instance_attr, True, self.cache_name, False

    def instance_token(self, instance: models.Model) -> tuple[GenericTarget, Any] | None:
        label, stored = self.pair(instance)
        if label is None or stored is None:
            return None
        try:
            target = self.target_for_label(label)
        except ValueError:
            return None
        key = target.key_from_stored(stored, strict=False)
        return None if key is None else (target, key)

    # -- enforcement ----------------------------------------------------------------

    def prepare_pair(self, instance: models.Model) -> tuple[GenericTarget | None, Any]:
        """Normalise the pair before it is written: the key of a target saved since it
        was assigned, the type's label in lower case, the key in its stored form."""
        pending = instance.__dict__.get(f"_weakrel_pending_{self.name}")
        label, stored = self.pair(instance)
        if pending is not None and stored is None:
            stored = self.stored(self.target_for_instance(pending).key_of(pending))
            if stored is None:
                raise ValueError(
                    "save() prohibited to prevent data loss due to unsaved related object "
                    f"'{self.name}'."
                )
            del instance.__dict__[f"_weakrel_pending_{self.name}"]
        if label is None and stored is None:
            if not self.null:
                raise ValueError(
                    f"{type(instance).__name__}.{self.name} cannot be None: the field is "
                    "not nullable."
                )
            return None, None
        if label is None or stored is None:
            raise ValueError(
                f"{type(instance).__name__}.{self.name}: {self.type_name} and {self.id_name} "
                "must both be set, or both be None."
            )
        target = self.target_for_label(label)
        key = target.key_from_stored(stored)
        instance.__dict__[self.type_attname] = target.label
        instance.__dict__[self.id_attname] = self.stored(key)
        return target, key

    def unchecked(self, instance: models.Model) -> tuple[GenericTarget | None, Any]:
        """The pair still to look up; none for a saved target assigned to the instance."""
        target, key = self.prepare_pair(instance)
        if target is None:
            return None, None
        cached = self.get_cached_value(instance, None)
        if cached is not None and not cached._state.adding and self._matches(cached, instance):
            return None, None
        return target, key

    def check_on_save(self, instance: models.Model) -> None:
        """Called before ``instance`` is saved: normalise the pair, refuse a type not
        in ``to`` (``ValueError``) and a dangling key (``DanglingReferenceError``)."""
        target, key = self.unchecked(instance)
        if target is not None and self.enforce:
            target.check_keys([(instance, key)])

    def check_batch(self, instances: list[models.Model]) -> None:
        """``check_references()``: one query per target type and database."""
        by_target: dict[GenericTarget, list] = defaultdict(list)
        for instance in instances:
            target, key = self.unchecked(instance)
            if target is not None:
                by_target[target].append((instance, key))
        for target, pairs in by_target.items():
            target.check_keys(pairs)

    def checked_value(self, value: Any) -> Any:
        raise ValueError(
            f"update() cannot write {self.model.__name__}.{self.name}: write "
            f"{self.type_name} and {self.id_name}, then call weakrel.check_references()."
        )

    def clean(self, value: Any, model_instance: models.Model | None) -> None:
        """``full_clean()``: the pair names an allowed type and an existing row."""
        if model_instance is not None:  # the pair is read off the instance
            validate_pair(self, model_instance)

    # -- weakrel_check -------------------------------------------------------------

    def scan_keys(self, value: tuple[Any, Any]) -> list[str]:
        return scan_keys(self, value)

    def existing_pairs(self, pairs: set[str]) -> set[str]:
        return existing_pairs(self, pairs)

    # -- lookups --------------------------------------------------------------------

    def get_col(self, alias: str, output_field: Any = None) -> Col:
        return Col(alias, self.type_column, output_field=self)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name in ("exact", "in"):
            return partial(TargetIn, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return TargetIsNull
        return None

    def get_transform(self, name: str) -> None:
        return None

    # -- checks ---------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return run_checks(self)
