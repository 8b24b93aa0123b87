"""Issue 11 on the owner archive: phone numbers as people write them (item 15), phone numbers
recovered through search (item 3), pinyin of surnames (item 16), archive documents (item 4),
and who may unmask a person linked to no unit (item 8)."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from guanjia.core.validators import normalize_phone, phone_problem
from guanjia.people import actions
from guanjia.people.models import Attachment, Person, PersonalDataRead
from guanjia.people.tests.factories import PersonFactory, ResidencyFactory
from guanjia.servicedesk.tests.factories import image_bytes

PNG = image_bytes("PNG")  # a real image: a scanned document is decoded and written again


@pytest.fixture(autouse=True)
def fresh_search_counts():
    """The per-user search counts live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def people_url(estate_id: int) -> str:
    return f"/api/v1/estates/{estate_id}/people"


def search_api(client, estate_id: int, query: str):
    return client.get(f"/api/v1/estates/{estate_id}/search", {"q": query})


def found_names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {person["name"] for person in response.json()["people"]}


def page_names(response) -> str:
    assert response.status_code == 200, response.content
    return response.content.decode()


# Item 15: phone numbers as people write them -----------------------------------------------

WRITTEN_AS = [
    ("138-1234-5678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("+86-138-1234-5678", "13812345678"),
    ("008613812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("0571-88886666", "057188886666"),
    ("(0571) 8888 6666", "057188886666"),
    ("010-62345678", "01062345678"),
    ("+852 9123 4567", "+85291234567"),
    ("+853 6612 3456", "+85366123456"),
    ("+886 912 345 678", "+886912345678"),
    ("+1 415 555 2671", "+14155552671"),
]


@pytest.mark.parametrize(("written", "stored"), WRITTEN_AS)
def test_a_phone_as_people_write_it_is_stored_in_one_form(written, stored):
    assert normalize_phone(written) == stored
    assert phone_problem(normalize_phone(written)) is None


@pytest.mark.parametrize("written", ["12345", "138-1234-567", "0571-123", "+86 999", "电话", "1381234567890123"])
def test_what_is_no_phone_number_is_refused(written):
    assert phone_problem(normalize_phone(written))


@pytest.mark.parametrize(("written", "stored"), WRITTEN_AS)
def test_the_api_accepts_each_form_and_finds_the_number_by_its_digits(client_as, cast, written, stored):
    client = client_as("manager")
    created = client.post(
        people_url(cast.estate.pk), {"name": "钱七", "phone": written}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    person = Person.objects.get(pk=created.json()["id"])
    assert person.phone == stored
    assert person.phone_tail == stored[-4:]
    digits = stored.removeprefix("+")
    for query in (written, digits, digits[-8:], digits[-4:]):
        assert "钱七" in found_names(search_api(client, cast.estate.pk, query)), query


def test_the_api_refuses_a_wrong_number_naming_the_field(client_as, cast, unchanged):
    client = client_as("manager")
    with unchanged():
        refused = client.post(
            people_url(cast.estate.pk),
            {"name": "钱七", "phone": "13812345678", "emergency_contact_phone": "0571-123"},
            content_type="application/json",
        )
    assert refused.status_code == 400
    assert refused.json()["field"] == "emergency_contact_phone"
    assert "0571-88886666" in refused.json()["problems"][0]["message"]


def test_the_person_form_stores_a_landline_that_the_desk_then_finds(client_as, cast):
    client = client_as("manager")
    response = client.post(
        reverse("people:person_create", args=[cast.estate.pk]),
        {"name": "孙八", "phone": "0571-88886666", "id_type": "passport", "emergency_contact_phone": "+852 9123 4567"},
    )
    assert response.status_code == 302, response.content
    person = Person.objects.get(name="孙八")
    assert (person.phone, person.emergency_contact_phone) == ("057188886666", "+85291234567")
    frontdesk = reverse("people:frontdesk", args=[cast.estate.pk])
    for query in ("057188886666", "0571-88886666", "0571 8888 6666", "88886666"):
        assert "孙八" in page_names(client.get(frontdesk, {"q": query})), query


def test_a_landline_is_searched_as_a_phone_not_as_a_unit_code(client_as, cast):
    PersonFactory(estate=cast.estate, name="孙八", phone="057188886666", phone_tail="6666")
    found = search_api(client_as("manager"), cast.estate.pk, "0571-88886666")
    assert found.json()["how"] == "phone_full"
    assert found_names(found) == {"孙八"}
    # A unit code with dashes is still one.
    assert search_api(client_as("manager"), cast.estate.pk, "1-1-1201").json()["how"] == "unit"


def test_the_desk_takes_phones_in_any_form(client_as, cast):
    client = client_as("assistant")
    visit = client.post(
        f"/api/v1/estates/{cast.estate.pk}/visits",
        {"unit_id": cast.unit_a.pk, "visitor_name": "陈先生", "visitor_phone": "+852 9123 4567"},
        content_type="application/json",
    )
    assert visit.status_code == 201, visit.content
    from guanjia.frontdesk.models import Visit

    assert Visit.objects.get().visitor_phone == "+85291234567"
    refused = client.post(
        f"/api/v1/estates/{cast.estate.pk}/visits",
        {"unit_id": cast.unit_a.pk, "visitor_name": "陈先生", "visitor_phone": "0571-123"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and refused.json()["field"] == "visitor_phone"


def test_reindex_brings_stored_numbers_and_names_to_todays_rules(cast):
    landline = PersonFactory(estate=cast.estate, name="长孙无忌", phone="0571-88886666", phone_tail="6666")
    Person.objects.filter(pk=landline.pk).update(name_initials="cswj", name_pinyin="changsunwuji")
    prefixed = PersonFactory(estate=cast.estate, name="单田芳", phone="+8613812345678", phone_tail="5678")
    Person.objects.filter(pk=prefixed.pk).update(emergency_contact_phone="138-1234-5679")
    broken = PersonFactory(estate=cast.estate, name="钱七", phone="12345", phone_tail="2345")
    assert actions.reindex_people(batch_size=2) >= 2
    landline.refresh_from_db()
    prefixed.refresh_from_db()
    broken.refresh_from_db()
    assert (landline.phone, landline.name_initials) == ("057188886666", "zswj cswj")
    assert (prefixed.phone, prefixed.emergency_contact_phone) == ("13812345678", "13812345679")
    assert prefixed.name_initials.split()[0] == "stf"
    assert broken.phone == "12345"  # no number: left as it was, for a person to correct
    assert actions.reindex_people() == 0  # run again: nothing left to do


# Item 3: phone numbers recovered through search ----------------------------------------


@pytest.mark.parametrize("query", ["13812341234", "138-1234-1234", "+86 138 1234 1234", "812341234", "41234"])
def test_an_assistant_cannot_match_more_of_a_number_than_its_mask_shows(client_as, cast, query):
    client = client_as("assistant")
    response = search_api(client, cast.estate.pk, query)
    assert found_names(response) == set()
    assert "4" in response.json()["notice"]
    page = client.get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": query})
    assert "张三" not in page_names(page)
    desk = client.get(f"/api/v1/estates/{cast.estate.pk}/desk-search", {"q": query})
    assert desk.status_code == 200 and desk.json() == []
    assert not PersonalDataRead.objects.exists()


def test_an_assistant_finds_by_the_tail_the_mask_shows(client_as, cast):
    client = client_as("assistant")
    assert found_names(search_api(client, cast.estate.pk, "1234")) == {"张三"}
    assert "张三" in page_names(client.get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": "1234"}))


def test_a_whole_number_matches_for_who_may_unmask_and_is_logged_as_a_reveal(client_as, cast):
    manager = client_as("manager")
    assert found_names(search_api(manager, cast.estate.pk, "138-1234-1234")) == {"张三"}
    read = PersonalDataRead.objects.get()
    assert (read.reader_id, read.person_id, read.fields, read.channel) == (
        cast.manager.pk,
        cast.owner_person.pk,
        "phone",
        "api",
    )
    page = manager.get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": "13812341234"})
    assert "张三" in page_names(page)
    assert PersonalDataRead.objects.filter(channel="page").count() == 1
    # A search that finds no one reveals nothing and logs nothing.
    search_api(manager, cast.estate.pk, "13800000000")
    assert PersonalDataRead.objects.count() == 2


def test_a_butler_matches_whole_numbers_in_their_zones_only(client_as, cast):
    butler = client_as("butler")  # zone A: 张三 lives there, 李四 in zone B
    assert found_names(search_api(butler, cast.estate.pk, "13812341234")) == {"张三"}
    assert found_names(search_api(butler, cast.estate.pk, "13987655678")) == set()
    assert found_names(search_api(butler, cast.estate.pk, "5678")) == {"李四"}
    assert list(PersonalDataRead.objects.values_list("person_id", flat=True)) == [cast.owner_person.pk]


def test_searches_are_rate_limited_per_user(client_as, cast, settings):
    settings.GUANJIA_SEARCHES_PER_MINUTE = 3
    client = client_as("assistant")
    for _attempt in range(3):
        assert search_api(client, cast.estate.pk, "1234").status_code == 200
    refused = search_api(client, cast.estate.pk, "1234")
    assert refused.status_code == 429
    assert refused.json()["field"] == "q" and "搜索" in refused.json()["detail"]
    page = client.get(reverse("people:frontdesk", args=[cast.estate.pk]), {"q": "1234"})
    assert page.status_code == 429 and "搜索" in page.content.decode()
    desk = client.get(reverse("frontdesk:search", args=[cast.estate.pk]), {"q": "1234"})
    assert desk.status_code == 429
    assert client.get(f"/api/v1/estates/{cast.estate.pk}/desk-search", {"q": "1234"}).status_code == 429
    # Another user has their own count.
    assert search_api(client_as("manager"), cast.estate.pk, "1234").status_code == 200


# Item 16: pinyin of surnames --------------------------------------------------------------

REAL_NAMES = [
    ("长孙无忌", ["zswj", "cswj", "zhangsun", "changsunwuji"]),
    ("单田芳", ["stf", "dtf", "shantianfang", "dantianfang"]),
    ("解缙", ["xj", "jj", "xiejin", "jiejin"]),
    ("仇英", ["qy", "cy", "qiuying", "chouying"]),
    ("区永祥", ["oyx", "qyx", "ouyongxiang"]),
    ("查良镛", ["zly", "cly", "zhaliangyong"]),
    ("朴槿惠", ["pjh", "piaojinhui", "pujinhui"]),
    ("尉迟恭", ["ycg", "wcg", "yuchigong"]),
    ("万俟卨", ["mqx", "moqixie", "wanqixie"]),
    ("曾国藩", ["zgf", "cgf", "zengguofan"]),
    ("乐嘉", ["yj", "lj", "yuejia", "lejia"]),
    ("覃斌", ["qb", "tb", "qinbin", "tanbin"]),
    ("盖聂", ["gn", "genie", "gainie"]),
    ("缪可", ["mk", "miaoke", "mouke"]),
    ("翟志刚", ["zzg", "dzg", "zhaizhigang"]),
    ("种师道", ["csd", "zsd", "chongshidao"]),
    ("秘书晓", ["bsx", "msx", "bishuxiao"]),
    ("隗嚣", ["wx", "kx", "weixiao"]),
    ("厍狄", ["sd", "shedi"]),
    ("令狐冲", ["lhc", "linghuchong"]),
    ("澹台灭明", ["ttmm", "tantaimieming"]),
    ("宇文泰", ["ywt", "yuwentai"]),
    ("欧阳修", ["oyx", "ouyangxiu"]),
    ("上官婉儿", ["sgwe", "shangguanwaner"]),
    ("司马光", ["smg", "simaguang"]),
    ("诸葛亮", ["zgl", "zhugeliang"]),
]


@pytest.mark.parametrize(("name", "queries"), REAL_NAMES)
def test_a_surname_is_found_by_each_of_its_readings(client_as, cast, name, queries):
    client = client_as("manager")
    created = client.post(people_url(cast.estate.pk), {"name": name}, content_type="application/json")
    assert created.status_code == 201, created.content
    frontdesk = reverse("people:frontdesk", args=[cast.estate.pk])
    for query in queries:
        assert name in found_names(search_api(client, cast.estate.pk, query)), query
        assert name in page_names(client.get(frontdesk, {"q": query})), query


def test_the_readings_of_a_surname_do_not_find_others(client_as, cast):
    PersonFactory(estate=cast.estate, name="长孙无忌")
    client = client_as("manager")
    assert found_names(search_api(client, cast.estate.pk, "zs")) == {"张三", "长孙无忌"}
    assert found_names(search_api(client, cast.estate.pk, "sw")) == set()  # not the middle of a form
    assert found_names(search_api(client, cast.estate.pk, "zhangsa")) == {"张三"}


# Item 4: archive documents -----------------------------------------------------------------


@pytest.fixture
def documents(cast):
    """An ID copy in the archive of 张三 (zone A) and of 李四 (zone B)."""
    return {
        person.pk: actions.add_attachment(
            actor=cast.manager, person=person, title="身份证复印件", upload=SimpleUploadedFile("id.png", PNG)
        )
        for person in (cast.owner_person, cast.neighbour)
    }


@pytest.mark.parametrize(
    ("role", "may_open_a", "may_open_b"),
    [
        ("manager", True, True),
        ("head_butler", True, True),
        ("butler", True, False),
        ("assistant", False, False),
        ("finance", False, False),
        ("owner", True, False),
        ("outsider", False, False),
    ],
)
def test_documents_open_for_who_may_unmask_and_each_opening_is_logged(
    client_as, cast, documents, unchanged, role, may_open_a, may_open_b
):
    client = client_as(role)
    for person, allowed in ((cast.owner_person, may_open_a), (cast.neighbour, may_open_b)):
        attachment = documents[person.pk]
        url = reverse("people:attachment", args=[attachment.pk])
        if allowed:
            response = client.get(url)
            assert response.status_code == 200
            b"".join(response.streaming_content)
            # Saved under its title, not the generated name it is stored under.
            assert "filename*=utf-8''%E8%BA%AB%E4%BB%BD%E8%AF%81" in response["Content-Disposition"]
            assert response["Content-Disposition"].endswith(".png")
            read = PersonalDataRead.objects.filter(person=person).get()
            assert (read.reader_id, read.fields) == (cast.user(role).pk, f"attachment:{attachment.pk}")
        else:
            with unchanged():
                assert client.get(url).status_code == 404


def test_the_person_page_links_documents_only_for_who_may_open_them(client_as, cast, documents):
    url = reverse("people:person", args=[cast.owner_person.pk])
    link = reverse("people:attachment", args=[documents[cast.owner_person.pk].pk])
    assert link in client_as("manager").get(url).content.decode()
    shown = client_as("assistant").get(url).content.decode()
    assert "身份证复印件" in shown and link not in shown
    assert not Attachment.objects.filter(pk=0).exists()


# Item 8: a butler and people linked to no unit ---------------------------------------------


def test_a_butler_cannot_unmask_a_person_linked_to_no_unit(client_as, cast, unchanged):
    walk_in = PersonFactory(estate=cast.estate, name="钱七", phone="13655556666")
    butler = client_as("butler")
    with unchanged():
        assert (
            butler.post(f"/api/v1/people/{walk_in.pk}/reveal", {}, content_type="application/json").status_code == 404
        )
        assert butler.post(reverse("people:reveal", args=[walk_in.pk]), {"purpose": "回访"}).status_code == 404
    # Still theirs to register and correct, masked.
    edited = butler.patch(f"/api/v1/people/{walk_in.pk}", {"note": "前台登记"}, content_type="application/json")
    assert edited.status_code == 200 and edited.json()["phone"] == "136****6666"
    # Once the person lives in the butler's zone, the butler may see them whole.
    ResidencyFactory(person=walk_in, unit=cast.unit_a)
    revealed = butler.post(f"/api/v1/people/{walk_in.pk}/reveal", {}, content_type="application/json")
    assert revealed.status_code == 200 and revealed.json()["phone"] == "13655556666"
    # The manager may always.
    other = PersonFactory(estate=cast.estate, name="孙八")
    manager = client_as("manager")
    assert manager.post(f"/api/v1/people/{other.pk}/reveal", {}, content_type="application/json").status_code == 200


def test_a_workbook_import_stores_phones_in_one_form(cast):
    from guanjia.estates.tests.factories import EstateFactory, ZoneFactory
    from guanjia.people.tests.test_import import good_people, good_units, workbook_bytes

    estate = EstateFactory(company=cast.estate.company, name="新苑", code="xinyuan")
    ZoneFactory(estate=estate, code="A", name="A区")
    ZoneFactory(estate=estate, code="B", name="B区")
    people = good_people()
    people[3][3] = "021-1234 5678"
    people[4][3] = "+86 137 0000 1111"
    people[0][7] = people[1][7] = "+852 9123 4567"
    actions.import_registry(
        actor=cast.manager, estate=estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), people))
    )
    stored = dict(Person.objects.filter(estate=estate).values_list("name", "phone"))
    assert (stored["孙八"], stored["李娜"]) == ("02112345678", "13700001111")
    assert Person.objects.get(estate=estate, name="赵六").emergency_contact_phone == "+85291234567"


def test_masks_of_the_stored_forms_show_the_same_tail():
    from guanjia.core.masking import mask_phone

    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("057188886666") == "057****6666"
    assert mask_phone("+85291234567") == "+852****4567"
