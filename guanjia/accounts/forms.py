"""The forms of the account pages. They only parse; the actions check."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanjia.core.roles import Post

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PostingForm(forms.Form):
    """Grant a post: the login by its username (staff know each other's), the post from those
    the signed-in manager may grant."""

    username = forms.CharField(label=_("username"), max_length=150)
    post = forms.ChoiceField(label=_("post"), choices=())
    since = forms.DateField(label=_("since"), required=False, widget=DATE)

    def __init__(self, *args, grantable: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Post.choices)
        self.fields["post"].choices = [(post, labels[post]) for post in grantable]  # type: ignore[attr-defined]


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1 = forms.CharField(
        label=_("new password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("new password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        first, second = data.get("new_password1"), data.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two new passwords differ: type the same password twice."))
        return data
