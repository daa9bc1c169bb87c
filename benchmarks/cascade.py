"""Section 5 of benchmarks/run.py: the cost of a cascade across databases.

Deleting N customers with 5 orders x 3 lines each: weakrel (customers in ``default``,
orders and lines in ``orders``, weak keys) against Django's own cascade with the same
rows in one database (``native``, ForeignKey). Each run deletes freshly seeded rows.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def delete_all(model) -> Callable[[], tuple[int, dict[str, int]]]:
    return lambda: model.objects.all().delete()


def measure_delete(seed: Callable[[int], None], n: int, fn, runs: int, counter_class):
    """(queries, median ms, deleted counts) of ``fn`` over ``runs`` fresh seeds."""
    times, queries, counts = [], None, None
    for _ in range(runs):
        seed(n)
        with counter_class() as counter:
            start = time.perf_counter()
            _, counts = fn()
            times.append((time.perf_counter() - start) * 1000)
        queries = counter.count
    return queries, statistics.median(times), counts


def cascade_rows(seed, sizes: list[int], runs: int, counter_class) -> list[list]:
    from benchapp.models import NCustomer, WCustomer

    rows = []
    for n in sizes:
        n_runs = runs if n < 10000 else max(3, runs // 2)
        qa, ta, weak = measure_delete(seed, n, delete_all(WCustomer), n_runs, counter_class)
        qb, tb, native = measure_delete(seed, n, delete_all(NCustomer), n_runs, counter_class)
        assert sum(weak.values()) == sum(native.values()) == n * 21, (weak, native)
        rows.append([n, sum(weak.values()), qa, f"{ta:.1f}", qb, f"{tb:.1f}", f"{ta / tb:.2f}"])
    return rows


HEADER = ["N", "rows", "weak q", "weak ms", "native q", "native ms", "weak/native"]
TITLE = "5. Customer.objects.all().delete(): N customers x 5 orders x 3 lines, cascaded"
