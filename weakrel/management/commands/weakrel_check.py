import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError, RestrictedError

from weakrel.deletion import resume
from weakrel.exceptions import RelatedDatabaseError
from weakrel.scan_report import ScanReport, in_background, pending_cascades
from weakrel.scanner import FIXES, ScanError, scan_class, weak_relations

BAR_WIDTH = 30
VERBS = {"delete": "deleted", "null": "set to NULL", "default": "set to default", "pull": "pulled"}


class Command(BaseCommand):
    help = (
        "Finds weak keys whose target row does not exist (orphans) and, with --fix, "
        "repairs them. Exits with status 1 when orphans are left (found, and not all "
        "repaired)."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "relations",
            nargs="*",
            metavar="app_label[.Model[.field]]",
            help="Weak relations to check; all of them by default.",
        )
        parser.add_argument(
            "--format",
            choices=("text", "json"),
            default="text",
            help="Output format of the result (default: text).",
        )
        parser.add_argument(
            "--fix",
            choices=FIXES,
            help="Repair the orphans: delete the rows, set the key to NULL or to its "
            "default, pull the key from a list (WeakReferencesMany), or apply each "
            "relation's own on_delete.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="With --fix: show what would change, change nothing.",
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Only finish the cascades a crash or an error left half-done "
            "(the pending cascade journal); scan nothing.",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="Rows read per query (default: settings.WEAKREL['CHECK_BATCH_SIZE']).",
        )

    def handle(self, *args, **options):
        labels = options["relations"]
        fix, dry_run, batch_size = options["fix"], options["dry_run"], options["batch_size"]
        self.fix = fix
        self.verbosity = options["verbosity"]
        self.as_json = options["format"] == "json"
        if options["resume"]:
            return self.resume(labels or fix or dry_run)
        if dry_run and not fix:
            raise CommandError("--dry-run only applies together with --fix.", returncode=2)
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be a positive integer.", returncode=2)
        try:
            scans = [
                scan_class(field)(field, batch_size=batch_size, fix=fix, dry_run=dry_run)
                for field in weak_relations(*labels)
            ]
        except ScanError as exc:
            raise CommandError(str(exc), returncode=2) from exc

        # Progress shares stdout with the result in text mode, as migrate's does; with
        # --format=json stdout carries nothing but the JSON document.
        self.progress_out = self.stderr if self.as_json else self.stdout
        self.tty = self.progress_out.isatty()
        findings = []
        started = time.monotonic()
        for relation_scan in scans:
            try:
                findings.append(self.run_scan(relation_scan))
            except (RelatedDatabaseError, ScanError, ProtectedError, RestrictedError) as exc:
                self.end_progress()
                raise CommandError(f"{relation_scan.finding.relation}: {exc}") from exc

        # A full check (no relation named) also reports the journals' pending work.
        cascades = [] if labels else pending_cascades()
        report = ScanReport(findings, time.monotonic() - started, cascades)
        if self.as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        elif self.verbosity:
            seconds, scanned = report.seconds, report.scanned
            rate = f" ({scanned / seconds:,.0f} rows/s)" if seconds and scanned else ""
            summary = (
                f"Checked {len(findings)} weak relation(s), {scanned} rows in "
                f"{seconds:.2f}s{rate}: {report.orphans} orphan(s)"
            )
            if fix and not dry_run and report.orphans:
                summary += f", {report.repaired} repaired, {report.remaining} left"
            self.stdout.write(summary + ".")
        if cascades and not self.as_json:
            self.stderr.write(f"{len(cascades)} cascade(s) pending; run weakrel_check --resume:")
            for alias, entry in cascades:
                self.stderr.write(f"  {describe_cascade(alias, entry)}")
        if report.exit_status:
            sys.exit(report.exit_status)

    def resume(self, other_options) -> None:
        if other_options:
            raise CommandError("--resume takes no relations, --fix or --dry-run.", returncode=2)
        done, failed = resume()
        for alias, entry, counts in done:
            deleted = ", ".join(f"{label}: {n}" for label, n in sorted(counts.items()))
            if self.verbosity:
                self.stdout.write(
                    f"Finished {describe_cascade(alias, entry)}"
                    + (f" (deleted {deleted})" if deleted else "")
                )
        for alias, entry, error in failed:
            self.stderr.write(f"Failed {describe_cascade(alias, entry)}: {error}")
        if self.verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"{len(done)} pending cascade(s) finished.")
                if not failed
                else f"{len(done)} pending cascade(s) finished, {len(failed)} failed."
            )
        if failed:
            sys.exit(1)

    # -- progress and result lines -----------------------------------------------------

    def run_scan(self, relation_scan):
        finding = relation_scan.finding
        label = f"{finding.relation} ({finding.source_alias} -> {finding.target_alias})"
        total = relation_scan.total() if self.verbosity else 0
        self.progress(label, 0, total)
        step = max(total // 10, 1)
        next_line = step
        for scanned in relation_scan.batches():
            if self.tty or scanned >= next_line:
                self.progress(label, scanned, total)
                next_line = (scanned // step + 1) * step
        self.end_progress()
        if not self.as_json:
            self.stdout.write(self.result_line(finding), self.result_style(finding))
        return finding

    def progress(self, label, scanned, total):
        if not self.verbosity:
            return
        done = min(scanned / total, 1.0) if total else 1.0
        if self.tty:
            filled = int(BAR_WIDTH * done)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            self.progress_out.write(f"\r  Checking {label} [{bar}] {scanned}/{total}", ending="")
            self.progress_out.flush()
        else:
            self.progress_out.write(f"  Checking {label}: {scanned}/{total} rows ({done:.0%})")

    def end_progress(self):
        if self.verbosity and self.tty:
            self.progress_out.write("\r\033[K", ending="")
            self.progress_out.flush()

    def result_line(self, finding):
        line = (
            f"{finding.relation}  {finding.source_alias} -> {finding.target_alias}  "
            f"scanned {finding.scanned}  orphans {finding.orphans}"
        )
        if finding.sample:
            line += "  sample keys: " + ", ".join(repr(k) for k in finding.sample)
        if finding.orphans and finding.fix:
            verb = VERBS[finding.fix]
            line += f"  {'would be ' if finding.dry_run else ''}{verb}: {finding.repaired}"
        elif finding.orphans and self.fix:
            line += f"  left alone (on_delete={finding.field.on_delete.__name__})"
        return line

    def result_style(self, finding):
        if not finding.orphans:
            return self.style.SUCCESS
        if finding.fix and not finding.dry_run and finding.repaired == finding.orphans:
            return self.style.WARNING
        return self.style.ERROR


def describe_cascade(alias: str, entry) -> str:
    error = f"; last error: {entry.last_error}" if entry.last_error else ""
    kind = "background cascade" if in_background(entry) else "cascade"
    return (
        f"{kind} #{entry.pk} in {alias!r}: on_delete of {entry.relation} in "
        f"{entry.using!r} for {len(entry.keys)} deleted key(s), since "
        f"{entry.created:%Y-%m-%d %H:%M:%S}{error}"
    )
