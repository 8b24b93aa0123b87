"""Billing rows: fee items and their standards, meter readings, billing runs and bills (应收).

The bill is the ledger line every receivable figure is computed from. Its uniqueness per
unit × fee item × period start is what makes a billing run idempotent: a second run, or a
run resumed after it was killed, can only insert the lines that are still missing.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guanjia.estates.models import Unit


class FeeItem(models.Model):
    """A kind of charge an estate bills (收费项目)."""

    class Kind(models.TextChoices):
        PROPERTY_FEE = "property_fee", _("Property service fee")
        FIXED_MONTHLY = "fixed_monthly", _("Fixed monthly fee")
        METERED = "metered", _("Metered fee")
        ONE_OFF = "one_off", _("One-off service")

    class Cycle(models.TextChoices):
        MONTHLY = "monthly", _("Monthly")
        QUARTERLY = "quarterly", _("Quarterly")
        YEARLY = "yearly", _("Yearly")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="fee_items")
    code = models.SlugField(_("code"), max_length=30)
    # Not _("name"): that msgid is a person's name (姓名) elsewhere; a fee has a 名称.
    name = models.CharField(_("fee name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    cycle = models.CharField(_("billing cycle"), max_length=12, choices=Cycle.choices, default=Cycle.MONTHLY)
    # The share of the property fee a vacant unit pays (空置房收费比例); 0.7000 is 70 %.
    vacant_rate = models.DecimalField(_("vacant-unit rate"), max_digits=5, decimal_places=4, default=Decimal("0.7000"))
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("fee item")
        verbose_name_plural = _("fee items")
        constraints = [
            models.UniqueConstraint(fields=["estate", "code"], name="fee_item_code_unique_per_estate"),
            models.CheckConstraint(
                condition=Q(vacant_rate__gte=0) & Q(vacant_rate__lte=1), name="fee_item_vacant_rate_0_to_1"
            ),
            # Readings are taken monthly, so a metered item is billed monthly.
            models.CheckConstraint(condition=~Q(kind="metered") | Q(cycle="monthly"), name="fee_item_metered_monthly"),
        ]
        ordering = ["estate_id", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_area_based(self) -> bool:
        return self.kind == self.Kind.PROPERTY_FEE


class FeeStandard(models.Model):
    """The unit price of a fee item for one house type, valid over a date range (收费标准).

    For the property fee the price is ¥ per m² per month; for a fixed monthly fee it is ¥ per
    unit per month. Four decimal places, as price lists often say 2.3500."""

    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="standards")
    house_type = models.CharField(_("house type"), max_length=20, choices=Unit.HouseType.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=4)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fee standard")
        verbose_name_plural = _("fee standards")
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="fee_standard_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="fee_standard_range_ordered",
            ),
            models.UniqueConstraint(fields=["fee_item", "house_type", "valid_from"], name="fee_standard_unique_start"),
        ]
        ordering = ["fee_item_id", "house_type", "valid_from"]

    def __str__(self) -> str:
        return f"{self.fee_item_id} {self.house_type} {self.unit_price}"


class WaterTier(models.Model):
    """One step of a tiered metered price (阶梯水价): consumption up to `upper_bound` m³
    in the month costs `price` per m³; the last tier has no upper bound."""

    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="tiers")
    upper_bound = models.DecimalField(_("up to (m³)"), max_digits=12, decimal_places=2, null=True, blank=True)
    price = models.DecimalField(_("price per m³"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("price tier")
        verbose_name_plural = _("price tiers")
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="water_tier_price_positive"),
            models.CheckConstraint(
                condition=Q(upper_bound__isnull=True) | Q(upper_bound__gt=0), name="water_tier_bound_positive"
            ),
            models.UniqueConstraint(fields=["fee_item", "upper_bound"], name="water_tier_unique_bound"),
        ]

    def __str__(self) -> str:
        return f"≤{self.upper_bound}: {self.price}"


class MeterReading(models.Model):
    """A meter reading for a unit and month (抄表). `previous` is the reading it follows."""

    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="meter_readings")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="readings")
    period = models.DateField(_("month"))
    reading = models.DecimalField(_("reading"), max_digits=12, decimal_places=2)
    previous = models.DecimalField(_("previous reading"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        constraints = [
            models.CheckConstraint(condition=Q(reading__gte=F("previous")), name="meter_reading_not_lower"),
            models.CheckConstraint(condition=Q(previous__gte=0), name="meter_reading_previous_non_negative"),
            models.UniqueConstraint(fields=["unit", "fee_item", "period"], name="meter_reading_unique_period"),
        ]
        ordering = ["unit_id", "fee_item_id", "period"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.period:%Y-%m} {self.reading}"

    @property
    def consumption(self) -> Decimal:
        return self.reading - self.previous


# The kind of the core.Job that runs billing in the worker (its page polls that job).
BILLING_JOB = "billing_run"


class BillingRun(models.Model):
    """One start of the billing run for an estate and month. Re-runs are new rows; the bills
    they insert are the same bills, because of the bill's unique constraint."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="billing_runs")
    period_start = models.DateField(_("period start"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    units_total = models.PositiveIntegerField(default=0)
    units_done = models.PositiveIntegerField(default=0)
    # Lines this run found missing and inserted (a rerun after a complete run finds none).
    lines_planned = models.PositiveIntegerField(default=0)
    lines_created = models.PositiveIntegerField(default=0)
    job = models.ForeignKey("core.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")
        constraints = [
            models.CheckConstraint(condition=Q(period_start__day=1), name="billing_run_starts_on_first"),
        ]
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.estate_id} {self.period_start:%Y-%m} {self.status}"


class Bill(models.Model):
    """One receivable line (应收): a unit, a fee item, a period.

    `basis` keeps what the amount was computed from (days, rate, area, price, tiers), so a
    bill can always be explained even after the standard changes."""

    class Payer(models.TextChoices):
        OWNER = "owner", _("Owner")
        DEVELOPER = "developer", _("Developer")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        REVERSED = "reversed", _("Reversed")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="bills")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="bills")
    fee_item = models.ForeignKey(FeeItem, on_delete=models.PROTECT, related_name="bills")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    # Bills are issued in advance, so a bill falls due on the first day of its period.
    due_date = models.DateField(_("due date"))
    payer = models.CharField(_("payer"), max_length=12, choices=Payer.choices, default=Payer.OWNER)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("paid amount"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    basis = models.JSONField(_("computed from"), default=dict, blank=True)
    billing_run = models.ForeignKey(BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="bills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        constraints = [
            # One line per payer: a unit delivered mid-period has the owner's line and the
            # developer's line for the days before delivery (docs/decisions/0004).
            models.UniqueConstraint(
                fields=["unit", "fee_item", "period_start", "payer"], name="bill_unique_unit_item_period_payer"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="bill_amount_non_negative"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="bill_paid_non_negative"),
            models.CheckConstraint(condition=Q(paid_amount__lte=F("amount")), name="bill_paid_not_over_amount"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="bill_period_ordered"),
        ]
        indexes = [
            models.Index(fields=["estate", "period_start"], name="bill_estate_period_idx"),
            models.Index(fields=["estate", "status", "due_date"], name="bill_estate_status_due_idx"),
        ]
        ordering = ["estate_id", "period_start", "unit_id", "fee_item_id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.fee_item_id} {self.period_start:%Y-%m} {self.amount}"

    @property
    def outstanding(self) -> Decimal:
        if self.status == self.Status.REVERSED:
            return Decimal("0.00")
        return self.amount - self.paid_amount


class ReceiptCounter(models.Model):
    """The next receipt number of an estate. Locked with SELECT … FOR UPDATE by the action
    that takes a number, so numbers are gapless: a rolled-back payment rolls back its number."""

    estate = models.OneToOneField("estates.Estate", on_delete=models.PROTECT, related_name="+")
    next_number = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.estate_id}: {self.next_number}"


class Payment(models.Model):
    """Money received (实收) for a unit, with its receipt number (收据号).

    What is not allocated to bills is the unit's prepaid balance (预收), drawn on by later
    bills. A mistaken payment is reversed (红冲), never deleted."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        POS = "pos", _("POS card terminal")
        # The payer's WeChat or Alipay code scanned at the counter: the transaction number
        # (交易单号) the app shows is recorded as the payment's reference.
        WECHAT = "wechat", _("WeChat Pay (at the counter)")
        ALIPAY = "alipay", _("Alipay (at the counter)")
        ONLINE = "online", _("Online payment")

    class Status(models.TextChoices):
        VALID = "valid", _("Valid")
        REVERSED = "reversed", _("Reversed")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="payments")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("payment method"), max_length=20, choices=Method.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    receipt_number = models.PositiveIntegerField(_("receipt number"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.VALID)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.UniqueConstraint(fields=["estate", "receipt_number"], name="payment_receipt_unique_per_estate"),
            # A gateway's transaction id is taken once: a repeated callback finds it on file.
            models.UniqueConstraint(
                fields=["estate", "reference"], condition=~Q(reference=""), name="payment_reference_unique"
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="payment_unit_status_idx")]
        ordering = ["estate_id", "receipt_number"]

    def __str__(self) -> str:
        return f"{self.estate_id} No.{self.receipt_number} {self.amount}"


class Allocation(models.Model):
    """The part of a payment that settles one bill. A bill's `paid_amount` is the sum of the
    allocations of its valid payments, kept in step by the payment actions."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.bill_id}: {self.amount}"


class Reversal(models.Model):
    """A 红冲: the record that a payment or a bill was cancelled, by whom and why."""

    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    bill = models.OneToOneField(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal")
    reason = models.CharField(_("reason"), max_length=300)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reversed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reversal")
        verbose_name_plural = _("reversals")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False, bill__isnull=True) | Q(payment__isnull=True, bill__isnull=False),
                name="reversal_of_one_thing",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reversal_reason_required"),
        ]

    def __str__(self) -> str:
        return f"reversal of payment {self.payment_id} / bill {self.bill_id}"


class ReversalRequest(models.Model):
    """A request to reverse (红冲) a payment or a bill: asked for by finance with a reason,
    applied only when someone else with the right to approve agrees. Kept for ever, whatever
    the decision; the Reversal it leads to points back at it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="reversal_requests")
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal_requests"
    )
    bill = models.ForeignKey(Bill, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal_requests")
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    reversal = models.OneToOneField(Reversal, null=True, blank=True, on_delete=models.PROTECT, related_name="request")

    class Meta:
        verbose_name = _("reversal request")
        verbose_name_plural = _("reversal requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment__isnull=False, bill__isnull=True) | Q(payment__isnull=True, bill__isnull=False),
                name="reversal_request_of_one_thing",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reversal_request_reason_required"),
            # Four eyes: the one who asked does not approve.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="reversal_request_decided_by_another",
            ),
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(status="pending", payment__isnull=False),
                name="reversal_request_one_pending_per_payment",
            ),
            models.UniqueConstraint(
                fields=["bill"],
                condition=Q(status="pending", bill__isnull=False),
                name="reversal_request_one_pending_per_bill",
            ),
        ]
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"reversal request {self.pk} ({self.status})"


class CollectionLog(models.Model):
    """One contact with a unit about its arrears (催缴记录): how, what came of it, and the
    date the payer promised to pay, on which the one who logged it is reminded."""

    class Contact(models.TextChoices):
        PHONE = "phone", _("Phone call")
        VISIT = "visit", _("Home visit")
        SMS = "sms", _("Text message")
        WECHAT = "wechat", _("WeChat")
        LETTER = "letter", _("Written notice")

    class Outcome(models.TextChoices):
        PROMISED = "promised", _("Promised to pay")
        PAID = "paid", _("Paid")
        REFUSED = "refused", _("Refused")
        DISPUTED = "disputed", _("Disputes the bill")
        NO_ANSWER = "no_answer", _("No answer")
        OTHER = "other", _("Other")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="collection_logs")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="collection_logs")
    contact = models.CharField(_("contact"), max_length=12, choices=Contact.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    promised_date = models.DateField(_("promised date"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField(auto_now_add=True)
    # Set by the follow-up run when the reminder went out (once).
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("collection log entry")
        verbose_name_plural = _("collection log entries")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome="promised") | Q(promised_date__isnull=False),
                name="collection_log_promise_has_date",
            ),
        ]
        indexes = [models.Index(fields=["promised_date", "reminded_at"], name="collection_log_follow_up_idx")]
        ordering = ["-logged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.contact} {self.outcome}"


class PaymentOrder(models.Model):
    """An online payment started by an owner or a cashier (线上支付订单): what it is for and
    how much. The gateway's signed callback turns it into a Payment, exactly once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting payment")
        PAID = "paid", _("Paid")

    estate = models.ForeignKey("estates.Estate", on_delete=models.PROTECT, related_name="payment_orders")
    unit = models.ForeignKey("estates.Unit", on_delete=models.PROTECT, related_name="payment_orders")
    order_number = models.CharField(_("order number"), max_length=40, unique=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    bill_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="order")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="pending", payment__isnull=True) | Q(status="paid", payment__isnull=False),
                name="payment_order_paid_has_payment",
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order_number} {self.amount} {self.status}"


class IdempotencyKey(models.Model):
    """A money request already carried out: the key the form or the API client sent with it,
    what it asked for, and what it created. Written in the same transaction as the money row,
    and unique per user and key, so a second request with the key (a double click, a retry
    after a lost answer, two at once) finds this row instead of recording the money again."""

    class Operation(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        PAYMENT_ORDER = "payment_order", _("Online payment order")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=20, choices=Operation.choices)
    # A digest of what was asked (unit, amount, bills …): the same key with other values is refused.
    fingerprint = models.CharField(max_length=64)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key} {self.operation} → {self.object_id}"
