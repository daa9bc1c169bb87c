"""The import path migrations name for ``WeakReferencesMany``.

The field lives in :mod:`weakrel.relations.references`.
"""

from weakrel.relations.references import WeakReferencesMany

__all__ = ["WeakReferencesMany"]
