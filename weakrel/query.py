"""``WeakQuerySet``: bulk writes that check weak keys the way ``save()`` does.

``bulk_create()``, ``bulk_update()`` and ``QuerySet.update()`` send no ``pre_save``, so
by default they write weak keys unchecked, as Django's bulk methods skip signals.
A model whose manager is ``WeakManager`` (or whose queryset subclasses
``WeakQuerySet``) checks them too, in one query per relation for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from weakrel.base import weak_fields
from weakrel.enforcement import check_references

_Model = TypeVar("_Model", bound=models.Model, covariant=True)


class WeakQuerySet(models.QuerySet[_Model]):
    """A ``QuerySet[_Model]`` whose bulk writes check weak keys."""

    def bulk_create(self, objs: Iterable[_Model], *args: Any, **kwargs: Any) -> list[_Model]:
        objs = list(objs)
        check_references(objs)
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True  # type: ignore[attr-defined]

    def bulk_update(  # type: ignore[override]
        self, objs: Iterable[_Model], fields: Sequence[str], *args: Any, **kwargs: Any
    ) -> int:
        objs = list(objs)
        check_references(objs, fields=fields)
        return super().bulk_update(objs, fields, *args, **kwargs)

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    def update(self, **kwargs: Any) -> int:
        for field in weak_fields(self.model):
            for name in (field.name, field.attname):
                value = kwargs.get(name)
                if value is not None and not hasattr(value, "resolve_expression"):
                    kwargs[name] = field.checked_value(value)  # type: ignore[attr-defined]
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]


if TYPE_CHECKING:

    class _WeakManagerBase(models.Manager[_Model], WeakQuerySet[_Model]): ...  # type: ignore[misc]

else:
    _WeakManagerBase = models.Manager.from_queryset(WeakQuerySet)


class WeakManager(_WeakManagerBase[_Model]):
    """The default manager to give a model whose bulk writes should be checked."""
