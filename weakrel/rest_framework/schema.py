"""drf-spectacular support: document ``?include=`` and every parameter of its scopes.

Use it as the schema class (it is spectacular's ``AutoSchema`` plus the parameters)::

    REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "weakrel.rest_framework.schema.IncludeAutoSchema"}

Each operation of an include view documents ``include``, ``fields``, ``omit``,
``count`` and, per included path, ``P.limit``, ``P.ordering`` and ``P.<filter>``
(enums where the values are known), and the errors it answers: 400 for a bad
parameter or body, 404 for a row that is not there, 409 for a refused delete.
Responses of include serializers require no field (``fields`` may leave any
out): set spectacular's ``COMPONENT_SPLIT_REQUEST`` so that request bodies keep
theirs. Relation views name their components apart (the key from the URL is read-only
there, not on the model's own endpoint), and a link documents its 201 and 200 and no
body. This module imports drf-spectacular; nothing else in weakrel does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal, cast

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from weakrel.conf import weakrel_settings
from weakrel.rest_framework import generic_schema  # noqa: F401 (registers its extension)
from weakrel.rest_framework.include import (
    all_include_paths,
    get_includes,
    readable_field_names,
    renders_includes,
)
from weakrel.rest_framework.include_scopes import get_scopes
from weakrel.rest_framework.relations import RelationViewSetMixin
from weakrel.rest_framework.serializers import is_to_many
from weakrel.rest_framework.viewsets import IncludeViewSetMixin, seeing_through

# drf-spectacular's directions.
Direction = Literal["request", "response"]

__all__ = ["IncludeAutoSchema", "WeakKeyFieldExtension", "include_parameter", "scope_parameters"]


def _list_parameter(name: str, enum: list[str], description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        str,
        location=OpenApiParameter.QUERY,
        many=True,
        style="form",
        explode=False,
        enum=enum or None,
        description=description,
    )


def include_parameter(view: IncludeViewSetMixin) -> OpenApiParameter | None:
    """The ``include`` parameter of ``view``, or ``None`` when nothing can be included."""
    paths = all_include_paths(view.get_serializer_class())
    if not paths:
        return None
    return _list_parameter(
        view.include_param,
        paths,
        "Related objects to embed, comma-separated; nested with dots "
        f"(`{paths[-1]}`). Allowed: {', '.join(paths)}.",
    )


def _paths(serializer_class: type[Any]) -> Iterator[tuple[str, type[Any], str, type[Any]]]:
    """(path, serializer that includes it, relation name, its serializer) for every
    path ``include`` accepts."""

    def walk(current: type[Any], prefix: str, depth: int):
        if depth >= weakrel_settings.MAX_INCLUDE_DEPTH:
            return
        for name, target in get_includes(current).items():
            yield f"{prefix}{name}", current, name, target
            yield from walk(target, f"{prefix}{name}.", depth + 1)

    yield from walk(serializer_class, "", 0)


def scope_parameters(view: IncludeViewSetMixin) -> list[OpenApiParameter]:
    """``fields``, ``omit``, ``count`` and each path's ``limit``/``ordering``/filters."""
    serializer_class = view.get_serializer_class()
    parameters: list[OpenApiParameter] = []
    countable: list[str] = []
    fields = readable_field_names(serializer_class)
    for path, parent, name, target in _paths(serializer_class):
        scope, to_many = get_scopes(parent)[name], is_to_many(parent.Meta.model, name)
        fields += [path, *(f"{path}.{field}" for field in readable_field_names(target))]
        if not to_many:
            continue
        if scope.count:
            countable.append(path)
        parameters.append(
            OpenApiParameter(
                f"{path}.limit",
                OpenApiTypes.INT,
                description=f"At most this many `{path}` per parent (1 to {scope.limit_max}).",
            )
        )
        if scope.ordering_fields:
            terms = [t for f in scope.ordering_fields for t in (f, f"-{f}")]
            parameters.append(
                _list_parameter(f"{path}.ordering", terms, f"Order of `{path}` per parent.")
            )
        for filter_name in scope.filter_names():
            parameters.append(
                OpenApiParameter(
                    f"{path}.{filter_name}", str, description=f"Filter the included `{path}`."
                )
            )
    sparse = "comma-separated, nested with dots, for the root and every included path"
    parameters += [
        _list_parameter(view.fields_param, fields, f"Fields to render, {sparse}."),
        _list_parameter(view.omit_param, fields, f"Fields not to render, {sparse}."),
    ]
    if countable:
        parameters.append(
            _list_parameter(
                view.count_param, countable, "Relations to count per row (`<relation>_count`)."
            )
        )
    return parameters


def _error(description: str) -> dict:
    schema = build_basic_type(OpenApiTypes.OBJECT)
    return {"content": {"application/json": {"schema": schema}}, "description": description}


class IncludeAutoSchema(AutoSchema):
    """``AutoSchema`` with the parameters and answers of include and relation views,
    filtering its parameters through the backends the view filters with."""

    def get_filter_backends(self) -> list[Any]:
        backends = super().get_filter_backends()
        if isinstance(self.view, IncludeViewSetMixin):
            # As the view filters: the stock DjangoFilterBackend follows weak relations.
            return [seeing_through(backend) for backend in backends]
        return backends

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, IncludeViewSetMixin):
            parameter = include_parameter(self.view)
            if parameter is not None:
                parameters.append(parameter)
            if self.method != "DELETE":
                parameters += scope_parameters(self.view)
        if isinstance(self.view, RelationViewSetMixin):
            parameters.append(self._parent_parameter())
        return parameters

    def _parent_parameter(self) -> OpenApiParameter:
        view = cast("RelationViewSetMixin", self.view)  # asked for those views only
        model = view.get_parent_queryset().model
        kind = (
            OpenApiTypes.INT
            if model._meta.pk.get_internal_type().endswith("AutoField")
            else OpenApiTypes.STR
        )
        return OpenApiParameter(view.parent_lookup_kwarg, kind, OpenApiParameter.PATH)

    def _is_link(self) -> bool:
        return getattr(self.view, "action", None) == "link"

    def get_request_serializer(self) -> Any:
        if self._is_link():
            return None  # a link names its row in the URL: no body
        return super().get_request_serializer()

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if self._is_link():
            return operation_id.removesuffix("_create") + "_link"
        return operation_id

    def get_serializer_name(self, serializer: Any, direction: Direction) -> str:
        name = super().get_serializer_name(serializer, direction)
        view = self.view
        if (
            isinstance(view, RelationViewSetMixin)
            and type(serializer) is view.get_serializer_class()
            and view.relation_key_field is not None
        ):
            # The key from the URL is read-only here: not the model endpoint's component.
            return f"{view.get_parent_queryset().model.__name__}{name}"
        return name

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and renders_includes(type(serializer)):
            # ?fields= and ?omit= may leave out any field of a response.
            schema.pop("required", None)
        return schema

    def _get_response_bodies(self, direction="response"):
        if self._is_link():
            serializer = self.get_response_serializers()
            return {
                "201": self._get_response_for_code(serializer, "201", direction=direction),
                "200": self._get_response_for_code(serializer, "200", direction=direction),
                "400": _error("A parameter is invalid."),
                "404": _error("No such parent or row."),
            }
        responses = super()._get_response_bodies(direction)
        if isinstance(self.view, IncludeViewSetMixin | RelationViewSetMixin):
            responses.setdefault("400", _error("A parameter or the body is invalid."))
            # No such row, parent or page.
            responses.setdefault("404", _error("Not found."))
            if self.method == "DELETE":
                responses.setdefault("409", _error("Rows refer to it through PROTECT/RESTRICT."))
        return responses


class WeakKeyFieldExtension(OpenApiSerializerFieldExtension):
    """Types a weak key like the target key it names: integer, uuid, string.

    Lists of keys (``tags_ids``, ``patients_ids``) are arrays of the same type.
    """

    target_class = "weakrel.rest_framework.fields.WeakKeyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Direction) -> dict[str, Any]:
        schema = auto_schema._map_model_field(self.target.target_field, direction)
        # The target's own key may be read-only (an AutoField); a key naming it is not.
        schema.pop("readOnly", None)
        return schema
