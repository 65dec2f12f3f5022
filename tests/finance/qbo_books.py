"""Hand-made QuickBooks books in a sandbox realm: invoices, bills and payments with known amounts,
inserted through the sandbox's control API (payments applied as QuickBooks applies them)."""

from __future__ import annotations

from dataclasses import dataclass

from qbsandbox.testing import RunningSandbox


@dataclass
class Books:
    sandbox: RunningSandbox
    realm: str
    customer: str = ""
    vendor: str = ""
    item: str = ""

    @classmethod
    def start(cls, sandbox: RunningSandbox, realm: str) -> Books:
        books = cls(sandbox, realm)
        books.customer = books.insert("Customer", {"DisplayName": "O'Brien & Söhne"})["Id"]
        books.vendor = books.insert("Vendor", {"DisplayName": "Office Depot"})["Id"]
        books.item = books.insert("Item", {"Name": "Hand Service", "Type": "Service"})["Id"]
        return books

    def insert(self, entity: str, body: dict) -> dict:
        return self.sandbox.insert_entity(self.realm, entity, body)

    def invoice(self, day: str, amount: str) -> str:
        line = {
            "Amount": amount,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {"ItemRef": {"value": self.item}},
        }
        body = {"CustomerRef": {"value": self.customer}, "TxnDate": day, "Line": [line]}
        return self.insert("Invoice", body)["Id"]

    def payment(self, day: str, *applied: tuple[str, str]) -> str:
        total = sum(float(amount) for _, amount in applied)
        lines = [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]} for i, a in applied]
        body = {"CustomerRef": {"value": self.customer}, "TxnDate": day, "TotalAmt": f"{total:.2f}", "Line": lines}
        return self.insert("Payment", body)["Id"]

    def bill(self, day: str, amount: str) -> str:
        line = {
            "Amount": amount,
            "DetailType": "AccountBasedExpenseLineDetail",
            "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "7"}},
        }
        return self.insert("Bill", {"VendorRef": {"value": self.vendor}, "TxnDate": day, "Line": [line]})["Id"]

    def bill_payment(self, day: str, *applied: tuple[str, str]) -> str:
        total = sum(float(amount) for _, amount in applied)
        lines = [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": "Bill"}]} for i, a in applied]
        body = {
            "VendorRef": {"value": self.vendor},
            "TxnDate": day,
            "TotalAmt": f"{total:.2f}",
            "PayType": "Check",
            "Line": lines,
        }
        return self.insert("BillPayment", body)["Id"]
