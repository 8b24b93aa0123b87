from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import column_field
from guanjia.people.models import Person, Residency


class PersonForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    email = column_field(Person, "email", label=_("email"), required=False)
    id_type = forms.ChoiceField(label=_("ID type"), choices=Person.IdType.choices)
    id_number = forms.CharField(
        label=_("ID number"), max_length=30, required=False, help_text=_("Leave empty to keep the number on file.")
    )
    emergency_contact_name = forms.CharField(label=_("emergency contact"), max_length=50, required=False)
    emergency_contact_phone = forms.CharField(label=_("emergency contact phone"), max_length=20, required=False)
    special_needs = forms.CharField(
        label=_("special service needs"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    preferences = forms.CharField(
        label=_("service preferences"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(forms.Form):
    unit_code = forms.CharField(label=_("unit code"), max_length=50, help_text=_("e.g. 3-2-1201"))
    relation = forms.ChoiceField(label=_("relation"), choices=Residency.Relation.choices)


class AttachmentForm(forms.Form):
    title = forms.CharField(label=_("title"), max_length=100)
    file = forms.FileField(label=_("file"))


class VehicleForm(forms.Form):
    plate = forms.CharField(label=_("plate number"), max_length=12)
    description = forms.CharField(label=_("description"), max_length=100, required=False)
