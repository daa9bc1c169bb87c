"""Related managers for the many side of weak relations (HasMany).

Built like Django's ``create_reverse_many_to_one_manager``: a subclass of the
dependent model's default manager, bound to one target instance, that reads its
prefetched cache first, routes reads with ``router.db_for_read(model, instance=...)``
and writes with ``router.db_for_write``.
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Any

from django.db import router, transaction
from django.db.models import Model

from weakrel.routing import prefetch_queryset, related_queryset_class

if TYPE_CHECKING:
    from weakrel.fields import WeakForeignKey


def create_weak_reverse_manager(superclass: type, field: WeakForeignKey) -> type:
    """Manager class for ``target.<related_name>`` over ``field.model``."""

    class WeakRelatedManager(superclass):
        _queryset_class = related_queryset_class(superclass._queryset_class)

        def __init__(self, instance: Model) -> None:
            super().__init__()
            self.instance = instance
            self.model = field.model
            self.field = field
            self.key = field.key_of(instance)
            self.core_filters = {field.attname: self.key}

        def __call__(self, *, manager: str) -> WeakRelatedManager:
            manager = getattr(self.model, manager)
            manager_class = create_weak_reverse_manager(manager.__class__, field)
            return manager_class(self.instance)

        do_not_call_in_templates = True

        # Read on every access to a prefetched relation: computed once per class.
        prefetch_cache_name = field.accessor_name

        def _check_key(self) -> None:
            if self.key is None:
                raise ValueError(
                    f'"{self.instance!r}" needs to have a value for field '
                    f'"{field.target_field.attname}" before this relationship can be used.'
                )

        def _db_for_write(self) -> str:
            return self._db or router.db_for_write(self.model, instance=self.instance)

        def _apply_rel_filters(self, queryset):
            """Narrow ``queryset`` to this instance's dependents, on their database."""
            queryset = queryset.using(self._db) if self._db else queryset._chain()
            return self._narrow(queryset)

        def _narrow(self, queryset):
            """Narrow a queryset no one else holds, in place.

            The filter is deferred until the query is built, as Django's related
            managers defer theirs: a prefetch gives every instance such a queryset
            and most are never filtered, only handed their prefetched rows.
            """
            queryset._add_hints(instance=self.instance)
            queryset._deferred_filter = (False, (), self.core_filters)
            queryset._known_related_objects = {field: {self.key: self.instance}}
            return queryset

        def get_queryset(self):
            try:
                return self.instance._prefetched_objects_cache[self.prefetch_cache_name]
            except (AttributeError, KeyError):
                self._check_key()
                return self._narrow(super().get_queryset())

        def get_prefetch_querysets(self, instances, querysets=None):
            rel_obj_attr = attrgetter(field.attname)
            instance_attr = attrgetter(field.target_field.attname)
            queryset = prefetch_queryset(
                querysets, super().get_queryset, instances, instance_attr, field.attname
            )
            # Each dependent gets its target cached, as Django's reverse managers do.
            by_key = {instance_attr(instance): instance for instance in instances}
            for rel_obj in queryset:
                if not field.is_cached(rel_obj):
                    field.set_cached_value(rel_obj, by_key[rel_obj_attr(rel_obj)])
            return queryset, rel_obj_attr, instance_attr, False, self.prefetch_cache_name, False

        def _clear_prefetch_cache(self) -> None:
            cache = getattr(self.instance, "_prefetched_objects_cache", None)
            if cache is not None:
                cache.pop(self.prefetch_cache_name, None)

        def _check_objs(self, objs) -> None:
            for obj in objs:
                if not isinstance(obj, self.model):
                    raise TypeError(
                        f"'{self.model._meta.object_name}' instance expected, got {obj!r}"
                    )

        def add(self, *objs: Model, bulk: bool = True) -> None:
            """Point ``objs`` at this instance and save them."""
            self._check_key()
            self._check_objs(objs)
            self._clear_prefetch_cache()
            db = self._db_for_write()
            if bulk:
                pks = []
                for obj in objs:
                    if obj._state.adding or obj._state.db != db:
                        raise ValueError(
                            f"{obj!r} instance isn't saved. Use bulk=False or save the "
                            "object first."
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

        add.alters_data = True

        def create(self, **kwargs: Any) -> Model:
            self._check_key()
            self._clear_prefetch_cache()
            kwargs[field.name] = self.instance
            return super(WeakRelatedManager, self.db_manager(self._db_for_write())).create(**kwargs)

        create.alters_data = True

        def get_or_create(self, **kwargs: Any) -> tuple[Model, bool]:
            self._check_key()
            self._clear_prefetch_cache()
            kwargs[field.name] = self.instance
            db = self._db_for_write()
            return super(WeakRelatedManager, self.db_manager(db)).get_or_create(**kwargs)

        get_or_create.alters_data = True

        def update_or_create(self, **kwargs: Any) -> tuple[Model, bool]:
            self._check_key()
            self._clear_prefetch_cache()
            kwargs[field.name] = self.instance
            db = self._db_for_write()
            return super(WeakRelatedManager, self.db_manager(db)).update_or_create(**kwargs)

        update_or_create.alters_data = True

        if field.null:

            def remove(self, *objs: Model, bulk: bool = True) -> None:
                """Unlink ``objs`` from this instance (the key becomes NULL)."""
                if not objs:
                    return
                self._check_key()
                self._check_objs(objs)
                pks = []
                for obj in objs:
                    if getattr(obj, field.attname) != self.key:
                        raise field.remote_field.model.DoesNotExist(
                            f"{obj!r} is not related to {self.instance!r}."
                        )
                    pks.append(obj.pk)
                self._clear(self.filter(pk__in=pks), bulk)
                for obj in objs:
                    setattr(obj, field.name, None)

            remove.alters_data = True

            def clear(self, *, bulk: bool = True) -> None:
                self._check_key()
                self._clear(self, bulk)

            clear.alters_data = True

            def _clear(self, queryset, bulk: bool) -> None:
                self._clear_prefetch_cache()
                db = self._db_for_write()
                queryset = queryset.using(db)
                if bulk:
                    queryset.update(**{field.attname: None})
                else:
                    with transaction.atomic(using=db, savepoint=False):
                        for obj in queryset:
                            setattr(obj, field.name, None)
                            obj.save(update_fields=[field.name])

            _clear.alters_data = True

        def set(self, objs, *, bulk: bool = True, clear: bool = False) -> None:
            """Make ``objs`` exactly the dependents of this instance."""
            self._check_key()
            objs = tuple(objs)
            self._check_objs(objs)
            if field.null:
                db = self._db_for_write()
                with transaction.atomic(using=db, savepoint=False):
                    if clear:
                        self.clear(bulk=bulk)
                        self.add(*objs, bulk=bulk)
                    else:
                        old = set(self.using(db).all())
                        new = []
                        for obj in objs:
                            if obj in old:
                                old.remove(obj)
                            else:
                                new.append(obj)
                        self.remove(*old, bulk=bulk)
                        self.add(*new, bulk=bulk)
            else:
                self.add(*objs, bulk=bulk)

        set.alters_data = True

    return WeakRelatedManager
