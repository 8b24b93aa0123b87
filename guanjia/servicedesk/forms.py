"""Forms of the service desk pages. They only shape the input: every rule is in the actions,
whose DomainError is shown under the field it names."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import DateInput, column_field, set_choices
from guanjia.servicedesk.models import ComplaintDetails, ReturnVisit, ServiceRequest

ROW_ID_MAX = 2**63 - 1  # as the API's RowId: beyond it no row has the id
RATINGS = [("", "—")] + [(str(n), str(n)) for n in range(5, 0, -1)]


class IntakeForm(forms.Form):
    """The front desk's few keystrokes: kind, channel, description, priority."""

    kind = forms.ChoiceField(
        label=_("kind"), choices=ServiceRequest.Kind.choices, initial=ServiceRequest.Kind.REPAIR_IN_UNIT
    )
    channel = forms.ChoiceField(
        label=_("channel"), choices=ServiceRequest.Channel.choices, initial=ServiceRequest.Channel.PHONE
    )
    priority = forms.ChoiceField(
        label=_("priority"), choices=ServiceRequest.Priority.choices, initial=ServiceRequest.Priority.NORMAL
    )
    unit = forms.CharField(label=_("unit"), max_length=50, required=False, help_text=_("e.g. 3-2-1201"))
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    title = forms.CharField(
        label=_("title"), max_length=200, required=False, help_text=_("Leave empty to use the description.")
    )
    person = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1, max_value=ROW_ID_MAX)


def title_from(description: str) -> str:
    """A title from the first line of the description, when the desk did not type one."""
    first_line = (description or "").strip().splitlines()[0] if (description or "").strip() else ""
    return first_line[:40]


class VersionForm(forms.Form):
    """Every action form carries the version the user saw, so that a change made meanwhile
    is reported instead of being acted on twice."""

    version = column_field(ServiceRequest, "version", widget=forms.HiddenInput, required=False)


class NoteForm(VersionForm):
    note = forms.CharField(label=_("note"), required=False, max_length=1000)


class RequiredNoteForm(VersionForm):
    note = forms.CharField(label=_("why"), max_length=1000)


class AssignForm(VersionForm):
    assignee = forms.ChoiceField(label=_("assign to"))
    note = forms.CharField(label=_("note"), required=False, max_length=1000)

    def __init__(self, *args, staff_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", "—")] + list(staff_choices))


class CancelForm(VersionForm):
    reason = forms.CharField(label=_("reason"), max_length=300)


class ReturnVisitForm(VersionForm):
    # Not "owner portal": that is the owner's own answer, which they give themselves.
    how = forms.ChoiceField(
        label=_("how"),
        choices=[choice for choice in ReturnVisit.How.choices if choice[0] != ReturnVisit.How.PORTAL],
        initial=ReturnVisit.How.PHONE,
    )
    satisfaction = forms.CharField(label=_("satisfaction (1–5)"), widget=forms.Select(choices=RATINGS))
    solved = forms.BooleanField(label=_("solved"), required=False, initial=True)
    owner_words = forms.CharField(
        label=_("owner's words"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ClassifyForm(forms.Form):
    category = forms.ChoiceField(label=_("category"), choices=[("", "—"), *ComplaintDetails.Category.choices])
    validity = forms.ChoiceField(label=_("validity"), choices=ComplaintDetails.Validity.choices)
    department = forms.ChoiceField(
        label=_("responsible department"),
        choices=[("", "—"), *ComplaintDetails.Department.choices],
        required=False,
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class ServiceLevelForm(forms.Form):
    kind = forms.ChoiceField(choices=ServiceRequest.Kind.choices, widget=forms.HiddenInput)
    priority = forms.ChoiceField(choices=ServiceRequest.Priority.choices, widget=forms.HiddenInput)
    respond_minutes = forms.CharField(label=_("minutes to respond"), required=False, max_length=10)
    arrive_minutes = forms.CharField(label=_("minutes to arrive"), required=False, max_length=10)
    resolve_minutes = forms.CharField(label=_("minutes to resolve"), required=False, max_length=10)
    return_visit_minutes = forms.CharField(label=_("minutes to return visit"), required=False, max_length=10)


class PortalRequestForm(forms.Form):
    """The owner's request from a phone: which home, what, how urgent, and photos."""

    # The unit is checked by the action (one of the owner's own), not only by this list.
    unit = forms.CharField(label=_("home"), widget=forms.Select, max_length=20)
    kind = forms.ChoiceField(
        label=_("what is it about"), choices=ServiceRequest.Kind.choices, initial=ServiceRequest.Kind.REPAIR_IN_UNIT
    )
    priority = forms.ChoiceField(label=_("how urgent"), choices=ServiceRequest.Priority.choices, initial="normal")
    description = forms.CharField(label=_("describe it"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [(str(unit.pk), f"{unit.estate.name} {unit.code}") for unit in units]


class ConfirmForm(VersionForm):
    satisfaction = forms.CharField(label=_("your rating (1–5)"), widget=forms.Select(choices=RATINGS))
    solved = forms.ChoiceField(
        label=_("is it done?"),
        choices=[("yes", _("Yes, it is done")), ("no", _("No, it is not done"))],
        widget=forms.RadioSelect,
        initial="yes",
    )
    owner_words = forms.CharField(
        label=_("your words"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class DutyManagerForm(forms.Form):
    date = forms.DateField(label=_("duty day"), widget=DateInput())
    user = forms.ChoiceField(label=_("duty manager"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "user", [("", "—"), *people])
