"""Forms of the billing pages. They only shape the input: amounts and prices stay text so that
the action checks them and its message (naming the field) is the one shown."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.billing.models import CollectionLog, FeeItem, FeeStandard, MeterReading, Payment, WaterTier
from guanjia.core.forms import DateInput, column_field, set_choices
from guanjia.estates.models import Unit


def parse_month(value: str) -> datetime.date | None:
    """'2025-07' (or a full date) → 2025-07-01; None when it is not a month."""
    value = (value or "").strip()
    for pattern in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(value, pattern).date().replace(day=1)
        except ValueError:
            continue
    return None


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2025-07"})

    def to_python(self, value: Any) -> datetime.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("Enter a month such as 2025-07."), code="invalid")
        return month

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, datetime.date) else value


class FeeItemForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=30)
    name = forms.CharField(label=_("fee name"), max_length=60)
    kind = forms.ChoiceField(label=_("kind"), choices=FeeItem.Kind.choices)
    cycle = forms.ChoiceField(label=_("billing cycle"), choices=FeeItem.Cycle.choices)
    vacant_rate = column_field(
        FeeItem,
        "vacant_rate",
        label=_("vacant-unit rate"),
        initial="0.70",
        help_text=_("0.70 is 70% of the property fee."),
        error_messages={"invalid": _("Vacant-unit rate must be a number such as 0.70.")},
    )


class StandardForm(forms.Form):
    house_type = forms.ChoiceField(label=_("house type"), choices=Unit.HouseType.choices)
    unit_price = column_field(
        FeeStandard,
        "unit_price",
        label=_("unit price"),
        help_text=_("Yuan per m² per month for the property fee, per unit for a fixed fee."),
        error_messages={"invalid": _("Price must be a number of yuan, e.g. 2.35.")},
    )
    valid_from = column_field(FeeStandard, "valid_from", label=_("valid from"))


class TiersForm(forms.Form):
    tiers = forms.CharField(
        label=_("Price tiers"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "15 3.50\n25 4.55\n- 6.00"}),
        help_text=_('One tier a line: "up to (m³) price"; the last line "- price" has no upper bound.'),
    )

    def clean_tiers(self) -> list[tuple[str | None, str]]:
        parsed: list[tuple[str | None, str]] = []
        for line in self.cleaned_data["tiers"].splitlines():
            parts = line.replace("，", " ").replace(",", " ").split()
            if not parts:
                continue
            if len(parts) != 2:
                raise forms.ValidationError(_('Write each tier as "up to (m³) price", e.g. 15 3.50.'))
            upper, price = parts
            upper_bound = None if upper in ("-", "—", "以上") else upper
            parsed.append((upper_bound, price))
            # A number the columns cannot hold is refused here; the rules (above zero,
            # rising bounds) are the action's.
            for value, name in ((upper_bound, "upper_bound"), (price, "price")):
                if value is not None and looks_like_a_number(value):
                    TIER_FIELDS[name].clean(value)
        return parsed


TIER_FIELDS = {"upper_bound": column_field(WaterTier, "upper_bound"), "price": column_field(WaterTier, "price")}


def looks_like_a_number(text: str) -> bool:
    """Whether `text` parses as a decimal at all (bad text is the action's to explain)."""
    try:
        forms.DecimalField().to_python(text)
    except forms.ValidationError:
        return False
    return True


class ReadingForm(forms.Form):
    unit_code = forms.CharField(label=_("unit code"), max_length=50)
    fee_item = forms.ModelChoiceField(
        label=_("Metered fee item"), queryset=FeeItem.objects.none(), empty_label=_("Choose the meter's fee item")
    )
    period = MonthField(label=_("month"))
    reading = column_field(MeterReading, "reading", label=_("reading"))
    initial_reading = column_field(
        MeterReading,
        "previous",
        label=_("initial reading"),
        required=False,
        help_text=_("Only for a new meter with no earlier reading."),
    )

    def __init__(self, *args: Any, estate_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = FeeItem.objects.filter(  # type: ignore[attr-defined]
            estate_id=estate_id, kind=FeeItem.Kind.METERED, active=True
        )


class MeterImportForm(forms.Form):
    fee_item = forms.ModelChoiceField(
        label=_("Metered fee item"), queryset=FeeItem.objects.none(), empty_label=_("Choose the meter's fee item")
    )
    period = MonthField(label=_("month"))
    file = forms.FileField(label=_("Excel file (.xlsx)"))

    def __init__(self, *args: Any, estate_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fee_item"].queryset = FeeItem.objects.filter(  # type: ignore[attr-defined]
            estate_id=estate_id, kind=FeeItem.Kind.METERED, active=True
        )


class RunForm(forms.Form):
    period_start = MonthField(label=_("month"))


class PaymentForm(forms.Form):
    method = forms.ChoiceField(
        label=_("payment method"), choices=[c for c in Payment.Method.choices if c[0] != Payment.Method.ONLINE]
    )
    amount = column_field(
        Payment,
        "amount",
        label=_("amount"),
        error_messages={"invalid": _("Amount must be a number of yuan, e.g. 300.00.")},
    )
    bills = forms.MultipleChoiceField(
        label=_("Bills to settle"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to settle the oldest bills first; any rest becomes prepaid."),
    )
    reference = forms.CharField(
        label=_("reference or transaction number"),
        required=False,
        max_length=64,
        help_text=_("Bank or POS slip number, if any; for WeChat Pay or Alipay the transaction number (required)."),
    )
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args: Any, bill_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "bills", bill_choices)


class ReasonForm(forms.Form):
    # Not required here: the action refuses an empty reason with its own message.
    reason = forms.CharField(
        label=_("reason"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("decision note"), required=False, max_length=300)


class CollectionLogForm(forms.Form):
    contact = forms.ChoiceField(label=_("contact"), choices=CollectionLog.Contact.choices)
    outcome = forms.ChoiceField(label=_("outcome"), choices=CollectionLog.Outcome.choices)
    promised_date = forms.DateField(label=_("promised date"), required=False, widget=DateInput())
    note = forms.CharField(label=_("note"), required=False, max_length=500)
