"""A process killed at any point of a cascade leaves the invariant intact, and
``weakrel_check --resume`` then leaves no orphan (tests/crash_driver.py does the
killing, in its own databases, so that real commits and real deaths happen)."""

import json
import os
import random
import subprocess
import sys

from tests.crash_driver import POINTS

RUNS = 50


def test_randomized_kills_during_cascades():
    seed = random.randrange(10**6)
    env = {
        **os.environ,
        "WEAKREL_DB_PREFIX": os.environ.get("WEAKREL_DB_PREFIX", "weakrel") + "crash",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.crash_driver", str(RUNS), str(seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"seed {seed}: {done.stderr[-3000:]}"
    report = json.loads(done.stdout)
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
