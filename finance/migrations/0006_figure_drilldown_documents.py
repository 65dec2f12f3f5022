"""Drill-down rows move from one table row per transaction (FigureSource) to one document per month
and figure (FigureDrilldown). The rows already synced are carried over, months before any future
sync window included; going back splits the documents into rows again."""

import csv
import io
from itertools import groupby

import django.db.models.deletion
from django.db import migrations, models

FIELDS = ("txn_type", "txn_id", "txn_date", "party", "doc_number", "linked_txn_id", "amount", "exchange_rate",
          "home_amount")  # fmt: skip
ORDER = ("entity_id", "month", "figure", "txn_date", "txn_type", "txn_id", "linked_txn_id", "id")
BATCH = 500  # documents per INSERT


def rows_to_documents(apps, schema_editor):
    FigureSource = apps.get_model("finance", "FigureSource")
    FigureDrilldown = apps.get_model("finance", "FigureDrilldown")
    pending = []
    rows = FigureSource.objects.order_by(*ORDER).iterator(chunk_size=5000)
    for (entity_id, month, figure), group in groupby(rows, key=lambda r: (r.entity_id, r.month, r.figure)):
        group = list(group)
        # Amounts as their exact text, without the column's trailing zeros of the rate.
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(
            [r.txn_type, r.txn_id, r.txn_date.isoformat(), r.party, r.doc_number, r.linked_txn_id, r.amount,
             r.exchange_rate.normalize(), r.home_amount]
            for r in group
        )  # fmt: skip
        pending.append(
            FigureDrilldown(entity_id=entity_id, month=month, figure=figure, realm_id=group[0].realm_id,
                            row_count=len(group), rows=text.getvalue())  # fmt: skip
        )
        if len(pending) >= BATCH:
            FigureDrilldown.objects.bulk_create(pending)
            pending = []
    FigureDrilldown.objects.bulk_create(pending)


def documents_to_rows(apps, schema_editor):
    FigureSource = apps.get_model("finance", "FigureSource")
    FigureDrilldown = apps.get_model("finance", "FigureDrilldown")
    for document in FigureDrilldown.objects.order_by("entity_id", "month", "figure").iterator(chunk_size=100):
        FigureSource.objects.bulk_create(
            [
                FigureSource(entity_id=document.entity_id, month=document.month, figure=document.figure,
                             realm_id=document.realm_id, **dict(zip(FIELDS, row, strict=True)))  # fmt: skip
                for row in csv.reader(io.StringIO(document.rows))
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("finance", "0005_figuresource_one_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="FigureDrilldown",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField()),
                ("figure", models.CharField(max_length=12)),
                ("realm_id", models.CharField(max_length=40)),
                ("row_count", models.PositiveIntegerField(default=0)),
                ("rows", models.TextField(blank=True)),
                (
                    "entity",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="accounts.entity",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="figuredrilldown",
            constraint=models.UniqueConstraint(
                fields=("entity", "month", "figure"), name="figuredrilldown_entity_month_figure"
            ),
        ),
        migrations.RunPython(rows_to_documents, documents_to_rows),
        migrations.DeleteModel(name="FigureSource"),
    ]
