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
   ``add_protected``, ``add_restricted``, ``add_field_update``; ``add_cascade`` with
   ``later`` for CASCADE_LATER, whose rows a task deletes after the commit). One Django
   ``Collector`` per alias runs the work, so ordinary relations in each database
   cascade as Django would, and weak ones recursively;
2. it raises ``ProtectedError`` / ``RestrictedError`` before anything is written;
3. it opens ``transaction.atomic`` on every alias involved, runs the dependents'
   deletes and updates, then Django's own delete of the rows the user asked for.

Commits are per database. The database holding the rows the user deleted commits
first, with journal entries for the work left to the others and to tasks; those
commit after it. An error before that point leaves every database as it was; after
it, the journal keeps what is left until it is done (``weakrel_check --resume``).
Dependents are never deleted while the row the user asked to delete survives.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import ExitStack
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

from django.db import transaction
from django.db.models import DO_NOTHING, Model, ProtectedError, RestrictedError
from django.db.models.deletion import Collector

from weakrel import journal, lookups, routing
from weakrel.background import CASCADE_LATER, enqueue, may_be_blocked, next_batch
from weakrel.keys import sorted_keys
from weakrel.on_delete import dependent_relations, fast_deletable

if TYPE_CHECKING:
    from collections.abc import Callable


def PULL(  # noqa: N802 - named like Django's CASCADE
    collector: Any, field: Any, sub_objs: Any, using: str
) -> None:
    """on_delete for ReferencesMany: remove the deleted key from every list holding it.

    A marker: ``WeakReferencesMany.collect_dependents`` does the work, scheduling the
    rewritten lists as field updates on the dependents' alias collector, so they run
    in the same transaction as the deletes. Django calls it only for other fields.
    """
    raise TypeError(f"on_delete=PULL is only for WeakReferencesMany, not for {field}.")


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
weak_on_delete.lazy_sub_objs = True  # type: ignore[attr-defined]  # read by Collector


class WeakCollector:
    """Collects and deletes across databases, one Django ``Collector`` per alias."""

    def __init__(self, root: Collector) -> None:
        self.root = root
        self.root_delete = root.delete
        self.collectors: dict[str, Collector] = {root.using: root}
        # Keys of the rows whose weak dependents were collected, per (alias, model).
        self.seen: dict[tuple[str, type], set[Any]] = defaultdict(set)
        self.followed: dict[tuple[str, type], int] = {}
        # Rows deleted by one statement (fast_cascade), per alias and model.
        self.fast_rows: dict[str, dict[type, list[Model]]] = defaultdict(lambda: defaultdict(list))
        self.protected: dict[str, list[Model]] = defaultdict(list)
        # {(alias, model): {field label: [objs]}}
        self.restricted: dict[tuple[str, type], dict[str, list[Model]]] = defaultdict(
            lambda: defaultdict(list)
        )
        # Keys already removed from the lists of a list relation, per (alias, field).
        self.pulled: dict[tuple[str, Any], set[Any]] = defaultdict(set)
        self.collecting = False
        # The model whose rows were deleted, when a journal entry resumes their cascade.
        self.deleted_model: type[Model] | None = None
        # Collects, never deletes, what CASCADE_LATER defers, when PROTECT or RESTRICT
        # could refuse it: that is still decided before anything is written.
        self.probe: WeakCollector | None = None

    @classmethod
    def attach(cls, collector: Collector) -> WeakCollector:
        weak = getattr(collector, "weakrel_collector", None)
        if weak is None:
            weak = cls(collector)
            # weakrel's own attribute on Django's collector, and its delete() in place.
            collector.weakrel_collector = weak  # type: ignore[attr-defined]
            collector.delete = weak.delete  # type: ignore[method-assign]
        return weak

    def collector_for(self, alias: str) -> Collector:
        if alias not in self.collectors:
            collector = Collector(using=alias, origin=self.root.origin)
            collector.weakrel_collector = self  # type: ignore[attr-defined]
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
                    # Django's collector only adds rows: an unchanged count has no new one.
                    if not relations or self.followed.get((alias, model)) == len(instances):
                        continue
                    self.followed[alias, model] = len(instances)
                    # A proxy's rows are its concrete model's: followed once.
                    seen = self.seen[alias, cast("type[Model]", model._meta.concrete_model)]
                    new = [obj for obj in instances if obj.pk not in seen]
                    if not new:
                        continue
                    pending = True
                    seen.update(obj.pk for obj in new)
                    for field in relations:
                        field.collect_dependents(self, new)

    def alias_for(self, field, targets: list[Model]) -> str:
        """The database holding the rows that point at ``targets`` through ``field``."""
        return routing.db_for_write(field.model, instance=targets[0])

    def add_cascade(self, alias: str, queryset, *, later: bool = False) -> None:
        """Delete the rows of ``queryset`` with the rest. ``later`` (CASCADE_LATER): a
        task deletes them after the commit, and only their journal entries are written
        now; they are read now only if PROTECT or RESTRICT could refuse deleting them."""
        if later:
            if may_be_blocked(queryset.model):
                if self.probe is None:
                    self.probe = WeakCollector.attach(
                        Collector(using=alias, origin=self.root.origin)
                    )
                    self.probe.deleted_model = self.deleted_model
                self.probe.add_cascade(alias, queryset)
        elif dependent_relations(queryset.model) and fast_deletable(queryset.model):
            self.fast_cascade(alias, queryset)
        else:
            self.collector_for(alias).collect(queryset, fail_on_restricted=False)

    def fast_cascade(self, alias: str, queryset) -> None:
        """Delete rows that only weak relations depend on with one statement.

        Django deletes collected rows 100 keys at a time, and collects every row that
        has a weak reverse side. Without signals and native dependents, weakrel reads
        only the keys its weak relations need, follows them now, and deletes exactly
        the rows it read (``pk IN (...)``), as Django's own fast delete does.
        """
        model = queryset.model
        relations = dependent_relations(model)
        names = {model._meta.pk.name, *(field.key_field.name for field in relations)}
        seen = self.seen[alias, model]
        rows = [obj for obj in queryset.only(*names) if obj.pk not in seen]
        if not rows:
            return
        seen.update(obj.pk for obj in rows)
        self.fast_rows[alias][model].extend(rows)
        base = model._base_manager.using(alias)
        pks = sorted_keys(obj.pk for obj in rows)
        self.collector_for(alias).fast_deletes.append(
            lookups.filter_keys(base, model._meta.pk.attname, pks)
        )
        for field in relations:
            field.collect_dependents(self, rows)

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
            # {model: {field: rows}} (django-stubs keys it by instance).
            restricted = cast("dict[type[Model], Any]", collector.restricted_objects)
            for model, fields in restricted.items():
                for field, rows in fields.items():
                    if rows:
                        blocked[f"'{model.__name__}.{field.name}'"] += list(rows)
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
        if self.deleted_model is not None:
            return self.deleted_model.__name__
        return next(iter(self.root.data)).__name__

    # -- deleting ---------------------------------------------------------------

    def delete(self) -> tuple[int, dict[str, int]]:
        self.collect()
        self.check_blocked()
        if self.probe is not None:
            self.probe.collect()
            self.probe.check_blocked()
        later = {alias: self.edges_from(alias, later=True) for alias in self.collectors}
        if len(self.collectors) == 1 and not any(later.values()):
            return self.root_delete()
        if journal.in_transaction(self.root.using):
            return self.delete_on_commit(later)
        return self.delete_now(later)

    def delete_now(self, later: dict[str, list[journal.Edge]]) -> tuple[int, dict[str, int]]:
        """Delete everywhere in one go, the deleted rows' database committing first.

        Every database runs its part in its own transaction, opened before the first
        statement and committed after the root's: an error before the root commits
        leaves every database as it was. Each database's transaction also writes the
        journal entries for the work its deletes leave to the others; they are
        forgotten once those have committed it. The work left to a task (``later``)
        is journaled under a cascade of its own, enqueued once its database commits.
        """
        counter: Counter[str] = Counter()
        cascade, background = journal.new_cascade(), journal.new_cascade()
        root = self.root.using
        others = [alias for alias in self.collectors if alias != root]
        edges = {alias: self.edges_from(alias) for alias in self.collectors}
        with ExitStack() as stack:
            # Entered first, left last: the first databases reached commit first.
            for alias in reversed(others):
                stack.enter_context(transaction.atomic(using=alias))
            for alias in others:
                journal.record(alias, (cascade, edges[alias]), (background, later[alias]))
                counter.update(self.collectors[alias].delete()[1])
            with transaction.atomic(using=root):
                journal.record(root, (cascade, edges[root]), (background, later[root]))
                counter.update(self.root_delete()[1])
        self.forget_when_committed(cascade, edges)
        self.enqueue_when_committed(background, later)
        counter = Counter({label: n for label, n in counter.items() if n})
        return sum(counter.values()), dict(counter)

    def delete_on_commit(self, later: dict[str, list[journal.Edge]]) -> tuple[int, dict[str, int]]:
        """Inside the caller's transaction: delete the rows in the root's database now,
        and their dependents elsewhere once (and only if) that transaction commits.

        Only what was deleted here is counted; the rest runs after the commit.
        """
        root = self.root.using
        cascade, background = journal.new_cascade(), journal.new_cascade()
        with transaction.atomic(using=root):
            journal.record(root, (cascade, self.edges_from(root)), (background, later[root]))
            result = self.root_delete()
        origin = self.root.origin
        if len(self.collectors) > 1:
            transaction.on_commit(
                lambda: run_cascade(root, cascade, origin=origin), using=root, robust=True
            )
        self.enqueue_when_committed(background, {root: later[root]})
        return result

    def edges_from(self, alias: str, *, later: bool = False) -> list[journal.Edge]:
        """The weak relations from the rows deleted in ``alias`` to other databases,
        or (``later``) to a task: those declared with CASCADE_LATER, wherever."""
        edges: list[journal.Edge] = []
        deleted = chain(self.collectors[alias].data.items(), self.fast_rows[alias].items())
        for model, instances in deleted:
            objs = list(instances)
            for field in dependent_relations(model):
                if field.on_delete is DO_NOTHING or (field.on_delete is CASCADE_LATER) != later:
                    continue
                using = self.alias_for(field, objs)
                if later or using != alias:
                    keys = {field.key_of(obj) for obj in objs} - {None}
                    edges.append((field, using, sorted_keys(keys)))
        return edges

    def forget_when_committed(self, cascade, edges: dict[str, list[journal.Edge]]) -> None:
        """Forget the journal entries whose work each database has committed; where
        the caller still holds a transaction, when it commits."""
        for alias, alias_edges in edges.items():
            usings = {using for _field, using, _keys in alias_edges}
            if not any(journal.in_transaction(using) for using in usings):
                if usings:
                    journal.forget(alias, cascade)
                continue
            for using in usings:
                transaction.on_commit(partial(journal.forget, alias, cascade, using), using=using)

    def enqueue_when_committed(self, cascade, later: dict[str, list[journal.Edge]]) -> None:
        """Hand the work left to a task to the task backend, once each database that
        journaled some has committed it."""
        for alias, edges in later.items():
            if edges:
                journal.after_commit(alias, partial(enqueue, alias, cascade))


def run_cascade(alias: str, cascade, *, origin: Any = None) -> None:
    """Carry out the journal entries one delete left in ``alias``."""
    failure = None
    for entry in journal.pending(alias).filter(cascade=cascade):
        try:
            run_entry(alias, entry, origin=origin)
        except Exception as error:  # noqa: BLE001 - the others still run; raised below
            failure = failure or error
    if failure is not None:
        raise failure


def resume() -> tuple[list[tuple[str, Any, dict[str, int]]], list[tuple[str, Any, Exception]]]:
    """Finish every cascade the journals hold (``weakrel_check --resume``).

    Reads each journal once, then does only the pending work: the cost follows what
    is pending, not the size of any table. Returns ``(done, failed)``: for each entry,
    its journal's alias and the entry, with the counts deleted or the error.
    """
    done, failed = [], []
    for alias in journal.journal_aliases():
        for entry in list(journal.pending(alias)):
            try:
                _, counts = run_entry(alias, entry)
            except Exception as error:  # noqa: BLE001 - reported; the entry stays
                failed.append((alias, entry, error))
            else:
                done.append((alias, entry, counts))
    return done, failed


def run_entry(alias: str, entry, *, origin: Any = None) -> tuple[int, dict[str, int]]:
    """Apply ``on_delete`` for one journal entry, then forget it once committed; a
    CASCADE_LATER entry batch after batch, until none of its dependents is left."""
    counter: Counter[str] = Counter()
    done = False
    while not done:
        (_, counts), done = run_step(alias, entry, origin=origin)
        counter.update(counts)
    return sum(counter.values()), dict(counter)


def run_step(alias: str, entry, *, origin: Any = None) -> tuple[tuple[int, dict[str, int]], bool]:
    """One step of a journal entry, in one transaction per database; then whether the
    entry is done (and forgotten once committed).

    The dependents are read now, so rows added since the delete are included; run
    twice, the second run finds nothing left to do. A step of a CASCADE_LATER entry
    deletes at most ``WEAKREL["CASCADE_BATCH_SIZE"]`` dependents (with their own
    cascades); the entry is done when none is left.
    """
    try:
        field = journal.relation_field(entry.relation)
        collector = Collector(using=entry.using, origin=origin)
        weak = WeakCollector.attach(collector)
        weak.deleted_model = field.related_model
        target_key = field.key_field.attname
        targets = [field.related_model(**{target_key: key}) for key in entry.keys]
        done = True
        if field.on_delete is CASCADE_LATER:
            batch, done = next_batch(field, entry.using, targets)
            if batch is not None:
                weak.add_cascade(entry.using, batch)
        else:
            # Every kind a journal entry can name (one with dependents) implements it.
            field.collect_dependents(weak, targets)  # type: ignore[attr-defined]
        result = weak.delete()
    except Exception as error:
        journal.note_error(alias, entry.pk, error)
        raise
    if done:
        journal.after_commit(entry.using, partial(journal.forget_entry, alias, entry.pk))
    return result, done
