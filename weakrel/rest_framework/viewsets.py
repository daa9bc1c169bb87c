"""``IncludeViewSetMixin``: ``?include=`` on a DRF generic view or viewset.

The parameter is parsed and validated in ``initial()`` (after authentication and
permissions, before any query), turned into ``Prefetch`` objects on the view's
queryset, and handed to the serializer through its context. ``filter_queryset()``
lets django-filter's stock ``DjangoFilterBackend`` follow weak relations
(``filters.seeing_through()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from rest_framework.permissions import SAFE_METHODS

from weakrel.rest_framework.exceptions import conflict_from
from weakrel.rest_framework.include import IncludeTree, build_prefetches
from weakrel.rest_framework.include_params import parse_include_params

if TYPE_CHECKING:
    from rest_framework.generics import GenericAPIView
    from rest_framework.request import Request
    from rest_framework.response import Response

    # What the mixin is put before: a type checker sees the view's API through it.
    _ViewBase = GenericAPIView[Any]
else:
    _ViewBase = object

__all__ = ["IncludeViewSetMixin"]


class IncludeViewSetMixin(_ViewBase):
    """Put before the viewset class: ``class V(IncludeViewSetMixin, ModelViewSet)``."""

    #: Query parameter that names the relations to embed.
    include_param: str = "include"
    #: Query parameters of sparse fieldsets (``fields=id,orders.total``, ``omit=email``).
    fields_param: str = "fields"
    omit_param: str = "omit"
    #: Query parameter that names the relations to count (``count=orders``).
    count_param: str = "count"

    include_tree: IncludeTree | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.include_tree = self.parse_include(request)

    def parse_include(self, request: Request) -> IncludeTree:
        """``include``, the scopes of its paths, ``count``, ``fields`` and ``omit``,
        validated (a 400 names what is wrong) before any query."""
        return parse_include_params(
            request.query_params, self.get_serializer_class(), names=self.include_params()
        )

    def include_params(self) -> type[Any]:
        """The names of the parameters read (see ``include_params.IncludeParams``)."""
        return type(
            "Params",
            (),
            {
                "include": self.include_param,
                "fields": self.fields_param,
                "omit": self.omit_param,
                "count": self.count_param,
            },
        )

    def handle_exception(self, exc: Exception) -> Response:
        """``ProtectedError``/``RestrictedError``: a 409 naming the relation, not a 500."""
        return super().handle_exception(conflict_from(exc) or exc)

    def get_include_tree(self) -> IncludeTree:
        if self.include_tree is None:
            # Called outside a request cycle (schema generation, browsable API forms).
            self.include_tree = IncludeTree()
        return self.include_tree

    def get_include_queryset(self, path: str, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The rows that may be embedded at ``path`` (``"lines.product"``).

        Override to scope included rows the way ``get_queryset`` scopes the view's own:
        a row this returns no queryset for is never embedded.
        """
        return queryset

    def get_include_prefetches(self) -> list[Prefetch]:
        return build_prefetches(self.get_include_tree(), self.get_include_queryset)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """``GenericAPIView.filter_queryset()``, with django-filter's stock backend
        made to follow weak relations (``filterset_fields = ["customer__name"]``)."""
        self.filter_backends = [seeing_through(backend) for backend in self.filter_backends]
        queryset = super().filter_queryset(queryset)
        columns = self.get_include_tree().columns if self.include_tree is not None else None
        if columns is not None and self.request.method in SAFE_METHODS:
            queryset = queryset.only(*columns)  # ?fields=: what is rendered and the links
        return queryset

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset()
        request = getattr(self, "request", None)
        if request is not None and request.method not in SAFE_METHODS:
            # A write renders its response from rows read after it (the serializer
            # prefetches then): what was included before the write is never shown.
            return queryset
        prefetches = self.get_include_prefetches()
        if prefetches:
            queryset = queryset.prefetch_related(*prefetches)
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["include"] = self.get_include_tree()
        context["include_queryset"] = self.get_include_queryset
        return context


def seeing_through(backend: type[Any]) -> type[Any]:
    """``backend``, made to follow weak relations if it is django-filter's
    (``filters.seeing_through()``)."""
    try:
        from weakrel.rest_framework import filters
    except ImportError:  # django-filter is optional: then no backend of it is in use
        return backend
    return filters.seeing_through(backend)
