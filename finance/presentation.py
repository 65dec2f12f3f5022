"""How runs and restatements read for people: the words of the QuickBooks pages and of the
``qb_sync`` command. Reads stored runs and log details; never calls QuickBooks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.urls import reverse

from finance.money import money_text
from finance.quickbooks.drilldown import Restatement
from finance.quickbooks.figures import FIGURE_LABELS, FIGURE_LIST, FIGURE_RANK

# The drill-down page's title of each figure: "Open AR: invoices open at the month's end".
FIGURE_TITLES = {figure.name: f"{figure.label[:1].upper()}{figure.label[1:]}: {figure.rows}" for figure in FIGURE_LIST}


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"


def change_lines(run, currency: str = "") -> list[str]:
    """'2025-04 updated: revenue 1.00 → 600.00' for each month the run changed; with ``currency``,
    'April 2025 updated: revenue USD 1.00 → USD 600.00'."""
    lines = []
    for change in run.changed_months or ():
        parts = []
        changes = change["changes"]
        # PostgreSQL's jsonb does not keep key order: the figures are listed in the figures' order.
        for name in sorted(changes, key=lambda n: FIGURE_RANK.get(n, len(FIGURE_RANK))):
            old, new = changes[name]
            was = f"{money_text(old, currency)} → " if old is not None else ""
            parts.append(f"{FIGURE_LABELS.get(name, name)} {was}{money_text(new, currency)}")
        month = change["month"]
        if currency:
            month = month_name(date.fromisoformat(f"{month}-01"))
        lines.append(f"{month} {change['action']}: " + ", ".join(parts))
    return lines


def restatement_text(restatement: Restatement, currency: str = "") -> str:
    """'revenue 1,000.00 → 1,200.00, open AR …' in the figures' order; amounts with ``currency``."""
    return ", ".join(
        f"{FIGURE_LABELS.get(name, name)} {money_text(old, currency)} → {money_text(new, currency)}"
        for name, old, new in restatement.changes
    )


# --- errors, log objects and connection states, in people's words ---------------------------------

_SAID = ". QuickBooks said: "
_FACTS = re.compile(r"\s*\(((?:code|HTTP|intuit_tid)[^()]*)\)\s*$")
_OAUTH_CODE = re.compile(
    r"\s*\((?:invalid_grant|invalid_client|unauthorized_client|access_denied|[a-z]+_[a-z_]+"
    r"|[A-Z][A-Za-z]*(?:Error|Exception|Fault))\)"
)


@dataclass(frozen=True)
class ErrorText:
    """An error as a sentence for the user, and what support needs (QuickBooks' words, code, intuit_tid)."""

    sentence: str
    details: str


def error_text(message: str) -> ErrorText:
    """Split a stored error ("Summary. QuickBooks said: … (code 6000, HTTP 400, intuit_tid …)") into
    its human sentence and its details; OAuth error codes go to the details too."""
    text = (message or "").strip()
    details = []
    facts = _FACTS.search(text)
    if facts:
        details.append(facts.group(1))
        text = text[: facts.start()]
    if _SAID in text:
        text, said = text.split(_SAID, 1)
        details.insert(0, f"QuickBooks said: {said}")
    codes = _OAUTH_CODE.findall(text)
    if codes:
        details.extend(code.strip(" ()") for code in codes)
        text = _OAUTH_CODE.sub("", text)
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return ErrorText(text, "; ".join(details))


def month_name(month: date) -> str:
    return f"{month:%B %Y}"


@dataclass(frozen=True)
class LogObject:
    text: str
    url: str = ""


def log_object(entry) -> LogObject:
    """What a sync-log line is about, in words, with a link to it where there is a page."""
    kind, ref = entry.object_type, entry.object_ref
    if kind == "MonthlySnapshot" and entry.entity_id:
        try:
            month = date.fromisoformat(f"{ref}-01")
        except ValueError:
            return LogObject("Monthly figures")
        url = reverse("finance:snapshots", args=[entry.entity_id]) + f"#month-{ref}"
        return LogObject(f"{month_name(month)} snapshot", url)
    if kind == "Invoice":
        sale = entry.run.sale if entry.run_id and entry.run and entry.run.sale_id else None
        if sale is not None:
            return LogObject(f"Sale {sale.pk} · {sale.name}", reverse("sales:detail", args=[sale.pk]))
        return LogObject(f"Invoice of {ref.replace('OW-Sale-', 'sale ')}" if ref else "Invoice")
    if kind == "Customer":
        return LogObject(f"QuickBooks customer {ref}" if ref else "QuickBooks customer")
    if kind == "Connection":
        return LogObject("QuickBooks connection")
    if kind == "SyncRun":
        return LogObject("The whole sync")
    return LogObject(kind or "—")


@dataclass(frozen=True)
class CardState:
    """The one status badge of a connection's card: it reflects the last run too."""

    key: str  # css class: ok | warn | bad | busy | off
    label: str


def card_state(connection, run, *, stale: bool, unfinished: bool) -> CardState:
    if connection is None or not connection.realm_id:
        return CardState("off", "not connected")
    if connection.status == "needs_reconnect":
        return CardState("bad", "needs reconnect")
    if unfinished:
        return CardState("busy", "syncing…")
    if run is not None and run.status == "error":
        return CardState("bad", "connected · last sync failed")
    if stale:
        return CardState("warn", "connected · data stale")
    return CardState("ok", "connected")


def log_message(entry) -> str:
    """A sync-log line's words for the log page: a month's figures with the entity's currency, read
    from the line's details (its stored message says the same without it)."""
    details = entry.details or {}
    currency = entry.entity.home_currency if entry.entity_id and entry.entity else ""
    if entry.object_type != "MonthlySnapshot" or not currency:
        return entry.message
    order = sorted(details.get("new") or details.get("changes") or {}, key=lambda n: FIGURE_RANK.get(n, 99))
    if "new" in details:
        parts = [f"{FIGURE_LABELS.get(n, n)} {money_text(details['new'][n], currency)}" for n in order]
        return "Created: " + ", ".join(parts)
    if "changes" in details:
        changes = details["changes"]
        said = {n: [money_text(changes[n][key], currency) for key in ("old", "new")] for n in order}
        parts = [f"{FIGURE_LABELS.get(n, n)} {old} → {new}" for n, (old, new) in said.items()]
        return ("Restated: " if details.get("restatement") else "Updated: ") + ", ".join(parts)
    return entry.message


def trigger_text(run) -> str:
    """Who or what started a run, in words: "started by Priya", "hourly schedule"."""
    if run.trigger == "manual":
        user = run.started_by
        return f"started by {user.get_full_name() or user.username}" if user else "started by hand"
    return {"beat": "hourly schedule", "cron": "scheduled", "shell": "from the command line", "push": "push"}.get(
        run.trigger, run.get_trigger_display()
    )
