"""Counting the queries a block runs, per database alias."""

from contextlib import ExitStack, contextmanager

from django.db import connections
from django.test.utils import CaptureQueriesContext


@contextmanager
def count_queries():
    """Queries run on each alias inside the block: {alias: n}."""
    counts: dict[str, int] = {}
    with ExitStack() as stack:
        contexts = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        yield counts
    counts.update({alias: len(ctx.captured_queries) for alias, ctx in contexts.items()})
