"""HasMany: ``customer.orders``, the related manager over the rows whose weak key names
one instance, after Django's ``create_reverse_many_to_one_manager``.

:class:`HasManyManager` reads, prefetches and links; :class:`NullableHasManyManager`
also unlinks (``remove()``, ``clear()``), which only a nullable key allows, as in
Django. ``ReverseWeakManyDescriptor`` (``foreign_key_descriptors``) hands them out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any

from django.db import transaction
from django.db.models import Model

from weakrel.generics import _M
from weakrel.related import WeakRelatedManager


class HasManyManager(WeakRelatedManager[_M]):
    """``customer.orders``: the rows whose weak key names this instance.

    ``HasManyManager[Order]`` to a type checker: a ``Manager[Order]`` with ``add()``,
    ``create()`` and ``set()``.
    """

    field: Any

    # The instance's key (its token among the links too): an attrgetter for the
    # field's target key, set per class by the descriptor.
    near_key: Callable[[Model], Any]  # type: ignore[assignment]
    instance_token: Callable[[Model], Any]  # type: ignore[assignment]

    def _check_readable(self) -> None:
        # As Django's reverse many-to-one manager: reading needs a saved instance;
        # a None key (a nullable to_field) reads no rows, without a query.
        self._check_saved()

    @classmethod
    def related_model(cls) -> type[_M]:
        return cls.field.model

    def key_name(self) -> str:
        return self.field.target_field.attname

    def _narrow(self, queryset: Any) -> Any:
        field = self.field
        queryset._add_hints(instance=self.instance)
        queryset._deferred_filter = (False, (), {field.attname: self.key})
        queryset._known_related_objects = {field: {self.key: self.instance}}
        return queryset

    def prefetch_links(
        self, queryset: Any, instances: list[Model], fetch: Callable[..., Any]
    ) -> Any:
        field = self.field
        by_key = {field.key_of(instance): instance for instance in instances}
        by_key.pop(None, None)
        rows = list(fetch(queryset, field.attname, sorted(by_key, key=str)))
        # Each dependent gets its target cached, as Django's reverse managers do.
        key_of_row = attrgetter(field.attname)
        for row in rows:
            if not field.is_cached(row):
                field.set_cached_value(row, by_key[key_of_row(row)])
        return rows

    def _link(self, kwargs: dict[str, Any]) -> str:
        """Prepare a write that links a new row: the key, and its database."""
        self._check_key()
        self._clear_prefetch_cache()
        kwargs[self.field.name] = self.instance
        return self._db_for_write()

    def add(self, *objs: _M, bulk: bool = True) -> None:
        """Point ``objs`` at this instance and save them."""
        self._check_key()
        self._check_objs(objs)
        self._clear_prefetch_cache()
        field, db = self.field, self._db_for_write()
        if bulk:
            pks = []
            for obj in objs:
                if obj._state.adding or obj._state.db != db:
                    raise ValueError(
                        f"{obj!r} instance isn't saved. Use bulk=False or save the object first."
                    )
                pks.append(obj.pk)
            self.model._base_manager.using(db).filter(pk__in=pks).update(
                **{field.attname: self.key}
            )
            for obj in objs:
                setattr(obj, field.name, self.instance)
        else:
            with transaction.atomic(using=db, savepoint=False):
                for obj in objs:
                    setattr(obj, field.name, self.instance)
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
        """Make ``objs`` the dependents of this instance (with a nullable key, only them)."""
        self._check_key()
        objs = tuple(objs)
        self._check_objs(objs)
        self.add(*objs, bulk=bulk)

    set.alters_data = True  # type: ignore[attr-defined]


class NullableHasManyManager(HasManyManager[_M]):
    """``customer.orders`` when the key is nullable: rows can also be unlinked."""

    def remove(self, *objs: _M, bulk: bool = True) -> None:
        """Unlink ``objs`` from this instance (the key becomes NULL)."""
        if not objs:
            return
        self._check_key()
        self._check_objs(objs)
        field = self.field
        pks = []
        for obj in objs:
            if getattr(obj, field.attname) != self.key:
                raise field.related_model.DoesNotExist(
                    f"{obj!r} is not related to {self.instance!r}."
                )
            pks.append(obj.pk)
        self._clear(self.filter(pk__in=pks), bulk)
        for obj in objs:
            setattr(obj, field.name, None)

    remove.alters_data = True  # type: ignore[attr-defined]

    def clear(self, *, bulk: bool = True) -> None:
        self._check_key()
        self._clear(self, bulk)

    clear.alters_data = True  # type: ignore[attr-defined]

    def _clear(self, queryset: Any, bulk: bool) -> None:
        self._clear_prefetch_cache()
        db = self._db_for_write()
        queryset = queryset.using(db)
        if bulk:
            queryset.update(**{self.field.attname: None})
        else:
            with transaction.atomic(using=db, savepoint=False):
                for obj in queryset:
                    setattr(obj, self.field.name, None)
                    obj.save(update_fields=[self.field.name])

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
            new = []
            for obj in objs:
                if obj in old:
                    old.remove(obj)
                else:
                    new.append(obj)
            self.remove(*old, bulk=bulk)
            self.add(*new, bulk=bulk)

    set.alters_data = True  # type: ignore[attr-defined]
