"""``WeakQuerySet``: bulk writes that check weak keys the way ``save()`` does.

``bulk_create()``, ``bulk_update()`` and ``QuerySet.update()`` send no ``pre_save``, so
by default they write weak keys unchecked, as Django's bulk methods skip signals.
A model whose manager is ``WeakManager`` (or whose queryset subclasses
``WeakQuerySet``) checks them too, in one query per relation for the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from weakrel.base import weak_fields
from weakrel.enforcement import check_references


class WeakQuerySet(models.QuerySet):
    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any):
        objs = list(objs)
        check_references(objs)
        return super().bulk_create(objs, *args, **kwargs)

    bulk_create.alters_data = True

    def bulk_update(self, objs: Iterable[models.Model], fields, *args: Any, **kwargs: Any):
        objs = list(objs)
        check_references(objs, fields=fields)
        return super().bulk_update(objs, fields, *args, **kwargs)

    bulk_update.alters_data = True

    def update(self, **kwargs: Any) -> int:
        for field in weak_fields(self.model):
            for name in (field.name, field.attname):
                value = kwargs.get(name)
                if value is not None and not hasattr(value, "resolve_expression"):
                    kwargs[name] = field.checked_value(value)
        return super().update(**kwargs)

    update.alters_data = True


class WeakManager(models.Manager.from_queryset(WeakQuerySet)):
    """The default manager to give a model whose bulk writes should be checked."""
