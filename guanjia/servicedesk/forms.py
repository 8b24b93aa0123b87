"""Forms of the service desk pages. They only shape the input: every rule is in the actions,
whose DomainError is shown under the field it names."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.forms import DateInput, column_field, set_choices
from guanjia.servicedesk.models import ComplaintDetails, RequestPhoto, ReturnVisit, ServiceRequest

ROW_ID_MAX = 2**63 - 1


def style_fields(form: forms.BaseForm) -> None:
    """The kit's classes on each widget (Tabler/Bootstrap: form-control, form-select, ...)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.RadioSelect):
            css = "form-selectgroup-input"
        elif isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)  # as the API's RowId: beyond it no row has the id


RATINGS = [("", "—")] + [(str(n), str(n)) for n in range(5, 0, -1)]


class IntakeForm(StyledForm):
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


class VersionForm(StyledForm):
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


class ClassifyForm(StyledForm):
    category = forms.ChoiceField(label=_("category"), choices=[("", "—"), *ComplaintDetails.Category.choices])
    validity = forms.ChoiceField(label=_("validity"), choices=ComplaintDetails.Validity.choices)
    department = forms.ChoiceField(
        label=_("responsible department"),
        choices=[("", "—"), *ComplaintDetails.Department.choices],
        required=False,
    )


class PhotoForm(StyledForm):
    photo = forms.FileField(label=_("photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))


class FieldPhotoForm(PhotoForm):
    """The field worker's photo from the phone's camera, before or after the work."""

    photo = forms.FileField(
        label=_("photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"})
    )
    stage = forms.ChoiceField(
        label=_("what it shows"),
        choices=[("", _("The problem")), *RequestPhoto.Stage.choices],
        widget=forms.RadioSelect,
        required=False,
    )


STEPS_IN_HOURS = (
    ("respond_minutes", _("Response")),
    ("arrive_minutes", _("Arrival")),
    ("resolve_minutes", _("Resolution")),
    ("return_visit_minutes", _("Return visit")),
)
MAX_HOURS = Decimal(366 * 24)
HOURS_INPUT = "form-control form-control-sm gj-hours"


class HoursField(forms.CharField):
    """A time limit in hours (0.5 is half an hour), kept to the nearest minute; empty for no
    limit. Cleans to minutes."""

    def clean(self, value):
        text = super().clean(value).strip().replace("，", ".").replace(",", ".")
        if not text:
            return None
        try:
            hours = Decimal(text)
        except InvalidOperation:
            hours = Decimal(-1)
        if not hours.is_finite():
            hours = Decimal(-1)
        minutes = (hours * 60).to_integral_value(rounding=ROUND_HALF_UP) if hours > 0 else 0
        if minutes < 1 or hours > MAX_HOURS:
            raise forms.ValidationError(
                _("Enter the hours as a number up to 8784 (0.5 is half an hour), or leave it empty.")
            )
        return int(minutes)


def hours_text(minutes: int | None) -> str:
    """Minutes as the hours the form shows: 30 -> 0.5, 1440 -> 24, 20 -> 0.3333 (which comes
    back as 20 minutes)."""
    if minutes is None:
        return ""
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return format(hours.normalize(), "f")


class ServiceLevelsForm(StyledForm):
    """The whole table of service levels in one form: every kind x priority x step, in hours."""

    def __init__(self, *args, rows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in rows:
            fields = []
            for step, step_label in STEPS_IN_HOURS:
                name = f"{row['kind']}-{row['priority']}-{step}"
                self.fields[name] = HoursField(
                    label=f"{row['kind_label']} · {row['priority_label']} · {step_label}",
                    required=False,
                    max_length=12,
                    initial=hours_text(row[step]),
                    widget=forms.TextInput(
                        attrs={"inputmode": "decimal", "class": "form-control form-control-sm gj-hours"}
                    ),
                )
                fields.append((step, name))
            self.rows.append({**row, "names": fields})

    def bound_rows(self):
        """Each row of the table with its bound fields, for the template."""
        for row in self.rows:
            yield {**row, "fields": [self[name] for _step, name in row["names"]]}

    def changed_levels(self) -> list[dict]:
        """The rows whose limits differ from those in force, as set_service_levels takes them."""
        levels = []
        for row in self.rows:
            # A field the browser did not send keeps its value (an emptied one is sent, empty).
            values = {step: self.cleaned_data[name] if name in self.data else row[step] for step, name in row["names"]}
            if any(values[step] != row[step] for step, _name in row["names"]):
                levels.append({"kind": row["kind"], "priority": row["priority"], **values})
        return levels


class PortalRequestForm(StyledForm):
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


class DutyManagerForm(StyledForm):
    date = forms.DateField(label=_("duty day"), widget=DateInput())
    user = forms.ChoiceField(label=_("duty manager"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        set_choices(self, "user", [("", "—"), *people])
