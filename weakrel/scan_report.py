"""What a scan of the weak relations found: :class:`ScanReport`, the report
``weakrel.scan()`` returns and ``weakrel_check`` prints, made of one
:class:`RelationFinding` per relation (``scanner.py`` fills them in), and the cascade
journal's pending entries a full scan reports with them.

``as_dict()`` gives the document ``weakrel_check --format=json`` prints.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.core.exceptions import FieldDoesNotExist

from weakrel import journal
from weakrel.background import CASCADE_LATER


def relation_label(field) -> str:
    return f"{field.model._meta.label}.{field.name}"


@dataclass
class RelationFinding:
    """The result of scanning one weak relation."""

    field: Any
    source_alias: str
    target_alias: str
    scanned: int = 0
    orphans: int = 0
    sample: list = dataclass_field(default_factory=list)
    fix: str | None = None
    repaired: int = 0
    dry_run: bool = False

    @property
    def relation(self) -> str:
        return relation_label(self.field)

    @property
    def remaining(self) -> int:
        """Orphans left as they were: all of them without a repair or with ``dry_run``."""
        if self.fix is None or self.dry_run:
            return self.orphans
        return max(self.orphans - self.repaired, 0)

    def as_dict(self) -> dict[str, Any]:
        """This relation's entry in ``weakrel_check --format=json`` (``relations``)."""
        return {
            "relation": self.relation,
            "database": self.source_alias,
            "target_database": self.target_alias,
            "scanned": self.scanned,
            "orphans": self.orphans,
            "sample": [k if isinstance(k, int | str) else str(k) for k in self.sample],
            "fix": self.fix,
            "repaired": self.repaired,
            "remaining": self.remaining,
            "dry_run": self.dry_run,
        }


@dataclass
class ScanReport:
    """What ``weakrel_check`` reports: a :class:`RelationFinding` per relation, in
    scan order, and the totals. Iterating it yields the findings."""

    findings: list[RelationFinding]
    seconds: float = 0.0
    #: ``(journal alias, PendingCascade)`` of the deletes a crash or an error left
    #: half-done (a full scan only): ``weakrel_check --resume`` finishes them.
    pending_cascades: list[tuple[str, Any]] = dataclass_field(default_factory=list)

    def __iter__(self) -> Iterator[RelationFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def scanned(self) -> int:
        return sum(f.scanned for f in self.findings)

    @property
    def orphans(self) -> int:
        return sum(f.orphans for f in self.findings)

    @property
    def repaired(self) -> int:
        return sum(f.repaired for f in self.findings if not f.dry_run)

    @property
    def remaining(self) -> int:
        return sum(f.remaining for f in self.findings)

    @property
    def exit_status(self) -> int:
        """``weakrel_check``'s status: 0 when no orphan and no pending cascade is left."""
        return 1 if self.remaining or self.pending_cascades else 0

    def as_dict(self) -> dict[str, Any]:
        """The document ``weakrel_check --format=json`` prints."""
        return {
            "relations": [f.as_dict() for f in self.findings],
            "scanned": self.scanned,
            "orphans": self.orphans,
            "repaired": self.repaired,
            "remaining": self.remaining,
            "pending_cascades": [
                cascade_dict(alias, entry) for alias, entry in self.pending_cascades
            ],
            "seconds": round(self.seconds, 3),
        }


def pending_cascades() -> list[tuple[str, Any]]:
    """Every pending cascade journal entry, with the alias of the journal it is in."""
    return [
        (alias, entry) for alias in journal.journal_aliases() for entry in journal.pending(alias)
    ]


def in_background(entry: Any) -> bool:
    """Whether the entry is the work of a CASCADE_LATER task (queued, running, or
    left by a worker that stopped) rather than of a delete that did not finish."""
    try:
        return journal.relation_field(entry.relation).on_delete is CASCADE_LATER
    except (LookupError, FieldDoesNotExist, ValueError):
        return False


def cascade_dict(alias: str, entry: Any) -> dict[str, Any]:
    """A pending cascade in ``weakrel_check --format=json`` (``pending_cascades``)."""
    return {
        "journal": alias,
        "id": entry.pk,
        "relation": entry.relation,
        "using": entry.using,
        "keys": len(entry.keys),
        "created": entry.created.isoformat(),
        "last_error": entry.last_error,
        "background": in_background(entry),
    }
