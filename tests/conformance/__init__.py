"""Django's own relation tests, run against weakrel's fields (``scripts/conformance.sh``).

See docs/conformance.md. The modules:

* ``fetch``: download the Django sdist that matches the installed Django (cached) and
  extract the test apps listed here;
* ``transform``: rewrite those apps' models to use weakrel's fields;
* ``routing``: the router of the two-database mode;
* ``runner``: run the apps in one mode, in a process of its own, and record every
  test's outcome;
* ``report``: classify the outcomes against ``by_design.txt`` and ``harness.txt``,
  print one summary line per mode, write the divergence report;
* ``__main__``: all of it, both modes (``python -m tests.conformance``).
"""

# Django's test apps (directories of the sdist's tests/) and the test labels run from
# each: the whole app, or named modules of it.
APPS = {
    "many_to_one": None,
    "many_to_one_null": None,
    "one_to_one": None,
    "delete": None,
    "delete_regress": None,
    "prefetch_related": None,
    "m2m_through": None,
    "m2m_through_regress": None,
    "known_related_objects": None,
    "inline_formsets": None,
    "model_formsets": None,
    "serializers": None,
    "fixtures": None,
    "fixtures_regress": None,
    "proxy_models": None,
    "model_inheritance": None,
    "multiple_database": None,
    "update": None,
    "order_with_respect_to": None,
    "async": ["async.test_async_related_managers"],
}

# Files of the sdist's tests/ the apps need besides their own directories.
SUPPORT_FILES = ["urls.py"]

MODES = {
    "one": "one-database",
    "split": "two-databases",
}


def labels() -> list[str]:
    labels: list[str] = []
    for app, modules in APPS.items():
        labels.extend(modules or [app])
    return labels
