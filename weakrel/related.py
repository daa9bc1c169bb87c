"""Related managers and prefetching, written once for every weak relation kind.

After ``django.db.models.fields.related_descriptors``:

* :class:`RelatedManagerDescriptor` is ``customer.orders``, ``physician.patients``,
  ``article.tags``: it hands out a related manager bound to the instance, built once
  from the default manager class of the model it reads.
* :class:`WeakRelatedManager` is what every such manager shares: reading the
  prefetch cache first, routing, narrowing a queryset to one instance's rows without
  cloning it, ``get_prefetch_querysets()``, ``__call__(manager=...)`` and the async
  twins Django 5.2 defines (``acreate``, ``aadd``, ...). A relation kind subclasses it
  and says what differs: the instance's key, the filter that narrows, the links of a
  batch of instances and the write methods.
* :func:`prefetch` is the one fan-out: one query per level (per chunk of keys past
  the parameter limit), a sliced ``Prefetch`` limited per parent, a row linked to
  several parents copied for each.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import sync_to_async
from django.db.models import Model, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from weakrel import routing
from weakrel.generics import _M, ManagerBase
from weakrel.lookups import filter_keys
from weakrel.related_querysets import (  # noqa: F401 - pickles name the unpickler here
    _unpickle_related_queryset,
    related_queryset_class,
)
from weakrel.routing import database_errors, filter_in

if TYPE_CHECKING:
    from django.db.models import Manager
    from typing_extensions import Self

# -- prefetching ----------------------------------------------------------------------


class Rows(list[Any]):
    """One prefetch level's rows, with the nested lookups Django applies to them next."""

    _prefetch_related_lookups: tuple[Any, ...] = ()


def prefetch_start(
    querysets: list[QuerySet[Any]] | None,
    default: Callable[[], QuerySet[Any]],
    instances: list[Model],
) -> Any:
    """The queryset one prefetch level starts from: the caller's ``Prefetch``
    queryset, or ``default()``, hinted with the first instance as Django's prefetchers
    do, so routers see where the keys came from."""
    if querysets and len(querysets) != 1:
        raise ValueError(
            "querysets argument of get_prefetch_querysets() should have a length of 1."
        )
    queryset: Any = querysets[0] if querysets else default()
    queryset._add_hints(instance=instances[0])
    if queryset._db is None:
        queryset = queryset.using(routing.db_for_read(queryset.model, instance=instances[0]))
    return queryset


def limit_per_owner(queryset: QuerySet[Any], partition: str) -> QuerySet[Any]:
    """A sliced queryset's slice, applied per value of ``partition`` with a window
    function, as Django's sliced ``Prefetch`` does: one query whatever the number of
    parents, and filters added later (a chunk's ``IN``) apply before the window."""
    query = queryset.query
    low, high = query.low_mark, query.high_mark
    order_by = [expr for expr, _ in query.get_compiler(using=queryset.db).get_order_by()]
    window = Window(RowNumber(), partition_by=partition, order_by=order_by)
    predicate: Any = GreaterThan(window, low)
    if high is not None:
        predicate &= LessThanOrEqual(window, high)
    query.clear_limits()
    return queryset.filter(Q(predicate))


def prefetch(
    querysets: list[QuerySet[Any]] | None,
    default: Callable[[], QuerySet[Any]],
    instances: list[Model],
    links: Callable[[QuerySet[Any], list[Model], Callable[..., Any]], Iterable[tuple[Any, Model]]],
    *,
    partition: str | None = None,
) -> tuple[Rows, Callable[[Model], Any]]:
    """One level of ``prefetch_related()`` for any weak relation.

    ``links(queryset, instances, fetch)`` runs the level's queries, reading rows with
    ``fetch(queryset, attname, keys)``, and returns ``(owner token, row)`` pairs in
    the order each owner should see its rows; the caller's ``instance_attr`` gives an
    instance's token. Returns the rows and their ``rel_obj_attr``.

    Where each row has one owner, named by its ``partition`` column (a weak key, or
    the target key a weak key names), ``links`` returns the rows alone, that column
    is their token, and a sliced queryset is limited per owner in SQL (each chunk of
    keys holds whole partitions).
    Otherwise a row linked to several owners is copied, so each can carry its own
    prefetched relations, as a join would give, and a slice is applied per owner to
    the rows ``links`` yields, which then come from one ordered statement rather than
    from chunks ordered each on its own.
    """
    queryset = prefetch_start(querysets, default, instances)
    lookups = queryset._prefetch_related_lookups
    base = queryset._chain()
    base._prefetch_related_lookups = ()
    reading = database_errors(base.db, f"reading {base.model._meta.label}")
    if partition is not None:
        if base.query.is_sliced:
            base = limit_per_owner(base, partition)
        with reading:
            rows = Rows(links(base, instances, filter_in))
        rows._prefetch_related_lookups = lookups
        return rows, attrgetter(partition)
    window: tuple[int, int | None] | None = None
    fetch: Callable[..., Any] = filter_in
    if base.query.is_sliced:
        window, fetch = (base.query.low_mark, base.query.high_mark), filter_keys
        base.query.clear_limits()
    rows, owner, taken = Rows(), {}, Counter[Any]()
    with reading:
        for token, row in links(base, instances, fetch):
            if window is not None:
                position = taken[token]
                taken[token] += 1
                if position < window[0] or (window[1] is not None and position >= window[1]):
                    continue
            if id(row) in owner:
                row = copy.copy(row)
            owner[id(row)] = token
            rows.append(row)
    rows._prefetch_related_lookups = lookups
    return rows, lambda row: owner[id(row)]


# -- related managers -----------------------------------------------------------------

# The write methods whose async twins (``a<name>``) a manager gets when it has them.
ASYNC_TWINS = ("create", "get_or_create", "update_or_create", "add", "remove", "clear", "set")


class WeakRelatedManager(ManagerBase[_M]):
    """The base of every weak related manager; mixed into the default manager class
    of the model it reads by :func:`create_related_manager`.

    A ``Manager[_M]`` to type checkers: ``customer.orders.all()`` is a
    ``QuerySet[Order]`` (see ``weakrel.generics``).

    A kind gets ``field``, ``cache_name`` (and whatever else it needs) as class
    attributes from its descriptor, and defines ``related_model()`` (the rows it
    reads), ``near_key()``, ``key_name()``, ``core_filters()``, ``prefetch_links()``
    and its write methods.
    """

    do_not_call_in_templates = True
    field: Any
    cache_name: str
    _model: type[_M]
    _kind: type[WeakRelatedManager[Any]]
    _attrs: dict[str, Any]
    # The column of the rows read that names their owner, for a sliced prefetch.
    partition: str | None = None

    def __init__(self, instance: Model) -> None:
        super().__init__()
        self.instance = instance
        self.model = self._model
        self.key = self.near_key(instance)

    if TYPE_CHECKING:
        # Bound to an instance: read from a model instance, as django-stubs' RelatedManager.
        def __get__(self, instance: object, cls: type[Any] | None = None) -> Self: ...

    def __call__(self, *, manager: str) -> WeakRelatedManager[_M]:
        manager_class = getattr(self.model, manager).__class__
        return create_related_manager(self._kind, manager_class, **self._attrs)(self.instance)

    # -- what a kind defines ------------------------------------------------------

    @classmethod
    def related_model(cls) -> type[_M]:
        raise NotImplementedError

    def near_key(self, instance: Model) -> Any:
        """What identifies ``instance`` in this relation; None while it cannot be used."""
        raise NotImplementedError

    def key_name(self) -> str:
        """The instance's field that must have a value (named in the error)."""
        raise NotImplementedError

    def core_filters(self) -> dict[str, Any]:
        """The filter that narrows the related rows to this instance's."""
        raise NotImplementedError

    def prefetch_links(
        self, queryset: QuerySet[Any], instances: list[Model], fetch: Callable[..., Any]
    ) -> Iterable[tuple[Any, Model]]:
        """``(owner token, row)`` for a batch of instances (see :func:`prefetch`)."""
        raise NotImplementedError

    def instance_token(self, instance: Model) -> Any:
        """The owner token of ``instance`` among the links."""
        return self.near_key(instance)

    # -- reading ------------------------------------------------------------------

    # Django's wording: "many-to-many relationship" for the many-to-many kinds.
    relationship = "relationship"

    def _check_key(self) -> None:
        if self.key is None:
            raise ValueError(
                f'"{self.instance!r}" needs to have a value for field "{self.key_name()}" '
                f"before this {self.relationship} can be used."
            )

    def _check_saved(self, article: str = "this") -> None:
        """Refuse an unsaved instance, even when its key (a ``to_field``) is set: as
        Django's related managers, the wish is that the instance is in the database."""
        if not self.instance._is_pk_set():  # type: ignore[attr-defined]
            raise ValueError(
                f"{type(self.instance).__name__!r} instance needs to have a primary key "
                f"value before {article} {self.relationship} can be used."
            )

    def _check_readable(self) -> None:
        """What reading the related rows requires (HasMany reads none for a None key)."""
        self._check_key()

    def _db_for_write(self) -> str:
        return self._db or routing.db_for_write(self.model, instance=self.instance)

    def _narrow(self, queryset: Any) -> QuerySet[_M]:
        """Narrow a queryset no one else holds, in place.

        The filter is deferred until the query is built, as Django's related
        managers defer theirs: a prefetch gives every instance such a queryset and
        most are never filtered, only handed their prefetched rows.
        """
        queryset._add_hints(instance=self.instance)
        queryset._deferred_filter = (False, (), self.core_filters())
        return queryset

    def _apply_rel_filters(self, queryset: Any) -> QuerySet[_M]:
        """Narrow ``queryset`` to this instance's related rows, on their database."""
        if getattr(queryset._query, "is_sliced", False):
            # As Django's related managers: a sliced Prefetch keeps its rows in to_attr.
            raise TypeError("Cannot filter a query once a slice has been taken.")
        queryset = queryset.using(self._db) if self._db else queryset._chain()
        if queryset._db is None:  # a Prefetch queryset: not ours, routed as ours are
            queryset._db = routing.db_for_read(self.model, instance=self.instance)
        return self._narrow(queryset)

    def get_queryset(self) -> QuerySet[_M]:
        self._check_readable()
        try:
            return self.instance._prefetched_objects_cache[self.cache_name]  # type: ignore[attr-defined]
        except (AttributeError, KeyError):
            queryset = self._narrow(super().get_queryset())
            return queryset if self.key is not None else queryset.none()

    def get_prefetch_querysets(
        self, instances: list[Model], querysets: list[QuerySet[Any]] | None = None
    ) -> tuple[Rows, Callable[[Model], Any], Callable[[Model], Any], bool, str, bool]:
        rows, rel_obj_attr = prefetch(
            querysets,
            super().get_queryset,
            instances,
            self.prefetch_links,
            partition=self.partition,
        )
        return rows, rel_obj_attr, self.instance_token, False, self.cache_name, False

    def _clear_prefetch_cache(self) -> None:
        cache = getattr(self.instance, "_prefetched_objects_cache", None)
        if cache is not None:
            cache.pop(self.cache_name, None)

    def _write(self, method: str, db: str, kwargs: dict[str, Any]) -> Any:
        """Run the model manager's own ``method`` (``create``, ``get_or_create``, ...)
        on ``db``, over this instance's related rows."""
        manager = cast("Manager[_M]", super(WeakRelatedManager, self.db_manager(db)))
        return getattr(manager, method)(**kwargs)

    def _write_linked(self, method: str, db: str, kwargs: dict[str, Any], **link: Any) -> Any:
        """``_write()``, then ``add()`` a row it created, as Django's many-to-many
        managers do: a row ``get_or_create`` found among the related ones is linked."""
        result = self._write(method, db, kwargs)
        obj, created = (result, True) if method == "create" else result
        if created:
            self.add(obj, **link)  # type: ignore[attr-defined]
        return result

    def _check_objs(self, objs: Iterable[Any]) -> None:
        for obj in objs:
            if not isinstance(obj, self.model):
                raise TypeError(f"'{self.model._meta.object_name}' instance expected, got {obj!r}")


def _async_twin(name: str) -> Callable[..., Any]:
    async def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await sync_to_async(getattr(self, name))(*args, **kwargs)

    method.__name__ = method.__qualname__ = f"a{name}"
    method.__doc__ = f"Async twin of ``{name}()``."
    method.alters_data = True  # type: ignore[attr-defined]
    return method


def create_related_manager(
    kind: type[WeakRelatedManager[Any]], superclass: type[Manager[Any]], **attrs: Any
) -> type[WeakRelatedManager[Any]]:
    """``kind`` (a :class:`WeakRelatedManager` subclass) over ``superclass``, a
    model's manager class, with ``attrs`` (the field, ...) as class attributes.

    Each write method the class has gets its async twin, as Django's related
    managers define them: ``aremove`` exists exactly where ``remove`` does.
    """
    namespace = {
        "_queryset_class": related_queryset_class(superclass._queryset_class),  # type: ignore[attr-defined]
        "_kind": kind,
        "_attrs": attrs,
        "__module__": kind.__module__,
        **attrs,
    }
    cls: type[WeakRelatedManager[Any]] = type(kind.__name__, (kind, superclass), namespace)
    cls._model = cls.related_model()
    for name in ASYNC_TWINS:
        if getattr(kind, name, None) is not None:
            setattr(cls, f"a{name}", _async_twin(name))
    return cls


class RelatedManagerDescriptor:
    """An accessor that hands out a related manager bound to the instance.

    Subclasses say which manager kind and which model's default manager class it is
    built from (``manager_kind``, ``manager_model``, ``manager_attrs``); the class is
    built once, like Django's ``ReverseManyToOneDescriptor.related_manager_cls``.
    """

    @property
    def manager_kind(self) -> type[WeakRelatedManager[Any]]:
        raise NotImplementedError

    def manager_model(self) -> type[Model]:
        raise NotImplementedError

    def manager_attrs(self) -> dict[str, Any]:
        raise NotImplementedError

    @cached_property
    def related_manager_cls(self) -> type[WeakRelatedManager[Any]]:
        superclass: Any = self.manager_model()._default_manager.__class__
        return create_related_manager(self.manager_kind, superclass, **self.manager_attrs())

    def __get__(self, instance: Model | None, cls: type[Model] | None = None) -> Any:
        if instance is None:
            return self
        return self.related_manager_cls(instance)
