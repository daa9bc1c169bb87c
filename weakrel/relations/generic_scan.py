"""``weakrel_check`` over a ``WeakGenericForeignKey`` (``weakrel.scanner.GenericScan``
reads the rows; these say which pairs name nothing).

A row's pair is scanned as one string, ``"blog.article:7"``; a type the field no
longer allows is scanned as ``"shop.customer:7 (type not allowed)"``, so the report's
sample says why such a row is an orphan.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from weakrel.keys import sorted_keys
from weakrel.routing import db_for_read, filter_in

NOT_ALLOWED = " (type not allowed)"


def scan_keys(generic, value: tuple[Any, Any]) -> list[str]:
    """The pair one row holds, as the string the scan looks up."""
    label, stored = value
    if label in (None, "") or stored in (None, ""):
        return []
    allowed = any(target.label == label for target in generic.targets)
    return [f"{label}:{stored}{'' if allowed else NOT_ALLOWED}"]


def existing_pairs(generic, pairs: set[str]) -> set[str]:
    """The pairs among ``pairs`` that name a row: one ``IN`` query per type, in the
    database that type is read from."""
    wanted: dict[Any, dict[Any, list[str]]] = defaultdict(lambda: defaultdict(list))
    for pair in pairs:
        if pair.endswith(NOT_ALLOWED):
            continue
        label, _sep, stored = pair.partition(":")
        target = generic.target_for_label(label)
        key = target.key_from_stored(stored, strict=False)
        if key is not None:
            wanted[target][key].append(pair)
    found: set[str] = set()
    for target, by_key in wanted.items():
        model = target.related_model
        attname = target.key_field.attname
        rows = model._base_manager.using(db_for_read(model)).values_list(attname, flat=True)
        for key in filter_in(rows.order_by(), attname, sorted_keys(by_key)):
            found.update(by_key.get(key, ()))
    return found
