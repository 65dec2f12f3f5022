"""The few HTML pages of the sandbox: the consent screen, its error page, and one transaction's page
(the stand-in for QuickBooks' web app link `/app/invoice?txnId=...`)."""

from __future__ import annotations

from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;background:#f4f5f8;color:#222;margin:0}
.banner{background:#2ca01c;color:#fff;padding:.6rem 1.2rem;font-weight:600}
.banner small{font-weight:400;opacity:.9}
main{max-width:34rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
label.realm{display:block;border:1px solid #ccd;border-radius:6px;padding:.6rem;margin:.4rem 0;cursor:pointer}
.muted{color:#667;font-size:.9rem}
button{font-size:1rem;padding:.5rem 1.2rem;border-radius:6px;border:1px solid #2ca01c;margin-right:.5rem}
button.approve{background:#2ca01c;color:#fff}button.decline{background:#fff;color:#2ca01c}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.3rem;text-align:left}
.error{color:#b00020}
"""


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><div class='banner'>Local QuickBooks sandbox "
        "<small>(not Intuit: a stand-in for development and tests)</small></div>"
        f"<main>{body}</main></body></html>"
    )


def consent_page(params: dict[str, str], app_name: str, realms: list[dict[str, Any]]) -> str:
    hidden = "".join(
        f"<input type='hidden' name='{escape(k)}' value='{escape(v)}'>" for k, v in params.items()
    )
    choices = "".join(
        f"<label class='realm'><input type='radio' name='realm_id' value='{escape(r['realm_id'])}'"
        f"{' checked' if i == 0 else ''}> <strong>{escape(r['name'])}</strong> "
        f"<span class='muted'>{escape(r['currency'])} · realm {escape(r['realm_id'])}</span></label>"
        for i, r in enumerate(realms)
    )
    if not realms:
        choices = "<p class='error'>There is no company yet: run <code>python -m qbsandbox seed</code>.</p>"
    scope = escape(params.get("scope", ""))
    body = (
        f"<h1>Connect {escape(app_name)}</h1><p>The app <strong>{escape(app_name)}</strong> asks to access "
        f"your QuickBooks company data (<code>{scope}</code>). Choose the company to connect.</p>"
        f"<form method='post'>{hidden}{choices}<p>"
        "<button class='approve' name='decision' value='approve'>Connect</button>"
        "<button class='decline' name='decision' value='decline'>Cancel</button></p></form>"
    )
    return _page("Connect to QuickBooks (local sandbox)", body)


def error_page(message: str) -> str:
    return _page(
        "Sandbox authorization error", f"<h1 class='error'>Cannot authorize</h1><p>{escape(message)}</p>"
    )


LABELS = {
    "Invoice": "Invoice",
    "Payment": "Payment",
    "Bill": "Bill",
    "BillPayment": "Bill Payment",
    "CreditMemo": "Credit Memo",
}
_FIELDS = (
    "DocNumber",
    "TxnDate",
    "DueDate",
    "CustomerRef",
    "VendorRef",
    "DisplayName",
    "Name",
    "PayType",
    "TotalAmt",
    "Balance",
    "RemainingCredit",
    "UnappliedAmt",
    "CurrencyRef",
    "ExchangeRate",
    "HomeTotalAmt",
    "HomeBalance",
    "PrivateNote",
)


# What a person can change on a transaction's page, as in QuickBooks (each change notifies webhooks).
VOIDABLE = {"Invoice", "Payment", "BillPayment"}
DELETABLE = {"Invoice", "CreditMemo", "Payment", "Bill", "BillPayment"}


def transaction_page(entity: str, realm_name: str, body: dict[str, Any] | None, realm_id: str = "") -> str:
    label = LABELS.get(entity, entity)
    if body is None:
        return _page("Not found", f"<h1>{escape(label)} not found</h1>")
    rows = "".join(f"<tr><th>{k}</th><td>{escape(_show(body[k]))}</td></tr>" for k in _FIELDS if k in body)
    lines = "".join(
        f"<tr><td>{escape(_line_text(line))}</td><td>{escape(str(line.get('Amount', '')))}</td></tr>"
        for line in body.get("Line", [])
    )
    linked = "".join(
        f"<li>{escape(str(link.get('TxnType', '')))} {escape(str(link.get('TxnId', '')))}</li>"
        for link in body.get("LinkedTxn", [])
    )
    html = (
        f"<h1>{escape(label)} {escape(body.get('DocNumber', body['Id']))}</h1>"
        f"<p class='muted'>{escape(realm_name)} · {escape(entity)} Id {escape(body['Id'])}</p>"
        f"<table>{rows}</table><h2>Lines</h2><table>{lines}</table>"
        + (f"<h2>Linked transactions</h2><ul>{linked}</ul>" if linked else "")
        + (_change_forms(entity, body, realm_id) if realm_id else "")
    )
    return _page(f"{label} {body['Id']}", html)


def _change_forms(entity: str, body: dict[str, Any], realm_id: str) -> str:
    """Record a payment of an open invoice, void, delete: posted to `{entity}/change` beside the page."""
    action = escape(f"{entity.lower()}/change?txnId={body['Id']}&realmId={realm_id}")
    forms = []
    balance = str(body.get("Balance", "0"))
    if entity == "Invoice" and balance not in ("0", "0.0", "0.00"):
        forms.append(
            f"<form method='post' action='{action}'><input type='hidden' name='change' value='pay'>"
            f"<label>Receive a payment of <input name='amount' value='{escape(balance)}' size='10'></label> "
            "<button class='approve'>Record payment</button></form>"
        )
    for change, allowed in (("void", VOIDABLE), ("delete", DELETABLE)):
        if entity in allowed:
            forms.append(
                f"<form method='post' action='{action}'><input type='hidden' name='change' value='{change}'>"
                f"<button class='decline'>{change.capitalize()}</button></form>"
            )
    return "<h2>Change it (as in QuickBooks)</h2>" + "".join(forms) if forms else ""


def _line_text(line: dict[str, Any]) -> str:
    """A sales or expense line's description, or what a payment line pays (`Invoice 12`)."""
    if line.get("Description"):
        return str(line["Description"])
    links = line.get("LinkedTxn") or []
    if links:
        return ", ".join(f"{link.get('TxnType', '')} {link.get('TxnId', '')}" for link in links)
    return str(line.get("DetailType", ""))


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("name") or value.get("value") or "")
    return str(value)
