"""A mypy plugin: django-stubs' plugin, plus the reverse accessors of weak relations.

django-stubs' plugin reads the project's models at check time (it sets Django up with
``django_settings_module``) and adds each ``ForeignKey``'s reverse manager to the
target's type. This plugin does the same for weak relations: ``customer.orders`` is a
``HasManyManager[Order]`` without an annotation on ``Customer``. It replaces
django-stubs' entry in ``plugins``::

    [tool.mypy]
    plugins = ["weakrel.mypy_plugin"]

Each accessor gets the class its descriptor builds managers from
(``RelatedManagerDescriptor.manager_kind``), over the model it reads
(``manager_model``); a reverse one-to-one reads as the source model. An accessor the
target declares itself keeps its declaration. Only imported by mypy.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

from mypy.nodes import MypyFile
from mypy.plugin import ClassDefContext
from mypy.types import Instance
from mypy_django_plugin.django.context import DjangoContext
from mypy_django_plugin.lib import helpers
from mypy_django_plugin.main import NewSemanalDjangoPlugin
from mypy_django_plugin.transformers.models import ModelClassInitializer

__all__ = ["WeakrelPlugin", "plugin"]

# Where the manager classes are: in the build, so that their types can be looked up.
MANAGER_MODULES = ("weakrel.managers", "weakrel.relations.generic_managers")


class AddWeakReverseAccessors(ModelClassInitializer):
    """Type the accessors weak relations add to this model (their target)."""

    def run_with_model_cls(self, model_cls: type) -> None:
        from weakrel.base import reverse_sides
        from weakrel.related import RelatedManagerDescriptor

        declared = self.model_classdef.info.names
        for side in reverse_sides(model_cls):
            if side.field.remote_field.is_hidden():
                continue  # related_name ending in "+": no accessor
            name = side.field.accessor_name
            descriptor = inspect.getattr_static(model_cls, name, None)
            if descriptor is None or name in declared:
                continue  # declared by the model itself
            if isinstance(descriptor, RelatedManagerDescriptor):
                manager = self.lookup_class_typeinfo_or_incomplete_defn_error(
                    descriptor.manager_kind
                )
                model = self.lookup_class_typeinfo_or_incomplete_defn_error(
                    descriptor.manager_model()
                )
                accessor_type = Instance(manager, [Instance(model, [])])
            else:  # a reverse one-to-one: the source row
                source = self.lookup_class_typeinfo_or_incomplete_defn_error(side.field.model)
                accessor_type = Instance(source, [])
            self.add_new_var_to_model_class(name, accessor_type)


def _process_model_class(
    ctx: ClassDefContext,
    django_hook: Callable[[ClassDefContext], None],
    django_context: DjangoContext,
) -> None:
    django_hook(ctx)
    try:
        AddWeakReverseAccessors(ctx, django_context).run()
    except helpers.IncompleteDefnException:
        if not ctx.api.final_iteration:
            ctx.api.defer()


class WeakrelPlugin(NewSemanalDjangoPlugin):
    """django-stubs' plugin, with weak relations' reverse accessors on their targets."""

    def get_additional_deps(self, file: MypyFile) -> list[tuple[int, str, int]]:
        """A models module also needs the manager classes and the modules of the
        models whose weak relations point at its models."""
        from weakrel.base import reverse_sides

        deps = super().get_additional_deps(file)
        models = self.django_context.model_modules.get(file.fullname)
        if models:
            modules = set(MANAGER_MODULES)
            for model in models.values():
                modules.update(side.field.model.__module__ for side in reverse_sides(model))
            modules.discard(file.fullname)
            deps += [self._new_dependency(module) for module in sorted(modules)]
        return deps

    def get_base_class_hook(self, fullname: str) -> Callable[[ClassDefContext], None] | None:
        django_hook = super().get_base_class_hook(fullname)
        info = self._get_typeinfo_or_none(fullname)
        if django_hook is None or info is None or not helpers.is_model_type(info):
            return django_hook
        return partial(
            _process_model_class, django_hook=django_hook, django_context=self.django_context
        )


def plugin(version: str) -> type[WeakrelPlugin]:
    """mypy's entry point."""
    return WeakrelPlugin
