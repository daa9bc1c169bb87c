"""Django admin integration for weak relations.

::

    from weakrel.admin import WeakModelAdmin, WeakTabularInline

    class OrderInline(WeakTabularInline):    # Order.customer is a weak key
        model = Order

    @admin.register(Customer)
    class CustomerAdmin(WeakModelAdmin):
        inlines = [OrderInline]

    @admin.register(Order)
    class OrderAdmin(WeakModelAdmin):
        list_display = ["id", "customer"]   # a link to the customer
        list_filter = ["customer", "customer__country"]
        search_fields = ["customer__name"]

    @admin.register(Comment)
    class CommentAdmin(WeakModelAdmin):     # Comment.target: an article or a product
        list_display = ["id", "text", "target"]   # a link to either
"""

from weakrel.admin.changelist import (
    WeakAllValuesFieldListFilter,
    WeakChangeList,
    WeakKeyColumn,
    WeakRelatedFieldListFilter,
)
from weakrel.admin.forms import WeakKeyField
from weakrel.admin.generic import GenericKeyColumn, GenericKeyWidget, GenericPairFormMixin
from weakrel.admin.inlines import WeakInlineFormSet, WeakStackedInline, WeakTabularInline
from weakrel.admin.journal import PendingCascadeAdmin
from weakrel.admin.options import (
    WeakModelAdmin,
    WeakRelationAdminMixin,
    WeakRelationFormMixin,
    weak_deleted_objects,
)
from weakrel.admin.references import WeakReferencesInlineFormSet
from weakrel.admin.widgets import WeakRawIdWidget

__all__ = [
    "GenericKeyColumn",
    "GenericKeyWidget",
    "GenericPairFormMixin",
    "PendingCascadeAdmin",
    "WeakAllValuesFieldListFilter",
    "WeakChangeList",
    "WeakInlineFormSet",
    "WeakKeyColumn",
    "WeakKeyField",
    "WeakModelAdmin",
    "WeakRelatedFieldListFilter",
    "WeakRawIdWidget",
    "WeakReferencesInlineFormSet",
    "WeakRelationAdminMixin",
    "WeakRelationFormMixin",
    "WeakStackedInline",
    "WeakTabularInline",
    "weak_deleted_objects",
]
