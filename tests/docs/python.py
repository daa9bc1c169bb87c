"""Run the Python code blocks of docs/ (the ``>>>`` ones are doctests, see plugin.py).

A block runs statement by statement in its document's namespace, top-level ``await``
included (through ``async_to_sync``, so the ORM runs in this thread, on the test
databases). Two kinds of statement are checked instead of run, because running them
would change the process every later example runs in:

* a model class (``class Order(models.Model)``) must be one of the example project's
  models: each field it declares is built and must deconstruct like the real one
  (an excerpt may leave fields, ``Meta`` and methods out); the name is then bound to
  the real model;
* an admin class (``class OrderAdmin(WeakModelAdmin)``) named as one of the example
  project's (``example_project/*/admin.py``) is an excerpt of it: each attribute it
  declares must equal the real one's, an ``@admin.register(Model)`` must name a model
  that the real class is registered for; the name is then bound to the real class.
  Another admin class runs, unless it registers on Django's admin site, which the
  example project fills already (register on an ``AdminSite()`` of its own);
* ``from .models import Order`` is an excerpt of an app's module: the names are bound
  to the example project's models;
* an upper-case assignment at the top (``INSTALLED_APPS = [...]``) is a settings.py
  excerpt: what it lists must be in the example project's settings (``...`` and
  ``# ...`` stand for the rest).
"""

from __future__ import annotations

import ast
import inspect
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db import models
from sybil import Example

EXAMPLE_APPS = ("shop", "clinic", "blog")


def _filename(example: Example) -> str:
    return f"{example.path}:{example.line}"


def _run(node: ast.stmt, namespace: dict, filename: str) -> None:
    module = ast.Module(body=[node], type_ignores=[])
    code = compile(module, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    if code.co_flags & inspect.CO_COROUTINE:

        async def main() -> None:
            await eval(code, namespace)

        async_to_sync(main)()
    else:
        exec(code, namespace)


def _real_model(name: str) -> type[models.Model]:
    found = [model for label in EXAMPLE_APPS for model in apps.get_app_config(label).get_models()]
    for model in found:
        if model.__name__ == name:
            return model
    raise AssertionError(
        f"model {name} is not one of the example project's models: add it there, or mark "
        'the block <!-- skip: next "why it cannot run" -->'
    )


def _deconstructed(field: models.Field) -> tuple:
    _, path, args, kwargs = field.deconstruct()
    if "to" in kwargs:
        kwargs["to"] = str(kwargs["to"]).lower()
    return path.replace("weakrel.fields.", "weakrel."), args, kwargs


def _check_model(node: ast.ClassDef, namespace: dict) -> None:
    real = _real_model(node.name)
    for statement in node.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name):
            continue
        declared = eval(ast.unparse(statement.value), namespace)
        if isinstance(declared, models.Field):
            actual = real._meta.get_field(target.id)
            assert _deconstructed(declared) == _deconstructed(actual), (
                f"{node.name}.{target.id}: the docs declare {_deconstructed(declared)}, "
                f"the example project {_deconstructed(actual)}"
            )
        elif isinstance(declared, models.Manager):
            actual = getattr(real, target.id)
            assert type(actual) is type(declared), (
                f"{node.name}.{target.id} is a {type(actual).__name__} in the example project"
            )
    namespace[node.name] = real


def _subclass_base(node: ast.ClassDef, namespace: dict, base: type) -> bool:
    for expression in node.bases:
        try:
            value = eval(ast.unparse(expression), namespace)
        except Exception:  # noqa: BLE001 - not resolvable: not that base
            continue
        if isinstance(value, type) and issubclass(value, base):
            return True
    return False


def _real_admin(name: str) -> type[BaseModelAdmin] | None:
    for label in EXAMPLE_APPS:
        module = import_module(f"{apps.get_app_config(label).name}.admin")
        found = getattr(module, name, None)
        if isinstance(found, type) and issubclass(found, BaseModelAdmin):
            return found
    return None


def _registered(decorator: ast.expr, namespace: dict) -> list | None:
    """The models an ``@admin.register(...)`` on Django's admin site names, else None."""
    if not (isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "admin.register"):
        return None
    if any(keyword.arg == "site" for keyword in decorator.keywords):
        return None
    return [eval(ast.unparse(argument), namespace) for argument in decorator.args]


def _check_admin(node: ast.ClassDef, namespace: dict, filename: str) -> None:
    real = _real_admin(node.name)
    registers = [
        models
        for models in (_registered(d, namespace) for d in node.decorator_list)
        if models is not None
    ]
    if real is None:
        assert not registers, (
            f"{node.name} is not one of the example project's admin classes, and the "
            "example project's admin site has its models registered already: name it as "
            "one of example_project/*/admin.py, or register it on an AdminSite() of its own"
        )
        _run(node, namespace, filename)
        return
    for statement in node.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
            continue
        target = statement.targets[0]
        if not isinstance(target, ast.Name):
            continue
        declared = eval(ast.unparse(statement.value), namespace)
        actual = getattr(real, target.id)
        if isinstance(declared, list | tuple) and isinstance(actual, list | tuple):
            declared, actual = list(declared), list(actual)
        assert declared == actual, (
            f"{node.name}.{target.id} is {actual!r} in the example project, not {declared!r}"
        )
    for models_ in registers:
        for model in models_:
            registered = admin.site._registry.get(model)
            assert type(registered) is real, (
                f"{model.__name__} is registered with {type(registered).__name__} in the "
                f"example project, not {node.name}"
            )
    namespace[node.name] = real


def _import_models(node: ast.ImportFrom, namespace: dict) -> None:
    assert node.module == "models", (
        f"from .{node.module} import ...: only an app's models can be imported relatively"
    )
    for alias in node.names:
        namespace[alias.asname or alias.name] = _real_model(alias.name)


def _contains(real: Any, shown: Any, path: str) -> None:
    """``shown`` is an excerpt of ``real``: lists in order, dicts by key."""
    if isinstance(shown, dict):
        assert isinstance(real, dict), f"{path} is {real!r} in the example project"
        for key, value in shown.items():
            if key is Ellipsis:
                continue
            assert key in real, f"{path}[{key!r}] is not in the example project's settings"
            _contains(real[key], value, f"{path}[{key!r}]")
    elif isinstance(shown, list | tuple):
        items = iter(real)
        for value in shown:
            if value is Ellipsis:
                continue
            # An app may be shown by its label: "shop" for "example_project.shop".
            assert any(
                item == value or (isinstance(item, str) and item.endswith(f".{value}"))
                for item in items
            ), f"{path}: {value!r} is not in the example project's {path} (in this order)"
    else:
        assert real == shown, f"{path} is {real!r} in the example project, not {shown!r}"


def _check_setting(node: ast.Assign, namespace: dict) -> None:
    name = node.targets[0].id
    shown = eval(ast.unparse(node.value), namespace)
    assert hasattr(settings, name), f"{name} is not one of the example project's settings"
    if name != "DATABASES":  # the test databases stand in for the example's files
        _contains(getattr(settings, name), shown, name)
    namespace[name] = shown


def _is_setting(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id.isupper()
        and node.targets[0].id in dir(settings)
    )


def evaluate(example: Example) -> None:
    namespace = example.namespace
    filename = _filename(example)
    tree = compile(
        example.parsed, filename, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and _subclass_base(node, namespace, models.Model):
            _check_model(node, namespace)
        elif isinstance(node, ast.ClassDef) and _subclass_base(node, namespace, BaseModelAdmin):
            _check_admin(node, namespace, filename)
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            _import_models(node, namespace)
        elif _is_setting(node):
            _check_setting(node, namespace)
        else:
            _run(node, namespace, filename)
