"""The import path migrations name for ``WeakManyToManyField``.

The field lives in :mod:`weakrel.relations.many_to_many`.
"""

from weakrel.relations.many_to_many import WeakManyToManyField

__all__ = ["WeakManyToManyField"]
