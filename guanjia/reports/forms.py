"""The targets form: the manager types percentages (95), the rows keep fractions (0.95)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import DecimalInput


def percent_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=DecimalInput(attrs={"step": "0.1", "class": "form-control", "inputmode": "decimal"}),
        help_text=_("In percent, e.g. 95"),
    )


class TargetsForm(forms.Form):
    collection_rate = percent_field(_("Collection rate target"))
    satisfaction_rate = percent_field(_("Satisfaction rate target"))
    on_time_rate = percent_field(_("On-time rate target"))

    @staticmethod
    def initial_from(targets: dict[str, Decimal]) -> dict[str, Decimal]:
        return {name: (value * 100).quantize(Decimal("0.1")) for name, value in targets.items()}

    @staticmethod
    def fractions(data: dict[str, Decimal]) -> dict[str, Decimal]:
        return {name: data[name] / 100 for name in ("collection_rate", "satisfaction_rate", "on_time_rate")}
