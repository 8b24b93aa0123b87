from django.urls import reverse

from guanjia.frontdesk import actions
from guanjia.frontdesk.models import DoNotAdmit, Key, Parcel
from guanjia.servicedesk.actions import receive_request


def test_the_front_desk_screen_shows_what_the_desk_holds_for_a_unit(client_as, cast):
    actions.receive_parcel(
        actor=cast.assistant,
        unit=cast.unit_a,
        recipient_name="张三",
        shelf="B7",
        courier="顺丰",
        tracking_number="SF-DESK",
    )
    actions.register_key(
        actor=cast.assistant, estate=cast.estate, kind=Key.Kind.UNIT, tag="K-DESK", slot="A7", unit=cast.unit_a
    )
    DoNotAdmit.objects.create(unit=cast.unit_a, name="赵某", given_by=cast.owner_person)
    receive_request(
        actor=cast.assistant,
        estate=cast.estate,
        kind="repair_in_unit",
        channel="phone",
        title="厨房水龙头漏水",
        unit=cast.unit_a,
        person=cast.owner_person,
    )
    page = client_as("assistant").get(reverse("frontdesk:unit_desk", args=[cast.unit_a.pk]))
    body = page.content.decode()
    for shown in ("SF-DESK", "B7", "K-DESK", "赵某", "厨房水龙头漏水", "张三", "138****1234"):
        assert shown in body, shown
    assert "13812341234" not in body
    assert Parcel.objects.get().pickup_code not in body  # the desk hears the code, it is not shown it


def test_search_results_link_to_the_desk_screen(client_as, cast):
    response = client_as("assistant").get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": "1-1-1201"})
    assert reverse("frontdesk:unit_desk", args=[cast.unit_a.pk]) in response.content.decode()
