import pytest
from django.db.models import Q

from guanjia.core.errors import DomainError
from guanjia.core.models import Change
from guanjia.people import actions, queries
from guanjia.people.models import Person, PersonalDataRead
from guanjia.people.tests.factories import valid_id_number


def test_create_person_encrypts_and_masks(cast):
    number = valid_id_number(77)
    person = actions.create_person(
        actor=cast.butler, estate=cast.estate, name="欧阳明", phone="138 0000 5678", id_number=number
    )
    person.refresh_from_db()
    assert person.phone == "13800005678" and person.phone_tail == "5678"
    assert person.name_initials == "oym" and person.name_pinyin == "ouyangming"
    assert number not in person.id_number_encrypted
    assert person.id_number_masked == number[:6] + "********" + number[-4:]
    assert person.reveal_id_number() == number
    change = Change.objects.get(object_id=person.pk, verb="create")
    assert number not in str(change.changes) and "13800005678" not in str(change.changes)


@pytest.mark.parametrize(
    "values,field",
    [
        ({"name": ""}, "name"),
        ({"name": "王明", "phone": "12345"}, "phone"),
        ({"name": "王明", "id_number": "110105194912310021"}, "id_number"),
        ({"name": "王明", "emergency_contact_phone": "999"}, "emergency_contact_phone"),
    ],
)
def test_bad_person_input_names_the_field_and_saves_nothing(cast, values, field):
    before = (Person.objects.count(), Change.objects.count())
    with pytest.raises(DomainError) as error:
        actions.create_person(actor=cast.butler, estate=cast.estate, **values)
    assert field in [problem.field for problem in error.value.problems]
    assert (Person.objects.count(), Change.objects.count()) == before


def test_surname_readings(cast):
    person = actions.create_person(actor=cast.butler, estate=cast.estate, name="单田芳")
    # The surname reading first; the common readings stay searchable (issue 11, item 16).
    assert person.name_initials.split() == ["stf", "dtf", "ctf"]


def test_linking_a_unit_of_another_estate_is_refused(cast):
    with pytest.raises(DomainError) as error:
        actions.link_person_to_unit(
            actor=cast.manager, person=cast.owner_person, unit=cast.other_unit, relation="owner"
        )
    assert error.value.field == "unit"


def test_reveal_is_logged(cast):
    values = actions.reveal_personal_data(actor=cast.manager, person=cast.owner_person, purpose="核对身份")
    assert values["phone"] == "13812341234"
    read = PersonalDataRead.objects.get()
    assert (read.reader, read.person, read.purpose) == (cast.manager, cast.owner_person, "核对身份")


@pytest.mark.parametrize(
    "query,how",
    [
        ("zs", "initials"),
        ("zhangsan", "pinyin"),
        ("1234", "phone"),
        ("张", "name"),
        ("1-1-1201", "unit"),
        ("13812341234", "phone_full"),
    ],
)
def test_search_finds_the_owner_every_way(cast, query, how):
    # A whole number matches only within the people the reader may see whole (here: everyone).
    result = queries.search(cast.estate.pk, query, full_numbers=Q())
    assert result.how == how
    if how == "unit":
        assert [u.code for u in result.units] == ["1-1-1201"]
    else:
        assert cast.owner_person in result.people


def test_search_stays_inside_the_estate(cast):
    assert queries.search(cast.estate.pk, "ww").people == []  # 王五 lives in the other estate
    assert queries.search(cast.other_estate.pk, "ww").people == [cast.stranger]
