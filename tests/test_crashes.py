"""A process killed at any point of a cascade leaves the invariant intact, and
``weakrel_check --resume`` then leaves no orphan (tests/crash_driver.py does the
killing, in its own databases, so that real commits and real deaths happen)."""

import random

from tests.crash_driver import POINTS
from tests.databases import run_driver

RUNS = 50


def test_randomized_kills_during_cascades():
    seed = random.randrange(10**6)
    report = run_driver(
        "tests.crash_driver",
        RUNS,
        seed,
        suffix="crash",
        timeout=300,
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    results = report["results"]
    assert len(results) == RUNS
    problems = [(r["point"], p) for r in results for p in r["problems"]]
    assert problems == [], f"seed {seed}"
    # Every run died where it was meant to, at every point of the cascade.
    assert [r["exit"] for r in results] == [17] * RUNS, f"seed {seed}"
    assert set(report["kills"]) == set(POINTS)
    # Some kills left work in the journal, and resuming did it.
    assert sum(r["resumed"] for r in results) > 0
    assert all(r["resumed"] == r["pending"] for r in results)
