"""The databases a weak relation talks to: routing, failures and parameter limits.

Every read goes through the routers' ``db_for_read(model, instance=...)`` and every
write through ``db_for_write``, the way Django's related managers route, with one
difference (:func:`db_for_read`): when no router has an opinion, the rows are in
``default``, not in the hinted instance's database. A database that fails is named
(:func:`database_errors`). Key lists are sent as one ``IN (...)`` and split only past
the backend's real parameter limit (:func:`filter_in`). A read-modify-write locks
the rows it reads (:func:`for_update`); a write that a unique constraint refused reads
what is committed now (:func:`latest_values`).
"""

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, router
from django.db.models import F

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
                # Python 3.11+ (typeshed declares it there), where getlimit exists.
                limit = getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[attr-defined,unused-ignore]
            else:
                limit = connection.features.max_query_params
        else:
            limit = connection.features.max_query_params or PROTOCOL_PARAM_LIMIT
        _limits[alias] = limit
    return _limits[alias]


def _route(action: str, model, hints: dict[str, Any]) -> str:
    for candidate in router.routers:
        method = getattr(candidate, action, None)
        if method is not None:
            chosen = method(model, **hints)
            if chosen:
                return chosen
    return DEFAULT_DB_ALIAS


def db_for_read(model, **hints: Any) -> str:
    """The database the routers choose for reading ``model``'s rows, else ``default``.

    Django's own router falls back to the hinted instance's database, which is right
    for a ``ForeignKey`` (its target must live there) and wrong for a weak relation,
    whose two sides live wherever their own models are routed.
    """
    return _route("db_for_read", model, hints)


def db_for_write(model, **hints: Any) -> str:
    """:func:`db_for_read` for writes."""
    return _route("db_for_write", model, hints)


@contextmanager
def database_errors(alias: str, action: str) -> Iterator[None]:
    """Re-raise a failure to reach ``alias`` as ``RelatedDatabaseError`` naming it.

    Wraps the places where weakrel itself runs a query in another database, so that
    "``orders`` is down" is what the caller reads, not a driver's connection error.
    """
    try:
        yield
    except RelatedDatabaseError:
        raise  # already names the database that failed
    except (OperationalError, InterfaceError) as exc:
        raise RelatedDatabaseError(
            f"Database {alias!r} failed while {action}: {exc}", alias=alias
        ) from exc


def for_update(queryset, column: str):
    """``queryset.select_for_update()``: once read, its rows stay as read until the
    transaction ends. Call it inside ``transaction.atomic(using=queryset.db)``.

    A backend without ``SELECT ... FOR UPDATE`` (SQLite) has no row locks and would
    ignore it. There a no-op ``UPDATE`` of ``column`` on the rows runs first: it takes
    the database's write lock before the read, so a second writer waits (SQLite's
    busy timeout) for the first to commit, then reads what it wrote.
    """
    if not connections[queryset.db].features.has_select_for_update:
        queryset.update(**{column: F(column)})
    return queryset.select_for_update()


def latest_values(queryset, column: str) -> list[Any]:
    """The values of ``column`` in the rows of ``queryset`` as last committed, even
    inside a transaction that has read the table before.

    MySQL and MariaDB answer a plain read under REPEATABLE READ from the snapshot of
    the transaction's first read; a locking read in share mode reads the latest
    version, and its shared locks let other such readers through. Elsewhere this is a
    plain read: under READ COMMITTED (Django's default on PostgreSQL and MySQL) each
    statement sees what was committed before it, and SQLite has one writer.
    """
    rows = queryset.values_list(column, flat=True)
    connection = connections[rows.db]
    if connection.vendor != "mysql":
        return list(rows)
    compiler = rows.query.get_compiler(using=rows.db)
    sql, params = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LOCK IN SHARE MODE", params)
        return [row[0] for row in compiler.results_iter([cursor.fetchall()])]


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
        return iter(self._result_cache or ())

    def __len__(self) -> int:
        self._fetch_all()
        return len(self._result_cache or ())


def filter_in(queryset, lookup: str, keys: Iterable[Any]):
    """``queryset.filter(<lookup>__in=keys)``, chunked past the parameter limit."""
    keys = list(keys)
    size = key_chunk_size(queryset.db)
    if len(keys) <= size:
        return queryset.filter(**{f"{lookup}__in": keys})
    return ChunkedQuerySet(queryset, f"{lookup}__in", keys, size)
