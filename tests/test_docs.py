"""The docs run: every example in docs/ and README.md, against the example project.

The examples need the example project's settings, whose apps share labels with the
suite's, so they run in a pytest process of their own (tests/docs/plugin.py), on
this run's database pair, in databases of their own (the prefix plus ``_docs``).
Each Markdown file is one test here, failing with what failed in its examples.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted(ROOT.glob("docs/**/*.md")) + [ROOT / "README.md"]
# Fenced blocks of these languages are examples that run (tests/docs/plugin.py); the
# others show data: an output, a file, a query.
RUN = {"python", "pycon", "console", "sh"}
DATA = {"text", "json", "sql", "html", "toml", "yaml", "ini"}
FENCE = re.compile(r"^(\s*)```(\S*)", re.MULTILINE)


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture(scope="module")
def docs_report(tmp_path_factory) -> dict:
    """Run every document's examples once; their reports by document."""
    report = tmp_path_factory.mktemp("docs") / "report.json"
    prefix = os.environ.get("WEAKREL_DB_PREFIX", "weakrel") + "_docs"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.docs.plugin",
            "--ds=tests.docs.settings",
            "-p",
            "no:randomly",
            "-q",
            *map(_name, DOCUMENTS),
        ],
        cwd=ROOT,
        env={**os.environ, "WEAKREL_DB_PREFIX": prefix, "WEAKREL_DOCS_REPORT": str(report)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), f"the docs run stopped early:\n{done.stdout[-5000:]}{done.stderr}"
    by_document: dict = {}
    for entry in json.loads(report.read_text()):
        by_document.setdefault(entry["nodeid"].split("::")[0], []).append(entry)
    return by_document


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_examples_run(docs_report, document):
    entries = docs_report.get(_name(document), [])
    failed = [e for e in entries if e["outcome"] == "failed"]
    assert not failed, "\n\n".join(f"{e['nodeid']} ({e['when']}):\n{e['longrepr']}" for e in failed)
    if FENCE.search(document.read_text()) and any(
        language in RUN for _, language in FENCE.findall(document.read_text())
    ):
        assert any(e["outcome"] in ("passed", "skipped") for e in entries)


@pytest.mark.parametrize("document", DOCUMENTS, ids=_name)
def test_every_block_runs_or_is_data(document):
    """A block in another language would be neither run nor marked as a fragment."""
    languages = FENCE.findall(document.read_text())
    # Fences alternate: an opening one with its language, then the closing one.
    opening = [language for _, language in languages[::2]]
    unknown = [language or "(none)" for language in opening if language not in RUN | DATA]
    assert not unknown, f"blocks in {unknown}: use one of {sorted(RUN | DATA)}"
