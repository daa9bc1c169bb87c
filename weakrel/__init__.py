"""weakrel: relations between Django models that live in different databases.

Public API::

    import weakrel

    class Order(models.Model):
        customer = weakrel.WeakForeignKey(Customer, on_delete=weakrel.CASCADE)
"""

from django.db.models import CASCADE, DO_NOTHING, PROTECT, RESTRICT, SET_DEFAULT, SET_NULL

from weakrel.background import CASCADE_LATER
from weakrel.deletion import PULL
from weakrel.enforcement import check_references
from weakrel.exceptions import DanglingReferenceError, RelatedDatabaseError
from weakrel.query import WeakManager, WeakQuerySet
from weakrel.relations.foreign_key import WeakForeignKey, WeakOneToOneField
from weakrel.relations.generic import WeakGenericForeignKey
from weakrel.relations.generic_has_one import WeakGenericHasOne
from weakrel.relations.many_to_many import WeakManyToManyField
from weakrel.relations.references import WeakReferencesMany
from weakrel.scan_report import RelationFinding, ScanReport
from weakrel.scanner import ScanError, scan

__version__ = "0.1.0"

__all__ = [
    "CASCADE",
    "CASCADE_LATER",
    "DO_NOTHING",
    "PROTECT",
    "PULL",
    "RESTRICT",
    "SET_DEFAULT",
    "SET_NULL",
    "DanglingReferenceError",
    "RelatedDatabaseError",
    "RelationFinding",
    "ScanError",
    "ScanReport",
    "WeakForeignKey",
    "WeakGenericForeignKey",
    "WeakGenericHasOne",
    "WeakManager",
    "WeakManyToManyField",
    "WeakOneToOneField",
    "WeakQuerySet",
    "WeakReferencesMany",
    "check_references",
    "scan",
]
