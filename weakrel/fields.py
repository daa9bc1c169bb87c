"""The import path migrations name for ``WeakForeignKey`` and ``WeakOneToOneField``.

``makemigrations`` writes ``weakrel.fields.WeakForeignKey`` into migration files, so
this path stays importable; the fields live in :mod:`weakrel.relations.foreign_key`.
"""

from weakrel.relations.foreign_key import WeakForeignKey, WeakOneToOneField

__all__ = ["WeakForeignKey", "WeakOneToOneField"]
