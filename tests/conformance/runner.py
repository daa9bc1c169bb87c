"""Run the transformed apps in one mode, in this process, and record every outcome.

    python -m tests.conformance.runner --mode one|split --apps DIR --out FILE [-k PATTERN]

Settings follow Django's own ``tests/runtests.py`` and ``tests/test_sqlite.py``: two
SQLite databases (``default`` and ``other``), the contrib apps runtests always
installs, the same warnings turned into errors. To them the harness adds ``weakrel``
and, in ``split`` mode, ``routing.SplitRouter``.

What the harness changes in the test classes (and nothing else):

* ``split``: every test may use both databases (``databases = "__all__"``), and
  ``assertNumQueries()`` counts the queries of both: the split moves queries, it
  should not change how many there are;
* ``available_apps``, where a test class sets it, also names ``weakrel``.

The outcome of each test goes to ``--out`` as JSON: ``pass``, ``fail``, ``error``,
``skip``, ``xfail`` (an expected failure that failed) or ``xpass``, with the
exception's type, the first line of its message and where it was raised.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import sys
import tempfile
import time
import traceback
import unittest
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def configure(mode: str, apps_dir: Path) -> None:
    from django.conf import settings
    from django.utils.log import DEFAULT_LOGGING

    from tests.conformance import APPS

    logging = copy.deepcopy(DEFAULT_LOGGING)
    logging["loggers"]["django"]["level"] = "ERROR"
    routers = ["tests.conformance.routing.SplitRouter"] if mode == "split" else []
    settings.configure(
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3"},
            "other": {"ENGINE": "django.db.backends.sqlite3"},
        },
        DATABASE_ROUTERS=routers,
        SECRET_KEY="django_tests_secret_key",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=False,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sites",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.admin.apps.SimpleAdminConfig",
            "django.contrib.staticfiles",
            "weakrel",
            *APPS,
        ],
        CONFORMANCE_APPS=list(APPS),
        ROOT_URLCONF="urls",
        STATIC_URL="static/",
        STATIC_ROOT=os.path.join(tempfile.gettempdir(), "weakrel-conformance-static"),
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [],
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        LANGUAGE_CODE="en",
        SITE_ID=1,
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        MIGRATION_MODULES={"auth": None, "contenttypes": None, "sessions": None},
        LOGGING=logging,
        # weakrel.W101: Django's tests use through models that hold a pair twice on
        # purpose; the warning is advice about concurrent add(), not a divergence.
        SILENCED_SYSTEM_CHECKS=["fields.W342", "weakrel.W101"],
    )


def strict_warnings() -> None:
    """As Django's runtests.py: deprecations, resource and runtime warnings raise."""
    from django.utils.deprecation import RemovedInDjango60Warning, RemovedInDjango61Warning

    warnings.simplefilter("error", RemovedInDjango60Warning)
    warnings.simplefilter("error", RemovedInDjango61Warning)
    warnings.simplefilter("error", ResourceWarning)
    warnings.simplefilter("error", RuntimeWarning)


def iter_tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iter_tests(test)
        else:
            yield test


def adapt(suite, mode: str) -> None:
    """The harness's changes to the test classes (see the module docstring)."""
    classes = {type(test) for test in iter_tests(suite)}
    for cls in classes:
        if mode == "split" and hasattr(cls, "databases"):
            cls.databases = "__all__"
        available = cls.__dict__.get("available_apps")
        if isinstance(available, list | tuple) and "weakrel" not in available:
            cls.available_apps = [*available, "weakrel"]
    if mode == "split":
        from django.db import connections
        from django.test import TransactionTestCase
        from django.test.utils import CaptureQueriesContext

        class AllQueries:
            """assertNumQueries' context, counting the queries of every database."""

            def __init__(self, test_case, num):
                self.test_case, self.num = test_case, num
                self.contexts = [CaptureQueriesContext(connections[a]) for a in connections]

            def __enter__(self):
                for context in self.contexts:
                    context.__enter__()
                return self

            @property
            def captured_queries(self):
                return [q for c in self.contexts for q in c.captured_queries]

            def __len__(self):
                return len(self.captured_queries)

            def __exit__(self, exc_type, exc_value, tb):
                for context in self.contexts:
                    context.__exit__(exc_type, exc_value, tb)
                if exc_type is not None:
                    return
                executed = len(self)
                self.test_case.assertEqual(
                    executed,
                    self.num,
                    f"{executed} queries executed, {self.num} expected (all databases)\n"
                    + "Captured queries were:\n"
                    + "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(self.captured_queries, 1)),
                )

        def assertNumQueries(self, num, func=None, *args, using=None, **kwargs):  # noqa: N802
            context = AllQueries(self, num)
            if func is None:
                return context
            with context:
                func(*args, **kwargs)

        TransactionTestCase.assertNumQueries = assertNumQueries


def _where(tb) -> str:
    """The innermost frame in weakrel, else in Django's tests, else the innermost."""
    frames = traceback.extract_tb(tb)
    if not frames:
        return ""
    chosen = frames[-1]
    for marker in (f"{os.sep}weakrel{os.sep}", None):
        for frame in reversed(frames):
            if marker is None:
                if "site-packages" not in frame.filename and "/django/" not in frame.filename:
                    chosen = frame
                    break
            elif marker in frame.filename and ".venv" not in frame.filename:
                chosen = frame
                break
        else:
            continue
        break
    path = frame_path(chosen.filename)
    return f"{path}:{chosen.lineno} in {chosen.name}"


def frame_path(filename: str) -> str:
    for root in (str(REPO) + os.sep, os.environ.get("CONFORMANCE_APPS_DIR", "") + os.sep):
        if root != os.sep and filename.startswith(root):
            return filename[len(root) :]
    marker = f"{os.sep}django{os.sep}"
    if marker in filename:
        return "django" + os.sep + filename.split(marker, 1)[1]
    return filename


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    line = text.splitlines()[0] if text else ""
    return line[:300]


def _signals():
    from django.core import signals as core_signals
    from django.db.models import signals as model_signals
    from django.dispatch import Signal
    from django.test import signals as test_signals

    modules = (core_signals, model_signals, test_signals)
    return [obj for m in modules for obj in vars(m).values() if isinstance(obj, Signal)]


class RecordingResult(unittest.TextTestResult):
    """A TextTestResult that also keeps a record per test id.

    It also puts back the receivers of Django's signals after each test: a test that
    fails between ``connect()`` and ``disconnect()`` would otherwise leave its
    receiver behind and fail every later test that sends the signal.
    """

    records: dict[str, dict] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started: dict[str, float] = {}
        self._receivers: list = []

    def _record(self, test, outcome: str, err=None, **extra) -> None:
        test_id = test.id()
        record = {"outcome": outcome, **extra}
        if err is not None:
            exc_type, exc, tb = err
            record.update(
                exc_type=f"{exc_type.__module__}.{exc_type.__qualname__}".removeprefix("builtins."),
                message=_first_line(exc),
                where=_where(tb),
                traceback="".join(traceback.format_exception(exc_type, exc, tb))[-6000:],
            )
        started = self._started.pop(test_id, None)
        if started is not None:
            record["seconds"] = round(time.perf_counter() - started, 3)
        previous = self.records.get(test_id)
        if previous and previous["outcome"] in ("fail", "error") and outcome == "pass":
            return  # a failed subtest already decided it
        self.records[test_id] = record

    def startTest(self, test):  # noqa: N802
        self._started[test.id()] = time.perf_counter()
        self._receivers = [(signal, list(signal.receivers)) for signal in _signals()]
        super().startTest(test)

    def stopTest(self, test):  # noqa: N802
        super().stopTest(test)
        for signal, receivers in self._receivers:
            if signal.receivers != receivers:
                with signal.lock:
                    signal.receivers = receivers
                    signal.sender_receivers_cache.clear()
        self._receivers = []

    def addSuccess(self, test):  # noqa: N802
        super().addSuccess(test)
        self._record(test, "pass")

    def addFailure(self, test, err):  # noqa: N802
        super().addFailure(test, err)
        self._record(test, "fail", err)

    def addError(self, test, err):  # noqa: N802
        super().addError(test, err)
        self._record(test, "error", err)

    def addSkip(self, test, reason):  # noqa: N802
        super().addSkip(test, reason)
        self._record(test, "skip", reason=reason)

    def addExpectedFailure(self, test, err):  # noqa: N802
        super().addExpectedFailure(test, err)
        self._record(test, "xfail")

    def addUnexpectedSuccess(self, test):  # noqa: N802
        super().addUnexpectedSuccess(test)
        self._record(test, "xpass")

    def addSubTest(self, test, subtest, err):  # noqa: N802
        super().addSubTest(test, subtest, err)
        if err is not None:
            outcome = "fail" if issubclass(err[0], test.failureException) else "error"
            if self.records.get(test.id(), {}).get("outcome") not in ("fail", "error"):
                self._record(test, outcome, err, subtest=str(subtest._subDescription()))


def run(mode: str, apps_dir: Path, out: Path, pattern: str | None, verbosity: int) -> int:
    sys.path.insert(0, str(apps_dir))
    os.environ["CONFORMANCE_APPS_DIR"] = str(apps_dir)
    os.environ["RUNNING_DJANGOS_TEST_SUITE"] = "true"
    configure(mode, apps_dir)
    strict_warnings()
    import django

    django.setup()

    from django.core import checks
    from django.test.runner import DiscoverRunner

    from tests.conformance import labels

    class Runner(DiscoverRunner):
        def run_checks(self, databases):
            # Reported, never fatal: a check error is a finding, not a reason to stop.
            self.check_messages = [
                {"id": m.id, "level": m.level, "obj": str(m.obj), "msg": m.msg}
                for m in checks.run_checks(databases=databases)
                if m.id not in ("fields.W342", "weakrel.W101") and m.level >= checks.WARNING
            ]

        def get_test_runner_kwargs(self):
            kwargs = super().get_test_runner_kwargs()
            kwargs["resultclass"] = RecordingResult
            kwargs["stream"] = open(os.devnull, "w")  # noqa: SIM115 - closed at exit
            return kwargs

    runner = Runner(
        verbosity=verbosity,
        interactive=False,
        parallel=1,
        buffer=True,
        test_name_patterns=[pattern] if pattern else None,
    )
    started = time.perf_counter()
    runner.setup_test_environment()
    suite = runner.build_suite(labels())
    all_ids = [test.id() for test in iter_tests(suite)]
    adapt(suite, mode)
    with contextlib.redirect_stdout(sys.stderr):
        old_config = runner.setup_databases()
    try:
        runner.run_checks(runner.get_databases(suite))
        runner.run_suite(suite)
    finally:
        with contextlib.redirect_stdout(sys.stderr):
            runner.teardown_databases(old_config)
        runner.teardown_test_environment()

    records = dict(RecordingResult.records)
    # Errors of setUpClass / setUpModule are reported on a stand-in, not on the tests.
    class_errors = {}
    for test_id, record in list(records.items()):
        if test_id not in all_ids and record["outcome"] in ("error", "fail"):
            # "setUpClass (app.tests.SomeTests)" -> "app.tests.SomeTests"
            owner = test_id.partition(" (")[2].rstrip(")") or test_id
            class_errors[owner] = record
    for test_id in all_ids:
        if test_id in records:
            continue
        owner = test_id.rpartition(".")[0]
        module = owner.rpartition(".")[0]
        record = class_errors.get(owner) or class_errors.get(module)
        if record is None:
            record = {"outcome": "error", "exc_type": "NotRun", "message": "the test never ran"}
        records[test_id] = {**record, "class_level": True}
    extra = {k: v for k, v in records.items() if k not in set(all_ids)}
    result = {
        "mode": mode,
        "seconds": round(time.perf_counter() - started, 1),
        "tests": {k: records[k] for k in all_ids},
        "stand_ins": extra,
        "checks": runner.check_messages,
    }
    if mode == "split":
        from tests.conformance.routing import crossing, placement

        result["placement"] = placement(labels_apps())
        result["crossing"] = crossing(labels_apps())
    out.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    return 0


def labels_apps() -> list[str]:
    from tests.conformance import APPS

    return list(APPS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("one", "split"), required=True)
    parser.add_argument("--apps", type=Path, required=True, help="the transformed apps")
    parser.add_argument("--out", type=Path, required=True, help="where the JSON goes")
    parser.add_argument("-k", dest="pattern", help="only tests whose id matches")
    parser.add_argument("-v", dest="verbosity", type=int, default=0)
    args = parser.parse_args(argv)
    return run(args.mode, args.apps.resolve(), args.out, args.pattern, args.verbosity)


if __name__ == "__main__":
    sys.exit(main())
