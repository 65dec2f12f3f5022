"""Forms for clients and sales, each limited to the signed-in user's company."""

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import Entity, Role

from .models import Client, Sale, SaleStatus


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name"]

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.company = company

    def clean_name(self) -> str:
        # Keep the name exactly as typed inside (it is matched to QuickBooks by string), but not
        # stray outer spaces that nobody can see.
        name = self.cleaned_data["name"].strip()
        clash = Client.objects.filter(company=self.instance.company, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A client with this name already exists.")
        return name


class SaleForm(forms.ModelForm):
    class Meta:
        model = Sale
        fields = ["name", "entity", "client", "salesperson", "amount_usd", "signed_date", "status"]
        widgets = {"signed_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"amount_usd": "Amount (USD)"}

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        company = membership.company
        self.instance.company = company
        self.fields["entity"].queryset = Entity.objects.filter(company=company)
        self.fields["client"].queryset = Client.objects.filter(company=company)
        people = get_user_model().objects.filter(membership__company=company).order_by("username")
        self.fields["salesperson"].queryset = people
        self.fields["salesperson"].label_from_instance = lambda user: user.get_full_name() or user.username
        if membership.role == Role.SALES:
            # A salesperson records their own sales only.
            self.fields["salesperson"].queryset = people.filter(pk=membership.user_id)
            self.fields["salesperson"].initial = membership.user_id
            self.fields["salesperson"].disabled = True
            self.instance.salesperson_id = self.instance.salesperson_id or membership.user_id


class SaleStatusForm(forms.Form):
    status = forms.ChoiceField(choices=SaleStatus.choices)
