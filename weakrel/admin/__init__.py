"""Django admin integration for weak relations.

::

    from weakrel.admin import WeakModelAdmin

    @admin.register(Order)
    class OrderAdmin(WeakModelAdmin):
        list_display = ["id", "customer"]
"""

from weakrel.admin.forms import WeakKeyField
from weakrel.admin.journal import PendingCascadeAdmin
from weakrel.admin.options import (
    WeakChangeList,
    WeakModelAdmin,
    WeakRelationAdminMixin,
    WeakRelationFormMixin,
    WeakStackedInline,
    WeakTabularInline,
    weak_deleted_objects,
)
from weakrel.admin.widgets import WeakRawIdWidget

__all__ = [
    "PendingCascadeAdmin",
    "WeakChangeList",
    "WeakKeyField",
    "WeakModelAdmin",
    "WeakRawIdWidget",
    "WeakRelationAdminMixin",
    "WeakRelationFormMixin",
    "WeakStackedInline",
    "WeakTabularInline",
    "weak_deleted_objects",
]
