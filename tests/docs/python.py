"""Run the Python code blocks of docs/ (the ``>>>`` ones are doctests, see plugin.py).

A block runs statement by statement in its document's namespace, top-level ``await``
included (through ``async_to_sync``, so the ORM runs in this thread, on the test
databases). Two kinds of statement are checked instead of run, because running them
would change the process every later example runs in:

* a model class (``class Order(models.Model)``) must be one of the example project's
  models: each field it declares is built and must deconstruct like the real one
  (an excerpt may leave fields, ``Meta`` and methods out); the name is then bound to
  the real model;
* an upper-case assignment at the top (``INSTALLED_APPS = [...]``) is a settings.py
  excerpt: what it lists must be in the example project's settings (``...`` and
  ``# ...`` stand for the rest).
"""

from __future__ import annotations

import ast
import inspect
from typing import Any

from asgiref.sync import async_to_sync
from django.apps import apps
from django.conf import settings
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


def _model_base(node: ast.ClassDef, namespace: dict) -> bool:
    for base in node.bases:
        try:
            value = eval(ast.unparse(base), namespace)
        except Exception:  # noqa: BLE001 - not resolvable: not a model base
            continue
        if isinstance(value, type) and issubclass(value, models.Model):
            return True
    return False


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
        if isinstance(node, ast.ClassDef) and _model_base(node, namespace):
            _check_model(node, namespace)
        elif _is_setting(node):
            _check_setting(node, namespace)
        else:
            _run(node, namespace, filename)
