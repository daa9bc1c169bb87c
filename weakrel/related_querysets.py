"""A related manager's queryset: the model's own queryset class, with a read that
cannot reach its database naming it (:class:`RelatedQuerySetMixin`).

:func:`related_queryset_class` builds it once per queryset class; ``weakrel.related``
gives it to every related manager.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db.models import Model, QuerySet, sql

from weakrel import routing
from weakrel.routing import database_errors

# The mixin goes over a QuerySet class at run time (related_queryset_class()) and reads
# Django's private queryset attributes, which django-stubs does not declare.
_QuerySetBase: Any = object

_UNBUILT = object()


class RelatedQuerySetMixin(_QuerySetBase):
    """A related manager's queryset: a read that cannot reach its database names it.

    Mixed into the model's own queryset class by :func:`related_queryset_class`, so
    custom queryset methods keep working. Its SQL query is built on first use: a
    prefetch hands every instance such a queryset only to give it its rows.
    """

    _base_queryset_class: type[QuerySet[Any]]
    _query: Any

    def __init__(
        self,
        model: type[Model] | None = None,
        query: sql.Query | None = None,
        using: str | None = None,
        hints: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(model, query=query or _UNBUILT, using=using, hints=hints)

    @property
    def query(self) -> sql.Query:
        if self._query is _UNBUILT:
            self._query = sql.Query(self.model)
        return super().query

    @query.setter
    def query(self, value: sql.Query) -> None:
        QuerySet.query.fset(self, value)  # type: ignore[attr-defined]

    def __getstate__(self) -> dict[str, Any]:
        self.query  # noqa: B018 - pickles carry a real query
        return super().__getstate__()

    def __reduce__(self) -> tuple[Any, ...]:
        # The class is made at run time; a pickle names the queryset class it extends.
        return (_unpickle_related_queryset, (self._base_queryset_class,), self.__getstate__())

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        self.query  # noqa: B018 - copies carry a real query
        return super().__deepcopy__(memo)

    @property
    def db(self) -> str:
        # Django's QuerySet.db, without the fall back to the hinted instance's database.
        if self._db:
            return self._db
        route = routing.db_for_write if self._for_write else routing.db_for_read
        return route(self.model, **self._hints)

    def _reading(self) -> Any:
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
def related_queryset_class(queryset_class: type[QuerySet[Any]]) -> type[QuerySet[Any]]:
    if issubclass(queryset_class, RelatedQuerySetMixin):
        return queryset_class
    return type(
        f"Related{queryset_class.__name__}",
        (RelatedQuerySetMixin, queryset_class),
        {"__module__": queryset_class.__module__, "_base_queryset_class": queryset_class},
    )


def _unpickle_related_queryset(queryset_class: type[QuerySet[Any]]) -> QuerySet[Any]:
    cls = related_queryset_class(queryset_class)
    return cls.__new__(cls)
