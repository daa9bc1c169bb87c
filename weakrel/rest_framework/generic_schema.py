"""drf-spectacular: a ``WeakGenericForeignKey``'s ``{"type", "id"}`` pair as ``oneOf``
one object per allowed type, each with its label as the only ``type``.

``schema.py`` imports this module, which registers the extension.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension

__all__ = ["GenericKeyFieldExtension", "pair_schema"]


def pair_schema(generic) -> dict[str, Any]:
    """The schema of the pair of ``generic``: ``oneOf`` one object per type."""
    branches = []
    for target in generic.targets:
        model = target.related_model
        branches.append(
            {
                "type": "object",
                "title": target.label,
                "properties": {
                    "type": {"type": "string", "enum": [target.label]},
                    "id": {
                        "type": "string",
                        "description": (
                            f"The {target.key_field.name} of the {model._meta.verbose_name}."
                        ),
                    },
                },
                "required": ["type", "id"],
            }
        )
    schema: dict[str, Any] = {"oneOf": branches}
    if generic.null:
        schema["nullable"] = True
    return schema


class GenericKeyFieldExtension(OpenApiSerializerFieldExtension):
    """``target`` in ``Meta.fields``: ``oneOf`` per type."""

    target_class = "weakrel.rest_framework.generic.GenericKeyField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return pair_schema(self.target.model_field)
