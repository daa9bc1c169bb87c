"""The related managers' classes, named for annotations.

A type checker sees ``order.customer`` as a ``Customer`` on its own (the weak fields
are generic, see ``weakrel.generics``), but the reverse accessors are added to the
target at run time, so the target declares them, as django-stubs asks for
``RelatedManager[Order]``::

    from __future__ import annotations

    from weakrel.managers import HasManyManager

    class Customer(models.Model):
        orders: HasManyManager[Order]

The classes live with their relation kinds in :mod:`weakrel.relations`.
"""

from weakrel.relations.foreign_key_managers import HasManyManager, NullableHasManyManager
from weakrel.relations.many_to_many_descriptors import ThroughManager
from weakrel.relations.many_to_many_generic_managers import GenericThroughManager
from weakrel.relations.references_descriptors import ReferencesManager, ReverseReferencesManager

__all__ = [
    "GenericThroughManager",
    "HasManyManager",
    "NullableHasManyManager",
    "ReferencesManager",
    "ReverseReferencesManager",
    "ThroughManager",
]
