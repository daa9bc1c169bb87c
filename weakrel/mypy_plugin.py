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
target declares itself keeps its declaration.

A ``WeakForeignKey`` or ``WeakOneToOneField`` naming its target by a string
(``"shop.Customer"``) is typed from the model Django loaded, as django-stubs types a
``ForeignKey("shop.Customer")``: ``order.customer`` is a ``Customer``, or
``Customer | None`` with ``null=True``. Only imported by mypy.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial

from django.db.models import Model
from mypy.nodes import MypyFile
from mypy.plugin import ClassDefContext, FunctionContext
from mypy.types import AnyType, Instance, NoneType, UnionType, get_proper_type
from mypy.types import Type as MypyType
from mypy_django_plugin.django.context import DjangoContext
from mypy_django_plugin.lib import helpers
from mypy_django_plugin.main import NewSemanalDjangoPlugin
from mypy_django_plugin.transformers.fields import _get_current_field_from_assignment
from mypy_django_plugin.transformers.models import ModelClassInitializer

__all__ = ["WeakrelPlugin", "plugin"]

# Where the manager classes are: in the build, so that their types can be looked up.
MANAGER_MODULES = ("weakrel.managers", "weakrel.relations.generic_managers")
# The key fields whose string targets the plugin resolves (WeakOneToOneField subclasses it).
WEAK_KEY_FULLNAME = "weakrel.relations.foreign_key.WeakForeignKey"


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


def _is_any(typ: MypyType) -> bool:
    """``Any``, or ``Any | None`` (django-stubs' hook adds ``None`` for ``null=True``)."""
    typ = get_proper_type(typ)
    if isinstance(typ, UnionType):
        items = [get_proper_type(item) for item in typ.items]
        return all(isinstance(item, AnyType | NoneType) for item in items)
    return isinstance(typ, AnyType)


def _type_string_target(
    ctx: FunctionContext,
    django_hook: Callable[[FunctionContext], MypyType],
    django_context: DjangoContext,
) -> MypyType:
    """``WeakForeignKey[Any, Any]`` (a string target) becomes ``[Target, Target]``.

    The ``__init__`` overloads type a class target; a string only names a model, which
    Django has loaded by now: the field built at run time says which, and whether null.
    """
    field_type = get_proper_type(django_hook(ctx))
    if not (
        isinstance(field_type, Instance)
        and len(field_type.args) == 2
        and all(_is_any(arg) for arg in field_type.args)
    ):
        return field_type  # a class target, or outside a model class
    field = _get_current_field_from_assignment(ctx, django_context)
    target = getattr(getattr(field, "remote_field", None), "model", None)
    if field is None or not (isinstance(target, type) and issubclass(target, Model)):
        return field_type  # not wired (on an abstract model): stays Any
    # A key naming a proxy takes an instance of its concrete model (ForwardWeakDescriptor).
    concrete = target._meta.concrete_model or target
    api = helpers.get_typechecker_api(ctx)
    get_info = helpers.lookup_class_typeinfo(api, target)
    set_info = helpers.lookup_class_typeinfo(api, concrete)
    if get_info is None or set_info is None:
        return field_type
    args: list[MypyType] = [Instance(set_info, []), Instance(get_info, [])]
    if field.null:
        args = [UnionType.make_union([arg, NoneType()]) for arg in args]
    return field_type.copy_modified(args=args)


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

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], MypyType] | None:
        django_hook = super().get_function_hook(fullname)
        info = self._get_typeinfo_or_none(fullname)
        if django_hook is None or info is None or not info.has_base(WEAK_KEY_FULLNAME):
            return django_hook
        return partial(
            _type_string_target, django_hook=django_hook, django_context=self.django_context
        )

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
