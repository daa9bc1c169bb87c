"""The Django task behind ``on_delete=CASCADE_LATER``.

``cascade_later(alias, cascade, after)`` runs one batch of a background cascade: the
first entry of ``cascade`` in ``alias``'s journal whose id is greater than ``after``
loses at most ``WEAKREL["CASCADE_BATCH_SIZE"]`` dependents (with their own cascades),
in one transaction per database; the entry is forgotten once none is left. Then the
task enqueues itself for the next batch, until the cascade has no entry left.

An entry whose batch fails keeps its error in the journal and the task fails; the
rest of the cascade goes on without it. ``weakrel_check`` reports the entry and
``weakrel_check --resume`` retries it. A worker killed in the middle of a batch
leaves that batch's transaction uncommitted and the journal as it was: ``--resume``
finishes the cascade.

The arguments are JSON, as task backends require: the journal's alias, the cascade's
id as a string, the id of the last entry passed (or None). Imported only where the
tasks framework is installed: ``django.tasks`` (Django 6) or the django-tasks backport.
"""

from __future__ import annotations

try:
    from django.tasks import task
except ImportError:  # Django 5.2: the django-tasks backport
    from django_tasks import task  # type: ignore[no-redef]

from weakrel import journal
from weakrel.background import enqueue
from weakrel.deletion import run_step


@task
def cascade_later(alias: str, cascade: str, after: int | None = None) -> dict[str, int]:
    """One batch of a background cascade; returns the rows deleted, per model."""
    entry = entries_after(alias, cascade, after).first()
    if entry is None:
        return {}
    try:
        (_, counts), done = run_step(alias, entry)
    except Exception:
        follow(alias, cascade, entry.pk)  # this entry waits for --resume
        raise
    follow(alias, cascade, entry.pk if done else after)
    return counts


def entries_after(alias: str, cascade: str, after: int | None):
    entries = journal.pending(alias).filter(cascade=cascade)
    return entries if after is None else entries.filter(pk__gt=after)


def follow(alias: str, cascade: str, after: int | None) -> None:
    """Enqueue the next batch when the cascade has work left after ``after``."""
    if entries_after(alias, cascade, after).exists():
        enqueue(alias, cascade, after)
