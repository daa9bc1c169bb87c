"""Rewrite the models of Django's test apps to use weakrel's fields.

Only model modules are rewritten (``<app>/models.py`` and ``<app>/models/*.py``); test
modules are copied unchanged. Each relation field declared in a model class body is
decided on its own, and every decision is logged (``Decision``):

``models.ForeignKey(...)`` / ``models.OneToOneField(...)``
    become ``weakrel.WeakForeignKey(...)`` / ``weakrel.WeakOneToOneField(...)`` with the
    same arguments (``db_constraint=`` is dropped: a weak key never has a constraint).
    They stay native when weakrel cannot stand in for them:

    * ``parent_link=True``: multi-table inheritance is a join by definition;
    * a key to ``ContentType``: ``GenericForeignKey`` requires a real ``ForeignKey``;
    * ``on_delete=models.SET(...)`` or another callable: weakrel supports only
      Django's six constants (system check ``weakrel.E004``);
    * a key of the through model of a many-to-many that stays native (Django requires
      real foreign keys there);
    * ``limit_choices_to=`` or ``swappable=``: weakrel has no such option.

``models.ManyToManyField(...)``
    becomes ``weakrel.WeakManyToManyField(to, through=..., ...)``. Without ``through=``
    the harness writes the through model Django would have created for it
    (``<Model>_<field>`` with two keys and ``unique_together``), with weak keys, at the
    end of the module. It stays native for a relation of a model to itself (weakrel
    refuses it: ``weakrel.E102``) and for a field declared on an abstract model (the
    generated through model would need one per concrete subclass).

The module is pure (no Django import) so that it can be tested on its own
(``test_transform.py``).
"""

from __future__ import annotations

import ast
import dataclasses

FK_KINDS = {"ForeignKey": "WeakForeignKey", "OneToOneField": "WeakOneToOneField"}
M2M_KIND = "ManyToManyField"
# Django's ForeignKey(to, on_delete, related_name, related_query_name, limit_choices_to,
# parent_link, to_field, db_constraint, **kwargs): names of positional arguments.
FK_POSITIONAL = (
    "to",
    "on_delete",
    "related_name",
    "related_query_name",
    "limit_choices_to",
    "parent_link",
    "to_field",
    "db_constraint",
)
# ManyToManyField(to, related_name, related_query_name, limit_choices_to, symmetrical,
# through, through_fields, db_constraint, db_table, swappable, **kwargs).
M2M_POSITIONAL = (
    "to",
    "related_name",
    "related_query_name",
    "limit_choices_to",
    "symmetrical",
    "through",
    "through_fields",
    "db_constraint",
    "db_table",
    "swappable",
)
SUPPORTED_ON_DELETE = {"CASCADE", "PROTECT", "RESTRICT", "SET_NULL", "SET_DEFAULT", "DO_NOTHING"}
# M2M options that have no meaning for a WeakManyToManyField (it is always blank and
# never editable; symmetry only applies to a relation to self, which stays native).
M2M_DROPPED = {"blank", "symmetrical", "db_constraint", "editable"}
HEADER = (
    "# Rewritten by weakrel's conformance harness (tests/conformance/transform.py):\n"
    "# relation fields use weakrel's fields where weakrel can stand in for Django's.\n"
)


@dataclasses.dataclass(frozen=True)
class Decision:
    """What happened to one relation field."""

    module: str
    model: str
    field: str
    kind: str  # ForeignKey, OneToOneField, ManyToManyField
    weak: bool
    reason: str

    def line(self) -> str:
        where = f"{self.module}:{self.model}.{self.field}"
        what = "weak" if self.weak else "native"
        return f"{what:6} {self.kind:15} {where}  # {self.reason}"


@dataclasses.dataclass
class _Field:
    cls: ast.ClassDef
    name: str
    call: ast.Call
    kind: str
    args: dict[str, ast.expr]  # positional arguments by name, then keywords
    extra: list[ast.keyword]  # **kwargs splats, kept as they are


def _models_aliases(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """Names bound to ``django.db.models`` and field classes imported by name."""
    modules: set[str] = set()
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "django.db":
            for alias in node.names:
                if alias.name == "models":
                    modules.add(alias.asname or "models")
        elif isinstance(node, ast.ImportFrom) and node.module == "django.db.models":
            for alias in node.names:
                if alias.name in FK_KINDS or alias.name == M2M_KIND:
                    names[alias.asname or alias.name] = alias.name
    return modules, names


def _kind(call: ast.Call, modules: set[str], names: dict[str, str]) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        if func.value.id in modules and (func.attr in FK_KINDS or func.attr == M2M_KIND):
            return func.attr
    if isinstance(func, ast.Name) and func.id in names:
        return names[func.id]
    return None


def _bind(call: ast.Call, positional: tuple[str, ...]) -> tuple[dict[str, ast.expr], list]:
    args: dict[str, ast.expr] = {}
    for name, value in zip(positional, call.args, strict=False):
        args[name] = value
    extra = []
    for keyword in call.keywords:
        if keyword.arg is None:
            extra.append(keyword)
        else:
            args[keyword.arg] = keyword.value
    return args, extra


def _is_abstract(cls: ast.ClassDef) -> bool:
    for node in cls.body:
        if isinstance(node, ast.ClassDef) and node.name == "Meta":
            for stmt in node.body:
                if (
                    isinstance(stmt, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "abstract" for t in stmt.targets)
                    and isinstance(stmt.value, ast.Constant)
                    and stmt.value.value is True
                ):
                    return True
    return False


def _model_name(expr: ast.expr | None) -> str | None:
    """``Book``, ``"Book"`` or ``"app.Book"`` -> ``Book``; None when it cannot tell."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value.rpartition(".")[2]
    if isinstance(expr, ast.Attribute):
        return expr.attr
    return None


def _is_true(expr: ast.expr | None) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is True


def _fields(tree: ast.Module, modules, names) -> list[_Field]:
    found = []
    for cls in tree.body:
        if not isinstance(cls, ast.ClassDef):
            continue
        for stmt in cls.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target, value = stmt.targets[0], stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                target, value = stmt.target, stmt.value
            else:
                continue
            if not isinstance(target, ast.Name) or not isinstance(value, ast.Call):
                continue
            kind = _kind(value, modules, names)
            if kind is None:
                continue
            positional = M2M_POSITIONAL if kind == M2M_KIND else FK_POSITIONAL
            args, extra = _bind(value, positional)
            found.append(_Field(cls, target.id, value, kind, args, extra))
    return found


def _m2m_native_reason(field: _Field) -> str | None:
    target = _model_name(field.args.get("to"))
    if target in ("self", field.cls.name):
        return "a relation to self: weakrel's many-to-many refuses it (weakrel.E102)"
    if _is_abstract(field.cls):
        return "declared on an abstract model: its through model would be per subclass"
    for option in ("limit_choices_to", "swappable"):
        if option in field.args:
            return f"{option}= has no weakrel equivalent"
    if field.extra:
        return "**kwargs that the harness cannot inspect"
    return None


def _fk_native_reason(field: _Field, native_throughs: set[str]) -> str | None:
    if _is_true(field.args.get("parent_link")):
        return "parent_link=True: multi-table inheritance joins its parent by definition"
    if _model_name(field.args.get("to")) == "ContentType":
        return "a key to ContentType: GenericForeignKey requires a real ForeignKey"
    on_delete = field.args.get("on_delete")
    if not (
        isinstance(on_delete, ast.Attribute | ast.Name)
        and (on_delete.attr if isinstance(on_delete, ast.Attribute) else on_delete.id)
        in SUPPORTED_ON_DELETE
    ):
        text = ast.unparse(on_delete) if on_delete is not None else "missing"
        return f"on_delete={text}: weakrel supports only Django's six constants (weakrel.E004)"
    if field.cls.name in native_throughs:
        return "a key of the through model of a native many-to-many"
    for option in ("limit_choices_to", "swappable"):
        if option in field.args:
            return f"{option}= has no weakrel equivalent"
    if field.extra:
        return "**kwargs that the harness cannot inspect"
    return None


def _call(func: str, args: list[ast.expr], keywords: dict[str, ast.expr], extra=()) -> ast.Call:
    return ast.Call(
        func=ast.parse(func, mode="eval").body,
        args=args,
        keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()] + list(extra),
    )


def _weak_fk(field: _Field) -> str:
    args = dict(field.args)
    to, on_delete = args.pop("to"), args.pop("on_delete")
    args.pop("db_constraint", None)
    args.pop("parent_link", None)
    call = _call(f"weakrel.{FK_KINDS[field.kind]}", [to, on_delete], args, field.extra)
    return ast.unparse(call)


def _weak_m2m(field: _Field, module_models: set[str]) -> tuple[str, str | None]:
    """The new field, and the source of a generated through model (or None)."""
    args = dict(field.args)
    to = args.pop("to")
    db_table = args.pop("db_table", None)
    for option in M2M_DROPPED:
        args.pop(option, None)
    generated = None
    if "through" not in args:
        through_name = f"{field.cls.name}_{field.name}"
        if through_name in module_models:
            through_name += "_through"
        target_name = _model_name(to) or "target"
        source_key, target_key = field.cls.name.lower(), target_name.lower()
        if source_key == target_key:  # as Django names the keys of a relation to self
            source_key, target_key = f"from_{source_key}", f"to_{target_key}"
        meta = [f"        unique_together = [({source_key!r}, {target_key!r})]"]
        if db_table is not None:
            meta.append(f"        db_table = {ast.unparse(db_table)}")
        generated = "\n".join(
            [
                f"class {through_name}(models.Model):",
                f'    """The through model Django would create for {field.cls.name}.'
                f'{field.name}."""',
                "",
                f"    {source_key} = weakrel.WeakForeignKey("
                f'{field.cls.name!r}, models.CASCADE, related_name="+")',
                f"    {target_key} = weakrel.WeakForeignKey("
                f'{ast.unparse(to)}, models.CASCADE, related_name="+")',
                "",
                "    class Meta:",
                *meta,
                "",
            ]
        )
        args = {"through": ast.Constant(through_name), **args}
    call = _call("weakrel.WeakManyToManyField", [to], args, field.extra)
    return ast.unparse(call), generated


def transform_source(source: str, module: str = "models") -> tuple[str, list[Decision]]:
    """Rewrite one model module; return the new source and a decision per field."""
    tree = ast.parse(source)
    modules, names = _models_aliases(tree)
    fields = _fields(tree, modules, names)
    module_models = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}

    native_m2m = {id(f): _m2m_native_reason(f) for f in fields if f.kind == M2M_KIND}
    native_throughs = {
        _model_name(f.args.get("through"))
        for f in fields
        if f.kind == M2M_KIND and native_m2m[id(f)] and "through" in f.args
    }

    decisions: list[Decision] = []
    edits: list[tuple[int, int, str]] = []
    generated: list[str] = []
    lines = source.encode().splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def span(node: ast.AST) -> tuple[int, int]:
        return (
            starts[node.lineno - 1] + node.col_offset,
            starts[node.end_lineno - 1] + node.end_col_offset,
        )

    for field in fields:
        if field.kind == M2M_KIND:
            reason = native_m2m[id(field)]
        else:
            reason = _fk_native_reason(field, native_throughs)
        weak = reason is None
        if weak and field.kind == M2M_KIND:
            new, through = _weak_m2m(field, module_models)
            if through is None:
                reason = "explicit through model"
            else:
                generated.append(through)
                reason = "generated the through model Django would create, with weak keys"
            edits.append((*span(field.call), new))
        elif weak:
            edits.append((*span(field.call), _weak_fk(field)))
            reason = "rewritten"
        decisions.append(Decision(module, field.cls.name, field.name, field.kind, weak, reason))
    if not edits:
        return source, decisions

    # `import weakrel` after the imports that precede the first class (so that any
    # `from __future__` import stays first), else after the docstring.
    line = 0
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            break
        docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if isinstance(node, ast.Import | ast.ImportFrom) or (docstring and node is tree.body[0]):
            line = node.end_lineno
    edits.append((starts[line], starts[line], "import weakrel\n"))

    data = source.encode()
    for start, end, new in sorted(edits, reverse=True):
        data = data[:start] + new.encode() + data[end:]
    text = data.decode()
    text = HEADER + text
    if generated:
        text = text.rstrip("\n") + "\n\n\n" + "\n\n".join(generated)
    return text, decisions
