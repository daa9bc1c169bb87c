import django.core.serializers.json
from django.db import migrations, models

import weakrel.journal


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        weakrel.journal.CreateJournal(
            name="PendingCascade",
            fields=[
                (
                    "id",
                    models.AutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
                (
                    "cascade",
                    models.UUIDField(help_text="Shared by the rows one delete wrote."),
                ),
                (
                    "using",
                    models.CharField(
                        help_text="The alias holding the dependent rows.",
                        max_length=100,
                        verbose_name="database",
                    ),
                ),
                (
                    "relation",
                    models.CharField(
                        help_text="The weak relation, as app_label.Model.field.",
                        max_length=255,
                    ),
                ),
                (
                    "keys",
                    models.JSONField(
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                        help_text="Keys of the deleted targets, as JSON.",
                    ),
                ),
                ("last_error", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "pending cascade",
                "ordering": ["pk"],
            },
        ),
    ]
