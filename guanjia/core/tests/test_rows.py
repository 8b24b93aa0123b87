"""A row and the rows pointing at it in one statement (on PostgreSQL; saves on SQLite): what is
read back is what was built, and a refused row takes the others with it."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanjia.core.models import Change
from guanjia.core.rows import insert_with_dependents
from guanjia.servicedesk.models import ComplaintDetails, RequestEvent, ServiceRequest
from guanjia.servicedesk.tests.factories import receive

pytestmark = pytest.mark.django_db


def test_a_complaint_is_written_with_its_event_its_audit_entry_and_its_details(cast):
    built = receive(cast, kind=ServiceRequest.Kind.COMPLAINT, title="夜间噪音")
    stored = ServiceRequest.objects.get(pk=built.pk)
    for field in ServiceRequest._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(built, field.attname), field.name
    event = RequestEvent.objects.get(request=stored)
    assert (event.actor_id, event.to_status, event.action) == (cast.assistant.pk, "received", "receive")
    assert ComplaintDetails.objects.filter(request=stored).count() == 1
    change = Change.objects.get(content_type=ContentType.objects.get_for_model(ServiceRequest), object_id=stored.pk)
    assert change.verb == "create" and change.changes["title"] == [None, "夜间噪音"]
    assert not built._state.adding
    stored.title = "夜间噪音（已核实）"
    stored.save(update_fields=["title"])


def test_a_refused_dependent_row_leaves_nothing(cast):
    before = (ServiceRequest.objects.count(), RequestEvent.objects.count(), Change.objects.count())
    request = ServiceRequest(
        estate=cast.estate,
        kind=ServiceRequest.Kind.INQUIRY,
        channel=ServiceRequest.Channel.PHONE,
        title="咨询",
        first_responder=cast.assistant,
        received_at=timezone.now(),
    )
    event = RequestEvent(request=request, actor=cast.assistant, at=request.received_at, to_status="received")
    broken = Change(content_type=ContentType.objects.get_for_model(ServiceRequest), verb=None)  # verb is NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_with_dependents(request, [(event, "request_id"), (broken, "object_id")])
    assert (ServiceRequest.objects.count(), RequestEvent.objects.count(), Change.objects.count()) == before


def test_a_row_fetched_in_its_estate_equals_the_orm_s_and_none_elsewhere(cast):
    from guanjia.core.rows import fetch_in_estate
    from guanjia.estates.models import Unit
    from guanjia.people.models import Person

    for model, row in ((Unit, cast.unit_a), (Person, cast.owner_person)):
        fetched = fetch_in_estate(model, row.pk, cast.estate.pk)
        stored = model.objects.get(pk=row.pk)
        for field in model._meta.concrete_fields:
            assert getattr(fetched, field.attname) == getattr(stored, field.attname), field.name
        assert not fetched._state.adding
    assert fetch_in_estate(Unit, cast.other_unit.pk, cast.estate.pk) is None
    assert fetch_in_estate(Unit, 10**9, cast.estate.pk) is None
