"""The forms of the front-desk pages and the owner portal. They only parse; the actions check."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import DATETIME_INPUT_FORMATS, DateInput, DateTimeInput, set_choices
from guanjia.frontdesk.models import CustodyEvent, Key, VisitorPass

DATETIME = DateTimeInput()
DATE = DateInput()
DATETIME_FORMATS = DATETIME_INPUT_FORMATS
PHOTO = forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})


class ParcelForm(forms.Form):
    tracking_number = forms.CharField(label=_("tracking number"), max_length=40)
    courier = forms.CharField(label=_("courier"), max_length=30, required=False)
    unit_code = forms.CharField(label=_("unit code"), max_length=50, help_text=_("e.g. 3-2-1201"))
    recipient_name = forms.CharField(label=_("recipient"), max_length=50)
    shelf = forms.CharField(label=_("shelf"), max_length=20)
    photo = forms.FileField(
        label=_("photo"), required=False, widget=PHOTO, help_text=_("Optional: a JPEG, PNG or WebP image.")
    )


class ScanForm(forms.Form):
    """The bulk check-in row: unit and shelf stay, the scanner types the number and Enter."""

    unit_code = forms.CharField(label=_("unit code"), max_length=50)
    shelf = forms.CharField(label=_("shelf"), max_length=20)
    courier = forms.CharField(label=_("courier"), max_length=30, required=False)
    tracking_number = forms.CharField(
        label=_("tracking number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "class": "scanner"}),
    )


class ItemForm(forms.Form):
    left_by = forms.CharField(label=_("left by"), max_length=50)
    left_by_phone = forms.CharField(label=_("depositor phone"), max_length=20, required=False)
    description = forms.CharField(label=_("description"), max_length=100)
    unit_code = forms.CharField(label=_("unit code"), max_length=50)
    recipient_name = forms.CharField(label=_("recipient"), max_length=50)
    shelf = forms.CharField(label=_("shelf"), max_length=20)
    photo = forms.FileField(
        label=_("photo"), required=False, widget=PHOTO, help_text=_("Optional: a JPEG, PNG or WebP image.")
    )


class HandOverForm(forms.Form):
    pickup_code = forms.CharField(
        label=_("pickup code"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 7})
    )
    collected_by_name = forms.CharField(label=_("collected by"), max_length=50)


class KeyForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Key.Kind.choices)
    tag = forms.CharField(label=_("key tag"), max_length=30)
    slot = forms.CharField(label=_("storage slot"), max_length=30)
    unit_code = forms.CharField(label=_("unit code"), max_length=50, required=False)
    facility = forms.CharField(label=_("facility"), max_length=100, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)
    photo = forms.FileField(
        label=_("photo"), required=False, widget=PHOTO, help_text=_("Optional: a JPEG, PNG or WebP image.")
    )


class CustodyPhotoForm(forms.Form):
    """A photo added later to a key, or to a parcel while it waits."""

    photo = forms.FileField(label=_("photo"), widget=PHOTO)


class AuthorizationForm(forms.Form):
    borrower_name = forms.CharField(label=_("borrower name"), max_length=50)
    borrower_phone = forms.CharField(label=_("borrower phone"), max_length=20)
    purpose = forms.CharField(label=_("purpose"), max_length=100)
    valid_until = forms.DateField(label=_("valid until"), widget=DATE)


class LendForm(forms.Form):
    borrower_name = forms.CharField(label=_("borrower name"), max_length=50)
    borrower_phone = forms.CharField(label=_("borrower phone"), max_length=20)
    due_at = forms.DateTimeField(label=_("expected return"), widget=DATETIME, input_formats=DATETIME_FORMATS)


class MarkKeyForm(forms.Form):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[(Key.Status.LOST, Key.Status.LOST.label), (Key.Status.DAMAGED, Key.Status.DAMAGED.label)],
    )
    # The note is also the custody event's "checked how", the shorter column.
    note = forms.CharField(
        label=_("note"), max_length=CustodyEvent._meta.get_field("checked_how").max_length, required=False
    )


class WalkInForm(forms.Form):
    visitor_name = forms.CharField(label=_("visitor"), max_length=50)
    visitor_phone = forms.CharField(label=_("phone"), max_length=20, required=False)
    unit_code = forms.CharField(label=_("unit code"), max_length=50)
    purpose = forms.CharField(label=_("purpose"), max_length=100, required=False)


class AdmitForm(forms.Form):
    token = forms.CharField(
        label=_("pass code"),
        max_length=200,
        help_text=_("Scan the visitor's QR code, or type the code under it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class HandoverNoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 4}))


class PassForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    visitor_name = forms.CharField(label=_("visitor"), max_length=50)
    kind = forms.ChoiceField(label=_("kind"), choices=VisitorPass.Kind.choices)
    valid_from = forms.DateTimeField(label=_("valid from"), widget=DATETIME, input_formats=DATETIME_FORMATS)
    valid_until = forms.DateTimeField(label=_("valid until"), widget=DATETIME, input_formats=DATETIME_FORMATS)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "unit", [(unit.pk, f"{unit.estate.name} {unit.code}") for unit in units])


class InstructionForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("unit"), coerce=int)
    name = forms.CharField(label=_("name"), max_length=50)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "unit", [(unit.pk, f"{unit.estate.name} {unit.code}") for unit in units])
