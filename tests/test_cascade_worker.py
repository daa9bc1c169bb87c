"""CASCADE_LATER on a real task engine: django-tasks' database backend and its
``db_worker`` process, on the pair under test (tests/worker_driver.py runs the
scenarios in databases of its own, where a worker process can see the commits)."""

import random

from tests.databases import run_driver

# As in tests/worker_driver.py, which this process does not import (its settings
# are the worker's).
SCENARIOS = ["worker", "mid_batch", "after_commit"]
KILLED = 17


def test_a_worker_process_runs_the_cascades_and_a_killed_one_resumes():
    seed = random.randrange(10**6)
    report = run_driver("tests.worker_driver", seed, suffix="worker", timeout=400)
    results = {r["scenario"]: r for r in report["results"]}
    assert list(results) == SCENARIOS
    assert {name: r["problems"] for name, r in results.items()} == {n: [] for n in SCENARIOS}
    for r in results.values():
        # Only the accounts went at the delete: one task queued per delete, the rest
        # in the journal.
        assert r["queued"] == r["deletes"] and r["journaled"] > 0, f"seed {seed}: {r}"
    worker = results["worker"]
    assert worker["worker_exit"] == 0 and set(worker["tasks"]) == {"SUCCESSFUL"}
    for name in ("mid_batch", "after_commit"):
        killed = results[name]
        assert killed["worker_exit"] == KILLED, f"seed {seed}: {killed}"
        assert killed["tasks"]["RUNNING"] == 1 and killed["resume_exit"] == 0
