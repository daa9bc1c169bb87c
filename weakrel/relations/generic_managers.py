"""The polymorphic HasMany: ``article.comments``, the rows of a model with a
``WeakGenericForeignKey`` whose pair names one instance (after Django's
``GenericRelatedObjectManager``).

:class:`GenericHasManyManager` reads over the source's database, narrowed by type and
key, prefetches (one query per level) and links; :class:`NullableGenericHasManyManager`
also unlinks (``remove()``, ``clear()``), which only a nullable pair allows.
:func:`prefetch_targets` is the forward prefetch, ``prefetch_related("target")``.
:class:`GenericReverseDescriptor` hands them out. Async twins (``acreate``, ...) come
from the core's related manager.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Manager, Model, QuerySet

from weakrel import routing
from weakrel.generics import _M
from weakrel.keys import sorted_keys
from weakrel.related import RelatedManagerDescriptor, WeakRelatedManager
from weakrel.reverse import ReverseSide
from weakrel.routing import database_errors, filter_in


def prefetch_targets(generic, instances: list[Model], querysets=None):
    """``prefetch_related("target")``: ``(rows, rel_obj_attr, instance_attr)``.

    One query per target model that occurs among ``instances``, each in that model's
    database; a queryset given for a model is used for its rows.
    """
    custom = {queryset.model: queryset for queryset in querysets or ()}
    wanted: dict[Any, set] = defaultdict(set)
    # Each instance's (type label, key), worked out once: Django asks again below.
    tokens: dict[int, tuple[str, Any] | None] = {}
    for instance in instances:
        token = generic.instance_token(instance)
        tokens[id(instance)] = None if token is None else (token[0].label, token[1])
        if token is not None:
            wanted[token[0]].add(token[1])
    rows: list[Model] = []
    for target, keys in wanted.items():
        model = target.related_model
        queryset = custom.get(model, model._base_manager.all())
        if queryset._db is None:
            queryset = queryset.using(routing.db_for_read(model, instance=instances[0]))
        with database_errors(queryset.db, f"reading {model._meta.label}"):
            rows.extend(filter_in(queryset, target.key_field.attname, sorted_keys(keys)))

    def rel_obj_attr(obj: Model) -> tuple[str, Any]:
        target = generic.target_for_instance(obj)
        return target.label, target.key_of(obj)

    def instance_attr(instance: Model) -> tuple[str, Any] | None:
        return tokens[id(instance)]

    return rows, rel_obj_attr, instance_attr


class GenericHasManyManager(WeakRelatedManager[_M]):
    """``article.comments``: the rows whose pair names this instance."""

    field: Any  # the GenericTarget of the instance's type

    @classmethod
    def related_model(cls) -> type[_M]:
        return cls.field.model

    def near_key(self, instance: Model) -> Any:
        return self.field.key_of(instance)

    def key_name(self) -> str:
        return self.field.key_field.attname

    def instance_token(self, instance: Model) -> Any:
        return self.field.generic.stored(self.field.key_of(instance))

    def core_filters(self) -> dict[str, Any]:
        generic = self.field.generic
        return {
            generic.type_attname: self.field.label,
            generic.id_attname: generic.stored(self.key),
        }

    def _narrow(self, queryset):
        queryset = super()._narrow(queryset)
        # Each row read knows its target without a query.
        generic = self.field.generic
        queryset._known_related_objects = {generic: {generic.stored(self.key): self.instance}}
        return queryset

    def prefetch_links(self, queryset, instances, fetch):
        generic = self.field.generic
        by_key = {generic.stored(self.field.key_of(obj)): obj for obj in instances}
        by_key.pop(None, None)
        queryset = queryset.filter(**{generic.type_attname: self.field.label})
        rows = list(fetch(queryset, generic.id_attname, sorted(by_key, key=str)))
        for row in rows:
            owner = by_key.get(getattr(row, generic.id_attname))
            if owner is not None and not generic.is_cached(row):
                generic.set_cached_value(row, owner)
        return rows

    # -- writing --------------------------------------------------------------------

    def _link(self, kwargs: dict[str, Any]) -> str:
        self._check_key()
        self._clear_prefetch_cache()
        kwargs[self.field.generic.name] = self.instance
        return self._db_for_write()

    def _set_pair(self, queryset, key: Any) -> None:
        generic = self.field.generic
        label = None if key is None else self.field.label
        queryset.update(**{generic.type_attname: label, generic.id_attname: generic.stored(key)})

    def add(self, *objs: _M, bulk: bool = True) -> None:
        """Point ``objs`` at this instance and save them."""
        self._check_key()
        self._check_objs(objs)
        self._clear_prefetch_cache()
        generic, db = self.field.generic, self._db_for_write()
        if bulk:
            for obj in objs:
                if obj._state.adding or obj._state.db != db:
                    raise ValueError(
                        f"{obj!r} instance isn't saved. Use bulk=False or save the object first."
                    )
            pks = [obj.pk for obj in objs]
            self._set_pair(self.model._base_manager.using(db).filter(pk__in=pks), self.key)
            for obj in objs:
                setattr(obj, generic.name, self.instance)
            return
        with transaction.atomic(using=db, savepoint=False):
            for obj in objs:
                setattr(obj, generic.name, self.instance)
                obj.save(using=db)

    add.alters_data = True  # type: ignore[attr-defined]

    def create(self, **kwargs: Any) -> _M:
        return self._write("create", self._link(kwargs), kwargs)

    create.alters_data = True  # type: ignore[attr-defined]

    def get_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        return self._write("get_or_create", self._link(kwargs), kwargs)

    get_or_create.alters_data = True  # type: ignore[attr-defined]

    def update_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        return self._write("update_or_create", self._link(kwargs), kwargs)

    update_or_create.alters_data = True  # type: ignore[attr-defined]

    def set(self, objs: Iterable[_M], *, bulk: bool = True, clear: bool = False) -> None:
        """Make ``objs`` point at this instance (with a nullable pair, only them)."""
        self._check_key()
        objs = tuple(objs)
        self._check_objs(objs)
        self.add(*objs, bulk=bulk)

    set.alters_data = True  # type: ignore[attr-defined]


class NullableGenericHasManyManager(GenericHasManyManager[_M]):
    """``article.comments`` when the pair is nullable: rows can also be unlinked."""

    def remove(self, *objs: _M, bulk: bool = True) -> None:
        """Unlink ``objs`` from this instance (both columns become NULL)."""
        if not objs:
            return
        self._check_key()
        self._check_objs(objs)
        generic = self.field.generic
        mine = (self.field.label, generic.stored(self.key))
        for obj in objs:
            if (getattr(obj, generic.type_attname), getattr(obj, generic.id_attname)) != mine:
                missing = self.model.DoesNotExist  # type: ignore[attr-defined]  # per model
                raise missing(f"{obj!r} is not related to {self.instance!r}.")
        self._clear(self.filter(pk__in=[obj.pk for obj in objs]), bulk)
        for obj in objs:
            setattr(obj, generic.name, None)

    remove.alters_data = True  # type: ignore[attr-defined]

    def clear(self, *, bulk: bool = True) -> None:
        self._check_key()
        self._clear(self, bulk)

    clear.alters_data = True  # type: ignore[attr-defined]

    def _clear(self, queryset: QuerySet[_M] | Manager[_M], bulk: bool) -> None:
        self._clear_prefetch_cache()
        db = self._db_for_write()
        queryset = queryset.using(db)
        if bulk:
            self._set_pair(queryset, None)
            return
        generic = self.field.generic
        with transaction.atomic(using=db, savepoint=False):
            for obj in queryset:
                setattr(obj, generic.name, None)
                obj.save(update_fields=[generic.type_attname, generic.id_attname])

    _clear.alters_data = True  # type: ignore[attr-defined]

    def set(self, objs: Iterable[_M], *, bulk: bool = True, clear: bool = False) -> None:
        self._check_key()
        objs = tuple(objs)
        self._check_objs(objs)
        db = self._db_for_write()
        with transaction.atomic(using=db, savepoint=False):
            if clear:
                self.clear(bulk=bulk)
                self.add(*objs, bulk=bulk)
                return
            old = set(self.using(db).all())
            new = [obj for obj in objs if obj not in old]
            self.remove(*(old - set(objs)), bulk=bulk)
            self.add(*new, bulk=bulk)

    set.alters_data = True  # type: ignore[attr-defined]


class GenericReverseDescriptor(RelatedManagerDescriptor):
    """``article.comments``: a related manager over the source's database."""

    def __init__(self, rel: ReverseSide) -> None:
        self.rel = rel
        self.field = rel.field

    @property
    def manager_kind(self) -> type[GenericHasManyManager[Any]]:
        if self.field.generic.null:
            return NullableGenericHasManyManager
        return GenericHasManyManager

    def manager_model(self) -> type[Model]:
        return self.field.model

    def manager_attrs(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "cache_name": self.field.accessor_name,
            "partition": self.field.generic.id_attname,
        }

    def __set__(self, instance: Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Use {self.field.accessor_name}.set() instead."
        )
