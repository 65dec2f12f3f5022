"""Forms for clients and sales, each limited to the signed-in user's company."""

from django import forms
from django.contrib.auth import get_user_model

from accounts.models import Entity, Role

from .models import Client, Sale, SaleStatus

# Characters a name may not hold: control characters (newlines and tabs included) break CSV exports,
# log lines and QuickBooks' DisplayName; bidirectional overrides make a name read other than it is.
BIDI_OVERRIDES = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_plain_name(value: str) -> str:
    """A name without outer spaces, control characters or bidirectional overrides."""
    name = value.strip()
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        raise forms.ValidationError("Use a name on one line, without tabs or other invisible control characters.")
    if any(c in BIDI_OVERRIDES for c in name):
        raise forms.ValidationError(
            "Remove the invisible text-direction characters (U+202A–U+202E, U+2066–U+2069) from the name."
        )
    return name


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
        name = clean_plain_name(self.cleaned_data["name"])
        clash = Client.objects.filter(company=self.instance.company, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A client with this name already exists.")
        return name


# Currencies a contract may be agreed in (ISO codes; QuickBooks knows them all).
SALE_CURRENCIES = ["USD", "EUR", "CHF", "INR", "GBP", "CAD", "AUD", "JPY", "CNY", "SGD"]


class SaleForm(forms.ModelForm):
    currency = forms.ChoiceField(
        label="Contract currency", choices=[(c, c) for c in SALE_CURRENCIES], initial="USD", required=False
    )

    class Meta:
        model = Sale
        fields = [
            "name",
            "entity",
            "client",
            "salesperson",
            "currency",
            "amount",
            "amount_usd",
            "signed_date",
            "status",
        ]
        widgets = {"signed_date": forms.DateInput(attrs={"type": "date"})}
        labels = {"amount": "Contract amount", "amount_usd": "Amount in USD (sales reporting)"}
        help_texts = {
            "amount": "In the contract's currency: the invoice is pushed to QuickBooks in it.",
            "amount_usd": "For a USD sale it is the contract amount (leave it empty); otherwise the USD figure.",
        }

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
        self.fields["amount"].required = False
        self.fields["amount_usd"].required = False

    def clean_name(self) -> str:
        return clean_plain_name(self.cleaned_data["name"])

    def clean(self) -> dict:
        data = super().clean()
        currency = data.get("currency") or "USD"
        data["currency"] = currency
        amount, amount_usd = data.get("amount"), data.get("amount_usd")
        if "amount" in self.errors or "amount_usd" in self.errors:
            return data
        if currency == "USD":
            if amount is None and amount_usd is None:
                self.add_error("amount", "Give the contract amount.")
            elif amount is not None and amount_usd is not None and amount != amount_usd:
                self.add_error("amount_usd", "For a USD sale the amount in USD is the contract amount.")
            else:
                data["amount"] = data["amount_usd"] = amount if amount is not None else amount_usd
        else:
            if amount is None:
                self.add_error("amount", f"Give the contract amount in {currency}.")
            if amount_usd is None:
                self.add_error("amount_usd", "Give the USD figure for sales reporting.")
        return data


class SaleStatusForm(forms.Form):
    status = forms.ChoiceField(choices=SaleStatus.choices)
