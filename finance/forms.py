from decimal import Decimal

from django import forms

from .models import MonthlySnapshot, QuickBooksSettings
from .quickbooks.environments import Environment
from .webhooks.models import VerifierToken

# Every supported database gives back 15 significant digits exactly (SQLite keeps decimals as binary
# floating point): with cents, 13 digits before the point. The columns hold 16, so the limit is here.
LARGEST_AMOUNT = Decimal("9999999999999.99")
MONEY_FIELDS = ("ar_balance", "revenue", "ap_balance", "expenses", "cash")


def check_storable(value: Decimal | None) -> None:
    if value is not None and abs(value) > LARGEST_AMOUNT:
        raise forms.ValidationError(
            "Enter at most 13 digits before the decimal point (up to 9,999,999,999,999.99): larger amounts "
            "would not be stored exactly."
        )


class SnapshotForm(forms.ModelForm):
    class Meta:
        model = MonthlySnapshot
        fields = ["ar_balance", "revenue", "ap_balance", "expenses", "cash", "headcount", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean(self) -> dict:
        data = super().clean()
        for name in MONEY_FIELDS:
            try:
                check_storable(data.get(name))
            except forms.ValidationError as error:
                self.add_error(name, error)
        return data


class MonthPickForm(forms.Form):
    month = forms.DateField(
        input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}), help_text="Year and month"
    )


class QuickBooksSettingsForm(forms.ModelForm):
    """The secret is write-only: the field is never filled in; left blank, the stored one stays."""

    client_secret = forms.CharField(
        label="Client Secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    # Write-only too, stored encrypted apart (finance/webhooks): the key of Intuit's webhook signatures.
    webhook_verifier_token = forms.CharField(
        label="Webhook verifier token",
        required=False,
        strip=True,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="From your Intuit app's Webhooks page; QuickBooks signs every notification with it.",
    )

    class Meta:
        model = QuickBooksSettings
        fields = ["client_id", "client_secret", "environment", "invoice_item_name"]
        labels = {"invoice_item_name": "Item used on pushed invoices"}

    def __init__(self, *args, offered_environments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_secret = self.instance.client_secret if self.instance.pk else ""
        verifier = VerifierToken.objects.filter(company_id=self.instance.company_id).first()
        self.stored_verifier_token = verifier.token if verifier else ""
        self.fields["environment"].choices = [
            (value, label) for value, label in Environment.choices if value in offered_environments
        ]
        if self.stored_secret:
            self.fields["client_secret"].help_text = "A secret is set. Leave blank to keep it."

    def clean_client_id(self) -> str:
        return self.cleaned_data["client_id"].strip()

    def clean_client_secret(self) -> str:
        return self.cleaned_data["client_secret"] or self.stored_secret

    def save_verifier_token(self) -> None:
        """Keep a new webhook verifier token; left blank, the stored one stays."""
        token = self.cleaned_data.get("webhook_verifier_token")
        if token:
            VerifierToken.objects.update_or_create(company_id=self.instance.company_id, defaults={"token": token})
