"""Short visitor pass codes: their form, unique in an estate, typed at the desk as read out."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from guanjia.core.errors import DomainError
from guanjia.frontdesk import actions, passcodes
from guanjia.frontdesk.models import Visit, VisitorPass

CONFUSABLE = set("0O1IL")


def issue(cast, name="刘医生", unit=None, kind=VisitorPass.Kind.ONE_TIME):
    now = timezone.now()
    return actions.issue_visitor_pass(
        person=cast.owner_person,
        unit=unit or cast.unit_a,
        visitor_name=name,
        kind=kind,
        valid_from=now - datetime.timedelta(minutes=5),
        valid_until=now + datetime.timedelta(hours=4),
    )


def test_a_code_is_eight_characters_nobody_misreads():
    assert not CONFUSABLE & set(passcodes.ALPHABET)
    assert len(set(passcodes.ALPHABET)) == len(passcodes.ALPHABET) == 31
    for _ in range(500):
        code = passcodes.new_code()
        assert len(code) == 8 and set(code) <= set(passcodes.ALPHABET)
        assert passcodes.is_code(code)
    assert passcodes.grouped("ABCD2345") == "ABCD 2345"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("abcd2345", True), ("ABCD 2345", True), ("abcd-2345", True), (" ABCD2345 ", True), ("ABCD234", False)],
)
def test_what_the_desk_types_is_read_without_case_spaces_or_dashes(typed, expected):
    assert passcodes.is_code(typed) is expected
    if expected:
        assert passcodes.normalize(typed) == "ABCD2345"


@pytest.mark.parametrize("typed", ["ABCD0345", "ABCD1345", "ABCDO345", "ABCDI345", "ABCDL345"])
def test_a_code_with_a_look_alike_is_not_a_code(typed):
    assert not passcodes.is_code(typed)


def test_every_pass_gets_its_own_code(cast):
    passes = [issue(cast, name=f"访客{number}") for number in range(60)]
    codes = [visitor_pass.code for visitor_pass in passes]
    assert all(passcodes.is_code(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_a_code_already_taken_in_the_estate_is_drawn_again(cast, monkeypatch):
    first = issue(cast)
    drawn = iter([first.code, first.code, "WXYZ2345"])
    monkeypatch.setattr(passcodes, "new_code", lambda: next(drawn))
    second = issue(cast, name="王师傅")
    assert second.code == "WXYZ2345" and VisitorPass.objects.count() == 2
    # Another estate may hold the same code: a code is looked up in the desk's estate only.
    monkeypatch.setattr(passcodes, "new_code", lambda: first.code)
    elsewhere = issue(cast, name="远方来客", unit=cast.other_unit)
    assert elsewhere.code == first.code


def test_when_no_free_code_is_drawn_the_pass_is_refused_and_nothing_saved(cast, monkeypatch, unchanged):
    first = issue(cast)
    monkeypatch.setattr(passcodes, "new_code", lambda: first.code)
    with unchanged(), pytest.raises(DomainError):
        issue(cast, name="王师傅")


def test_the_desk_admits_on_the_code_as_read_out(cast):
    visitor_pass = issue(cast)
    typed = f"{visitor_pass.code[:4].lower()} {visitor_pass.code[4:].lower()}"
    visit = actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=typed)
    assert visit.visitor_pass == visitor_pass and visit.unit == cast.unit_a
    with pytest.raises(DomainError):  # one-time: used
        actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.code)
    assert Visit.objects.count() == 1


def test_a_code_is_refused_at_another_estate_and_when_expired(cast, unchanged):
    visitor_pass = issue(cast, kind=VisitorPass.Kind.RECURRING)
    with unchanged(), pytest.raises(DomainError):
        actions.admit_with_pass(actor=cast.outsider, estate=cast.other_estate, token=visitor_pass.code)
    VisitorPass.objects.update(valid_until=timezone.now() - datetime.timedelta(minutes=1))
    with unchanged(), pytest.raises(DomainError) as refused:
        actions.admit_with_pass(actor=cast.assistant, estate=cast.estate, token=visitor_pass.code)
    assert refused.value.field == "token"


def test_the_owners_pass_page_shows_the_code_beside_the_qr_with_a_share_button(client_as, cast):
    visitor_pass = issue(cast)
    html = client_as("owner").get(reverse("frontdesk:my_pass", args=[visitor_pass.pk])).content.decode()
    assert passcodes.grouped(visitor_pass.code) in html and "<svg" in html
    assert "data-share-text=" in html and passcodes.grouped(visitor_pass.code) in html.split("data-share-text=")[1]
    assert "js/portal.js" in html and "<script>" not in html
    passes = client_as("owner").get(reverse("frontdesk:my_passes")).content.decode()
    assert visitor_pass.code in passes
