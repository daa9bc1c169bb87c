"""Section 6 of benchmarks/run.py: prefetching a generic key.

N comments (``orders``) on customers and products (``default``), half each, read
with ``prefetch_related("target")``: 1 query plus 1 per target type. The same N
rows through a plain ``WeakForeignKey`` (``prefetch_related("customer")``, 2 queries)
is the yardstick.
"""

from __future__ import annotations


def seed_comments(n: int) -> None:
    from benchapp.models import WComment, WCustomer, WNote, WProduct

    for model in (WComment, WNote):
        model._base_manager.all()._raw_delete(model._base_manager.db)
    customers = list(WCustomer.objects.values_list("pk", flat=True))
    products = list(WProduct.objects.values_list("pk", flat=True))
    comments, notes = [], []
    for i in range(n):
        customer = customers[i % len(customers)]
        if i % 2:
            label, key = "benchapp.wproduct", products[i % len(products)]
        else:
            label, key = "benchapp.wcustomer", customer
        comments.append(WComment(target_type=label, target_id=str(key)))
        notes.append(WNote(customer_id=customer))
    WComment.objects.bulk_create(comments, batch_size=2000)
    WNote.objects.bulk_create(notes, batch_size=2000)


def prefetch_generic() -> int:
    from benchapp.models import WComment

    return sum(len(c.target.name) for c in WComment.objects.prefetch_related("target"))


def prefetch_plain() -> int:
    from benchapp.models import WNote

    return sum(len(n.customer.name) for n in WNote.objects.prefetch_related("customer"))


def polymorphic_rows(sizes: list[int], runs: int, measure) -> list[list]:
    rows = []
    for n in sizes:
        seed_comments(n)
        qa, ta = measure(prefetch_generic, runs)
        qb, tb = measure(prefetch_plain, runs)
        rows.append([n, qa, f"{ta:.1f}", qb, f"{tb:.1f}", f"{ta / tb:.2f}"])
    return rows


HEADER = ["N", "generic q", "generic ms", "plain q", "plain ms", "generic/plain"]
TITLE = "6. prefetch_related('target'): N comments on 2 types vs a plain weak key"
