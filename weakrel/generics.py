"""The type variables and generic bases weak fields and managers are declared with.

A type checker sees a weak field as django-stubs' ``Field[_ST, _GT]`` (``_ST`` what
may be assigned, ``_GT`` what is read: ``order.customer`` is a ``Customer``), and a
weak related manager as ``Manager[_M]`` (``customer.orders.all()`` is a
``QuerySet[Order]``). At run time Django's ``Field`` takes no subscript and each
related manager class is built over the model's own manager class, so both bases
are ``Generic`` there: ``WeakForeignKey[Customer, Customer]`` still evaluates.
"""

from typing import TYPE_CHECKING, Generic, TypeVar

from django.db.models import Model

# What a field accepts on assignment (contravariant) and returns on access (covariant),
# as django-stubs names them.
_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)
# The model a manager reads.
_M = TypeVar("_M", bound=Model)

if TYPE_CHECKING:
    from django.db.models import Field as FieldBase
    from django.db.models import Manager as ManagerBase
else:
    FieldBase = ManagerBase = Generic

__all__ = ["FieldBase", "ManagerBase", "_GT", "_M", "_ST"]
