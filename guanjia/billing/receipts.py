"""Receipts (收据) as PDF: an HTML template rendered by WeasyPrint with the Chinese text in an
embedded Noto CJK font.

The font is found on disk at run time (fontconfig first, then a search of the system font
folders) and named in an @font-face rule, so the PDF carries its own subset of it and reads
the same on any machine. No CJK font on disk is an error, not a silent fallback to boxes.

A receipt may be printed any number of times; every print after the first is marked 重印
(reprint). The prints are counted from the audit trail: each print is one Change row with
the verb "print_receipt" on the payment, so no column is needed for it.
"""

from __future__ import annotations

import datetime
import functools
import shutil
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from guanjia.billing.models import Allocation, Payment
from guanjia.core.models import Change
from guanjia.people.models import Residency

PRINT_VERB = "print_receipt"
# The parts of one receipt (联次), each a page: the counter keeps the stub, the payer takes
# theirs, finance books the third.
COPIES = (("第一联", "存根"), ("第二联", "交款人"), ("第三联", "记账"))
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
# File names of Noto CJK (and its Source Han twin) as Debian and others ship them.
FONT_PATTERNS = ("NotoSansCJK*-Regular.tt[cf]", "NotoSansCJK*.otf", "NotoSerifCJK*-Regular.tt[cf]", "SourceHan*.tt[cf]")
FONT_FAMILY = "Guanjia Receipt CJK"

DIGITS = "零壹贰叁肆伍陆柒捌玖"
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


class ReceiptFontMissing(RuntimeError):
    """No font with Chinese glyphs is installed, so a receipt cannot be printed legibly."""


# -- 大写金额 --------------------------------------------------------------------------------


def _group_in_capitals(group: int) -> str:
    """0 < group < 10000 in capitals, with a 零 for each run of inner zeros (1010 → 壹仟零壹拾)."""
    text = ""
    zero = False
    for place in (3, 2, 1, 0):
        digit = group // 10**place % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
        text += DIGITS[digit] + PLACES[place]
        zero = False
    return text


def _integer_in_capitals(number: int) -> str:
    groups = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    text = ""
    zero = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero = bool(text)
            continue
        # A group after a higher one needs a 零 when its thousands place, or a whole
        # group between them, is empty: 1,0001 → 壹万零壹, 1,0000,0100 → 壹亿零壹佰.
        if text and (group < 1000 or zero):
            text += "零"
        text += _group_in_capitals(group) + GROUPS[index]
        zero = False
    return text


def amount_in_capitals(amount: Decimal | int | str) -> str:
    """An amount of yuan in Chinese capitals as written on receipts and cheques (大写金额).

    120.05 → 壹佰贰拾元零伍分, 16 → 壹拾陆元整, 1010.50 → 壹仟零壹拾元伍角整, 0.05 → 伍分,
    100,000,001 → 壹亿零壹元整. The amount is first rounded to the fen, half up."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not value.is_finite():
        raise ValueError("amount must be finite")
    sign = "负" if value < 0 else ""
    value = abs(value)
    fen_total = int(value * 100)
    yuan, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    if yuan >= 10**16:
        raise ValueError("amount too large for capitals")
    if yuan == 0 and cents == 0:
        return "零元整"
    text = ""
    if yuan:
        text = _integer_in_capitals(yuan) + "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text


# -- The font --------------------------------------------------------------------------------


def _fc_match() -> Path | None:
    if shutil.which("fc-match") is None:
        return None
    try:
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "Noto Sans CJK SC:lang=zh-cn"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(found) if found else None
    # fc-match always answers something; only a CJK face will do.
    if path is not None and path.is_file() and ("CJK" in path.name or "SourceHan" in path.name):
        return path
    return None


def _search_dirs(dirs: tuple[Path, ...]) -> Path | None:
    for folder in dirs:
        if not folder.is_dir():
            continue
        for pattern in FONT_PATTERNS:
            for path in sorted(folder.rglob(pattern)):
                if path.is_file():
                    return path
    return None


@functools.cache
def find_cjk_font() -> Path:
    """The file of a font with Chinese glyphs (Noto Sans CJK), or ReceiptFontMissing."""
    path = _fc_match() or _search_dirs(FONT_DIRS)
    if path is None:
        raise ReceiptFontMissing(
            "No Chinese (CJK) font found for receipts: install fonts-noto-cjk "
            f"(looked with fc-match and under {', '.join(str(d) for d in FONT_DIRS)})."
        )
    return path


# -- The receipt -----------------------------------------------------------------------------


def period_label(start: datetime.date, end: datetime.date) -> str:
    if (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return f"{start:%Y-%m} – {end:%Y-%m}"


def payer_name(payment: Payment) -> str:
    """The owners of the unit (业主) at the time of printing, else its current residents."""
    residencies = Residency.objects.filter(unit_id=payment.unit_id, ended__isnull=True).select_related("person")
    owners = [
        r.person.name for r in residencies if r.relation in (Residency.Relation.OWNER, Residency.Relation.CO_OWNER)
    ]
    names = owners or [r.person.name for r in residencies]
    return "、".join(sorted(set(names), key=names.index)) or "—"


def receipt_number_label(payment: Payment) -> str:
    return f"{payment.receipt_number:08d}"


def print_count(payment: Payment) -> int:
    """How many times the receipt of `payment` has been printed so far."""
    return Change.objects.filter(
        content_type__app_label="billing",
        content_type__model="payment",
        object_id=payment.pk,
        verb=PRINT_VERB,
    ).count()


def allocations_at_payment(payment: Payment) -> QuerySet[Allocation]:
    """The allocations made when the payment was recorded. A prepaid rest settles later bills
    afterwards (apply_prepaid); those are not on the receipt, so a reprint shows what the
    original showed. The payment's "create" audit row is written in the same transaction,
    after its allocations, so it marks the moment."""
    allocations = payment.allocations.select_related("bill", "bill__fee_item").order_by("bill__period_start", "pk")
    recorded = (
        Change.objects.filter(
            content_type__app_label="billing", content_type__model="payment", object_id=payment.pk, verb="create"
        )
        .order_by("at")
        .values_list("at", flat=True)
        .first()
    )
    return allocations.filter(created_at__lte=recorded) if recorded is not None else allocations


def receipt_context(payment: Payment, *, copy_number: int = 1) -> dict[str, Any]:
    allocations = list(allocations_at_payment(payment))
    lines = [
        {
            "item": allocation.bill.fee_item.name,
            "period": period_label(allocation.bill.period_start, allocation.bill.period_end),
            "amount": allocation.amount,
        }
        for allocation in allocations
    ]
    allocated = sum((allocation.amount for allocation in allocations), Decimal("0.00"))
    reversal = getattr(payment, "reversal", None) if payment.status == Payment.Status.REVERSED else None
    return {
        "payment": payment,
        "estate": payment.estate,
        "unit": payment.unit,
        "number": receipt_number_label(payment),
        "payer": payer_name(payment),
        "lines": lines,
        "prepaid": payment.amount - allocated,
        "amount": payment.amount,
        "capitals": amount_in_capitals(payment.amount),
        "method": payment.get_method_display(),
        "cashier": str(payment.received_by) if payment.received_by_id else "—",
        "received_at": timezone.localtime(payment.received_at),
        "reversed": payment.status == Payment.Status.REVERSED,
        "reversal": reversal,
        "reprint": copy_number > 1,
        "copy_number": copy_number,
        "company_name": payment.estate.company.name,
        "reference": payment.reference,
        "copies": [{"number": number, "use": use} for number, use in COPIES],
    }


def render_receipt_html(payment: Payment, *, copy_number: int = 1, font_path: Path | None = None) -> str:
    context = receipt_context(payment, copy_number=copy_number)
    context["font_url"] = (font_path or find_cjk_font()).resolve().as_uri()
    context["font_family"] = FONT_FAMILY
    return render_to_string("billing/receipt.html", context)


def render_receipt_pdf(payment: Payment, *, copy_number: int = 1, font_path: Path | None = None) -> bytes:
    """The receipt as PDF bytes. Writes nothing (actions.print_receipt records each print)."""
    import weasyprint  # heavy; only the receipt needs it

    html = render_receipt_html(payment, copy_number=copy_number, font_path=font_path)
    return weasyprint.HTML(string=html).write_pdf()


def receipt_filename(payment: Payment) -> str:
    return f"receipt-{payment.estate.code}-{receipt_number_label(payment)}.pdf"
