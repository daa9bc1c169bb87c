"""The module layering of the weakrel package, read from its source with ``ast``.

Nothing under weakrel/ is imported here: each module is parsed, and its import
statements (at module level or inside functions and methods, absolute or relative)
become edges between weakrel modules. ``from weakrel.x import y`` is an edge to the
module ``weakrel.x.y`` when there is one, else to ``weakrel.x``.

* No import cycle, counting imports under ``if TYPE_CHECKING:`` too: a module that
  needs another's names only for its annotations still depends on it.
* The core does not know the relation types: outside weakrel/relations/ no module
  imports ``weakrel.relations``, not even for type checking. Left out: the integration
  packages admin/, rest_framework/ and management/, tasks.py, weakrel/__init__.py, the public
  facade that re-exports the fields, and the import paths that migrations name
  (weakrel/fields.py, through.py, references.py).
* The relation types do not know each other: a module of weakrel/relations/ belongs
  to the type it is named after (``foreign_key``, ``foreign_key_descriptors``) and
  imports no module of another type, nor the package (only
  weakrel/relations/__init__.py may gather them).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "weakrel"

CORE = (
    "base",
    "reverse",
    "inheritance",
    "keys",
    "routing",
    "related",
    "related_querysets",
    "generics",
    "lookups",
    "deletion",
    "background",
    "enforcement",
)
RELATION_MODULES = ("foreign_key", "generic", "many_to_many", "references")
RELATIONS = "weakrel.relations"
# Packages that sit on top of everything, and the package's public facade.
NOT_CORE = (
    "weakrel.admin",
    "weakrel.rest_framework",
    "weakrel.management",
    "weakrel.forms",
    "weakrel.tasks",
)
FACADES = (
    "weakrel",
    "weakrel.fields",
    "weakrel.through",
    "weakrel.references",
    "weakrel.managers",
)


def module_files() -> dict[str, Path]:
    """{dotted module name: source file} for every module of the package."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = module_files()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


class _Imports(ast.NodeVisitor):
    """Every import statement of one module, as (target module, line, type_only)."""

    def __init__(self, module: str, is_package: bool, known) -> None:
        self.module = module
        self.is_package = is_package
        self.known = known
        self.type_only = False
        self.found: list[tuple[str, int, bool]] = []

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self.visit(node.test)
            outer, self.type_only = self.type_only, True
            for child in node.body:
                self.visit(child)
            self.type_only = outer
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _add(self, target: str, node: ast.stmt) -> None:
        if _within(target, "weakrel"):
            self.found.append((target, node.lineno, self.type_only))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            package = self.module.split(".")
            if not self.is_package:
                package = package[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in dict.fromkeys(t if t in self.known else base for t in targets):
            self._add(target, node)


def read_imports(source: str, module: str, *, is_package: bool, known) -> list:
    """The weakrel imports of ``source``, the text of ``module``: (target, line, type_only)."""
    visitor = _Imports(module, is_package, known)
    visitor.visit(ast.parse(source))
    return visitor.found


def imports_of(module: str) -> list[tuple[str, int, bool]]:
    path = MODULES[module]
    source = path.read_text(encoding="utf-8")
    return read_imports(source, module, is_package=path.name == "__init__.py", known=MODULES)


IMPORTS = {module: imports_of(module) for module in MODULES}


def _where(module: str, line: int) -> str:
    return f"{MODULES[module].relative_to(ROOT)}:{line}"


def _strongly_connected(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm: the components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_in(component: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """One cycle through the component's first module: [a, b, ..., a]."""
    start, members = component[0], set(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node]):
            if nxt == start:
                return paths[node] + [start]
            if nxt in members and nxt not in paths:
                paths[nxt] = paths[node] + [nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle found in {component}")  # pragma: no cover


SAMPLE = """
import django
import weakrel.a
from weakrel import b, SomeName
from . import c
from .d import name
from ..e import name
from .pkg import f
import typing

if typing.TYPE_CHECKING:
    from weakrel.g import Hint
else:
    from weakrel.h import Runtime


def function():
    from weakrel.i import late

    class Inner:
        def method(self):
            import weakrel.j as j


from weakrel.k import A, B
"""


def test_the_import_reader_sees_every_form():
    known = {"weakrel", "weakrel.b", "weakrel.pkg.c", "weakrel.pkg.f", "weakrel.pkg"}
    found = read_imports(SAMPLE, "weakrel.pkg.mod", is_package=False, known=known)
    assert found == [
        ("weakrel.a", 3, False),
        ("weakrel.b", 4, False),
        ("weakrel", 4, False),  # SomeName is no module: the package itself
        ("weakrel.pkg.c", 5, False),
        ("weakrel.pkg.d", 6, False),
        ("weakrel.e", 7, False),
        ("weakrel.pkg.pkg", 8, False),  # "f" is not known below weakrel.pkg.pkg
        ("weakrel.g", 12, True),
        ("weakrel.h", 14, False),
        ("weakrel.i", 18, False),
        ("weakrel.j", 22, False),
        ("weakrel.k", 25, False),  # once per statement
    ]
    # In a package's __init__, "." is the package itself.
    found = read_imports("from . import f", "weakrel.pkg", is_package=True, known=known)
    assert found == [("weakrel.pkg.f", 1, False)]


def test_the_package_is_read():
    # Without modules and imports, the checks below would pass on an empty graph.
    assert {"weakrel", "weakrel.deletion", "weakrel.enforcement"} <= set(MODULES)
    edges = [target for found in IMPORTS.values() for target, _line, _t in found]
    assert len(edges) >= len(MODULES)
    assert "weakrel.deletion" in edges and "weakrel.enforcement" in edges


def test_no_import_cycle():
    graph: dict[str, dict[str, int]] = {module: {} for module in MODULES}
    for module, found in IMPORTS.items():
        for target, line, _type_only in found:
            if target in MODULES and target != module:
                graph[module].setdefault(target, line)
    cycles = []
    for component in _strongly_connected(graph):
        cycle = _cycle_in(component, graph)
        steps = " -> ".join(
            f"{a} ({_where(a, graph[a][b])})" for a, b in zip(cycle, cycle[1:], strict=False)
        )
        cycles.append(f"{steps} -> {cycle[-1]}  [component: {', '.join(component)}]")
    assert not cycles, "import cycles among weakrel modules:\n" + "\n".join(cycles)


def test_the_core_and_relation_modules_exist():
    wanted = [PACKAGE / f"{name}.py" for name in CORE]
    wanted += [PACKAGE / "relations" / "__init__.py"]
    wanted += [PACKAGE / "relations" / f"{name}.py" for name in RELATION_MODULES]
    missing = [str(path.relative_to(ROOT)) for path in wanted if not path.is_file()]
    assert not missing, f"missing modules: {', '.join(missing)}"


def test_the_core_does_not_import_the_relations():
    assert (PACKAGE / "relations").is_dir(), "weakrel/relations/ does not exist"
    checked = [
        module
        for module in MODULES
        if module not in FACADES
        and not _within(module, RELATIONS)
        and not any(_within(module, package) for package in NOT_CORE)
    ]
    core = {f"weakrel.{name}" for name in CORE}
    assert core <= set(checked), f"core modules not found: {sorted(core - set(checked))}"
    offenders = [
        f"{module} imports {target} ({_where(module, line)})"
        for module in checked
        for target, line, _type_only in IMPORTS[module]
        if _within(target, RELATIONS)
    ]
    assert not offenders, "the core imports weakrel.relations:\n" + "\n".join(offenders)


def _relation_type(module: str) -> str | None:
    """The relation type a module of weakrel/relations/ belongs to, by its name."""
    name = module.rpartition(".")[2]
    for kind in RELATION_MODULES:
        if name == kind or name.startswith(kind + "_"):
            return kind
    return None


def test_the_relation_modules_do_not_import_each_other():
    modules = [f"{RELATIONS}.{name}" for name in RELATION_MODULES]
    assert set(modules) <= set(MODULES), f"missing: {sorted(set(modules) - set(MODULES))}"
    members = [m for m in MODULES if _within(m, RELATIONS) and m != RELATIONS]
    unowned = [m for m in members if _relation_type(m) is None]
    assert not unowned, f"modules of no relation type: {unowned}"
    offenders = [
        f"{module} imports {target} ({_where(module, line)})"
        for module in members
        for target, line, _type_only in IMPORTS[module]
        if _within(target, RELATIONS) and _relation_type(target) != _relation_type(module)
    ]
    assert not offenders, "relation modules import each other:\n" + "\n".join(offenders)
