"""Errors weakrel raises where Django's own would not fit."""

from typing import Any

from django.db import IntegrityError, OperationalError


class DanglingReferenceError(IntegrityError):
    """A weak key names a row that does not exist in the target's database.

    A subclass of :class:`django.db.IntegrityError`, so code that already handles a
    broken foreign key constraint handles a broken weak reference the same way.
    """

    def __init__(
        self,
        message: str,
        *,
        model: Any = None,
        field: Any = None,
        value: Any = None,
        database: str | None = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.field = field
        self.value = value
        self.database = database


class RelatedDatabaseError(OperationalError):
    """A weak relation could not be followed because its database failed.

    Raised from the original database error (``__cause__``) so that the alias that is
    down is named in the message, not hidden in a driver traceback. A subclass of
    :class:`django.db.OperationalError`, so existing handlers still catch it.
    """

    def __init__(self, message: str, *, alias: str | None = None) -> None:
        super().__init__(message)
        self.alias = alias
