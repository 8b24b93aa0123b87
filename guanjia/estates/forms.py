from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import column_field
from guanjia.estates.models import Unit, Zone


class UnitForm(forms.Form):
    floor = forms.IntegerField(label=_("floor"), min_value=-10, max_value=200)
    area = column_field(Unit, "area", label=_("building area (m²)"))
    house_type = forms.ChoiceField(label=_("house type"), choices=Unit.HouseType.choices)
    status = forms.ChoiceField(label=_("status"), choices=Unit.Status.choices)
    delivery_date = column_field(Unit, "delivery_date", label=_("delivery date"), required=False)
    zone = forms.ModelChoiceField(label=_("zone"), queryset=Zone.objects.none(), required=False)
    note = forms.CharField(label=_("note"), max_length=300, required=False)

    def __init__(self, *args, zones: QuerySet[Zone] | None = None, **kwargs):
        """`zones`: the unit's estate's, to choose from (none without them)."""
        super().__init__(*args, **kwargs)
        zone = self.fields["zone"]
        if zones is not None and isinstance(zone, forms.ModelChoiceField):
            zone.queryset = zones
