"""drf-spectacular support: document ``?include=`` with the paths each view accepts.

Use it as the schema class (it is spectacular's ``AutoSchema`` plus the parameter)::

    REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "weakrel.rest_framework.schema.IncludeAutoSchema"}

This module imports drf-spectacular; nothing else in weakrel does.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from weakrel.rest_framework.include import all_include_paths
from weakrel.rest_framework.viewsets import IncludeViewSetMixin, seeing_through

__all__ = ["IncludeAutoSchema", "WeakKeyFieldExtension", "include_parameter"]


def include_parameter(view: IncludeViewSetMixin) -> OpenApiParameter | None:
    """The ``include`` parameter of ``view``, or ``None`` when nothing can be included."""
    paths = all_include_paths(view.get_serializer_class())
    if not paths:
        return None
    return OpenApiParameter(
        view.include_param,
        str,
        location=OpenApiParameter.QUERY,
        many=True,
        style="form",
        explode=False,
        enum=paths,
        description=(
            "Related objects to embed, comma-separated; nested with dots "
            f"(`{paths[-1]}`). Allowed: {', '.join(paths)}."
        ),
    )


class IncludeAutoSchema(AutoSchema):
    """``AutoSchema`` that adds ``include`` to every operation of an include view, and
    filters its parameters through the backends the view filters with."""

    def get_filter_backends(self):
        backends = super().get_filter_backends()
        if isinstance(self.view, IncludeViewSetMixin):
            # As the view filters: the stock DjangoFilterBackend follows weak relations.
            return [seeing_through(backend) for backend in backends]
        return backends

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, IncludeViewSetMixin):
            parameter = include_parameter(self.view)
            if parameter is not None:
                parameters.append(parameter)
        return parameters


class WeakKeyFieldExtension(OpenApiSerializerFieldExtension):
    """Types a weak key like the target key it names: integer, uuid, string.

    Lists of keys (``tags_ids``, ``patients_ids``) are arrays of the same type.
    """

    target_class = "weakrel.rest_framework.fields.WeakKeyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_model_field(self.target.target_field, direction)
        # The target's own key may be read-only (an AutoField); a key naming it is not.
        schema.pop("readOnly", None)
        return schema
