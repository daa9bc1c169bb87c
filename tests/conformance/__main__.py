"""Run Django's relation tests against weakrel's fields, in both modes.

    python -m tests.conformance [--mode one|split|both] [-k PATTERN] [--keep-going]

Fetches the Django sdist matching the installed Django (once; cached), rewrites the
test apps' models (``transform``), runs the modes in parallel processes and prints one
line per mode: ``<mode>: N pass, N by-design, N divergence (N harness, N skipped)``.
The divergences, grouped by probable cause, go to tests/conformance/divergences.txt
when the whole suite ran in both modes (else to the cache directory). Exits 1 when a
mode has a divergence or a system check of weakrel fails, 2 on a harness error.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conformance import MODES
from tests.conformance.fetch import cache_dir, django_version, pristine_tests
from tests.conformance.prepare import prepare
from tests.conformance.report import HERE, report

REPO = HERE.parents[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("one", "split", "both"), default="both")
    parser.add_argument("-k", dest="pattern", help="only tests whose id contains PATTERN")
    parser.add_argument(
        "--report", type=Path, help="where the divergence report goes (default: see above)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    version = django_version()
    root = cache_dir()
    pristine = pristine_tests(version)
    work = root / f"work-{version}"
    decisions = prepare(pristine, work)
    weak = sum(d.weak for d in decisions)
    print(
        f"==> Django {version}: {len(decisions)} relation fields in the test apps' models, "
        f"{weak} rewritten to weakrel, {len(decisions) - weak} left native "
        f"(see {work / 'TRANSFORMED.txt'})",
        flush=True,
    )

    modes = ["one", "split"] if args.mode == "both" else [args.mode]
    results = {mode: root / f"results-{version}-{mode}.json" for mode in modes}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    processes = {}
    for mode in modes:
        results[mode].unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "tests.conformance.runner",
            "--mode",
            mode,
            "--apps",
            str(work),
            "--out",
            str(results[mode]),
        ]
        if args.pattern:
            command += ["-k", args.pattern]
        log = open(root / f"runner-{version}-{mode}.log", "w", encoding="utf-8")  # noqa: SIM115
        # A temporary directory per mode: some tests write fixed names in it
        # (fixtures' /tmp/dumpdata.json), and the modes run at the same time.
        tmp = root / f"tmp-{mode}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        processes[mode] = (
            subprocess.Popen(
                command, cwd=REPO, env={**env, "TMPDIR": str(tmp)}, stdout=log, stderr=log
            ),
            log,
        )
    failed = []
    for mode, (process, log) in processes.items():
        if process.wait() != 0 or not results[mode].exists():
            failed.append(mode)
        log.close()
    if failed:
        for mode in failed:
            log_path = root / f"runner-{version}-{mode}.log"
            print(f"!! the {mode} run failed; its log ({log_path}) ends with:", file=sys.stderr)
            lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
            print("\n".join(lines[-30:]), file=sys.stderr)
        return 2

    complete = args.mode == "both" and not args.pattern
    out = args.report or (HERE / "divergences.txt" if complete else root / "divergences.txt")
    mode_results, _text = report(results, MODES, version, out)
    status = 0
    for result in mode_results:
        print(result.summary())
    for result in mode_results:
        if result.crossing:
            crossed, total = result.crossing
            print(f"    {result.label}: {crossed} of {total} weak relations cross databases")
        for entry in result.stale:
            print(f"    stale ({result.mode}): {entry.test_id} passes (line {entry.line})")
        if not args.pattern:
            for entry in result.unknown:
                print(
                    f"    unknown ({result.mode}): {entry.test_id} is not a test "
                    f"(line {entry.line})"
                )
        if result.counts["divergence"]:
            status = 1
    checks = {c["id"] + c["obj"] for r in mode_results for c in r.checks}
    if checks:
        print(f"    system checks: {len(checks)} errors that Django would not raise (see report)")
        status = 1
    print(f"==> Report: {out}  ({time.perf_counter() - started:.0f} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
