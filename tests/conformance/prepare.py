"""Copy the pristine test apps and rewrite their model modules (``transform``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conformance import APPS, SUPPORT_FILES
from tests.conformance.transform import Decision, transform_source


def model_modules(app_dir: Path) -> list[Path]:
    modules = []
    if (app_dir / "models.py").is_file():
        modules.append(app_dir / "models.py")
    if (app_dir / "models").is_dir():
        modules.extend(sorted((app_dir / "models").glob("*.py")))
    return modules


# Django's inline formsets need a ForeignKey; a test module that builds them uses
# weakrel's, which take the same arguments (weakrel/forms.py). Bound at the end of the
# module, the name wins over Django's import above it.
INLINE_FORMSETS = (
    "\n\n# conformance: weakrel's inline formsets, for weak keys and ForeignKeys alike\n"
    "from weakrel.forms import inlineformset_factory  # noqa: E402, F811\n"
)


def use_weak_inline_formsets(app_dir: Path) -> None:
    for path in sorted(app_dir.glob("test*.py")):
        text = path.read_text(encoding="utf-8")
        if "inlineformset_factory" in text:
            path.write_text(text + INLINE_FORMSETS, encoding="utf-8")


def prepare(pristine: Path, work: Path) -> list[Decision]:
    """Fill ``work`` with the apps of ``pristine`` (a tests/ directory), transformed."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in SUPPORT_FILES:
        shutil.copy2(pristine / name, work / name)
    decisions: list[Decision] = []
    for app in APPS:
        shutil.copytree(pristine / app, work / app, ignore=shutil.ignore_patterns("__pycache__"))
        for path in model_modules(work / app):
            module = ".".join(path.relative_to(work).with_suffix("").parts)
            text, found = transform_source(path.read_text(encoding="utf-8"), module)
            path.write_text(text, encoding="utf-8")
            decisions.extend(found)
        use_weak_inline_formsets(work / app)
    (work / "TRANSFORMED.txt").write_text(
        "".join(decision.line() + "\n" for decision in decisions), encoding="utf-8"
    )
    return decisions
