"""Carrying out ``on_delete`` across databases.

Django's deletion ``Collector`` works inside one database. Every weak relation puts a
private :class:`~weakrel.base.ReverseSide` on its target, so when a target
is deleted (``instance.delete()`` or ``QuerySet.delete()``) Django's collector meets
it and calls :func:`weak_on_delete` while it is still collecting, before anything is
written. That hook attaches a :class:`WeakCollector`, which takes over the
collector's ``delete()``:

1. it follows every weak relation from the rows about to be deleted: each relation
   field's ``collect_dependents(collector, targets)`` finds the dependents in their
   own database and says what its ``on_delete`` does to them (``add_cascade``,
   ``add_protected``, ``add_restricted``, ``add_field_update``). One Django
   ``Collector`` per alias runs the work, so ordinary relations in each database
   cascade as Django would, and weak ones recursively;
2. it raises ``ProtectedError`` / ``RestrictedError`` before anything is written;
3. it opens ``transaction.atomic`` on every alias involved, runs the dependents'
   deletes and updates, then Django's own delete of the rows the user asked for.

Commits are per database. The database holding the rows the user deleted commits
first; the dependents' databases commit after it. An error before that point leaves
every database as it was. A failure between the commits can only leave dependents
pointing at rows that are gone (orphans ``weakrel_check --fix`` repairs), never
dependents deleted while the row the user asked to delete survives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import ExitStack
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import DO_NOTHING, Model, ProtectedError, RestrictedError
from django.db.models.deletion import Collector

from weakrel import routing
from weakrel.base import reverse_sides
from weakrel.inheritance import is_inherited

if TYPE_CHECKING:
    from collections.abc import Callable


def PULL(collector, field, sub_objs, using):  # noqa: N802 - named like Django's CASCADE
    """on_delete for ReferencesMany: remove the deleted key from every list holding it.

    A marker: ``WeakReferencesMany.collect_dependents`` does the work, scheduling the
    rewritten lists as field updates on the dependents' alias collector, so they run
    in the same transaction as the deletes. Django calls it only for other fields.
    """
    raise TypeError(f"on_delete=PULL is only for WeakReferencesMany, not for {field}.")


def is_set(on_delete: Callable) -> bool:
    """Whether ``on_delete`` is one of Django's ``SET(value)``."""
    deconstruct = getattr(on_delete, "deconstruct", None)
    return deconstruct is not None and deconstruct()[0] == "django.db.models.SET"


def set_value(on_delete: Callable) -> Any:
    """The value of Django's ``SET(value)``, called if callable, as Django does."""
    value = on_delete.deconstruct()[1][0]
    return value() if callable(value) else value


def collector_hook(on_delete: Callable) -> Callable:
    """What a weak relation's ``remote_field.on_delete`` is, for Django's Collector."""
    return DO_NOTHING if on_delete is DO_NOTHING else weak_on_delete


def weak_on_delete(collector: Collector, field, sub_objs, using: str) -> None:
    """Called by Django's Collector for a weak relation; hands the work to weakrel.

    The weak relations are followed now, while Django is still collecting, so that
    rows they cascade to count when Django checks RESTRICT at the end of its collect():
    a restricted row that is also being deleted through a cascade is no obstacle.
    """
    WeakCollector.attach(collector).collect()


# Django passes an unevaluated queryset; weakrel queries the right database itself.
weak_on_delete.lazy_sub_objs = True


class WeakCollector:
    """Collects and deletes across databases, one Django ``Collector`` per alias."""

    def __init__(self, root: Collector) -> None:
        self.root = root
        self.root_delete = root.delete
        self.collectors: dict[str, Collector] = {root.using: root}
        self.seen: set[tuple[str, type, Any]] = set()
        self.protected: dict[str, list[Model]] = defaultdict(list)
        # {(alias, model): {field label: [objs]}}
        self.restricted: dict[tuple[str, type], dict[str, list[Model]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # Keys already removed from the lists of a list relation, per (alias, field).
        self.pulled: dict[tuple[str, Any], set[Any]] = defaultdict(set)
        self.collecting = False

    @classmethod
    def attach(cls, collector: Collector) -> WeakCollector:
        weak = getattr(collector, "weakrel_collector", None)
        if weak is None:
            weak = cls(collector)
            collector.weakrel_collector = weak
            collector.delete = weak.delete
        return weak

    def collector_for(self, alias: str) -> Collector:
        if alias not in self.collectors:
            collector = Collector(using=alias, origin=self.root.origin)
            collector.weakrel_collector = self
            self.collectors[alias] = collector
        return self.collectors[alias]

    # -- collecting -------------------------------------------------------------

    def collect(self) -> None:
        """Follow weak relations from everything collected, until nothing new appears.

        Re-entered from a cascade it starts (Django collecting in one database meets a
        weak relation again), it returns at once: the running loop sees the new rows.
        """
        if self.collecting:
            return
        self.collecting = True
        try:
            self._collect()
        finally:
            self.collecting = False

    def _collect(self) -> None:
        pending = True
        while pending:
            pending = False
            for alias, collector in list(self.collectors.items()):
                for model, instances in list(collector.data.items()):
                    relations = dependent_relations(model)
                    if not relations:
                        continue
                    # A proxy's rows are its concrete model's: followed once.
                    concrete = model._meta.concrete_model
                    new = [obj for obj in instances if (alias, concrete, obj.pk) not in self.seen]
                    if not new:
                        continue
                    pending = True
                    self.seen.update((alias, concrete, obj.pk) for obj in new)
                    for field in relations:
                        field.collect_dependents(self, new)

    def alias_for(self, field, targets: list[Model]) -> str:
        """The database holding the rows that point at ``targets`` through ``field``."""
        return routing.db_for_write(field.model, instance=targets[0])

    def add_cascade(self, alias: str, queryset) -> None:
        self.collector_for(alias).collect(queryset, fail_on_restricted=False)

    def add_protected(self, field, objs: list[Model]) -> None:
        if objs:
            self.protected[f"'{field.model.__name__}.{field.name}'"].extend(objs)

    def add_restricted(self, alias: str, field, objs: list[Model]) -> None:
        if objs:
            self.restricted[alias, field.model][f"'{field.model.__name__}.{field.name}'"] += objs

    def add_field_update(self, alias: str, field, value: Any, queryset) -> None:
        self.collector_for(alias).add_field_update(field, value, queryset)

    def check_blocked(self) -> None:
        """Raise for PROTECT, and for RESTRICT rows that no cascade is deleting."""
        model_name = self.root_model_name()
        if self.protected:
            raise ProtectedError(
                f"Cannot delete some instances of model {model_name!r} because they are "
                f"referenced through protected foreign keys: {', '.join(self.protected)}.",
                set(chain.from_iterable(self.protected.values())),
            )
        blocked: dict[str, list[Model]] = defaultdict(list)
        for (alias, model), by_field in self.restricted.items():
            collector = self.collectors.get(alias)
            deleted = set(collector.data.get(model, ())) if collector else set()
            for label, objs in by_field.items():
                remaining = [obj for obj in objs if obj not in deleted]
                if remaining and collector is not None:
                    remaining = self._not_fast_deleted(collector, model, remaining)
                blocked[label] += remaining
        # Django's own RESTRICT bookkeeping in the collectors weakrel started.
        for collector in self.collectors.values():
            for model, instances in collector.data.items():
                collector.clear_restricted_objects_from_set(model, set(instances))
            for qs in collector.fast_deletes:
                collector.clear_restricted_objects_from_queryset(qs.model, qs)
            for model, fields in collector.restricted_objects.items():
                for field, objs in fields.items():
                    if objs:
                        blocked[f"'{model.__name__}.{field.name}'"] += list(objs)
        blocked = {label: objs for label, objs in blocked.items() if objs}
        if blocked:
            raise RestrictedError(
                f"Cannot delete some instances of model {model_name!r} because they are "
                f"referenced through restricted foreign keys: {', '.join(blocked)}.",
                set(chain.from_iterable(blocked.values())),
            )

    def _not_fast_deleted(self, collector: Collector, model, objs: list[Model]) -> list[Model]:
        pks = {obj.pk for obj in objs}
        for qs in collector.fast_deletes:
            if qs.model is model:
                pks -= set(qs.filter(pk__in=pks).values_list("pk", flat=True))
        return [obj for obj in objs if obj.pk in pks]

    def root_model_name(self) -> str:
        origin = self.root.origin
        if isinstance(origin, Model):
            return type(origin).__name__
        if origin is not None:
            return origin.model.__name__
        return next(iter(self.root.data)).__name__

    # -- deleting ---------------------------------------------------------------

    def delete(self) -> tuple[int, dict[str, int]]:
        self.collect()
        self.check_blocked()
        counter: Counter[str] = Counter()
        others = [alias for alias in self.collectors if alias != self.root.using]
        with ExitStack() as stack:
            # Entered first, left last: these commit after the root database does.
            for alias in others:
                stack.enter_context(transaction.atomic(using=alias))
            for alias in others:
                _, counts = self.collectors[alias].delete()
                counter.update(counts)
            total, counts = self.root_delete()
            counter.update(counts)
        counter = Counter({label: n for label, n in counter.items() if n})
        return sum(counter.values()), dict(counter)


def dependent_relations(model: type[Model]) -> list:
    """The weak fields whose rows depend on rows of ``model`` (Django's criterion:
    one-to-many or one-to-one reverse sides; a many-to-many's through keys carry
    its ``on_delete``).

    A proxy's are its concrete model's. A multi-table child's copies of its parents'
    are left out: deleting a child deletes its parent rows, whose own are followed.
    """
    return [
        side.field
        for side in reverse_sides(model._meta.concrete_model)
        if (side.one_to_many or side.one_to_one) and not is_inherited(side)
    ]
