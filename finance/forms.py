from django import forms

from .models import MonthlySnapshot, QuickBooksSettings
from .quickbooks.environments import Environment


class SnapshotForm(forms.ModelForm):
    class Meta:
        model = MonthlySnapshot
        fields = ["ar_balance", "revenue", "ap_balance", "expenses", "cash", "headcount", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


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

    class Meta:
        model = QuickBooksSettings
        fields = ["client_id", "client_secret", "environment", "invoice_item_name"]
        labels = {"invoice_item_name": "Item used on pushed invoices"}

    def __init__(self, *args, offered_environments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_secret = self.instance.client_secret if self.instance.pk else ""
        self.fields["environment"].choices = [
            (value, label) for value, label in Environment.choices if value in offered_environments
        ]
        if self.stored_secret:
            self.fields["client_secret"].help_text = "A secret is set. Leave blank to keep it."

    def clean_client_id(self) -> str:
        return self.cleaned_data["client_id"].strip()

    def clean_client_secret(self) -> str:
        return self.cleaned_data["client_secret"] or self.stored_secret
