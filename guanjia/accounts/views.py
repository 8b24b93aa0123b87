from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from guanjia.accounts.queries import home_route, postings_of_estate
from guanjia.core.roles import Capability
from guanjia.estates.access import access_estate
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
    return render(request, "accounts/staff.html", {"estate": estate, "postings": postings_of_estate(estate.pk)})


@login_required
@require_GET
def portal(request):
    """The owner's home: their units and what the service center has for them."""
    person = request.user.person
    if person is None:
        raise Http404
    return render(request, "accounts/portal.html", {"person": person, "units": units_of_person(person)})
