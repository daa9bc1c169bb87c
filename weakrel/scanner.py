"""Finding, and on request repairing, weak keys whose target row does not exist.

No database constraint stands behind a weak relation, so rows written outside the
application (another service, a restore from backup, a delete racing an insert, a
failure between two commits, see ``deletion.py``) can name a target that is gone.
:func:`scan` walks every weak relation, or those named, and reports such *orphans* in
a :class:`~weakrel.scan_report.ScanReport` (``weakrel.scan()``; ``weakrel_check``
prints it).

Memory stays bounded whatever the table size: the source rows are read in batches
ordered by primary key (keyset pagination, ``pk > last``), and each batch's distinct
keys are checked with one ``IN`` query against the target's database.

A field takes part in a scan when it is a weak relation field with a column
(:class:`~weakrel.base.WeakRelationField`: a weak key, which covers the through model
of ``WeakManyToManyField``, or a list of keys). A field whose column holds something
other than one key defines the hook::

    def scan_keys(self, value) -> Iterable:
        \"\"\"The target keys held in one row's column value.\"\"\"

plus ``related_model``, ``foreign_related_fields`` (the target's key field),
``attname`` and ``on_delete``, as ``WeakForeignKey`` does, and an ``in`` lookup
on ``attname`` that matches the rows holding any of the given keys. A field whose
column holds a *list* of keys (``WeakReferencesMany``) also defines
``pull_keys(queryset, keys)``, which removes ``keys`` from the lists of the rows of
``queryset`` and returns how many rows changed; that enables ``fix="pull"`` (and
``on_delete=PULL``). A row of such a field is an orphan when its list holds at least
one missing key; ``fix="null"`` and ``fix="default"`` do not apply to it, since they
would drop the keys that are fine along with the dangling ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models import CASCADE, DO_NOTHING, PROTECT, RESTRICT, SET_DEFAULT, SET_NULL

from weakrel.base import WeakRelationField
from weakrel.conf import weakrel_settings
from weakrel.deletion import CASCADE_LATER, PULL
from weakrel.inheritance import is_inherited
from weakrel.routing import database_errors, db_for_read, filter_in
from weakrel.scan_report import RelationFinding, ScanReport, pending_cascades, relation_label

FIXES = ("delete", "null", "default", "pull", "on-delete")
SAMPLE_SIZE = 5


class ScanError(ValueError):
    """A relation was named that does not exist, or a repair that does not apply."""


def scan_keys(field, value: Any) -> Iterable[Any]:
    """The target keys one row holds through ``field``."""
    hook = getattr(field, "scan_keys", None)
    if hook is not None:
        return hook(value)
    return () if value is None else (value,)


def is_weak_relation(field) -> bool:
    return isinstance(field, WeakRelationField) and field.concrete


def is_generic_key(field) -> bool:
    """A field over a type and a key column (``WeakGenericForeignKey``), scanned by
    :class:`GenericScan`."""
    return callable(getattr(field, "existing_pairs", None)) and not is_inherited(field)


def holds_list(field) -> bool:
    return callable(getattr(field, "pull_keys", None))


def weak_relations(*labels: str) -> list:
    """The weak relation fields of installed models, or of the ones ``labels`` name.

    A label is ``app_label``, ``app_label.Model`` or ``app_label.Model.field``.
    Raises :class:`ScanError` for a label that names nothing.
    """
    everything = [
        field
        for model in apps.get_models()
        for field in [*model._meta.concrete_fields, *model._meta.private_fields]
        if is_weak_relation(field) or is_generic_key(field)
    ]
    if not labels:
        return everything
    chosen: list = []
    for label in labels:
        parts = label.split(".")
        if len(parts) > 3 or not all(parts):
            raise ScanError(
                f"Invalid relation {label!r}: use app_label, app_label.Model or "
                "app_label.Model.field."
            )
        try:
            app_config = apps.get_app_config(parts[0])
        except LookupError:
            raise ScanError(f"No installed app with label {parts[0]!r}.") from None
        matches = [f for f in everything if f.model._meta.app_label == app_config.label]
        if len(parts) > 1:
            try:
                model = app_config.get_model(parts[1])
            except LookupError:
                raise ScanError(f"App {parts[0]!r} has no model {parts[1]!r}.") from None
            matches = [f for f in matches if f.model is model]
            if len(parts) > 2:
                matches = [f for f in matches if parts[2] in (f.name, f.attname)]
                if not matches:
                    raise ScanError(f"{model._meta.label} has no weak relation {parts[2]!r}.")
        for field in matches:
            if field not in chosen:
                chosen.append(field)
    return chosen


def resolve_fix(field, fix: str) -> str | None:
    """The repair ``fix`` means for ``field``: delete, null, default, pull or None.

    ``None`` is "leave the rows": ``on-delete`` for PROTECT, RESTRICT and DO_NOTHING,
    which describe what should have stopped or ignored the delete, not a repair.
    Raises :class:`ScanError` when the repair cannot apply to the field.
    """
    label = relation_label(field)
    if fix not in FIXES:
        raise ScanError(f"Unknown fix {fix!r}; choose from {', '.join(FIXES)}.")
    if fix == "on-delete":
        on_delete = field.on_delete
        if on_delete in (CASCADE, CASCADE_LATER):
            return "delete"
        if on_delete is SET_NULL:
            fix = "null"
        elif on_delete is SET_DEFAULT:
            fix = "default"
        elif on_delete is PULL:
            fix = "pull"
        elif on_delete in (PROTECT, RESTRICT, DO_NOTHING):
            return None
        else:
            raise ScanError(f"{label}: on_delete={on_delete!r} has no repair.")
    if fix in ("null", "default") and holds_list(field):
        raise ScanError(
            f"{label} holds a list of keys; --fix={fix} would replace the whole list, "
            "valid keys included. Use --fix=pull to remove only the missing keys."
        )
    if fix == "null" and not field.null:
        raise ScanError(f"{label} is not nullable; --fix=null does not apply to it.")
    if fix == "default" and not field.has_default():
        raise ScanError(f"{label} has no default; --fix=default does not apply to it.")
    if fix == "pull" and not holds_list(field):
        raise ScanError(
            f"{label} does not hold a list of keys; --fix=pull applies to "
            "WeakReferencesMany fields only."
        )
    return fix


class RelationScan:
    """Scans one weak relation in batches; ``batches()`` yields progress, ``finding``
    holds the totals."""

    def __init__(
        self,
        field,
        *,
        batch_size: int | None = None,
        fix: str | None = None,
        dry_run: bool = False,
    ) -> None:
        self.field = field
        self.batch_size = batch_size or weakrel_settings.CHECK_BATCH_SIZE
        self.repair = resolve_fix(field, fix) if fix else None
        self.source_alias = db_for_read(field.model)
        self.target_alias = db_for_read(field.related_model)
        self.finding = RelationFinding(
            field, self.source_alias, self.target_alias, fix=self.repair, dry_run=dry_run
        )
        self.dry_run = dry_run

    def source_queryset(self):
        return self.field.model._base_manager.using(self.source_alias)

    def columns(self) -> list[str]:
        """The columns a row's keys are read from (the first is NULL when it has none)."""
        return [self.field.attname]

    def total(self) -> int:
        """Rows holding a key, for a progress bar (one ``COUNT``)."""
        queryset = self.source_queryset().filter(**{f"{self.columns()[0]}__isnull": False})
        with database_errors(self.source_alias, f"counting {self.finding.relation}"):
            return queryset.count()

    def rows(self) -> Iterator[list[tuple[Any, Any]]]:
        """``(pk, value)`` batches of the rows that hold a key, in primary key order
        (``value`` a tuple when the keys are read from several columns)."""
        columns = self.columns()
        queryset = (
            self.source_queryset()
            .filter(**{f"{columns[0]}__isnull": False})
            .order_by("pk")
            .values_list("pk", *columns)
        )
        last = None
        while True:
            page = queryset if last is None else queryset.filter(pk__gt=last)
            with database_errors(self.source_alias, f"reading {self.finding.relation}"):
                batch = [
                    (row[0], row[1] if len(row) == 2 else row[1:])
                    for row in page[: self.batch_size]
                ]
            if not batch:
                return
            yield batch
            if len(batch) < self.batch_size:
                return
            last = batch[-1][0]

    def existing(self, keys: set) -> set:
        """Which of ``keys`` exist in the target's database (one query per batch)."""
        if not keys:
            return set()
        field = self.field
        attname = field.foreign_related_fields[0].attname
        base = field.related_model._base_manager.using(self.target_alias).values_list(
            attname, flat=True
        )
        with database_errors(self.target_alias, f"checking {self.finding.relation}"):
            found = set(filter_in(base.order_by(), attname, keys))
            missing = keys - found
            if missing and not _exact_comparison(self.target_alias, keys):
                # A case- or accent-insensitive collation matched rows whose key differs
                # from ours in Python; ask the database about those keys one by one.
                found |= {k for k in missing if base.filter(**{attname: k}).exists()}
        return found

    def batches(self) -> Iterator[int]:
        """Scan (and repair) batch by batch, yielding the rows scanned so far."""
        finding = self.finding
        for batch in self.rows():
            finding.scanned += len(batch)
            keys = {k for _, value in batch for k in scan_keys(self.field, value)}
            missing = keys - self.existing(keys)
            if missing:
                orphan_rows = [
                    pk
                    for pk, value in batch
                    if any(k in missing for k in scan_keys(self.field, value))
                ]
                finding.orphans += len(orphan_rows)
                room = SAMPLE_SIZE - len(finding.sample)
                if room > 0:
                    finding.sample.extend(_sorted(missing)[:room])
                if self.repair:
                    finding.repaired += self.apply(self.repair, orphan_rows, missing)
            yield finding.scanned

    def run(self) -> RelationFinding:
        for _ in self.batches():
            pass
        return self.finding

    # -- repairs --------------------------------------------------------------------

    def apply(self, repair: str, pks: list, missing: set) -> int:
        """Repair the rows ``pks`` whose keys ``missing`` name nothing; rows changed.

        The keys are looked up again first: a target created since the batch was
        checked takes its dependents back, and rows whose key changed since they were
        read are left alone, so a repair never breaks a row that has become valid.
        """
        missing = missing - self.existing(missing)
        if not missing:
            return 0
        field = self.field
        # Only rows still holding a missing key: for a list, the ``in`` lookup is a
        # containment test ("holds any of").
        queryset = (
            self.source_queryset()
            .filter(pk__in=pks)
            .filter(**{f"{field.attname}__in": _sorted(missing)})
        )
        if self.dry_run:
            with database_errors(self.source_alias, f"reading {self.finding.relation}"):
                return queryset.count()
        return _REPAIRS[repair](self, queryset, missing)

    def _delete(self, queryset, missing: set) -> int:
        # QuerySet.delete(), so the orphans' own dependents follow their on_delete,
        # in every database, the way deletion.py carries it out (its own transactions).
        _, counts = queryset.delete()
        return counts.get(self.field.model._meta.label, 0)

    def _update(self, queryset, value: Any) -> int:
        with transaction.atomic(using=self.source_alias):
            return queryset.update(**{self.field.attname: value})

    def _null(self, queryset, missing: set) -> int:
        return self._update(queryset, None)

    def _default(self, queryset, missing: set) -> int:
        field = self.field
        value = field.get_default()
        if value is not None and not self.existing({field.to_python(value)}):
            raise ScanError(
                f"{self.finding.relation}: the default {value!r} does not exist in database "
                f"{self.target_alias!r}; --fix=default would leave the rows dangling."
            )
        return self._update(queryset, value)

    def _pull(self, queryset, missing: set) -> int:
        with transaction.atomic(using=self.source_alias):
            return self.field.pull_keys(queryset, missing)


class GenericScan(RelationScan):
    """Scans a generic key: a row is an orphan when its pair names no row, or a type
    the field no longer allows (its sample key then says so). Each batch costs one
    ``IN`` query per type, in that type's database (the field's ``existing_pairs``)."""

    def __init__(self, field, *, batch_size=None, fix=None, dry_run=False) -> None:
        self.field = field
        self.batch_size = batch_size or weakrel_settings.CHECK_BATCH_SIZE
        self.repair = resolve_fix(field, fix) if fix else None
        self.source_alias = db_for_read(field.model)
        aliases = sorted({db_for_read(target.related_model) for target in field.targets})
        self.finding = RelationFinding(
            field, self.source_alias, ", ".join(aliases), fix=self.repair, dry_run=dry_run
        )
        self.dry_run = dry_run

    def columns(self) -> list[str]:
        return [self.field.type_attname, self.field.id_attname]

    def existing(self, keys: set) -> set:
        with database_errors(self.finding.target_alias, f"checking {self.finding.relation}"):
            return self.field.existing_pairs(keys)

    def apply(self, repair: str, pks: list, missing: set) -> int:
        missing = missing - self.existing(missing)
        if not missing:
            return 0
        queryset = self.source_queryset().filter(pk__in=pks)
        rows = queryset.values_list("pk", *self.columns())
        held = [pk for pk, *pair in rows if set(self.field.scan_keys(tuple(pair))) & missing]
        queryset = self.source_queryset().filter(pk__in=held)
        if self.dry_run:
            return len(held)
        return _REPAIRS[repair](self, queryset, missing)

    def _update(self, queryset, value: Any) -> int:
        with transaction.atomic(using=self.source_alias):
            return queryset.update(**dict.fromkeys(self.columns(), value))


def scan_class(field) -> type[RelationScan]:
    return GenericScan if is_generic_key(field) else RelationScan


_REPAIRS: dict[str, Callable[[RelationScan, Any, set], int]] = {
    "delete": RelationScan._delete,
    "null": RelationScan._null,
    "default": RelationScan._default,
    "pull": RelationScan._pull,
}


def _sorted(keys: set) -> list:
    try:
        return sorted(keys)
    except TypeError:
        return sorted(keys, key=str)


def _exact_comparison(alias: str, keys: set) -> bool:
    """Whether the target database compares these keys exactly as Python does.

    MySQL and MariaDB compare strings through the column's collation (usually case-
    and accent-insensitive, trailing spaces ignored).
    """
    from django.db import connections

    if connections[alias].vendor != "mysql":
        return True
    return not any(isinstance(key, str) for key in keys)


def scan(
    *labels: str,
    batch_size: int | None = None,
    fix: str | None = None,
    dry_run: bool = False,
) -> ScanReport:
    """Scan the weak relations ``labels`` name (all by default); repair with ``fix``.

    ``weakrel_check`` without its output: raises :class:`ScanError` where the command
    exits with status 2, and returns the :class:`ScanReport` it prints.
    """
    started = time.monotonic()
    fields = weak_relations(*labels)
    scans = [scan_class(f)(f, batch_size=batch_size, fix=fix, dry_run=dry_run) for f in fields]
    findings = [relation_scan.run() for relation_scan in scans]
    # A full scan (no relation named) also reports the journals' pending work.
    cascades = [] if labels else pending_cascades()
    return ScanReport(findings, time.monotonic() - started, cascades)
