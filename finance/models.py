"""Monthly figures of each entity, and the QuickBooks connection, runs and log behind them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Company, Entity
from finance.money import ZERO
from finance.quickbooks.environments import Environment

from .encryption import EncryptedTextField


class MonthlySnapshot(models.Model):
    """One entity's month. The four QuickBooks figures are overwritten by a sync for months in
    its window; the other fields only people edit."""

    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField(help_text="The first day of the month.")
    ar_balance = models.DecimalField("open AR", max_digits=16, decimal_places=2, default=ZERO)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    ap_balance = models.DecimalField("open AP", max_digits=16, decimal_places=2, default=ZERO)
    expenses = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    cash = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["entity", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "month"], name="snapshot_one_per_entity_month")
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.month:%Y-%m}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "A snapshot month is stored as its first day."})


class QuickBooksSettings(models.Model):
    """A company's Intuit app credentials and QuickBooks choices (one row per company)."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="quickbooks_settings")
    client_id = models.CharField("Client ID", max_length=200, blank=True)
    client_secret = EncryptedTextField("Client Secret", blank=True)
    environment = models.CharField(max_length=16, choices=Environment.choices, default=Environment.PRODUCTION)
    # QBO ignores or rejects a sales line without an item: pushed invoices use this one.
    invoice_item_name = models.CharField(max_length=100, default="Services")
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "QuickBooks settings"
        verbose_name_plural = "QuickBooks settings"

    def __str__(self) -> str:
        return f"QuickBooks settings of {self.company}"

    @property
    def is_complete(self) -> bool:
        return bool(self.client_id and self.client_secret)


class ConnectionStatus(models.TextChoices):
    CONNECTED = "connected", "connected"
    NEEDS_RECONNECT = "needs_reconnect", "needs reconnect"
    NOT_CONNECTED = "not_connected", "not connected"


class QuickBooksConnection(models.Model):
    """An entity's link to its QuickBooks company (realm) and the OAuth tokens for it."""

    entity = models.OneToOneField(Entity, on_delete=models.CASCADE, related_name="quickbooks_connection")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="quickbooks_connections")
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.NOT_CONNECTED)
    status_reason = models.CharField(max_length=300, blank=True)
    environment = models.CharField(max_length=16, choices=Environment.choices, blank=True)
    realm_id = models.CharField(max_length=40, blank=True)
    qb_company_name = models.CharField(max_length=300, blank=True)
    qb_home_currency = models.CharField(max_length=3, blank=True)
    access_token = EncryptedTextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    connected_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One realm per entity within a company: a realm held by one entity cannot be connected
            # to a second one. Forgotten (not connected) rows keep no realm.
            models.UniqueConstraint(
                fields=["company", "realm_id"],
                condition=~models.Q(realm_id=""),
                name="quickbooks_realm_once_per_company",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} ↔ QuickBooks {self.realm_id or '(none)'}"

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED


class SyncDirection(models.TextChoices):
    PULL = "pull", "QuickBooks → OtiumWork"
    PUSH = "push", "OtiumWork → QuickBooks"
    CONNECTION = "connection", "Connection"


class SyncAction(models.TextChoices):
    CREATED = "created", "created"
    UPDATED = "updated", "updated"
    SKIPPED = "skipped", "skipped"
    ERROR = "error", "error"
    CONNECTED = "connected", "connected"
    REFRESHED = "refreshed", "token refreshed"
    REFRESH_FAILED = "refresh_failed", "refresh failed"
    DISCONNECTED = "disconnected", "disconnected"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCESS = "success", "success"
    ERROR = "error", "error"
    SKIPPED = "skipped", "skipped"


class RunTrigger(models.TextChoices):
    MANUAL = "manual", "Sync now"
    BEAT = "beat", "hourly schedule"
    CRON = "cron", "cron endpoint"
    SHELL = "shell", "shell command"
    PUSH = "push", "push button"
    WEBHOOK = "webhook", "QuickBooks webhook"


class SyncRun(models.Model):
    """One sync (or push) of one connection: recorded before any call, its outcome kept on it."""

    connection = models.ForeignKey(QuickBooksConnection, on_delete=models.CASCADE, related_name="runs")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="quickbooks_runs")
    direction = models.CharField(max_length=12, choices=SyncDirection.choices, default=SyncDirection.PULL)
    trigger = models.CharField(max_length=8, choices=RunTrigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    qbo_calls = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    changed_months = models.JSONField(default=list, blank=True)
    error_message = models.TextField(blank=True)
    # The error was transient (throttling, QuickBooks unreachable): a queued job may try again later.
    retryable = models.BooleanField(default=False)
    # A pull's comparison with QuickBooks' aged reports (finance/quickbooks/tieout.py); {} if none.
    tie_out = models.JSONField(default=dict, blank=True)
    # A push names its sale: its running run is the claim a second push of the sale waits for.
    sale = models.ForeignKey(
        "sales.Sale", on_delete=models.SET_NULL, null=True, blank=True, related_name="quickbooks_runs"
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["connection", "-queued_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} run {self.pk} of {self.entity} ({self.status})"


class SyncLogEntry(models.Model):
    """One line of the QuickBooks sync log shown on the dashboard."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    run = models.ForeignKey(SyncRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="log_entries")
    created_at = models.DateTimeField(auto_now_add=True)
    direction = models.CharField(max_length=12, choices=SyncDirection.choices)
    action = models.CharField(max_length=16, choices=SyncAction.choices)
    object_type = models.CharField(max_length=40, blank=True)
    object_ref = models.CharField(max_length=100, blank=True)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "quickbooks_sync_log"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="synclog_company_recent"),
            models.Index(fields=["company", "entity", "-created_at", "-id"], name="synclog_entity_recent"),
            models.Index(fields=["company", "action", "-created_at", "-id"], name="synclog_action_recent"),
            models.Index(fields=["company", "direction", "-created_at", "-id"], name="synclog_direction_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.direction} {self.action}: {self.message}"


class FigureDrilldown(models.Model):
    """The QuickBooks rows behind one synced figure of one month (its drill-down), as one document.

    Each successful sync replaces the documents of every month and figure of its window (an empty
    one when QuickBooks shows no row), in the transaction that writes the figures. ``rows`` is CSV
    text, one line per transaction with the fields of ``figures.FigureRow`` after month and figure
    (txn_type, txn_id, txn_date, party, doc_number, linked_txn_id, amount, exchange_rate,
    home_amount), dates and amounts as their exact text; ``home_amount`` is in cents and a
    document's rows add up to its figure exactly (see ``figures.drilldown_rows``).

    One document per figure rather than a table row per transaction: the rows are only ever read
    whole, one figure or one month at a time, and an hourly sync of a busy company would otherwise
    delete and insert tens of thousands of rows (and their index entries) every hour. CSV rather
    than JSON: a third smaller, and written in half the time."""

    # db_index off: the unique (entity, month, figure) index serves lookups by entity too.
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    figure = models.CharField(max_length=12)
    realm_id = models.CharField(max_length=40)
    row_count = models.PositiveIntegerField(default=0)
    rows = models.TextField(blank=True)  # CSV, one line per transaction (see above)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entity", "month", "figure"], name="figuredrilldown_entity_month_figure")
        ]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.month:%Y-%m} {self.figure}: {self.row_count} rows"


class PushSettings(models.Model):
    """How one connection's pushed invoices are written (docs/push.md): the line item and the tax.

    Chosen by an admin from the QuickBooks company's own lists; the company's country decides the
    tax model: US companies take `TAX` or `NON` on a line (QuickBooks computes sales tax), other
    countries one of the company's TaxCode rows on every sales line and `GlobalTaxCalculation` on
    the invoice. The country and multicurrency are as QuickBooks said when the page was last opened."""

    connection = models.OneToOneField(QuickBooksConnection, on_delete=models.CASCADE, related_name="push_settings")
    # The company the choices are Ids of: after a reconnect to another company they no longer apply.
    realm_id = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    multicurrency = models.BooleanField(default=False)
    item_id = models.CharField(max_length=40, blank=True)
    item_name = models.CharField(max_length=100, blank=True)
    # Non-US companies: the TaxCode put on every sales line, its name and total rate (percent).
    tax_code_id = models.CharField(max_length=40, blank=True)
    tax_code_name = models.CharField(max_length=100, blank=True)
    tax_rate = models.DecimalField(max_digits=7, decimal_places=4, null=True, blank=True)
    amounts_include_tax = models.BooleanField(default=False)
    # US companies: TAX (QuickBooks' automated sales tax applies) or NON.
    us_taxable = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "QuickBooks push settings"
        verbose_name_plural = "QuickBooks push settings"

    def __str__(self) -> str:
        return f"Push settings of {self.connection}"

    @classmethod
    def of(cls, connection: QuickBooksConnection) -> "PushSettings | None":
        """The settings chosen in the company the connection is connected to now, if any."""
        return cls.objects.filter(connection=connection, realm_id=connection.realm_id).first()

    @property
    def is_us(self) -> bool:
        return self.country == "US"


class CustomerLink(models.Model):
    """The QuickBooks customer a client's invoices go to, per connection and currency (QuickBooks
    books a customer's invoices in the customer's one currency). Found by Id, so a customer renamed
    in QuickBooks still gets the next invoice; the name is as QuickBooks last showed it."""

    client = models.ForeignKey("sales.Client", on_delete=models.CASCADE, related_name="quickbooks_links")
    connection = models.ForeignKey(QuickBooksConnection, on_delete=models.CASCADE, related_name="customer_links")
    # The company the customer Id belongs to: a link of a company the entity was connected to before
    # is never read in another one (and is replaced by the next push).
    realm_id = models.CharField(max_length=40, blank=True)
    currency = models.CharField(max_length=3)
    qb_customer_id = models.CharField(max_length=40)
    qb_customer_name = models.CharField(max_length=500)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["client__name", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "connection", "currency"], name="customerlink_one_per_client_connection_currency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client} ({self.currency}) → QuickBooks customer {self.qb_customer_id}"
