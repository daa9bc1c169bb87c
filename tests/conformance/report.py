"""Classify the recorded outcomes, print the summary lines, write the divergence report.

A test that fails (or errors, or unexpectedly passes) in a mode is

* **by design** when ``by_design.txt`` lists it for that mode (or ``*``): weakrel
  refuses it on purpose (it needs a join, asserts SQL text, or relies on a database
  constraint), with the reason on the entry's line;
* **harness** when ``harness.txt`` lists it: it cannot run under the harness for a
  reason that has nothing to do with weakrel;
* a **divergence** otherwise: weakrel behaves differently from Django.

Both lists hold one test a line, ``<mode> <test id>  # reason``, where mode is ``one``,
``split`` or ``*``. An entry whose test passes is *stale* and is reported, so that
the lists only ever name tests that fail. ``causes.txt`` groups the divergences of the
report by probable cause: ``<regular expression>  => <cause>``, matched against
``<test id> | <exception type>: <message> | <where>``; the first match wins.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAILED = {"fail", "error", "xpass"}
PASSED = {"pass", "xfail"}


@dataclasses.dataclass(frozen=True)
class Entry:
    mode: str
    test_id: str
    reason: str
    line: int


def load_list(path: Path) -> list[Entry]:
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        body, sep, reason = text.partition("#")
        parts = body.split()
        if len(parts) != 2 or not sep or not reason.strip():
            raise ValueError(f"{path.name}:{number}: expected '<mode> <test id>  # reason'")
        mode, test_id = parts
        if mode not in ("one", "split", "*"):
            raise ValueError(f"{path.name}:{number}: mode must be one, split or *")
        entries.append(Entry(mode, test_id, reason.strip(), number))
    return entries


def load_causes(path: Path) -> list[tuple[re.Pattern, str]]:
    causes = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        pattern, sep, cause = text.partition("=>")
        if not sep:
            raise ValueError(f"{path.name}:{number}: expected '<regex>  => <cause>'")
        causes.append((re.compile(pattern.strip()), cause.strip()))
    return causes


def lookup(entries: list[Entry], mode: str) -> dict[str, Entry]:
    found = {}
    for entry in entries:
        if entry.mode in (mode, "*"):
            found[entry.test_id] = entry
    return found


def describe(test_id: str, record: dict) -> str:
    return f"{test_id} | {record.get('exc_type', '?')}: {record.get('message', '')} | " + (
        record.get("where") or ""
    )


@dataclasses.dataclass
class ModeResult:
    mode: str
    label: str
    counts: Counter
    divergences: dict[str, dict]
    stale: list[Entry]
    unknown: list[Entry]
    seconds: float
    checks: list[dict]
    crossing: tuple[int, int] | None

    def summary(self) -> str:
        c = self.counts
        return (
            f"{self.label}: {c['pass']} pass, {c['by-design']} by-design, "
            f"{c['divergence']} divergence ({c['harness']} harness, {c['skipped']} skipped)"
        )


def classify(results: dict, label: str, by_design: list[Entry], harness: list[Entry]):
    mode = results["mode"]
    designed, harnessed = lookup(by_design, mode), lookup(harness, mode)
    counts: Counter = Counter()
    divergences = {}
    stale = []
    tests = results["tests"]
    for test_id, record in tests.items():
        outcome = record["outcome"]
        if outcome in PASSED:
            counts["pass"] += 1
            for listed in (designed, harnessed):
                if test_id in listed:
                    stale.append(listed[test_id])
        elif outcome == "skip":
            counts["skipped"] += 1
        elif test_id in designed:
            counts["by-design"] += 1
        elif test_id in harnessed:
            counts["harness"] += 1
        else:
            counts["divergence"] += 1
            divergences[test_id] = record
    unknown = [e for e in [*designed.values(), *harnessed.values()] if e.test_id not in tests]
    crossing = tuple(results["crossing"]) if "crossing" in results else None
    return ModeResult(
        mode,
        label,
        counts,
        divergences,
        stale,
        unknown,
        results.get("seconds", 0.0),
        results.get("checks", []),
        crossing,
    )


def group(divergences: dict[str, dict], causes) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for test_id, record in sorted(divergences.items()):
        text = describe(test_id, record)
        for pattern, cause in causes:
            if pattern.search(text):
                groups[cause].append(test_id)
                break
        else:
            where = (record.get("where") or "?").split(" in ")[0]
            groups[f"Unsorted: {record.get('exc_type', '?')} at {where}"].append(test_id)
    return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def render(mode_results: list[ModeResult], version: str, causes) -> str:
    out = [
        f"# Divergences of weakrel from Django {version}, found by scripts/conformance.sh.",
        "# Generated: do not edit. Grouped by probable cause (tests/conformance/causes.txt);",
        "# each line: <test id>  <exception>: <first line of the message>  [where].",
        "",
    ]
    for result in mode_results:
        out.append(result.summary())
    out.append("")
    failing_checks = []
    for result in mode_results:
        for check in result.checks:
            if check not in failing_checks:
                failing_checks.append(check)
    if failing_checks:
        out.append("## System checks that weakrel raises and Django would not")
        out.append("")
        for check in failing_checks:
            out.append(f"{check['id']} {check['obj']}: {check['msg']}")
        out.append("")
    # Divergences present in both modes are listed once, under "both".
    by_mode = {r.mode: r for r in mode_results}
    both = set.intersection(*(set(r.divergences) for r in mode_results)) if mode_results else set()
    sections = [("both modes", {t: by_mode[mode_results[0].mode].divergences[t] for t in both})]
    for result in mode_results:
        only = {t: r for t, r in result.divergences.items() if t not in both}
        sections.append((f"{result.label} only", only))
    for title, divergences in sections:
        if not divergences:
            continue
        out.append(f"## {title}: {len(divergences)}")
        out.append("")
        for cause, test_ids in group(divergences, causes).items():
            out.append(f"### {cause} ({len(test_ids)})")
            for test_id in test_ids:
                record = divergences[test_id]
                message = record.get("message", "").replace("\n", " ")
                if len(message) > 160:
                    message = message[:157] + "..."
                where = record.get("where") or ""
                out.append(f"{test_id}  {record.get('exc_type', '?')}: {message}  [{where}]")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def report(
    result_files: dict[str, Path], labels: dict[str, str], version: str, out: Path | None
) -> tuple[list[ModeResult], str]:
    by_design = load_list(HERE / "by_design.txt")
    harness = load_list(HERE / "harness.txt")
    causes = load_causes(HERE / "causes.txt")
    for mode in ("one", "split"):
        both = set(lookup(by_design, mode)) & set(lookup(harness, mode))
        if both:
            raise ValueError(f"{mode}: listed as both by-design and harness: {sorted(both)}")
    mode_results = []
    for mode, path in result_files.items():
        results = json.loads(path.read_text(encoding="utf-8"))
        mode_results.append(classify(results, labels[mode], by_design, harness))
    text = render(mode_results, version, causes)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return mode_results, text
