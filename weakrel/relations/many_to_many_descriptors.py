"""Accessors of a ``WeakManyToManyField``, after django.db.models.fields.related_descriptors.

With ``Physician.patients = WeakManyToManyField("clinic.Patient",
through="clinic.Appointment", related_name="physicians")``, ``ThroughDescriptor`` is
``Physician.patients`` (forward) and ``Patient.physicians`` (reverse); both hand out a
:class:`ThroughManager`, which reads the through rows, then the rows they name, and
writes links as through rows. It prefetches through the core's one fan-out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models.signals import m2m_changed
from django.db.models.utils import resolve_callables

from weakrel import routing
from weakrel.base import WeakRelationField
from weakrel.enforcement import check_references
from weakrel.generics import _M
from weakrel.related import RelatedManagerDescriptor, WeakRelatedManager
from weakrel.routing import filter_in


class ThroughDescriptor(RelatedManagerDescriptor):
    """``physician.patients`` (forward) and ``patient.physicians`` (reverse)."""

    field: Any  # a WeakManyToManyField

    def __init__(self, field: WeakRelationField[Any, Any], *, reverse: bool) -> None:
        self.field = field
        self.reverse = reverse

    @property
    def through(self) -> type[models.Model]:
        """The through model, as ``Physician.patients.through`` is in Django."""
        return self.field.through

    @property
    def manager_kind(self) -> type[ThroughManager[Any]]:
        return ThroughManager

    def manager_model(self) -> type[models.Model]:
        return self.field.model if self.reverse else self.field.related_model

    def manager_attrs(self) -> dict[str, Any]:
        field, reverse = self.field, self.reverse
        near, far = field.sides(reverse)
        return {
            "field": field,
            "reverse": reverse,
            "near": near,
            "far": far,
            "cache_name": field.accessor_name if reverse else field.name,
            "query_name": field.name if reverse else field.related_query_name(),
        }

    def __set__(self, instance: models.Model, value: Any) -> None:
        side = "reverse" if self.reverse else "forward"
        name = self.field.accessor_name if self.reverse else self.field.name
        raise TypeError(
            f"Direct assignment to the {side} side of a many-to-many set is prohibited. "
            f"Use {name}.set() instead."
        )


class ThroughManager(WeakRelatedManager[_M]):
    """The far side of a :class:`WeakManyToManyField`, bound to one near-side instance:
    ``near`` is the through model's key to the instance, ``far`` its key to the rows
    read."""

    reverse: bool  # type: ignore[assignment]
    near: Any
    far: Any
    query_name: str
    relationship = "many-to-many relationship"

    def _check_key(self) -> None:
        # As Django's many-to-many manager: unusable without a key and a saved
        # instance. (Checked on use, not when the manager is made: full_clean()
        # reads the field of an unsaved instance.)
        super()._check_key()
        self._check_saved(article="a")

    @classmethod
    def related_model(cls) -> type[_M]:
        return cls.far.related_model

    @property
    def through(self) -> type[models.Model]:
        return self.field.through

    def near_key(self, instance: models.Model) -> Any:
        return self.near.key_of(instance)

    def key_name(self) -> str:
        return self.near.target_field.attname

    def core_filters(self) -> dict[str, Any]:
        return {self.query_name: self.key}

    # -- reading ----------------------------------------------------------------

    def _through_rows(self, *, using: str | None = None) -> models.QuerySet[Any]:
        db = using or routing.db_for_read(self.through, instance=self.instance)
        return self.through._base_manager.using(db).filter(**{self.near.attname: self.key})

    def prefetch_links(
        self, queryset: Any, instances: list[models.Model], fetch: Callable[..., Any]
    ) -> Iterator[tuple[Any, models.Model]]:
        """The through rows first, then the targets they name (one query each)."""
        near, far = self.near, self.far
        keys = {near.key_of(inst) for inst in instances} - {None}
        db = routing.db_for_read(self.through, instance=instances[0])
        through = self.through._base_manager.db_manager(db, hints={"instance": instances[0]})
        owners: dict[Any, list[Any]] = defaultdict(list)
        pairs = through.values_list(near.attname, far.attname).order_by()
        for near_key, far_key in filter_in(pairs, near.attname, sorted(keys, key=str)):
            owners[far_key].append(near_key)
        owners.pop(None, None)
        targets = fetch(queryset, far.target_field.attname, sorted(owners, key=str))
        for obj in targets:
            for near_key in owners[far.key_of(obj)]:
                yield near_key, obj

    # -- writing ----------------------------------------------------------------

    def _db_for_write(self) -> str:
        return routing.db_for_write(self.through, instance=self.instance)

    def _far_keys(self, objs: Iterable[Any]) -> list[Any]:
        """Keys of ``objs`` (instances of the far model or raw keys), in order."""
        keys = []
        for obj in objs:
            if isinstance(obj, models.Model):
                self._check_objs([obj])
                key = self.far.key_of(obj)
                if key is None:
                    raise ValueError(
                        f'Cannot add "{obj!r}": the value for field '
                        f'"{self.far.target_field.attname}" is None'
                    )
            else:
                key = self.far.to_python(obj)
            if key not in keys:
                keys.append(key)
        return keys

    def _send(self, action: str, keys: Iterable[Any] | None, db: str) -> None:
        m2m_changed.send(
            sender=self.through,
            action=action,
            instance=self.instance,
            reverse=self.reverse,
            model=self.model,
            pk_set=set(keys) if keys is not None else None,
            using=db,
        )

    def add(self, *objs: _M | Any, through_defaults: dict[str, Any] | None = None) -> None:
        """Link ``objs`` (instances or keys): one through row each, unless linked."""
        self._added(objs, through_defaults)

    add.alters_data = True  # type: ignore[attr-defined]

    def _added(self, objs: Iterable[Any], through_defaults: dict[str, Any] | None = None) -> int:
        """``add(*objs)``, returning how many links this call stored."""
        self._check_key()
        self._clear_prefetch_cache()
        db = self._db_for_write()
        keys = self._far_keys(objs)
        if not keys:
            return 0
        new = self._unlinked(keys, db)
        if not new:
            return 0
        defaults = dict(resolve_callables(through_defaults or {}))
        by_key = {self.far.key_of(o): o for o in objs if isinstance(o, models.Model)}
        rows = []
        for key in new:
            row = self.through(**defaults)
            setattr(row, self.near.name, self.instance)
            if key in by_key and not by_key[key]._state.adding:
                setattr(row, self.far.name, by_key[key])
            else:
                setattr(row, self.far.attname, key)
            rows.append(row)
        # Raw keys are checked in one query (saved instances are known to exist),
        # before anything is written.
        check_references(rows)
        with transaction.atomic(using=db, savepoint=False):
            self._send("pre_add", new, db)
            stored = [getattr(row, self.far.attname) for row in self._insert(rows, db)]
            self._send("post_add", stored, db)
        return len(stored)

    def _unlinked(self, keys: list[Any], db: str, *, latest: bool = False) -> list[Any]:
        """Those of ``keys`` that no through row of the instance names (``latest``: no
        row committed, whatever the transaction's snapshot)."""
        rows = self._through_rows(using=db).filter(**{f"{self.far.attname}__in": keys})
        if latest:
            linked = set(routing.latest_values(rows, self.far.attname))
        else:
            linked = set(rows.values_list(self.far.attname, flat=True))
        return [key for key in keys if key not in linked]

    def _insert(self, rows: list[models.Model], db: str) -> list[models.Model]:
        """Insert the through rows; return those inserted.

        With a unique constraint on the pair of keys (``field.unique_pair``) a link
        another transaction stored meanwhile is skipped, as ``get_or_create()`` does:
        the insert runs in a savepoint, and when the constraint refuses it, the links
        committed now are read (``routing.latest_values()``) and the rest inserted
        again. A refusal that no such link explains is raised.
        """
        manager = self.through._base_manager.using(db)
        if not self.field.unique_pair:
            manager.bulk_create(rows)
            return rows
        while rows:
            try:
                with transaction.atomic(using=db):
                    manager.bulk_create(rows)
                return rows
            except IntegrityError:
                keys = [getattr(row, self.far.attname) for row in rows]
                unlinked = set(self._unlinked(keys, db, latest=True))
                if len(unlinked) == len(keys):
                    raise
                rows = [row for row in rows if getattr(row, self.far.attname) in unlinked]
        return rows

    def remove(self, *objs: _M | Any) -> None:
        """Unlink ``objs``: delete their through rows (the targets stay)."""
        self._check_key()
        self._clear_prefetch_cache()
        keys = self._far_keys(objs)
        if not keys:
            return
        db = self._db_for_write()
        with transaction.atomic(using=db, savepoint=False):
            self._send("pre_remove", keys, db)
            self._through_rows(using=db).filter(**{f"{self.far.attname}__in": keys}).delete()
            self._send("post_remove", keys, db)

    remove.alters_data = True  # type: ignore[attr-defined]

    def clear(self) -> None:
        """Unlink every target: delete all of this instance's through rows."""
        self._check_key()
        self._clear_prefetch_cache()
        db = self._db_for_write()
        with transaction.atomic(using=db, savepoint=False):
            self._send("pre_clear", None, db)
            self._through_rows(using=db).delete()
            self._send("post_clear", None, db)

    clear.alters_data = True  # type: ignore[attr-defined]

    def set(
        self,
        objs: Iterable[_M | Any],
        *,
        clear: bool = False,
        through_defaults: dict[str, Any] | None = None,
    ) -> None:
        """Make ``objs`` exactly the linked targets (adding and removing the difference)."""
        self._check_key()
        objs = tuple(objs)
        db = self._db_for_write()
        with transaction.atomic(using=db, savepoint=False):
            if clear:
                self.clear()
                self.add(*objs, through_defaults=through_defaults)
                return
            wanted = set(self._far_keys(objs))
            old = set(self._through_rows(using=db).values_list(self.far.attname, flat=True))
            self.remove(*[key for key in old if key not in wanted])
            self.add(
                *[obj for obj in objs if self._far_keys([obj])[0] not in old],
                through_defaults=through_defaults,
            )

    set.alters_data = True  # type: ignore[attr-defined]

    def _create_target(
        self, method: str, kwargs: dict[str, Any], through_defaults: dict[str, Any] | None
    ) -> Any:
        """Run ``method`` (create, get_or_create, ...) for a target in its own
        database, and link a target it created."""
        self._check_key()
        db = routing.db_for_write(self.model, instance=self.instance)
        return self._write_linked(method, db, kwargs, through_defaults=through_defaults)

    def create(self, *, through_defaults: dict[str, Any] | None = None, **kwargs: Any) -> _M:
        """Create a target in its own database, then link it."""
        return self._create_target("create", kwargs, through_defaults)

    create.alters_data = True  # type: ignore[attr-defined]

    def get_or_create(  # type: ignore[override]
        self, *, through_defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[_M, bool]:
        return self._create_target("get_or_create", kwargs, through_defaults)

    get_or_create.alters_data = True  # type: ignore[attr-defined]

    def update_or_create(  # type: ignore[override]
        self, *, through_defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[_M, bool]:
        return self._create_target("update_or_create", kwargs, through_defaults)

    update_or_create.alters_data = True  # type: ignore[attr-defined]
