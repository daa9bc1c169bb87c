"""``reader.favorites``, the polymorphic HasManyThrough's manager: through rows
first, then one query per target type that occurs, each in its own database (see
:mod:`weakrel.relations.many_to_many_generic`)."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import models, transaction

from weakrel import routing
from weakrel.base import model_label
from weakrel.enforcement import check_references
from weakrel.keys import sorted_keys
from weakrel.related import Rows, _async_twin
from weakrel.routing import database_errors, filter_in


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

    def __init__(self, field: Any, instance: models.Model) -> None:
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

    def get_prefetch_querysets(self, instances: list[models.Model], querysets: Any = None) -> tuple:
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
                obj = copy.copy(obj)
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

    aadd = _async_twin("add")
    aremove = _async_twin("remove")
    aclear = _async_twin("clear")
    aset = _async_twin("set")

    def _clear_prefetch_cache(self) -> None:
        getattr(self.instance, "_prefetched_objects_cache", {}).pop(self.field.name, None)


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
        try:
            target = far.target_for_label(label)
        except ValueError:
            continue  # a type no longer allowed: an orphan, which weakrel_check reports
        key = target.key_from_stored(stored, strict=False)
        if key is None:
            continue
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
