from decimal import Decimal

import django.core.validators
from django.db import migrations, models
from django.db.models import F


def amount_from_usd(apps, schema_editor):
    # Every sale recorded so far was a USD sale: its contract amount is its USD figure.
    apps.get_model("sales", "Sale").objects.update(amount=F("amount_usd"))


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_sale_qb_invoice_id_sale_qb_invoice_number_and_more")]

    operations = [
        migrations.AddField(model_name="sale", name="currency", field=models.CharField(default="USD", max_length=3)),
        migrations.AddField(
            model_name="sale",
            name="amount",
            field=models.DecimalField(
                decimal_places=2,
                max_digits=14,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0.00"))],
            ),
        ),
        migrations.RunPython(amount_from_usd, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="sale",
            name="amount",
            field=models.DecimalField(
                decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(Decimal("0.00"))]
            ),
        ),
        migrations.AddField(model_name="sale", name="qb_currency", field=models.CharField(blank=True, max_length=3)),
        migrations.AddField(
            model_name="sale",
            name="qb_total",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True),
        ),
        migrations.AddField(
            model_name="sale",
            name="qb_balance",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=16, null=True),
        ),
        migrations.AddField(model_name="sale", name="qb_last_paid_on", field=models.DateField(blank=True, null=True)),
        migrations.AddField(
            model_name="sale",
            name="qb_invoice_gone",
            field=models.CharField(
                blank=True,
                choices=[("deleted", "Deleted in QuickBooks"), ("voided", "Voided in QuickBooks")],
                max_length=8,
            ),
        ),
        migrations.AddField(model_name="sale", name="qb_checked_at", field=models.DateTimeField(blank=True, null=True)),
    ]
