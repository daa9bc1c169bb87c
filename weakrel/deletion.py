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
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.models import DO_NOTHING, Model, ProtectedError, RestrictedError, signals
from django.db.models.deletion import Collector, get_candidate_relations_to_delete

from weakrel import journal, lookups, routing
from weakrel.base import WeakRelationField, reverse_sides
from weakrel.inheritance import is_inherited
from weakrel.keys import sorted_keys

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
                    # Django's collector only adds rows: an unchanged count has no new one.
                    if not relations or self.followed.get((alias, model)) == len(instances):
                        continue
                    self.followed[alias, model] = len(instances)
                    # A proxy's rows are its concrete model's: followed once.
                    seen = self.seen[alias, model._meta.concrete_model]
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

    def add_cascade(self, alias: str, queryset) -> None:
        if dependent_relations(queryset.model) and fast_deletable(queryset.model):
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
        if self.deleted_model is not None:
            return self.deleted_model.__name__
        return next(iter(self.root.data)).__name__

    # -- deleting ---------------------------------------------------------------

    def delete(self) -> tuple[int, dict[str, int]]:
        self.collect()
        self.check_blocked()
        if len(self.collectors) == 1:
            return self.root_delete()
        if in_transaction(self.root.using):
            return self.delete_on_commit()
        return self.delete_now()

    def delete_now(self) -> tuple[int, dict[str, int]]:
        """Delete everywhere in one go, the deleted rows' database committing first.

        Every database runs its part in its own transaction, opened before the first
        statement and committed after the root's: an error before the root commits
        leaves every database as it was. Each database's transaction also writes the
        journal entries for the work its deletes leave to the others; they are
        forgotten once those have committed it.
        """
        counter: Counter[str] = Counter()
        cascade = journal.new_cascade()
        root = self.root.using
        others = [alias for alias in self.collectors if alias != root]
        edges = {alias: self.edges_from(alias) for alias in self.collectors}
        with ExitStack() as stack:
            # Entered first, left last: the first databases reached commit first.
            for alias in reversed(others):
                stack.enter_context(transaction.atomic(using=alias))
            for alias in others:
                journal.record(alias, cascade, edges[alias])
                counter.update(self.collectors[alias].delete()[1])
            with transaction.atomic(using=root):
                journal.record(root, cascade, edges[root])
                counter.update(self.root_delete()[1])
        self.forget_when_committed(cascade, edges)
        counter = Counter({label: n for label, n in counter.items() if n})
        return sum(counter.values()), dict(counter)

    def delete_on_commit(self) -> tuple[int, dict[str, int]]:
        """Inside the caller's transaction: delete the rows in the root's database now,
        and their dependents elsewhere once (and only if) that transaction commits.

        Only what was deleted here is counted; the rest runs after the commit.
        """
        root = self.root.using
        cascade = journal.new_cascade()
        with transaction.atomic(using=root):
            journal.record(root, cascade, self.edges_from(root))
            result = self.root_delete()
        origin = self.root.origin
        transaction.on_commit(
            lambda: run_cascade(root, cascade, origin=origin), using=root, robust=True
        )
        return result

    def edges_from(self, alias: str) -> list[journal.Edge]:
        """The weak relations from the rows deleted in ``alias`` to other databases."""
        edges = []
        deleted = chain(self.collectors[alias].data.items(), self.fast_rows[alias].items())
        for model, instances in deleted:
            objs = list(instances)
            for field in dependent_relations(model):
                if field.on_delete is DO_NOTHING:
                    continue
                using = self.alias_for(field, objs)
                if using != alias:
                    keys = {field.key_of(obj) for obj in objs} - {None}
                    edges.append((field, using, sorted_keys(keys)))
        return edges

    def forget_when_committed(self, cascade, edges: dict[str, list[journal.Edge]]) -> None:
        """Forget the journal entries whose work each database has committed; where
        the caller still holds a transaction, when it commits."""
        for alias, alias_edges in edges.items():
            usings = {using for _field, using, _keys in alias_edges}
            if not any(in_transaction(using) for using in usings):
                if usings:
                    journal.forget(alias, cascade)
                continue
            for using in usings:
                transaction.on_commit(partial(journal.forget, alias, cascade, using), using=using)


def in_transaction(alias: str) -> bool:
    """Whether ``alias`` is inside a transaction the caller opened.

    The atomic block a ``TestCase`` wraps each test in does not count, as for Django's
    ``atomic(durable=True)``: inside it, deletes behave as in autocommit.
    """
    connection = connections[alias]
    return connection.in_atomic_block and not all(
        getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


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
    """Apply ``on_delete`` for one journal entry, then forget it once committed.

    The dependents are read now, so rows added since the delete are included; run
    twice, the second run finds nothing left to do.
    """
    try:
        field = journal.relation_field(entry.relation)
        target_key = field.key_field.attname
        targets = [field.related_model(**{target_key: key}) for key in entry.keys]
        collector = Collector(using=entry.using, origin=origin)
        weak = WeakCollector.attach(collector)
        weak.deleted_model = field.related_model
        field.collect_dependents(weak, targets)
        result = weak.delete()
    except Exception as error:
        journal.note_error(alias, entry.pk, error)
        raise
    transaction.on_commit(partial(journal.forget_entry, alias, entry.pk), using=entry.using)
    return result


def fast_deletable(model: type[Model]) -> bool:
    """Django's ``Collector.can_fast_delete()``, with weak reverse sides allowed:
    weakrel follows those itself."""
    if signals.pre_delete.has_listeners(model) or signals.post_delete.has_listeners(model):
        return False
    opts = model._meta
    if opts.proxy or opts.parents:
        return False
    return all(
        isinstance(related.field, WeakRelationField)
        or related.field.remote_field.on_delete is DO_NOTHING
        for related in get_candidate_relations_to_delete(opts)
    ) and not any(hasattr(field, "bulk_related_objects") for field in opts.private_fields)


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
