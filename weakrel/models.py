"""The cascade journal: what a delete still has to do in other databases.

A delete across databases commits one database at a time. Before the deleted rows'
database commits, weakrel writes, in the same transaction, one :class:`PendingCascade`
per weak relation and database that still has work to do: "apply ``on_delete`` of
``shop.Order.customer`` in ``orders`` to the customers with these keys". The row is
removed once that database has committed the work. A row that outlives its delete
(a crash, a failed commit, a rollback of the dependents' transaction) is finished by
``weakrel_check --resume`` (:mod:`weakrel.journal`).
"""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class PendingCascade(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    cascade = models.UUIDField(help_text="Shared by the rows one delete wrote.")
    using = models.CharField(
        "database", max_length=100, help_text="The alias holding the dependent rows."
    )
    relation = models.CharField(
        max_length=255, help_text="The weak relation, as app_label.Model.field."
    )
    keys = models.JSONField(
        encoder=DjangoJSONEncoder, help_text="Keys of the deleted targets, as JSON."
    )
    last_error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = "pending cascade"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.relation} in {self.using!r}: {len(self.keys)} deleted keys"
