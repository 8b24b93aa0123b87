"""The unit page links only to what the reader may open."""

from django.urls import reverse

from guanjia.people.tests.factories import PersonFactory, ResidencyFactory


def test_an_owner_sees_their_household_but_links_only_to_their_own_archive(client_as, cast):
    child = PersonFactory(estate=cast.estate, name="张小三", phone="")
    ResidencyFactory(person=child, unit=cast.unit_a, relation="family")
    page = client_as("owner").get(reverse("people:unit", args=[cast.unit_a.pk])).content.decode()
    assert "张小三" in page
    assert reverse("people:person", args=[child.pk]) not in page
    assert reverse("people:person", args=[cast.owner_person.pk]) in page
    # Staff who may read the registry get the link.
    staff_page = client_as("butler").get(reverse("people:unit", args=[cast.unit_a.pk])).content.decode()
    assert reverse("people:person", args=[child.pk]) in staff_page
