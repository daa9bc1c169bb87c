"""Polymorphic HasManyThrough: a many-to-many relation whose through model's far key
is a ``WeakGenericForeignKey``.

Given::

    class Reader(Model):                         # database "default"
        favorites = WeakManyToManyField(
            to=["blog.Article", "shop.Product"], through="blog.Favorite"
        )

    class Favorite(Model):                       # database "orders"
        reader = WeakForeignKey(Reader, on_delete=CASCADE)
        item = WeakGenericForeignKey(to=["blog.Article", "shop.Product"], on_delete=CASCADE)

``WeakManyToManyField`` with a list of models hands out a :class:`GenericThroughField`:
a private, column-less field that is its own descriptor, like the generic key.
``reader.favorites`` is a :class:`GenericThroughManager`: it reads the through rows,
then one query per target type that occurs, each in that type's database; it
prefetches the same way per batch, and writes through rows. Deleting a reader or an
item applies the through model's own keys' ``on_delete``. The through model's keys are
found by duck typing, so this module imports no other relation kind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property, partial
from typing import Any

from django.core import checks, exceptions
from django.db import models, transaction
from django.db.models.expressions import Col

from weakrel import routing
from weakrel.base import WeakRelationField, model_label
from weakrel.enforcement import check_references
from weakrel.inheritance import key_column
from weakrel.keys import sorted_keys
from weakrel.lookups import RelatedPath, RelationCol, RemoteLookup, Unlinked
from weakrel.related import Rows
from weakrel.routing import database_errors, filter_in


def is_generic_key(field: Any) -> bool:
    """A ``WeakGenericForeignKey`` (a private field holding a (type, key) pair)."""
    return bool(getattr(field, "holds_weak_keys", False) and hasattr(field, "target_for_label"))


class GenericThroughField(models.Field):
    """Polymorphic HasManyThrough: the rows of several models linked by a ``through``
    model whose key to them is a ``WeakGenericForeignKey``."""

    concrete = False
    auto_created = False
    many_to_many = True
    many_to_one = False
    one_to_many = False
    one_to_one = False
    related_model = None
    remote_field = None
    # Read by generic_checks.check_generic_keys, which runs check() for it.
    generic_checks = True

    def __init__(
        self,
        to: Iterable[type[models.Model] | str],
        *,
        through: type[models.Model] | str,
        through_fields: tuple[str, str] | None = None,
    ) -> None:
        if through is None:
            raise TypeError("WeakManyToManyField requires a through model.")
        self.to = list(to)
        self.through_label = through if isinstance(through, str) else through._meta.label
        self.through_fields = through_fields
        super().__init__(editable=False, serialize=False, blank=True)
        self.is_relation = False

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, private_only=True, **kwargs)
        setattr(cls, name, self)

    def get_attname_column(self):
        return self.get_attname(), None

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        to = [m if isinstance(m, str) else m._meta.label for m in self.to]
        kwargs = {"to": to, "through": self.through_label}
        if self.through_fields:
            kwargs["through_fields"] = tuple(self.through_fields)
        return name, "weakrel.WeakManyToManyField", [], kwargs

    def __get__(self, instance: models.Model | None, cls=None):
        if instance is None:
            return self
        return GenericThroughManager(self, instance)

    def __set__(self, instance: models.Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the forward side of a many-to-many set is prohibited. "
            f"Use {self.name}.set() instead."
        )

    # -- the through model's keys ---------------------------------------------------

    @cached_property
    def through(self) -> type[models.Model]:
        """The through model (``LookupError`` while it is not installed)."""
        return self.model._meta.apps.get_model(self.through_label)

    @cached_property
    def through_keys(self) -> tuple[Any, Any]:
        """(the through model's weak key to this model, its generic key)."""
        errors = self._check_through()
        if errors:
            raise exceptions.ImproperlyConfigured(errors[0].msg)
        return self._keys()

    def _keys(self) -> tuple[Any, Any]:
        opts = self.through._meta
        if self.through_fields:
            near_name, far_name = self.through_fields
            fields = {f.name: f for f in [*opts.fields, *opts.private_fields]}
            near, far = fields.get(near_name), fields.get(far_name)
            return (near if _is_key_to(near, self.model) else None), (
                far if is_generic_key(far) else None
            )
        nears = [f for f in opts.fields if _is_key_to(f, self.model)]
        fars = [f for f in opts.private_fields if is_generic_key(f)]
        return (nears[0] if len(nears) == 1 else None), (fars[0] if len(fars) == 1 else None)

    # -- lookups: resolved in the through model's database first ----------------------

    def get_col(self, alias, output_field=None):
        near, _far = self.through_keys
        return RelationCol(alias, key_column(self.model, near.target_field), output_field=self)

    def get_lookup(self, lookup_name: str):
        if lookup_name in ("exact", "in"):
            return partial(_through_lookup, lookup_name=lookup_name)
        if lookup_name == "isnull":
            return _through_isnull
        return None

    def get_transform(self, name: str):
        """``favorites__article__title``: the through rows whose item is such an article."""
        _near, far = self.through_keys
        if any(target.name == name for target in far.targets):
            return partial(_through_path, name=name)
        return None

    # -- checks ---------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        return self._check_through()

    def _error(self, message: str, id: str, hint: str | None = None) -> checks.Error:
        return checks.Error(message, hint=hint, obj=self, id=id)

    def _check_through(self) -> list[checks.CheckMessage]:
        label = f"'{self.model._meta.label}.{self.name}'"
        try:
            through = self.through
        except (LookupError, ValueError):
            return [
                self._error(
                    f"{label} names the through model '{self.through_label}', which is not "
                    "installed.",
                    "weakrel.E230",
                )
            ]
        near, far = self._keys()
        hint = "Name them with through_fields=(key to the source, generic key)."
        if near is None:
            return [
                self._error(
                    f"The through model '{through._meta.label}' of {label} has no single "
                    f"weak key to '{self.model._meta.label}'.",
                    "weakrel.E231",
                    hint,
                )
            ]
        if far is None:
            return [
                self._error(
                    f"The through model '{through._meta.label}' of {label} has no single "
                    "WeakGenericForeignKey.",
                    "weakrel.E232",
                    hint,
                )
            ]
        allowed = {target.label for target in far.targets}
        unknown = [model_label(m) for m in self.to if model_label(m) not in allowed]
        if unknown or not self.to:
            return [
                self._error(
                    f"{label}: to={[model_label(m) for m in self.to]} must name models "
                    f"'{through._meta.label}.{far.name}' may point at ({sorted(allowed)}).",
                    "weakrel.E233",
                )
            ]
        return []


def _hop(lhs, name: str | None = None) -> RelatedPath:
    """``<through>.<generic key>`` (or one of its types, ``name``), answered with keys
    of the source."""
    near, far = lhs.output_field.through_keys
    path = RelatedPath(lhs, name or far.name, remote_model=near.model, key_attname=near.attname)
    path.column = Col(lhs.alias, lhs.target)
    path.column_field = near.target_field
    return path


def _through_lookup(lhs, rhs, *, lookup_name: str) -> RemoteLookup:
    """``favorites=article`` / ``favorites__in=[article, product]``."""
    return RemoteLookup(_hop(lhs), rhs, lookup_name=lookup_name)


def _through_isnull(lhs, rhs) -> Unlinked:
    return Unlinked(_hop(lhs), rhs)


def _through_path(lhs, *, name: str) -> RelatedPath:
    return _hop(lhs, name)


def _is_key_to(field: Any, model: type[models.Model]) -> bool:
    """A concrete weak key naming rows of ``model`` (or of an ancestor of it)."""
    if not (isinstance(field, WeakRelationField) and field.concrete):
        return False
    to = field.remote_field.model
    if isinstance(to, str):
        return model_label(to) == model._meta.label_lower
    return to._meta.concrete_model is model._meta.concrete_model or issubclass(model, to)


class TargetList:
    """What ``reader.favorites.get_queryset()`` is: the linked rows of every type, in
    the order of their through rows, read on first use. ``prefetch_related()`` fills
    ``_result_cache`` as it does a queryset's."""

    _prefetch_done = False

    def __init__(self, manager: GenericThroughManager) -> None:
        self.manager = manager
        self._result_cache: list[models.Model] | None = None

    def _fetch_all(self) -> list[models.Model]:
        if self._result_cache is None:
            manager = self.manager
            found = read_targets(manager, [manager.instance]) if manager.key is not None else ()
            self._result_cache = list(found)
        return self._result_cache

    def __iter__(self):
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __getitem__(self, index):
        return self._fetch_all()[index]


class GenericThroughManager:
    """``reader.favorites``: the rows of every allowed type one reader links to."""

    do_not_call_in_templates = True

    def __init__(self, field: GenericThroughField, instance: models.Model) -> None:
        self.field = field
        self.instance = instance
        self.near, self.far = field.through_keys
        self.through = field.through
        self.key = self.near.key_of(instance)

    @property
    def model(self) -> type[models.Model]:
        return self.through

    def _check_key(self) -> None:
        if self.key is None or not self.instance._is_pk_set():  # type: ignore[attr-defined]
            raise ValueError(
                f"{type(self.instance).__name__!r} instance needs to have a primary key "
                "value before a many-to-many relationship can be used."
            )

    def _through_rows(self, db: str | None = None) -> models.QuerySet[Any]:
        db = db or routing.db_for_read(self.through, instance=self.instance)
        rows = self.through._base_manager.using(db).filter(**{self.near.attname: self.key})
        return rows.order_by("pk")

    # -- reading --------------------------------------------------------------------

    def get_queryset(self) -> TargetList:
        cache = getattr(self.instance, "_prefetched_objects_cache", {})
        if self.field.name in cache:
            return cache[self.field.name]
        return TargetList(self)

    def all(self) -> list[models.Model]:
        """The linked rows of every type: the through rows, then one query per type."""
        return list(self.get_queryset())

    def __iter__(self):
        return iter(self.all())

    def of(self, model: type[models.Model]) -> models.QuerySet[Any]:
        """The linked rows of one type, as a queryset on that type's database, to
        filter further: ``reader.favorites.of(Article).filter(title__startswith="A")``."""
        self._check_key()
        target = self.far.target_for_label(model._meta.label_lower)
        stored = self._through_rows().filter(**{self.far.type_attname: target.label})
        keys = [
            target.key_from_stored(s) for s in stored.values_list(self.far.id_attname, flat=True)
        ]
        db = routing.db_for_read(model, instance=self.instance)
        return model._base_manager.db_manager(db).filter(
            **{f"{target.key_field.attname}__in": sorted_keys(set(keys))}
        )

    def get_prefetch_querysets(self, instances: list[models.Model], querysets=None):
        """One query for the through rows of the batch, then one per type that occurs."""
        if querysets:
            raise ValueError(
                f"Prefetch('{self.field.name}') takes no queryset: its rows are of several models."
            )
        links = list(read_targets(self, instances, owners=True))
        owner: dict[int, Any] = {}
        rows = Rows()
        for token, obj in links:
            if id(obj) in owner:
                obj = _copy(obj)
            owner[id(obj)] = token
            rows.append(obj)
        return rows, lambda obj: owner[id(obj)], self.near.key_of, False, self.field.name, False

    # -- writing --------------------------------------------------------------------

    def _pairs(self, objs: Iterable[models.Model]) -> dict[tuple[str, Any], models.Model]:
        """The (type, stored key) of each of ``objs``, in order, without repeats;
        ``ValueError`` for an instance of a model the field does not allow or an
        unsaved one."""
        allowed = {model_label(m) for m in self.field.to}
        pairs: dict[tuple[str, Any], models.Model] = {}
        for obj in objs:
            label, stored = self.far.pair_of(obj)
            if label not in allowed:
                raise ValueError(
                    f'Cannot use "{obj!r}" for "{self.field.model.__name__}.'
                    f'{self.field.name}": it must be an instance of {", ".join(allowed)}.'
                )
            if stored is None:
                raise ValueError(f'Cannot add "{obj!r}": it is not saved.')
            pairs.setdefault((label, stored), obj)
        return pairs

    def _linked(self, db: str) -> set[tuple[str, Any]]:
        names = (self.far.type_attname, self.far.id_attname)
        return {(t, self.far.stored(i)) for t, i in self._through_rows(db).values_list(*names)}

    def add(self, *objs: models.Model, through_defaults: dict[str, Any] | None = None) -> None:
        """Link ``objs``, of any allowed type: one through row each, unless linked."""
        self._check_key()
        self._clear_prefetch_cache()
        pairs = self._pairs(objs)
        if not pairs:
            return
        db = routing.db_for_write(self.through, instance=self.instance)
        with transaction.atomic(using=db, savepoint=False):
            linked = self._linked(db)
            rows = []
            for pair, obj in pairs.items():
                if pair in linked:
                    continue
                row = self.through(**(through_defaults or {}))
                setattr(row, self.near.name, self.instance)
                # Saved instances: known to exist, check_references() asks nothing.
                setattr(row, self.far.name, obj)
                rows.append(row)
            check_references(rows)
            self.through._base_manager.using(db).bulk_create(rows)

    add.alters_data = True  # type: ignore[attr-defined]

    def remove(self, *objs: models.Model) -> None:
        """Unlink ``objs``: delete their through rows (the rows linked to stay)."""
        self._check_key()
        self._clear_prefetch_cache()
        db = routing.db_for_write(self.through, instance=self.instance)
        by_type: dict[str, list[Any]] = defaultdict(list)
        for label, stored in self._pairs(objs):
            by_type[label].append(stored)
        with transaction.atomic(using=db, savepoint=False):
            for label, keys in by_type.items():
                self._through_rows(db).filter(
                    **{self.far.type_attname: label, f"{self.far.id_attname}__in": keys}
                ).delete()

    remove.alters_data = True  # type: ignore[attr-defined]

    def clear(self) -> None:
        """Unlink every row: delete all of this instance's through rows."""
        self._check_key()
        self._clear_prefetch_cache()
        self._through_rows(routing.db_for_write(self.through, instance=self.instance)).delete()

    clear.alters_data = True  # type: ignore[attr-defined]

    def set(self, objs: Iterable[models.Model], *, clear: bool = False) -> None:
        """Make ``objs`` exactly the linked rows (adding and removing the difference)."""
        self._check_key()
        objs = tuple(objs)
        db = routing.db_for_write(self.through, instance=self.instance)
        with transaction.atomic(using=db, savepoint=False):
            if clear:
                self.clear()
                self.add(*objs)
                return
            wanted = self._pairs(objs)
            old = self._linked(db)
            self._clear_prefetch_cache()
            for label, stored in old - set(wanted):
                self._through_rows(db).filter(
                    **{self.far.type_attname: label, self.far.id_attname: stored}
                ).delete()
            self.add(*[obj for pair, obj in wanted.items() if pair not in old])

    set.alters_data = True  # type: ignore[attr-defined]

    def _clear_prefetch_cache(self) -> None:
        getattr(self.instance, "_prefetched_objects_cache", {}).pop(self.field.name, None)


def _copy(obj: models.Model) -> models.Model:
    import copy

    return copy.copy(obj)


def read_targets(manager: GenericThroughManager, instances: list[models.Model], owners=False):
    """The rows ``instances`` link to: one query for the through rows, then one per
    type that occurs, each in its own database. Yields the rows in through-row order;
    with ``owners``, ``(owner key, row)`` pairs."""
    near, far = manager.near, manager.far
    keys = sorted_keys({near.key_of(instance) for instance in instances} - {None})
    db = routing.db_for_read(manager.through, instance=instances[0])
    through = manager.through._base_manager.using(db).order_by("pk")
    names = (near.attname, far.type_attname, far.id_attname)
    with database_errors(db, f"reading {manager.through._meta.label}"):
        links = list(filter_in(through.values_list(*names), near.attname, keys))
    wanted: dict[Any, set[Any]] = defaultdict(set)
    resolved = []
    for owner, label, stored in links:
        target = far.target_for_label(label)
        key = target.key_from_stored(stored, strict=False)
        resolved.append((owner, target, key))
        wanted[target].add(key)
    found: dict[tuple[Any, Any], models.Model] = {}
    for target, type_keys in wanted.items():
        model = target.related_model
        queryset = model._base_manager.using(routing.db_for_read(model, instance=instances[0]))
        with database_errors(queryset.db, f"reading {model._meta.label}"):
            for obj in filter_in(queryset, target.key_field.attname, sorted_keys(type_keys)):
                found[target, target.key_of(obj)] = obj
    for owner, target, key in resolved:
        obj = found.get((target, key))
        if obj is not None:
            yield (owner, obj) if owners else obj
