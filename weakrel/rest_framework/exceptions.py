"""A delete that ``PROTECT`` or ``RESTRICT`` refuses is a 409 Conflict, not a 500.

Django's (and weakrel's cross-database) collector raises ``ProtectedError`` or
``RestrictedError`` before it deletes anything. :func:`conflict_from` turns either
into :class:`DeleteConflict`, whose body names the relations that refused and a
sample of the keys of the rows that hold on::

    {"detail": "Cannot delete Product 1: rows refer to it through protected
                relations: OrderLine.product.",
     "code": "protected", "relations": ["OrderLine.product"],
     "objects": {"shop.orderline": {"count": 3, "sample": [1, 2, 3]}}}

``IncludeViewSetMixin`` and ``RelationViewSetMixin`` do it for their views; for the
whole API set ``REST_FRAMEWORK["EXCEPTION_HANDLER"]`` to :func:`exception_handler`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

__all__ = ["DeleteConflict", "conflict_from", "exception_handler"]

#: Keys shown per model in a conflict's body.
SAMPLE_SIZE = 10

_LABELS = re.compile(r"'([\w.]+)'")


class DeleteConflict(APIException):
    """409: the rows to delete are still referred to through ``PROTECT``/``RESTRICT``."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "protected"

    def __init__(self, detail: dict[str, Any]) -> None:
        super().__init__()
        self.detail = detail


def conflict_from(exc: BaseException, instance: Any = None) -> DeleteConflict | None:
    """The 409 for a ``ProtectedError``/``RestrictedError``; ``None`` for any other."""
    if isinstance(exc, ProtectedError):
        objects, code = exc.protected_objects, "protected"
    elif isinstance(exc, RestrictedError):
        objects, code = exc.restricted_objects, "restricted"
    else:
        return None
    message = str(exc.args[0]) if exc.args else ""
    relations = _LABELS.findall(message.rpartition("foreign keys:")[2])
    by_model: dict[str, list[Any]] = defaultdict(list)
    for obj in objects:
        by_model[obj._meta.label_lower].append(obj.pk)
    detail = {
        "detail": (
            f"Cannot delete: rows refer to it through {code} relations: "
            f"{', '.join(relations) or ', '.join(sorted(by_model))}."
        ),
        "code": code,
        "relations": relations,
        "objects": {
            label: {"count": len(keys), "sample": _sorted(keys)[:SAMPLE_SIZE]}
            for label, keys in sorted(by_model.items())
        },
    }
    return DeleteConflict(detail)


def _sorted(keys: list[Any]) -> list[Any]:
    try:
        return sorted(keys)
    except TypeError:  # keys of different types: in their text's order
        return sorted(keys, key=str)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, with refused deletes as 409 (set it as
    ``REST_FRAMEWORK["EXCEPTION_HANDLER"]``)."""
    return drf_exception_handler(conflict_from(exc) or exc, context)
