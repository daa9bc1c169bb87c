"""Django REST framework integration: ``?include=``, weak key fields, relation
endpoints, django-filter support and an OpenAPI schema.

Import it only where DRF is installed; weakrel's core never imports DRF.
"""

from weakrel.rest_framework.fields import WeakKeyField, WeakKeyListField, WeakLinkListField
from weakrel.rest_framework.serializers import IncludeListSerializer, IncludeModelSerializer
from weakrel.rest_framework.viewsets import IncludeViewSetMixin

__all__ = [
    "IncludeListSerializer",
    "IncludeModelSerializer",
    "IncludeViewSetMixin",
    "WeakKeyField",
    "WeakKeyListField",
    "WeakLinkListField",
]
