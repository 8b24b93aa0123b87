"""Account pages: the home redirect, the owner portal, staff and posts, the user's own password
and API tokens. Thin: parse a form, authorize, call an action, show the refusal by its field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from guanjia.accounts import actions
from guanjia.accounts.access import (
    access_my_token,
    access_posting,
    access_staff_member,
    grantable_posts,
    signed_in_user,
    staff_estate,
)
from guanjia.accounts.forms import PasswordChangeForm, PostingForm
from guanjia.accounts.portal import tiles_for
from guanjia.accounts.queries import home_route, postings_of_estate, staff_login_named, tokens_of
from guanjia.core.errors import DomainError
from guanjia.core.forms import attempt
from guanjia.core.roles import Capability
from guanjia.estates.access import access_estate
from guanjia.estates.models import Estate
from guanjia.people.queries import units_of_person


@login_required
@require_GET
def home(request):
    route, kwargs = home_route(request.user)
    return redirect(route, **kwargs)


@login_required
@require_GET
def no_post(request):
    return render(request, "accounts/no_post.html")


@login_required
@require_GET
def staff(request, estate_id: int):
    estate = access_estate(request.user, estate_id, Capability.VIEW_STAFF)
    return staff_page(request, estate)


def staff_page(
    request, estate: Estate, *, status: int = 200, posting_form: PostingForm | None = None, problem: str = ""
) -> HttpResponse:
    """The staff list; with the grant form and the remove and reset buttons for those who
    manage the estate's staff (only the posts they may grant)."""
    user = signed_in_user(request)
    grantable = grantable_posts(user, estate.pk)
    context = {
        "estate": estate,
        "postings": postings_of_estate(estate.pk),
        "grantable": grantable,
        "posting_form": posting_form or PostingForm(grantable=grantable),
        "problem": problem,
    }
    return render(request, "accounts/staff.html", context, status=status)


@login_required
@require_POST
def posting_create(request, estate_id: int):
    estate = staff_estate(request.user, estate_id)
    actor = signed_in_user(request)
    form = PostingForm(request.POST, grantable=grantable_posts(actor, estate.pk))

    def grant(data: dict):
        login = staff_login_named(data["username"], field="username")
        return actions.post_staff(actor=actor, user=login, estate=estate, post=data["post"], since=data["since"])

    if attempt(form, grant) is None:
        return staff_page(request, estate, status=400, posting_form=form)
    messages.success(request, _("The post is granted."))
    return redirect("accounts:staff", estate_id=estate.pk)


@login_required
@require_POST
def posting_end(request, posting_id: int):
    posting = access_posting(request.user, posting_id)
    try:
        actions.end_posting(actor=signed_in_user(request), posting=posting)
    except DomainError as error:
        return staff_page(request, posting.estate, status=400, problem=error.message)
    messages.success(request, _("The post is removed."))
    return redirect("accounts:staff", estate_id=posting.estate_id)


@login_required
@require_POST
@never_cache
def password_reset(request, estate_id: int, user_id: int):
    """Reset a member of staff's password: the temporary one is shown on this answer only."""
    estate, member = access_staff_member(request.user, estate_id, user_id)
    try:
        temporary = actions.reset_password(actor=signed_in_user(request), estate=estate, user=member)
    except DomainError as error:
        return staff_page(request, estate, status=400, problem=error.message)
    context = {"estate": estate, "member": member, "temporary": temporary}
    return render(request, "accounts/password_reset_done.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    user = signed_in_user(request)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST":
        changed = attempt(
            form,
            lambda data: actions.change_password(
                user=user, old_password=data["old_password"], new_password=data["new_password1"]
            ),
        )
        if changed is not None:
            # Keep this session signed in; every other session of the login ends with the old hash.
            update_session_auth_hash(request, changed)
            messages.success(request, _("Your password is changed. Your API tokens were revoked."))
            return redirect("home")
    status = 400 if form.errors else 200
    return render(
        request, "accounts/password_change.html", {"form": form, "forced": user.must_change_password}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """The user's own API tokens; a POST revokes them all."""
    user = signed_in_user(request)
    if request.method == "POST":
        count = actions.revoke_my_tokens(actor=user)
        messages.success(request, _("%(count)d tokens revoked.") % {"count": count})
        return redirect("accounts:tokens")
    return render(request, "accounts/tokens.html", {"tokens": tokens_of(user), "now": timezone.now()})


@login_required
@require_POST
def token_revoke(request, token_id: int):
    actions.revoke_token(actor=signed_in_user(request), token=access_my_token(request.user, token_id))
    messages.success(request, _("The token is revoked."))
    return redirect("accounts:tokens")


@login_required
@require_GET
def portal(request):
    """The owner's home: their units and what the service center has for them."""
    person = request.user.person
    if person is None:
        raise Http404
    residencies = units_of_person(person)
    context = {
        "person": person,
        "units": residencies,
        "tiles": tiles_for(person.pk, {residency.unit_id for residency in residencies}),
    }
    return render(request, "accounts/portal.html", context)
