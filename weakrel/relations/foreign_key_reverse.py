"""The target's side of a weak key: :class:`ReverseWeakRelation`, a private field
(after Django's ``reverse_related``).

``Customer.objects.filter(orders__total__gt=1)`` resolves through it (answered in
Order's database, then filtered on the key), as do ``filter(orders=order)``,
``orders__in`` and ``orders__isnull``; it is the relation Django's deletion
``Collector`` meets on the target.
"""

from __future__ import annotations

from functools import partial

from weakrel import lookups
from weakrel.base import WeakRelationField
from weakrel.reverse import ReverseSide


class ReverseWeakRelation(ReverseSide):
    """The target's side of a weak key, added as a private field.

    It makes ``Customer.objects.filter(orders__total__gt=1)`` resolvable (the path is
    answered in Order's database, then filtered on the key) and it is the relation
    Django's deletion ``Collector`` finds on the target: its ``field.remote_field``
    carries weakrel's ``on_delete`` hook, which takes over the cross-database work.
    """

    def __init__(self, field: WeakRelationField) -> None:
        super().__init__(field)
        # HasOne caches its row on the target: refresh_from_db() forgets the caches of
        # the private fields that are relations. (Django then checks a model instance
        # filtered by it against the target: filter(profile=None) and keys only.)
        self.is_relation = field.one_to_one_relation

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return lookups.reverse_isnull
        if lookup_name in ("exact", "in"):
            return partial(lookups.reverse_related, lookup_name=lookup_name)
        return None

    def path(self, name: str):
        return lookups.reverse_path(name)
