from django import forms

from .models import MonthlySnapshot


class SnapshotForm(forms.ModelForm):
    class Meta:
        model = MonthlySnapshot
        fields = ["ar_balance", "revenue", "ap_balance", "expenses", "cash", "headcount", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class MonthPickForm(forms.Form):
    month = forms.DateField(
        input_formats=["%Y-%m"], widget=forms.DateInput(attrs={"type": "month"}), help_text="Year and month"
    )
