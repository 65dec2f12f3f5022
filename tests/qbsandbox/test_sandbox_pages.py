"""The sandbox's transaction page stands for QuickBooks' own pages: a person records a payment,
voids or deletes there, the change is made as the Accounting API makes it, and webhooks are told."""

from __future__ import annotations

import time

import requests

from tests.qbsandbox.conftest import REDIRECT_URI, connect_app


def test_a_payment_recorded_on_an_invoices_page_pays_it_and_is_notified(sandbox):
    realm = sandbox.create_realm(name="Pages Co", size=0)
    conn = connect_app(sandbox.url, sandbox.register_app(redirect_uris=[REDIRECT_URI]), realm)
    customer = conn.create("Customer", {"DisplayName": "Page Customer"}).json()["Customer"]
    line = {"Amount": 120, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = conn.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}).json()["Invoice"]
    page_url = f"{sandbox.url}/app/invoice?txnId={invoice['Id']}&realmId={realm}"

    page = requests.get(page_url, timeout=5).text
    assert "Record payment" in page and "Void" in page and "Delete" in page

    sandbox.subscribe_webhooks("http://127.0.0.1:9/unreachable", "token")  # deliveries recorded, none reach
    try:
        answer = requests.post(
            f"{sandbox.url}/app/invoice/change?txnId={invoice['Id']}&realmId={realm}",
            data={"change": "pay", "amount": "50.00"}, allow_redirects=False, timeout=5,
        )  # fmt: skip
        assert answer.status_code == 302
        assert answer.headers["Location"].endswith(f"/app/invoice?txnId={invoice['Id']}&realmId={realm}")
        paid = conn.api("GET", f"invoice/{invoice['Id']}").json()["Invoice"]
        assert paid["Balance"] == 70
        requests.post(f"{sandbox.url}/app/invoice/change?txnId={invoice['Id']}&realmId={realm}",
                      data={"change": "void"}, timeout=5)  # fmt: skip
        voided = conn.api("GET", f"invoice/{invoice['Id']}").json()["Invoice"]
        assert voided["TotalAmt"] == 0
        deadline = time.monotonic() + 5
        while len(sandbox.webhook_deliveries()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # each notification is sent from a thread of its own
    finally:
        sandbox.subscribe_webhooks("", "")
    bodies = [delivery["body"] for delivery in sandbox.webhook_deliveries()[:2]]
    names = sorted(e["name"] for b in bodies for e in b["eventNotifications"][0]["dataChangeEvent"]["entities"])
    assert names == ["Invoice", "Payment"]


def test_the_control_api_updates_voids_and_deletes_as_the_accounting_api_does(sandbox):
    realm = sandbox.create_realm(name="Control Changes Co", size=0)
    customer = sandbox.insert_entity(realm, "Customer", {"DisplayName": "Control Customer"})
    line = {"Amount": "80.00", "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    invoice = sandbox.insert_entity(realm, "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})

    updated = sandbox.change_entity(realm, "Invoice", invoice["Id"], "update", {"PrivateNote": "changed"})
    assert updated["PrivateNote"] == "changed" and updated["SyncToken"] == str(int(invoice["SyncToken"]) + 1)
    voided = sandbox.change_entity(realm, "Invoice", invoice["Id"], "void")
    assert voided["TotalAmt"] == 0
    deleted = sandbox.change_entity(realm, "Invoice", invoice["Id"], "delete")
    assert deleted == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
