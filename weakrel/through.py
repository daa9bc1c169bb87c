"""HasManyThrough: a many-to-many relation kept in a through model, across databases.

Given::

    class Physician(Model):                      # database "default"
        patients = WeakManyToManyField(
            "clinic.Patient", through="clinic.Appointment", related_name="physicians"
        )

    class Appointment(Model):                    # database "orders"
        physician = WeakForeignKey(Physician, on_delete=CASCADE)
        patient = WeakForeignKey("clinic.Patient", on_delete=CASCADE)

    class Patient(Model):                        # database "third"
        pass

``WeakManyToManyField`` has no column, like ``GenericRelation``: the links are the
through model's rows, and its two ``WeakForeignKey`` fields are ordinary weak keys,
so deleting a physician or a patient applies *their* ``on_delete`` through the
core's cross-database collector. The field adds:

* ``physician.patients`` and ``patient.physicians``: related managers that read the
  through rows first, then the targets (two queries, never a cross-database join),
  with ``add``/``remove``/``set``/``clear``/``create`` writing through rows;
* batched prefetching (one through query and one target query per level);
* filtering: ``Physician.objects.filter(patients__name="Bo")`` asks Patient's
  database for keys, then the through model's database for the physicians' keys.

Being a private, column-less field it is not part of migrations (the through model is).
"""

from __future__ import annotations

import copy
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core import checks, exceptions
from django.db import models, router, transaction
from django.db.models.expressions import Col
from django.db.models.fields.mixins import FieldCacheMixin
from django.db.models.signals import m2m_changed
from django.db.models.utils import resolve_callables
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from weakrel.descriptors import RelatedManagerDescriptor
from weakrel.enforcement import check_references
from weakrel.fields import ReverseSide, WeakForeignKey, WeakRelationField, get_weak_fields
from weakrel.lookups import RelatedPath, RelationCol, RemoteLookup, Unlinked
from weakrel.routing import filter_in, prefetch_start, related_queryset_class

if TYPE_CHECKING:
    from collections.abc import Iterable


class ThroughRel:
    """``remote_field`` of a :class:`WeakManyToManyField` (Django's ``ManyToManyRel``)."""

    multiple = True
    parent_link = False
    symmetrical = False
    limit_choices_to: dict = {}
    field_name = None

    def __init__(self, field, to, through, through_fields, related_name, related_query_name):
        self.field = field
        self.model = to
        self.through = through
        self.through_fields = through_fields
        self.related_name = related_name
        self.related_query_name = related_query_name

    def is_hidden(self) -> bool:
        return bool(self.related_name) and self.related_name[-1] == "+"

    hidden = property(is_hidden)


class ManagerValuedField:
    """A private field whose value on an instance is a related manager.

    ``Model.clean_fields()`` reads every field in ``_meta.fields`` and skips a blank
    one whose value is "empty"; a manager has nothing to clean, so it always is.
    """

    class _Everything:
        def __contains__(self, value: Any) -> bool:
            return True

    empty_values = _Everything()

    def contribute_to_class(self, cls, name, private_only=False, **kwargs):
        super().contribute_to_class(cls, name, private_only=private_only, **kwargs)
        if not hasattr(cls, self.attname):
            # A hidden relation has no accessor, yet clean_fields() reads the name.
            setattr(cls, self.attname, None)


class WeakManyToManyField(WeakRelationField, ManagerValuedField, FieldCacheMixin, models.Field):
    """HasManyThrough: targets linked by the rows of a ``through`` model."""

    # Private and column-less, like GenericRelation: no migration, no form field.
    concrete = False
    many_to_many = True
    many_to_one = False
    one_to_many = False
    one_to_one = False
    description = _("Weak many-to-many relation through an intermediate model")

    def __init__(
        self,
        to: type[models.Model] | str,
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
        related_name: str | None = None,
        related_query_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if through is None:
            raise TypeError("WeakManyToManyField requires a through model.")
        kwargs.update(blank=True, editable=False, serialize=False)
        kwargs["rel"] = ThroughRel(
            self, to, through, through_fields, related_name, related_query_name
        )
        super().__init__(**kwargs)
        # Not a relation Django should join through, cascade on or serialize.
        self.is_relation = False

    # -- model class wiring -------------------------------------------------------

    def contribute_to_class(self, cls, name, private_only=False, **kwargs):
        # No column: a private field, like GenericRelation.
        super().contribute_to_class(cls, name, private_only=True, **kwargs)

    def forward_descriptor(self) -> ThroughDescriptor:
        return ThroughDescriptor(self, reverse=False)

    def reverse_field(self) -> ReverseWeakManyToMany:
        return ReverseWeakManyToMany(self)

    def reverse_descriptor(self, reverse: ReverseWeakManyToMany) -> ThroughDescriptor:
        return ThroughDescriptor(self, reverse=True)

    def related_models(self) -> tuple[Any, ...]:
        return (self.remote_field.model, self.remote_field.through)

    def resolve_related(self, target, through) -> None:
        self.remote_field.through = through
        super().resolve_related(target)

    def get_attname_column(self):
        return self.get_attname(), None

    @property
    def related_model(self) -> type[models.Model] | str:
        return self.remote_field.model

    @property
    def through(self) -> type[models.Model] | str:
        return self.remote_field.through

    @cached_property
    def through_keys(self) -> tuple[WeakForeignKey, WeakForeignKey]:
        """The through model's weak keys to this model and to the target."""
        source, target, errors = self._find_through_keys()
        if errors:
            raise exceptions.ImproperlyConfigured(errors[0].msg)
        return source, target

    def _find_through_keys(self):
        through = self.through
        names = self.remote_field.through_fields
        if names and len(names) != 2:
            return (
                None,
                None,
                [
                    checks.Error(
                        "through_fields must name two weak keys of the through model: "
                        "(key to the source, key to the target).",
                        obj=self,
                        id="weakrel.E103",
                    )
                ],
            )
        if names:
            found = []
            for name, model in zip(names, (self.model, self.related_model), strict=True):
                try:
                    key = through._meta.get_field(name)
                except exceptions.FieldDoesNotExist:
                    key = None
                if not isinstance(key, WeakForeignKey) or not _points_at(key, model):
                    return (
                        None,
                        None,
                        [
                            checks.Error(
                                f"through_fields '{name}' of "
                                f"'{self.model._meta.label}.{self.name}' is not a weak key "
                                f"from '{through._meta.label}' to "
                                f"'{model._meta.label}'.",
                                obj=self,
                                id="weakrel.E103",
                            )
                        ],
                    )
                found.append(key)
            return found[0], found[1], []
        keys = []
        for model in (self.model, self.related_model):
            candidates = [f for f in get_weak_fields(through) if _points_at(f, model)]
            if len(candidates) != 1 or self.model is self.related_model:
                label = f"'{self.model._meta.label}.{self.name}'"
                if self.model is self.related_model:
                    msg = f"{label} relates '{model._meta.label}' to itself."
                else:
                    how = "more than one" if len(candidates) > 1 else "no"
                    msg = (
                        f"The through model '{through._meta.label}' of {label} has {how} "
                        f"weak key to '{model._meta.label}'."
                    )
                return (
                    None,
                    None,
                    [
                        checks.Error(
                            msg,
                            hint="Give the through model exactly one WeakForeignKey to each "
                            "side, or name them with through_fields=(source, target).",
                            obj=self,
                            id="weakrel.E102",
                        )
                    ],
                )
            keys.append(candidates[0])
        return keys[0], keys[1], []

    # -- lookups ------------------------------------------------------------------

    def get_col(self, alias, output_field=None):
        source, _target = self.through_keys
        return RelationCol(alias, source.target_field, output_field=self)

    def get_lookup(self, lookup_name: str):
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, reverse=False, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return partial(_through_isnull, reverse=False)
        return None

    def get_transform(self, name: str):
        if isinstance(self.related_model, str):
            return None
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            if name != "pk":
                return None
        return partial(_through_path, reverse=False, name=name)

    # -- migrations and checks ----------------------------------------------------

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key in ("blank", "editable", "serialize"):
            kwargs.pop(key, None)
        rel = self.remote_field
        kwargs["to"] = _label(rel.model)
        kwargs["through"] = _label(rel.through)
        if rel.through_fields:
            kwargs["through_fields"] = tuple(rel.through_fields)
        if rel.related_name is not None:
            kwargs["related_name"] = rel.related_name
        if rel.related_query_name is not None:
            kwargs["related_query_name"] = rel.related_query_name
        return name, path, args, kwargs

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        for what, model in (("model", self.related_model), ("through model", self.through)):
            if isinstance(model, str) or model._meta.abstract:
                name = model if isinstance(model, str) else model._meta.label
                errors.append(
                    checks.Error(
                        f"Field defines a weak relation with {what} '{name}', which is "
                        "either not installed, or is abstract.",
                        obj=self,
                        id="weakrel.E101",
                    )
                )
        if errors:
            return errors
        return self._find_through_keys()[2] + self._check_clashes()

    def _check_clashes(self) -> list[checks.CheckMessage]:
        """The reverse accessor and query name must be free on the target."""
        if self.remote_field.is_hidden():
            return []
        target = self.related_model
        taken: dict[str, str] = {}
        for field in target._meta.get_fields(include_hidden=True):
            other = getattr(field, "field", None)
            if other is self:
                continue
            taken[field.name] = f"{target._meta.label}.{field.name}"
            accessor = getattr(other, "accessor_name", None)
            if isinstance(accessor, str) and not other.remote_field.is_hidden():
                taken[accessor] = f"{other.model._meta.label}.{other.name}"
        label = f"{self.model._meta.label}.{self.name}"
        return [
            checks.Error(
                f"Reverse {kind} '{target._meta.object_name}.{name}' for '{label}' "
                f"clashes with '{taken[name]}'.",
                hint=f"Add or change a related_name argument to the definition for '{label}'.",
                obj=self,
                id="weakrel.E104",
            )
            for kind, name in (
                ("accessor", self.accessor_name),
                ("query name", self.related_query_name()),
            )
            if name in taken
        ]


@checks.register(checks.Tags.models)
def check_many_to_many_fields(app_configs=None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Run the checks of WeakManyToManyFields: Django checks only non-private fields."""
    from django.apps import apps

    if app_configs is None:
        model_list = apps.get_models()
    else:
        model_list = [m for config in app_configs for m in config.get_models()]
    errors: list[checks.CheckMessage] = []
    for model in model_list:
        for field in model._meta.private_fields:
            if isinstance(field, WeakManyToManyField) and field.model is model:
                errors.extend(field.check())
    return errors


def _label(model) -> str:
    if isinstance(model, str):
        if "." in model:
            app_label, model_name = model.split(".")
            return f"{app_label}.{model_name.lower()}"
        return model.lower()
    return model._meta.label_lower


def _points_at(key: WeakForeignKey, model: type[models.Model]) -> bool:
    to = key.remote_field.model
    if isinstance(to, str):
        return _label(to) == model._meta.label_lower
    return to._meta.concrete_model is model._meta.concrete_model


class ReverseWeakManyToMany(ManagerValuedField, ReverseSide, models.Field):
    """The target's side of a :class:`WeakManyToManyField`, a private field.

    It lets ``Patient.objects.filter(physicians__name="Ann")`` resolve. Unlike the
    core's ``ReverseWeakRelation`` it is not one-to-many, so Django's deletion
    collector passes it by: the through model's own weak keys carry ``on_delete``.
    """

    auto_created = True
    concrete = False
    many_to_many = True
    many_to_one = False
    one_to_many = False
    one_to_one = False

    def __init__(self, field: WeakManyToManyField) -> None:
        self.field = field
        super().__init__(auto_created=True, editable=False, serialize=False, blank=True, null=True)
        self.is_relation = False

    def get_col(self, alias, output_field=None):
        _source, target = self.field.through_keys
        return RelationCol(alias, target.target_field, output_field=self)

    def get_lookup(self, lookup_name: str):
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, reverse=True, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return partial(_through_isnull, reverse=True)
        return None

    def get_transform(self, name: str):
        try:
            self.related_model._meta.get_field(name)
        except exceptions.FieldDoesNotExist:
            if name != "pk":
                return None
        return partial(_through_path, reverse=True, name=name)

    def deconstruct(self):  # never migrated: it exists only on model classes
        name, path, args, kwargs = super().deconstruct()
        return name, path, [self.field], {}


def _sides(field: WeakManyToManyField, reverse: bool) -> tuple[WeakForeignKey, WeakForeignKey]:
    """(key to the side the query starts from, key to the side it reaches)."""
    source, target = field.through_keys
    return (target, source) if reverse else (source, target)


def _first_hop(lhs, reverse: bool) -> RelatedPath:
    """``<through>.<key to the far side>``, answered with keys of the near side."""
    near, far = _sides(lhs.output_field.field if reverse else lhs.output_field, reverse)
    path = RelatedPath(lhs, far.name, remote_model=near.model, key_attname=near.attname)
    path.column = Col(lhs.alias, lhs.target)
    path.column_field = near.target_field
    return path


def _through_path(lhs, *, reverse: bool, name: str) -> RelatedPath:
    """``patients__name``: the through rows whose patient matches, as physician keys."""
    return RelatedPath(_first_hop(lhs, reverse), name)


def _through_lookup(lhs, rhs, *, reverse: bool, lookup_name: str) -> RemoteLookup:
    """``patients=patient`` / ``patients__in=[...]``: through rows naming those targets."""
    return RemoteLookup(_first_hop(lhs, reverse), rhs, lookup_name=lookup_name)


def _through_isnull(lhs, rhs, *, reverse: bool) -> Unlinked:
    return Unlinked(_first_hop(lhs, reverse), rhs)


class _Rows(list):
    """Prefetched objects, with the nested lookups Django applies to them next."""

    _prefetch_related_lookups: tuple = ()


class ThroughDescriptor(RelatedManagerDescriptor):
    """``physician.patients`` (forward) and ``patient.physicians`` (reverse)."""

    def __init__(self, field: WeakManyToManyField, *, reverse: bool) -> None:
        self.field = field
        self.reverse = reverse

    @cached_property
    def related_manager_cls(self):
        model = self.field.model if self.reverse else self.field.related_model
        return create_through_manager(model._default_manager.__class__, self.field, self.reverse)

    def __set__(self, instance: models.Model, value: Any) -> None:
        side = "reverse" if self.reverse else "forward"
        name = self.field.accessor_name if self.reverse else self.field.name
        raise TypeError(
            f"Direct assignment to the {side} side of a many-to-many set is prohibited. "
            f"Use {name}.set() instead."
        )


def create_through_manager(superclass: type, field: WeakManyToManyField, reverse: bool) -> type:
    """Manager class over the far side of ``field``, bound to one near-side instance."""

    class WeakThroughManager(superclass):
        _queryset_class = related_queryset_class(superclass._queryset_class)

        def __init__(self, instance: models.Model) -> None:
            super().__init__()
            self.instance = instance
            self.near, self.far = _sides(field, reverse)
            self.model = self.far.related_model
            self.through = field.through
            self.reverse = reverse
            self.prefetch_cache_name = field.accessor_name if reverse else field.name
            self.query_name = field.name if reverse else field.related_query_name()
            self.key = self.near.key_of(instance)

        def __call__(self, *, manager: str) -> WeakThroughManager:
            manager = getattr(self.model, manager)
            return create_through_manager(manager.__class__, field, reverse)(self.instance)

        do_not_call_in_templates = True

        def _check_key(self) -> None:
            if self.key is None:
                raise ValueError(
                    f'"{self.instance!r}" needs to have a value for field '
                    f'"{self.near.target_field.attname}" before this many-to-many '
                    "relationship can be used."
                )

        # -- reading ----------------------------------------------------------

        def _through_rows(self, *, using: str | None = None):
            db = using or router.db_for_read(self.through, instance=self.instance)
            return self.through._base_manager.using(db).filter(**{self.near.attname: self.key})

        def _apply_rel_filters(self, queryset):
            """Targets linked to this instance: through keys first, then targets."""
            queryset._add_hints(instance=self.instance)
            if self._db:
                queryset = queryset.using(self._db)
            return queryset.filter(**{self.query_name: self.key})

        def get_queryset(self):
            try:
                return self.instance._prefetched_objects_cache[self.prefetch_cache_name]
            except (AttributeError, KeyError):
                self._check_key()
                return self._apply_rel_filters(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            queryset = prefetch_start(querysets, super().get_queryset, instances)
            near, far = self.near, self.far
            keys = {near.key_of(inst) for inst in instances} - {None}
            through = self.through._base_manager.db_manager(hints={"instance": instances[0]})
            pairs = list(
                filter_in(
                    through.values_list(near.attname, far.attname).order_by(),
                    near.attname,
                    sorted(keys, key=str),
                )
            )
            far_keys = {far_key for _, far_key in pairs} - {None}
            lookups = queryset._prefetch_related_lookups
            base = queryset._chain()
            base._prefetch_related_lookups = ()
            by_key = {
                far.key_of(obj): obj
                for obj in filter_in(base, far.target_field.attname, sorted(far_keys, key=str))
            }
            # One object per link, as a join would give: a target shared by two
            # instances is copied so each can carry its own prefetched relations.
            rows, owner, used = _Rows(), {}, set()
            for near_key, far_key in pairs:
                obj = by_key.get(far_key)
                if obj is None:
                    continue
                if far_key in used:
                    obj = copy.copy(obj)
                used.add(far_key)
                owner[id(obj)] = near_key
                rows.append(obj)
            order = {id(obj): i for i, obj in enumerate(by_key.values())}
            rows.sort(key=lambda obj: order[id(by_key[far.key_of(obj)])])
            rows._prefetch_related_lookups = lookups
            return (
                rows,
                lambda obj: owner[id(obj)],
                near.key_of,
                False,
                self.prefetch_cache_name,
                False,
            )

        def _clear_prefetch_cache(self) -> None:
            cache = getattr(self.instance, "_prefetched_objects_cache", None)
            if cache is not None:
                cache.pop(self.prefetch_cache_name, None)

        # -- writing ----------------------------------------------------------

        def _db_for_write(self) -> str:
            return router.db_for_write(self.through, instance=self.instance)

        def _far_keys(self, objs: Iterable[Any]) -> list[Any]:
            """Keys of ``objs`` (instances of the far model or raw keys), in order."""
            keys = []
            for obj in objs:
                if isinstance(obj, models.Model):
                    if not isinstance(obj, self.model):
                        raise TypeError(
                            f"'{self.model._meta.object_name}' instance expected, got {obj!r}"
                        )
                    key = self.far.key_of(obj)
                    if key is None:
                        raise ValueError(
                            f'Cannot add "{obj!r}": the value for field '
                            f'"{self.far.target_field.attname}" is None'
                        )
                else:
                    key = self.far.to_python(obj)
                if key not in keys:
                    keys.append(key)
            return keys

        def _send(self, action: str, keys, db: str) -> None:
            m2m_changed.send(
                sender=self.through,
                action=action,
                instance=self.instance,
                reverse=self.reverse,
                model=self.model,
                pk_set=set(keys) if keys is not None else None,
                using=db,
            )

        def add(self, *objs: Any, through_defaults: dict | None = None) -> None:
            """Link ``objs`` (instances or keys): one through row each, unless linked."""
            self._check_key()
            self._clear_prefetch_cache()
            db = self._db_for_write()
            keys = self._far_keys(objs)
            if not keys:
                return
            defaults = dict(resolve_callables(through_defaults or {}))
            existing = set(
                self._through_rows(using=db)
                .filter(**{f"{self.far.attname}__in": keys})
                .values_list(self.far.attname, flat=True)
            )
            new = [key for key in keys if key not in existing]
            if not new:
                return
            by_key = {self.far.key_of(o): o for o in objs if isinstance(o, models.Model)}
            rows = []
            for key in new:
                row = self.through(**defaults)
                setattr(row, self.near.name, self.instance)
                if key in by_key and not by_key[key]._state.adding:
                    setattr(row, self.far.name, by_key[key])
                else:
                    setattr(row, self.far.attname, key)
                rows.append(row)
            # Raw keys are checked in one query (saved instances are known to exist),
            # before anything is written.
            check_references(rows)
            with transaction.atomic(using=db, savepoint=False):
                self._send("pre_add", new, db)
                self.through._base_manager.using(db).bulk_create(rows)
                self._send("post_add", new, db)

        add.alters_data = True

        def remove(self, *objs: Any) -> None:
            """Unlink ``objs``: delete their through rows (the targets stay)."""
            self._check_key()
            self._clear_prefetch_cache()
            keys = self._far_keys(objs)
            if not keys:
                return
            db = self._db_for_write()
            with transaction.atomic(using=db, savepoint=False):
                self._send("pre_remove", keys, db)
                self._through_rows(using=db).filter(**{f"{self.far.attname}__in": keys}).delete()
                self._send("post_remove", keys, db)

        remove.alters_data = True

        def clear(self) -> None:
            """Unlink every target: delete all of this instance's through rows."""
            self._check_key()
            self._clear_prefetch_cache()
            db = self._db_for_write()
            with transaction.atomic(using=db, savepoint=False):
                self._send("pre_clear", None, db)
                self._through_rows(using=db).delete()
                self._send("post_clear", None, db)

        clear.alters_data = True

        def set(self, objs, *, clear: bool = False, through_defaults: dict | None = None):
            """Make ``objs`` exactly the linked targets (adding and removing the difference)."""
            self._check_key()
            objs = tuple(objs)
            db = self._db_for_write()
            with transaction.atomic(using=db, savepoint=False):
                if clear:
                    self.clear()
                    self.add(*objs, through_defaults=through_defaults)
                    return
                wanted = set(self._far_keys(objs))
                old = set(self._through_rows(using=db).values_list(self.far.attname, flat=True))
                self.remove(*[key for key in old if key not in wanted])
                self.add(
                    *[obj for obj in objs if self._far_keys([obj])[0] not in old],
                    through_defaults=through_defaults,
                )

        set.alters_data = True

        def create(self, *, through_defaults: dict | None = None, **kwargs: Any):
            """Create a target in its own database, then link it."""
            self._check_key()
            db = router.db_for_write(self.model, instance=self.instance)
            obj = super(WeakThroughManager, self.db_manager(db)).create(**kwargs)
            self.add(obj, through_defaults=through_defaults)
            return obj

        create.alters_data = True

        def get_or_create(self, *, through_defaults: dict | None = None, **kwargs: Any):
            self._check_key()
            db = router.db_for_write(self.model, instance=self.instance)
            obj, created = super(WeakThroughManager, self.db_manager(db)).get_or_create(**kwargs)
            # Found among this instance's targets, it is linked already, as in Django.
            if created:
                self.add(obj, through_defaults=through_defaults)
            return obj, created

        get_or_create.alters_data = True

        def update_or_create(self, *, through_defaults: dict | None = None, **kwargs: Any):
            self._check_key()
            db = router.db_for_write(self.model, instance=self.instance)
            obj, created = super(WeakThroughManager, self.db_manager(db)).update_or_create(**kwargs)
            if created:
                self.add(obj, through_defaults=through_defaults)
            return obj, created

        update_or_create.alters_data = True

    return WeakThroughManager
