"""Relation endpoints: ``/customers/{pk}/orders/`` and ``/physicians/{pk}/patients/``.

LoopBack's constrained repositories over HTTP. A :class:`RelationViewSetMixin` view
works on the rows of one parent's relation: listing reads the related manager,
creating sets the key from the URL (a key in the body is ignored), and for
many-to-many relations ``POST``/``DELETE`` on a detail URL link and unlink an existing
row. :class:`RelationRouter` registers such a view under its parent's URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter, Route

from weakrel import routing
from weakrel.relations.foreign_key import WeakForeignKey
from weakrel.rest_framework.exceptions import conflict_from

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.viewsets import ModelViewSet

    # What the mixin is put before: a type checker sees the viewset's API through it.
    _ViewSetBase = ModelViewSet[Any]
else:
    _ViewSetBase = object

__all__ = ["RelationRouter", "RelationViewSetMixin"]


def _key_or_404(model: type[models.Model], value: str, field_name: str = "pk") -> Any:
    """``value`` converted for ``model.<field_name>``; a malformed key names no row."""
    # A column of the model, never a reverse relation: URLs name rows by their keys.
    field = cast(
        "models.Field[Any, Any]",
        model._meta.pk if field_name == "pk" else model._meta.get_field(field_name),
    )
    try:
        key = field.to_python(value)
        field.run_validators(key)
    except (ValidationError, TypeError, ValueError):
        raise Http404 from None
    if key is None:
        raise Http404
    return key


class RelationViewSetMixin(_ViewSetBase):
    """Scope a viewset to ``<parent>.<relation>``.

    Set ``parent_queryset`` (the parents the caller may reach) and ``relation`` (the
    accessor on the parent: ``"orders"``). Put it before the viewset class, with
    ``IncludeViewSetMixin`` if you want ``?include=`` too.
    """

    parent_queryset: models.QuerySet | None = None
    relation: str = ""
    #: URL keyword that holds the parent's key.
    parent_lookup_kwarg: str = "parent_pk"
    #: Values for the through model's other fields when a many-to-many link is written.
    through_defaults: dict[str, Any] | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        self.get_parent()  # 404 before anything else when the parent does not exist

    def handle_exception(self, exc: Exception) -> Response:
        """``ProtectedError``/``RestrictedError``: a 409 naming the relation, not a 500."""
        return super().handle_exception(conflict_from(exc) or exc)

    def get_parent_queryset(self) -> models.QuerySet:
        assert self.parent_queryset is not None, (
            f"{self.__class__.__name__} should set `parent_queryset` or override "
            "`get_parent_queryset()`."
        )
        return self.parent_queryset.all()

    def get_parent(self) -> models.Model:
        """The parent named in the URL, or 404."""
        if not hasattr(self, "_parent"):
            queryset = self.get_parent_queryset()
            value = self.kwargs[self.parent_lookup_kwarg]
            self._parent = get_object_or_404(queryset, pk=_key_or_404(queryset.model, value))
        return self._parent

    def get_related_manager(self) -> Any:
        return getattr(self.get_parent(), self.relation)

    def get_through_defaults(self) -> dict[str, Any]:
        """``through_defaults`` for ``add()``: callables are called per request."""
        return dict(self.through_defaults or {})

    @property
    def relation_key_field(self) -> models.Field | None:
        """The dependent's key column when the relation is one-to-many, else ``None``."""
        descriptor = getattr(self.get_parent_queryset().model, self.relation)
        field = getattr(descriptor, "field", None)
        if isinstance(field, (WeakForeignKey, models.ForeignKey)) and not isinstance(
            descriptor, models.fields.related_descriptors.ManyToManyDescriptor
        ):
            return field
        return None

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):  # schema generation: no parent
            return queryset
        # ``queryset`` first: its prefetches and ordering survive the combination.
        return queryset & self.get_related_manager().all()

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        key_field = self.relation_key_field
        fields = getattr(serializer, "fields", None)
        if key_field is not None and fields is not None and key_field.attname in fields:
            # The key comes from the URL; the body cannot move the row elsewhere.
            fields[key_field.attname].read_only = True
        return serializer

    def perform_create(self, serializer: Any) -> None:
        key_field = self.relation_key_field
        parent = self.get_parent()
        if key_field is not None:
            serializer.save(**{key_field.attname: key_field.target_field.value_from_object(parent)})
        else:
            # The row and its link, in two databases: both or neither.
            model = self.get_related_manager().model
            aliases = {routing.db_for_write(model), self._link_db()}
            with ExitStack() as stack:
                for alias in sorted(aliases):
                    stack.enter_context(transaction.atomic(using=alias))
                instance = serializer.save()
                self._add(instance)

    def _link_db(self) -> str:
        manager = self.get_related_manager()
        through = getattr(manager, "through", None)
        return routing.db_for_write(through or type(self.get_parent()))

    def _add_kwargs(self, manager) -> dict[str, Any]:
        if getattr(manager, "through", None) is not None:
            return {"through_defaults": self.get_through_defaults()}
        return {}

    def _add(self, target: models.Model) -> None:
        manager = self.get_related_manager()
        manager.add(target, **self._add_kwargs(manager))

    def _link(self, target: models.Model) -> bool:
        """Link ``target``; whether this call stored the link (False: it was there).

        A weak manager's ``_added()`` is its ``add()`` telling how many links it
        stored: of several requests linking the same row at once, one stores it. A
        native manager is asked first whether the link exists.
        """
        manager = self.get_related_manager()
        added = getattr(manager, "_added", None)
        if added is not None:
            return added([target], **self._add_kwargs(manager)) > 0
        if manager.filter(pk=target.pk).exists():
            return False
        self._add(target)
        return True

    # -- many-to-many: link and unlink existing rows -------------------------------

    def get_target(self) -> models.Model:
        manager = self.get_related_manager()
        lookup = self.lookup_url_kwarg or self.lookup_field
        model = manager.model
        key = _key_or_404(model, self.kwargs[lookup], self.lookup_field)
        return get_object_or_404(model._default_manager.all(), **{self.lookup_field: key})

    def link(self, request, *args: Any, **kwargs: Any) -> Response:
        """``POST <parent>/<relation>/<pk>/``: add an existing row to the relation.

        201 when this request stored the link, 200 when it was stored already (by
        an earlier request, or by one running at the same time): nothing is written.
        """
        if self.relation_key_field is not None:
            self.get_parent()
            raise MethodNotAllowed(request.method)
        target = self.get_target()
        created = self._link(target)
        serializer = super().get_serializer(target)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(serializer.data, status=code)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """``DELETE <parent>/<relation>/<pk>/``: a dependent row is deleted; a row
        linked many-to-many is only unlinked."""
        if self.relation_key_field is not None:
            return super().destroy(request, *args, **kwargs)
        instance = self.get_object()
        self.get_related_manager().remove(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RelationRouter(DefaultRouter):
    """``DefaultRouter`` with :meth:`register_relation` and link/unlink routes.

    ::

        router.register_relation("customers", "orders", CustomerOrderViewSet)
        router.register_relation("physicians", "patients", PhysicianPatientViewSet)

    A detail ``POST`` maps to the view's ``link`` (when it has one).
    """

    routes = [
        route._replace(
            mapping={
                "get": "retrieve",
                "post": "link",
                "put": "update",
                "patch": "partial_update",
                "delete": "destroy",
            }
        )
        if isinstance(route, Route) and route.name == "{basename}-detail"
        else route
        for route in DefaultRouter.routes
    ]

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        """Any key up to the slash (DRF's stops at a dot), unless the view sets
        ``lookup_value_regex``: a key that cannot be one is the view's 404, a JSON
        body, not the URL resolver's page. ``.json`` suffixes still work."""
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset = type(viewset.__name__, (viewset,), {"lookup_value_regex": "[^/]+"})
        return super().get_lookup_regex(viewset, lookup_prefix)

    def get_method_map(self, viewset: Any, method_map: Mapping[str, str]) -> dict[str, str]:
        """DRF's, without ``link`` where the relation is one-to-many: its rows are
        created under the parent, never linked (a ``POST`` there is not routed)."""
        mapping = super().get_method_map(viewset, method_map)
        if mapping.get("post") == "link" and _links_by_key(viewset):
            del mapping["post"]
        return mapping

    def register_relation(
        self,
        parent_prefix: str,
        relation: str,
        viewset: type[Any],
        basename: str | None = None,
        parent_lookup_kwarg: str | None = None,
    ) -> None:
        kwarg = parent_lookup_kwarg or getattr(viewset, "parent_lookup_kwarg", "parent_pk")
        # Any key up to the slash: one that cannot be a key is a 404 from the view (a
        # JSON body), not from the URL resolver.
        prefix = f"{parent_prefix}/(?P<{kwarg}>[^/]+)/{relation}"
        if basename is None:
            basename = f"{parent_prefix.replace('/', '-')}-{relation}"
        self.register(prefix, viewset, basename=basename)


def _links_by_key(viewset: type[Any]) -> bool:
    """Whether ``viewset`` serves a relation whose rows hold the parent's key."""
    try:
        return viewset().relation_key_field is not None
    except Exception:  # noqa: BLE001 - get_parent_queryset() decides per request
        return False
