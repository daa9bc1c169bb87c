"""pytest plugin that runs every example in docs/ and README.md with Sybil.

tests/test_docs.py runs it in a pytest process of its own, because the examples use
the example project (``--ds=tests.docs.settings``), whose apps share labels with the
suite's::

    python -m pytest -p tests.docs.plugin --ds=tests.docs.settings -p no:randomly docs README.md

Each Markdown file is one shell session: its examples run in order in one namespace,
which starts with what ``python manage.py shell`` imports (every model) and the
names the examples use without importing them (``SHELL_NAMESPACE``). The databases are
migrated and seeded once with ``seed_demo``; a document that wrote to them is
followed by a flush and a new seed, so every document starts from the seeded data
(sequences too). A document with ``<!-- docs: empty databases -->`` starts from
migrated, empty databases instead.

Blocks: ``python`` (tests/docs/python.py; a block starting with ``>>>`` is a
doctest), ``pycon`` (doctest), ``console`` and ``sh`` (tests/docs/shell.py). Doctests
compare with ``ELLIPSIS``. ``<!-- skip: next "reason" -->`` before a block marks it as
a fragment that cannot run, with the reason; a doctest block, whose ``>>>`` examples
Sybil counts one by one, goes between ``<!-- skip: start "reason" -->`` and
``<!-- skip: end -->``.
"""

from __future__ import annotations

import doctest
import io
import json
import os
import traceback
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connections
from sybil import Sybil
from sybil.evaluators.doctest import DocTestEvaluator
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import CodeBlockParser, SkipParser

from tests.docs import python, shell

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = doctest.ELLIPSIS
EMPTY = "<!-- docs: empty databases -->"
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "ALTER", "CREATE", "DROP", "REPLACE")


def shell_namespace() -> dict:
    """What the examples may use without importing it."""
    from django.db import models, transaction
    from django.db.models import Count, F, Prefetch, Q, Sum
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    import weakrel

    namespace = {model.__name__: model for model in apps.get_models()}
    namespace.update(
        __name__="__main__",
        BASE_DIR=settings.BASE_DIR,
        CaptureQueriesContext=CaptureQueriesContext,
        Count=Count,
        Decimal=Decimal,
        F=F,
        Prefetch=Prefetch,
        Q=Q,
        Sum=Sum,
        connections=connections,
        models=models,
        timezone=timezone,
        transaction=transaction,
        weakrel=weakrel,
    )
    return namespace


class DoctestBlockParser(CodeBlockParser):
    """A fenced block of ``>>>`` examples, one Sybil example each."""

    def __init__(self, language: str) -> None:
        super().__init__(language)
        self.doctests = DocTestStringParser(DocTestEvaluator(OPTIONS))

    def __call__(self, document):
        for region in super().__call__(document):
            source = region.parsed
            for doctest_region in self.doctests(source, document.path):
                doctest_region.adjust(region, source)
                yield doctest_region


class PythonBlockParser(CodeBlockParser):
    """``python`` blocks: doctests when they start with ``>>>``, else code."""

    def __init__(self) -> None:
        super().__init__("python", reported(python.evaluate))
        self.doctests = DocTestStringParser(DocTestEvaluator(OPTIONS))

    def __call__(self, document):
        for region in super().__call__(document):
            source = region.parsed
            if source.startswith(">>>"):
                for doctest_region in self.doctests(source, document.path):
                    doctest_region.adjust(region, source)
                    yield doctest_region
            else:
                yield region


def reported(evaluator):
    """Return an exception as the example's failure, with the traceback inside the
    example (Sybil's pytest traceback filter cannot cut ours)."""

    def evaluate(example):
        try:
            return evaluator(example)
        except Exception:  # noqa: BLE001 - reported as the example's failure
            return traceback.format_exc()

    return evaluate


def _setup(namespace: dict) -> None:
    namespace.update(shell_namespace())


pytest_collect_file = Sybil(
    parsers=[
        SkipParser(),
        PythonBlockParser(),
        DoctestBlockParser("pycon"),
        CodeBlockParser("console", reported(shell.evaluate_session)),
        CodeBlockParser("sh", reported(shell.evaluate_script)),
    ],
    path=str(ROOT),
    patterns=["*.md"],
    setup=_setup,
    fixtures=["docs_state"],
).pytest()


# -- the databases --------------------------------------------------------------------


class Writes:
    """Notes whether any statement wrote to a database: the next document reseeds."""

    def __init__(self) -> None:
        self.dirty = False
        self.paused = False

    def __call__(self, execute, sql, params, many, context):
        if not self.paused and sql.lstrip().upper().startswith(WRITES):
            self.dirty = True
        return execute(sql, params, many, context)


def _flush(alias: str) -> None:
    """``flush``, without Django's own content types and permissions: they never
    change, and recreating them is most of what flush costs."""
    connection = connections[alias]
    existing = set(connection.introspection.table_names())
    tables = [
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label_lower not in ("contenttypes.contenttype", "auth.permission")
        and model._meta.db_table in existing
    ]
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(no_style(), tables, reset_sequences=True)
    )


def _reset(writes: Writes, *, seed: bool) -> None:
    writes.paused = True
    try:
        for alias in connections:
            _flush(alias)
        if seed:
            call_command("seed_demo", stdout=io.StringIO())
    finally:
        writes.paused = False
    writes.dirty = False


@pytest.fixture(scope="session")
def docs_databases(django_test_environment, django_db_blocker):
    """Every alias's test database, open for the whole run (the examples commit for
    real, as the reader's do)."""
    from django.test.utils import setup_databases, teardown_databases

    writes = Writes()
    with django_db_blocker.unblock():
        created = setup_databases(verbosity=0, interactive=False, aliases=set(connections))
        for alias in connections:
            connections[alias].execute_wrappers.append(writes)
        yield writes
        for alias in connections:
            connections[alias].execute_wrappers.remove(writes)
        teardown_databases(created, verbosity=0)


@pytest.fixture
def docs_state(request, docs_databases):
    """Start each document from the seeded databases (or empty ones, see EMPTY)."""
    document = request.node.example.document
    state = request.session.stash.setdefault(_CURRENT, {"document": None, "empty": False})
    if state["document"] is not document:
        empty = EMPTY in document.text
        if docs_databases.dirty or state["empty"] != empty or state["document"] is None:
            _reset(docs_databases, seed=not empty)
        state.update(document=document, empty=empty)
    return None


_CURRENT = pytest.StashKey[dict]()


# -- the report tests/test_docs.py reads ------------------------------------------------

_REPORT = pytest.StashKey[list]()


def pytest_runtest_logreport(report):
    if report.when == "call" or report.outcome != "passed":
        config = pytest_runtest_logreport.config
        config.stash.setdefault(_REPORT, []).append(
            {
                "nodeid": report.nodeid,
                "when": report.when,
                "outcome": report.outcome,
                "longrepr": str(report.longrepr) if report.longrepr else "",
            }
        )


def pytest_configure(config):
    pytest_runtest_logreport.config = config


def pytest_sessionfinish(session):
    path = os.environ.get("WEAKREL_DOCS_REPORT")
    if path:
        Path(path).write_text(json.dumps(session.config.stash.get(_REPORT, [])))
