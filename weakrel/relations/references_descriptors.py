"""Accessors of a ``WeakReferencesMany``, after django.db.models.fields.related_descriptors.

With ``Article.tags = WeakReferencesMany("blog.Tag", related_name="articles")``:

* ``ReferencesManyDescriptor`` is ``Article.tags``: a :class:`ReferencesManager`
  over the tags the list names, in stored order; assigning a list of tags or keys
  sets ``article.tags_ids`` (saved with the article, like a ``ForeignKey``);
* ``ReverseReferencesDescriptor`` is ``Tag.articles``: a
  :class:`ReverseReferencesManager` over the articles whose list holds the tag.

Both prefetch through the core's one fan-out (``weakrel.related.prefetch``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models, router, transaction
from django.db.models import Case, IntegerField, Value, When

from weakrel import routing
from weakrel.base import WeakRelationField
from weakrel.generics import _M
from weakrel.related import RelatedManagerDescriptor, WeakRelatedManager


def _stored_order(attname: str, keys: list[Any]) -> Case:
    return Case(
        *[When(**{attname: key}, then=Value(i)) for i, key in enumerate(keys)],
        default=Value(len(keys)),
        output_field=IntegerField(),
    )


class ReferencesManyDescriptor(RelatedManagerDescriptor):
    """``article.tags``: a related manager; assigning sets ``article.tags_ids``."""

    field: Any  # a WeakReferencesMany

    def __init__(self, field: WeakRelationField[Any, Any]) -> None:
        self.field = field

    @property
    def manager_kind(self) -> type[ReferencesManager[Any]]:
        return ReferencesManager

    def manager_model(self) -> type[models.Model]:
        return self.field.related_model

    def manager_attrs(self) -> dict[str, Any]:
        return {"field": self.field, "cache_name": self.field.name}

    def __set__(self, instance: models.Model, value: Any) -> None:
        field = self.field
        value = list(value) if value is not None else []
        keys = field.key_list(value)
        setattr(instance, field.attname, keys)
        # Saved targets assigned here are known to exist: save() does not look them up.
        field.set_cached_value(
            instance,
            [obj for obj in value if isinstance(obj, models.Model) and not obj._state.adding],
        )
        cache = getattr(instance, "_prefetched_objects_cache", None)
        if cache is not None:
            cache.pop(field.name, None)


class ReferencesManager(WeakRelatedManager[_M]):
    """``article.tags``: the targets the instance's list names, in stored order.

    Each write saves the instance's list at once.
    """

    field: Any

    @classmethod
    def related_model(cls) -> type[_M]:
        return cls.field.related_model

    def near_key(self, instance: models.Model) -> tuple[Any, ...]:
        return tuple(self.field.stored_keys(instance))

    def instance_token(self, instance: models.Model) -> int:
        return id(instance)

    def _narrow(self, queryset: Any) -> Any:
        """The targets named by the list, ordered as stored (first occurrence)."""
        keys = list(self.key)
        queryset._add_hints(instance=self.instance)
        if not keys:
            queryset = queryset.none()
        else:
            attname = self.field.key_field.attname
            queryset = queryset.filter(**{f"{attname}__in": keys}).order_by(
                _stored_order(attname, keys)
            )
        queryset._weakrel_keys = self.key
        return queryset

    def get_queryset(self) -> models.QuerySet[_M]:
        cache = getattr(self.instance, "_prefetched_objects_cache", {})
        cached = cache.get(self.cache_name)
        # A prefetched result counts only while the list is the one it was made for.
        if cached is not None and cached._weakrel_keys == self.key:
            return cached
        return self._narrow(super(WeakRelatedManager, self).get_queryset())

    def prefetch_links(
        self, queryset: Any, instances: list[models.Model], fetch: Callable[..., Any]
    ) -> Any:
        field = self.field
        lists = {id(inst): field.stored_keys(inst) for inst in instances}
        wanted = {key for keys in lists.values() for key in keys}
        found = fetch(queryset, field.key_field.attname, sorted(wanted, key=str))
        by_key = {field.key_of(obj): obj for obj in found}
        rank = {key: i for i, key in enumerate(by_key)}
        ordered = bool(queryset.query.order_by)
        for inst in instances:
            keys = [key for key in lists[id(inst)] if key in by_key]
            if ordered:  # an explicit Prefetch ordering wins over the stored one
                keys.sort(key=rank.__getitem__)
            for key in keys:
                yield id(inst), by_key[key]

    # -- writing ------------------------------------------------------------------

    def _rewrite(self, change: Callable[[list[Any]], list[Any]]) -> None:
        """Save ``change(stored list)`` as the instance's list.

        A read-modify-write on the row's database, in one transaction: the stored
        list is read locked (``routing.for_update()``), so a concurrent write waits and
        then changes the list this one saved. The instance's list becomes the stored
        one; nothing is written when the list does not change.
        """
        instance, field = self.instance, self.field
        if instance._state.adding:
            raise ValueError(
                f'"{instance!r}" needs to be saved before its {field.name} can be '
                "changed through the manager; assign the list and save() instead."
            )
        model = type(instance)
        # The database holding the row, as save() chooses it.
        db = router.db_for_write(model, instance=instance)
        # A savepoint when nested: a refused save leaves the caller's block usable.
        with transaction.atomic(using=db):
            row = model._base_manager.using(db).filter(pk=instance.pk)
            stored = routing.for_update(row, field.attname).values_list(field.attname, flat=True)
            raw = stored.get()
            held = field.key_list(raw)
            keys = change(list(held))
            setattr(instance, field.attname, keys)
            if keys != raw:
                try:
                    instance.save(using=db, update_fields=[field.name])
                except BaseException:
                    setattr(instance, field.attname, held)
                    raise

    def natural_key(self) -> list[Any]:
        """The natural keys of the targets, in stored order: what
        ``dumpdata --natural-foreign`` writes for the list (loaddata reads them back)."""
        return [obj.natural_key() for obj in self.all()]  # type: ignore[attr-defined]

    def _added(self, objs: Iterable[Any]) -> int:
        """``add(*objs)``, returning how many keys this call appended."""
        new, added = self.field.key_list(objs), []

        def append(keys: list[Any]) -> list[Any]:
            for key in new:
                if self.field.allow_duplicates or key not in keys:
                    keys.append(key)
                    added.append(key)
            return keys

        self._rewrite(append)
        return len(added)

    def add(self, *objs: _M | Any) -> None:
        """Append targets (instances or keys) not already in the list, and save."""
        self._added(objs)

    add.alters_data = True  # type: ignore[attr-defined]

    def remove(self, *objs: _M | Any) -> None:
        """Drop every occurrence of these targets from the list, and save."""
        gone = set(self.field.key_list(objs))
        self._rewrite(lambda keys: [key for key in keys if key not in gone])

    remove.alters_data = True  # type: ignore[attr-defined]

    def set(self, objs: Iterable[_M | Any]) -> None:
        """Replace the list (order kept), and save."""
        keys = self.field.key_list(objs)
        self._rewrite(lambda held: keys)

    set.alters_data = True  # type: ignore[attr-defined]

    def clear(self) -> None:
        self._rewrite(lambda held: [])

    clear.alters_data = True  # type: ignore[attr-defined]

    def _create_target(self, method: str, kwargs: dict[str, Any]) -> Any:
        db = routing.db_for_write(self.model, instance=self.instance)
        return self._write_linked(method, db, kwargs)

    def create(self, **kwargs: Any) -> _M:
        """Create a target in its own database, then append it and save."""
        return self._create_target("create", kwargs)

    create.alters_data = True  # type: ignore[attr-defined]

    def get_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        """Found among the listed targets it is listed already; created, it is appended."""
        return self._create_target("get_or_create", kwargs)

    get_or_create.alters_data = True  # type: ignore[attr-defined]

    def update_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        return self._create_target("update_or_create", kwargs)

    update_or_create.alters_data = True  # type: ignore[attr-defined]


class ReverseReferencesDescriptor(RelatedManagerDescriptor):
    """``tag.articles``: a related manager over the rows whose list holds this tag."""

    field: Any  # a WeakReferencesMany

    def __init__(self, field: WeakRelationField[Any, Any]) -> None:
        self.field = field

    @property
    def manager_kind(self) -> type[ReverseReferencesManager[Any]]:
        return ReverseReferencesManager

    def manager_model(self) -> type[models.Model]:
        return self.field.model

    def manager_attrs(self) -> dict[str, Any]:
        return {"field": self.field, "cache_name": self.field.accessor_name}

    def __set__(self, instance: models.Model, value: Any) -> None:
        raise TypeError(
            "Direct assignment to the reverse side of a related set is prohibited. "
            f"Use {self.field.accessor_name}.set() instead."
        )


class ReverseReferencesManager(WeakRelatedManager[_M]):
    """``tag.articles``: the rows whose list holds this instance's key.

    Writes change those lists: ``add`` appends the key, ``remove`` and ``clear``
    pull it, each list read under ``select_for_update()`` and written back in one
    transaction on the rows' database.
    """

    field: Any

    @classmethod
    def related_model(cls) -> type[_M]:
        return cls.field.model

    def near_key(self, instance: models.Model) -> Any:
        return self.field.key_of(instance)

    def key_name(self) -> str:
        return self.field.key_field.attname

    def core_filters(self) -> dict[str, Any]:
        return {self.field.name: self.key}

    def prefetch_links(
        self, queryset: Any, instances: list[models.Model], fetch: Callable[..., Any]
    ) -> Any:
        field = self.field
        keys = {field.key_of(inst) for inst in instances} - {None}
        if not keys:
            return
        for row in queryset.filter(**{f"{field.name}__in": keys}):
            for key in field.stored_keys(row):
                if key in keys:
                    yield key, row

    # -- writing ------------------------------------------------------------------

    def _rows(self, objs: Iterable[models.Model], db: str) -> models.QuerySet[Any]:
        pks = []
        for obj in objs:
            self._check_objs([obj])
            if obj._state.adding:
                raise ValueError(f"{obj!r} instance isn't saved; save it first.")
            pks.append(obj.pk)
        return self.model._base_manager.using(db).filter(pk__in=pks)

    def add(self, *objs: _M | Any) -> None:
        """Append this instance's key to the lists of ``objs`` that lack it."""
        self._added(objs)

    add.alters_data = True  # type: ignore[attr-defined]

    def _added(self, objs: Iterable[models.Model]) -> int:
        """``add(*objs)``, returning how many lists this call appended the key to."""
        self._check_key()
        self._clear_prefetch_cache()
        field, db = self.field, self._db_for_write()
        changed = field.append_key(self._rows(objs, db), self.key)
        for obj in objs:
            held = field.key_list(getattr(obj, field.attname))
            if self.key not in held:
                setattr(obj, field.attname, [*held, self.key])
        return changed

    def remove(self, *objs: _M | Any) -> None:
        """Pull this instance's key from the lists of ``objs``."""
        self._check_key()
        self._clear_prefetch_cache()
        field, db = self.field, self._db_for_write()
        field.pull_keys(self._rows(objs, db), [self.key])
        for obj in objs:
            held = field.key_list(getattr(obj, field.attname))
            setattr(obj, field.attname, [key for key in held if key != self.key])

    remove.alters_data = True  # type: ignore[attr-defined]

    def clear(self) -> None:
        """Pull this instance's key from every list that holds it."""
        self._check_key()
        self._clear_prefetch_cache()
        db = self._db_for_write()
        holders = self.model._base_manager.using(db).filter(**self.core_filters())
        self.field.pull_keys(holders, [self.key])

    clear.alters_data = True  # type: ignore[attr-defined]

    def set(self, objs: Iterable[_M | Any]) -> None:
        """Make ``objs`` exactly the rows whose list holds this instance's key."""
        self._check_key()
        objs = tuple(objs)
        self._check_objs(objs)
        db = self._db_for_write()
        with transaction.atomic(using=db, savepoint=False):
            wanted = {obj.pk for obj in objs}
            holders = self.model._base_manager.using(db).filter(**self.core_filters())
            self.field.pull_keys(holders.exclude(pk__in=wanted), [self.key])
            self.add(*objs)

    set.alters_data = True  # type: ignore[attr-defined]

    def _link(self, kwargs: dict[str, Any]) -> str:
        """Prepare a write that creates a row holding this instance's key."""
        self._check_key()
        self._clear_prefetch_cache()
        field = self.field
        held = field.key_list(kwargs.pop(field.name, kwargs.pop(field.attname, None)))
        kwargs[field.attname] = held if self.key in held else [*held, self.key]
        return self._db_for_write()

    def create(self, **kwargs: Any) -> _M:
        """Create a row whose list holds this instance's key."""
        return self._write("create", self._link(kwargs), kwargs)

    create.alters_data = True  # type: ignore[attr-defined]

    def get_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        """Found among the holders it holds the key already; created, it is added."""
        return self._write_linked("get_or_create", self._db_for_write(), kwargs)

    get_or_create.alters_data = True  # type: ignore[attr-defined]

    def update_or_create(self, **kwargs: Any) -> tuple[_M, bool]:  # type: ignore[override]
        return self._write_linked("update_or_create", self._db_for_write(), kwargs)

    update_or_create.alters_data = True  # type: ignore[attr-defined]
