"""CASCADE_LATER on a real task engine: django-tasks' database backend and its
``db_worker`` process, on the pair under test (tests/worker_driver.py runs the
scenarios in databases of its own, where a worker process can see the commits)."""

import json
import os
import random
import subprocess
import sys

# As in tests/worker_driver.py, which this process does not import (its settings
# are the worker's).
SCENARIOS = ["worker", "mid_batch", "after_commit"]
KILLED = 17


def test_a_worker_process_runs_the_cascades_and_a_killed_one_resumes():
    seed = random.randrange(10**6)
    env = {
        **os.environ,
        "WEAKREL_DB_PREFIX": os.environ.get("WEAKREL_DB_PREFIX", "weakrel") + "worker",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.worker_driver", str(seed)],
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
        check=False,
    )
    assert done.returncode == 0, f"seed {seed}: {done.stderr[-3000:]}"
    results = {r["scenario"]: r for r in json.loads(done.stdout)["results"]}
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
