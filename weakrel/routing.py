"""Which database a weak relation reads from, and how many keys one query may carry.

Every read goes through ``router.db_for_read(model, instance=...)`` and every write
through ``router.db_for_write``, the way Django's related managers route. Key lists
are sent as one ``IN (...)`` and split only past the backend's real parameter limit.
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django.db.models import QuerySet, sql

from weakrel.exceptions import RelatedDatabaseError

# Parameters left free for the rest of the statement (a Prefetch queryset's own filters).
RESERVED_PARAMS = 256
# PostgreSQL's wire protocol and MariaDB's prepared statements both stop at 65,535.
PROTOCOL_PARAM_LIMIT = 65535

_limits: dict[str, int] = {}


def max_params(alias: str) -> int:
    """Most bound parameters one statement may carry on ``alias``.

    SQLite reports its compiled-in limit at run time (32,766 on current builds);
    Django's ``max_query_params = 999`` for SQLite is only a conservative default,
    used here on Python 3.10, whose ``sqlite3`` cannot ask.
    """
    if alias not in _limits:
        connection = connections[alias]
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            getlimit = getattr(connection.connection, "getlimit", None)
            if getlimit is not None:
                limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            else:
                limit = connection.features.max_query_params
        else:
            limit = connection.features.max_query_params or PROTOCOL_PARAM_LIMIT
        _limits[alias] = limit
    return _limits[alias]


@contextmanager
def database_errors(alias: str, action: str) -> Iterator[None]:
    """Re-raise a failure to reach ``alias`` as ``RelatedDatabaseError`` naming it.

    Wraps the places where weakrel itself runs a query in another database, so that
    "``orders`` is down" is what the caller reads, not a driver's connection error.
    """
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise RelatedDatabaseError(
            f"Database {alias!r} failed while {action}: {exc}", alias=alias
        ) from exc


_UNBUILT = object()


class RelatedQuerySetMixin:
    """A related manager's queryset: a read that cannot reach its database names it.

    Mixed into the dependent model's own queryset class by ``related_queryset_class``,
    so custom queryset methods keep working. Its SQL query is built on first use:
    a prefetch hands every instance such a queryset only to give it its rows.
    """

    def __init__(self, model=None, query=None, using=None, hints=None) -> None:
        super().__init__(model, query=query or _UNBUILT, using=using, hints=hints)

    @property
    def query(self):
        if self._query is _UNBUILT:
            self._query = sql.Query(self.model)
        return super().query

    @query.setter
    def query(self, value) -> None:
        QuerySet.query.fset(self, value)

    def __getstate__(self):
        self.query  # noqa: B018 - pickles carry a real query
        return super().__getstate__()

    def __reduce__(self):
        # The class is made at run time; a pickle names the queryset class it extends.
        return (_unpickle_related_queryset, (self._base_queryset_class,), self.__getstate__())

    def __deepcopy__(self, memo):
        self.query  # noqa: B018 - copies carry a real query
        return super().__deepcopy__(memo)

    def _reading(self):
        return database_errors(self.db, f"reading {self.model._meta.label}")

    def _fetch_all(self) -> None:
        if self._result_cache is not None and (
            self._prefetch_done or not self._prefetch_related_lookups
        ):
            return  # already fetched (a prefetch filled it): no database to name
        with self._reading():
            super()._fetch_all()

    def count(self) -> int:
        with self._reading():
            return super().count()

    def exists(self) -> bool:
        with self._reading():
            return super().exists()


@cache
def related_queryset_class(queryset_class: type) -> type:
    if issubclass(queryset_class, RelatedQuerySetMixin):
        return queryset_class
    return type(
        f"Related{queryset_class.__name__}",
        (RelatedQuerySetMixin, queryset_class),
        {"__module__": queryset_class.__module__, "_base_queryset_class": queryset_class},
    )


def _unpickle_related_queryset(queryset_class: type):
    cls = related_queryset_class(queryset_class)
    return cls.__new__(cls)


def key_chunk_size(alias: str) -> int:
    return max(max_params(alias) - RESERVED_PARAMS, 1)


def chunks(keys: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class ChunkedQuerySet:
    """A queryset filtered on ``lookup__in=keys``, run as several queries when ``keys``
    holds more values than one statement may bind.

    It stands in for a QuerySet where Django only iterates the result
    (``prefetch_related_objects``), keeping ``_prefetch_related_lookups`` so nested
    prefetches still apply to the combined result.
    """

    def __init__(self, queryset, lookup: str, keys: Sequence[Any], size: int):
        self._queryset = queryset
        self._lookup = lookup
        self._keys = keys
        self._size = size
        self._prefetch_related_lookups = queryset._prefetch_related_lookups
        self._result_cache: list | None = None

    @property
    def model(self):
        return self._queryset.model

    @property
    def db(self) -> str:
        return self._queryset.db

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            base = self._queryset._chain()
            base._prefetch_related_lookups = ()
            results: list = []
            with database_errors(base.db, f"reading {self.model._meta.label}"):
                for chunk in chunks(self._keys, self._size):
                    results.extend(base.filter(**{self._lookup: chunk}))
            self._result_cache = results

    def __iter__(self):
        self._fetch_all()
        return iter(self._result_cache)

    def __len__(self) -> int:
        self._fetch_all()
        return len(self._result_cache)


def prefetch_in(queryset, lookup: str, keys: Iterable[Any]) -> ChunkedQuerySet:
    """``filter_in()`` for ``get_prefetch_querysets()``: evaluated once, by Django's
    prefetcher, with a database failure reported as ``RelatedDatabaseError``."""
    with database_errors(queryset.db, f"reading {queryset.model._meta.label}"):
        size = key_chunk_size(queryset.db)
    return ChunkedQuerySet(queryset, f"{lookup}__in", list(keys), size)


def prefetch_start(querysets, default, instances):
    """The queryset one prefetch level starts from: the caller's ``Prefetch``
    queryset, or ``default()``, hinted with the first instance as Django's prefetchers
    do, so routers see where the keys came from."""
    if querysets and len(querysets) != 1:
        raise ValueError(
            "querysets argument of get_prefetch_querysets() should have a length of 1."
        )
    queryset = querysets[0] if querysets else default()
    queryset._add_hints(instance=instances[0])
    return queryset


def prefetch_queryset(querysets, default, instances, instance_key, lookup: str):
    """One level of a prefetch: the rows whose ``lookup`` is a key of ``instances``."""
    queryset = prefetch_start(querysets, default, instances)
    keys = {instance_key(instance) for instance in instances}
    keys.discard(None)
    return prefetch_in(queryset, lookup, keys)


def filter_in(queryset, lookup: str, keys: Iterable[Any]):
    """``queryset.filter(<lookup>__in=keys)``, chunked past the parameter limit."""
    keys = list(keys)
    size = key_chunk_size(queryset.db)
    if len(keys) <= size:
        return queryset.filter(**{f"{lookup}__in": keys})
    return ChunkedQuerySet(queryset, f"{lookup}__in", keys, size)
