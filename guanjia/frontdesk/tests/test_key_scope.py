"""Whose keys a butler handles (issue 11, item 8): every key of the estates they are posted to,
not only their zone's, as core/roles.py says. A butler covers the desk like an assistant; their
own zone's keys are their duty in that the overdue alerts of those keys reach them too
(frontdesk.actions.alerts). Another estate's butler finds none of them."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.core.roles import CAPABILITIES, Capability, Post
from guanjia.frontdesk import actions
from guanjia.frontdesk.models import Key, KeyLoan


@pytest.fixture
def zone_b_key(cast):
    """The key of 李四's unit, in zone B: not the butler's zone."""
    return actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-0801", slot="B-01", unit=cast.unit_b
    )


@pytest.fixture
def pump_key(cast):
    """A facility key: no unit, no zone."""
    return actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.FACILITY, tag="F-1", slot="F-01", facility="水泵房"
    )


def due() -> str:
    return (timezone.now() + datetime.timedelta(hours=2)).isoformat()


def until() -> str:
    return (timezone.localdate() + datetime.timedelta(days=7)).isoformat()


def test_roles_give_the_butler_the_estates_desk_and_no_zone_limited_key_right():
    assert Capability.HANDLE_CUSTODY in CAPABILITIES[Post.BUTLER]
    assert not any("zone" in capability and "key" in capability for capability in Capability.values)


def test_a_butler_handles_a_key_outside_their_zone_through_the_api(client_as, cast, zone_b_key, pump_key):
    assert cast.unit_b.zone != cast.zone_a and cast.zone_a.butler == cast.butler
    client = client_as("butler")
    listed = client.get(f"/api/v1/estates/{cast.estate.pk}/keys")
    assert {row["tag"] for row in listed.json()} >= {"K-0801", "F-1"}
    authorized = client.post(
        f"/api/v1/keys/{zone_b_key.pk}/authorizations",
        json.dumps(
            {"borrower_name": "李婶", "borrower_phone": "13900004444", "purpose": "浇花", "valid_until": until()}
        ),
        content_type="application/json",
    )
    assert authorized.status_code == 201, authorized.content
    lent = client.post(
        f"/api/v1/keys/{zone_b_key.pk}/lend",
        json.dumps({"borrower_name": "李婶", "borrower_phone": "13900004444", "due_at": due()}),
        content_type="application/json",
    )
    assert lent.status_code == 201, lent.content
    pump = client.post(
        f"/api/v1/keys/{pump_key.pk}/lend",
        json.dumps({"borrower_name": "老李", "borrower_phone": "13900002222", "due_at": due()}),
        content_type="application/json",
    )
    assert pump.status_code == 201, pump.content
    assert KeyLoan.objects.filter(lent_by=cast.butler).count() == 2


def test_a_butler_handles_a_key_outside_their_zone_on_the_page(client_as, cast, zone_b_key):
    client = client_as("butler")
    assert client.get(reverse("frontdesk:key", args=[zone_b_key.pk])).status_code == 200
    assert "K-0801" in client.get(reverse("frontdesk:keys", args=[cast.estate.pk])).content.decode()
    response = client.post(reverse("frontdesk:key_mark", args=[zone_b_key.pk]), {"status": "damaged", "note": "断齿"})
    assert response.status_code == 302
    zone_b_key.refresh_from_db()
    assert zone_b_key.status == Key.Status.DAMAGED


def test_another_estates_butler_finds_no_key(client_as, cast, zone_b_key, unchanged):
    client = client_as("outsider")
    with unchanged():
        assert client.get(reverse("frontdesk:key", args=[zone_b_key.pk])).status_code == 404
        lent = client.post(
            f"/api/v1/keys/{zone_b_key.pk}/lend",
            json.dumps({"borrower_name": "李婶", "borrower_phone": "13900004444", "due_at": due()}),
            content_type="application/json",
        )
    assert lent.status_code == 404
