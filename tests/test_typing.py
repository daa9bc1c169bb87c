"""What a user's type checker sees: mypy with django-stubs on tests/typing/.

``accept.py`` must check without an error (its ``assert_type()`` calls pin what is
inferred: ``order.customer`` is a ``Customer``, ``customer.orders.all()`` a
``QuerySet[Order]``); ``reject.py`` must give exactly the errors its ``# E: <code>``
comments name. mypy comes with the ``typing`` extra (in ``dev``); the nox sessions,
which install ``test`` only, deselect these tests (``-m "not typing"``): what the
checker sees depends on django-stubs, not on the Django a session runs. Its cache
(.mypy_cache) is the one ``scripts/test.sh`` fills for weakrel/, so a run takes seconds.
"""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.typing

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "typing"
EXPECTED = re.compile(r"#\s*E:\s*([\w-]+)")
REPORTED = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[\w-]+)\]$")


@pytest.fixture(scope="module")
def reported() -> dict[str, set[tuple[int, str]]]:
    """{file name: {(line, error code)}} for the errors mypy reports in tests/typing/."""
    from mypy import api  # here: collecting this module must not need mypy

    stdout, stderr, _status = api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(CASES / "accept.py"),
            str(CASES / "reject.py"),
        ]
    )
    assert "INTERNAL ERROR" not in stdout + stderr, stdout + stderr
    found: dict[str, set[tuple[int, str]]] = {"accept.py": set(), "reject.py": set()}
    for line in stdout.splitlines():
        match = REPORTED.match(line)
        if match and Path(match["path"]).parent.name == "typing":
            found[Path(match["path"]).name].add((int(match["line"]), match["code"]))
    return found


def expected_errors(name: str) -> set[tuple[int, str]]:
    lines = (CASES / name).read_text().splitlines()
    return {
        (number, match[1])
        for number, text in enumerate(lines, start=1)
        if (match := EXPECTED.search(text))
    }


def test_the_checker_accepts_and_infers_the_relations(reported):
    assert reported["accept.py"] == set()


def test_the_checker_rejects_misuse(reported):
    expected = expected_errors("reject.py")
    assert len(expected) == 12
    assert reported["reject.py"] == expected
