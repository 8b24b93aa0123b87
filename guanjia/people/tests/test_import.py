"""The registry workbook: import (all or nothing), export, the background job and access."""

import datetime
import io
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from guanjia.accounts.tests.factories import PostingFactory
from guanjia.core.errors import DomainError
from guanjia.core.models import Change, Job
from guanjia.core.roles import Post
from guanjia.core.testing import run_worker, wait_for
from guanjia.estates.models import Building, Unit, Zone
from guanjia.estates.tests.factories import EstateFactory, ZoneFactory
from guanjia.people import actions, excel, queries
from guanjia.people.models import Person, PersonalDataRead, Residency
from guanjia.people.tests.factories import valid_id_number

UNIT_HEADERS = excel.UNIT_COLUMNS
PEOPLE_HEADERS = excel.PEOPLE_COLUMNS
ZHAO_ID = valid_id_number(101, birth="19750304")
SUN_PASSPORT = "E12345678"
NO_UPDATES = {"updated_units": 0, "updated_people": 0, "updated_residencies": 0}


def workbook_bytes(units=None, people=None, *, unit_headers=UNIT_HEADERS, people_headers=PEOPLE_HEADERS) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, headers, rows in ((excel.UNIT_SHEET, unit_headers, units), (excel.PEOPLE_SHEET, people_headers, people)):
        if rows is None:
            continue
        sheet = workbook.create_sheet(title)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def good_units(code="cuihu"):
    """Sorted by unit code, as an export writes them."""
    return [
        [code, "3", None, "0101", 1, 45.25, "商铺", "未交付", None, None],
        [code, "3", "2", "1201", 12, 89.5, "高层公寓", "入住", datetime.datetime(2024, 6, 30), "A"],
        [code, "3", "2", "1202", 12, 120, "高层公寓", "委托代管空置", datetime.datetime(2024, 6, 30), "B"],
        [code, "V8", None, "01", 1, 320.75, "别墅", "装修中", datetime.datetime(2023, 1, 15), "A"],
    ]


def good_people():
    return [
        ["3-0101", "赵六", "业主", "13911112222", "居民身份证", ZHAO_ID, "赵小六", "13933334444"],
        ["3-2-1201", "赵六", "业主", "13911112222", "居民身份证", ZHAO_ID, "赵小六", "13933334444"],
        ["3-2-1201", "钱七", "家庭成员", None, None, None, None, None],
        ["3-2-1202", "孙八", "租户", "02112345678", "护照", SUN_PASSPORT, None, None],
        ["V8-01", "李娜", "共有人", "13700001111", "居民身份证", valid_id_number(102), None, None],
    ]


def snapshot():
    """The registry's rows: what a dry run, or an import that fails, must leave alone (the job's
    own row records the outcome)."""
    return (
        Building.objects.count(),
        Unit.objects.count(),
        Person.objects.count(),
        Residency.objects.count(),
        Change.objects.count(),
        Zone.objects.count(),
    )


def plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def sheet_values(content: bytes) -> dict[str, list[list]]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    values = {
        name: [[plain(v) for v in row] for row in workbook[name].iter_rows(values_only=True)]
        for name in workbook.sheetnames
    }
    workbook.close()
    return values


def all_text(content: bytes) -> str:
    return "\n".join(str(cell) for rows in sheet_values(content).values() for row in rows for cell in row)


def problems_of(error: DomainError) -> set[tuple]:
    return {(p.sheet, p.row, p.field) for p in error.problems}


# Round trip -----------------------------------------------------------------------------


@pytest.fixture
def new_estate(cast):
    estate = EstateFactory(company=cast.estate.company, name="新苑", code="xinyuan")
    ZoneFactory(estate=estate, code="A", name="A区")
    ZoneFactory(estate=estate, code="B", name="B区")
    PostingFactory(user=cast.manager, estate=estate, post=Post.MANAGER)
    return estate


def test_round_trip_import_then_export_reads_back_equal(cast, new_estate):
    source = workbook_bytes(good_units("xinyuan"), good_people())
    counts = actions.import_registry(actor=cast.manager, estate=new_estate, source=io.BytesIO(source))
    assert counts == {"buildings": 2, "units": 4, "people": 4, "residencies": 5} | NO_UPDATES

    exported = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=True)
    assert sheet_values(exported) == sheet_values(source)

    zhao = Person.objects.get(estate=new_estate, name="赵六")
    assert zhao.reveal_id_number() == ZHAO_ID and zhao.id_number_masked != ZHAO_ID
    assert (zhao.phone_tail, zhao.name_initials, zhao.name_pinyin) == ("2222", "zl", "zhaoliu")
    assert sorted(zhao.residencies.values_list("unit__code", flat=True)) == ["3-0101", "3-2-1201"]
    unit = Unit.objects.get(estate=new_estate, code="3-2-1201")
    assert (unit.building.code, unit.entrance, unit.number, unit.zone.code, str(unit.area)) == (
        "3",
        "2",
        "1201",
        "A",
        "89.50",
    )
    change = Change.objects.get(verb="import", estate_id=new_estate.pk)
    assert change.actor == cast.manager and change.changes["units"] == 4
    assert ZHAO_ID not in str(change.changes)
    read = PersonalDataRead.objects.get(estate=new_estate)
    assert (read.reader, read.count, read.channel) == (cast.manager, 4, "export")


def test_masked_export_hides_phones_and_id_numbers(cast, new_estate):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    text = all_text(actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=False))
    for secret in (ZHAO_ID, "13911112222", "13933334444", "13700001111", SUN_PASSPORT):
        assert secret not in text
    assert "139****2222" in text
    assert not PersonalDataRead.objects.exists()


def test_people_can_join_units_already_in_the_estate(cast):
    source = workbook_bytes(None, [["1-1-1201", "周九", "租户", "13600006666", None, None, None, None]])
    counts = actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(source))
    assert counts == {"buildings": 0, "units": 0, "people": 1, "residencies": 1} | NO_UPDATES
    assert Residency.objects.get(person__name="周九").unit == cast.unit_a


def test_a_known_person_is_linked_not_copied(cast):
    source = workbook_bytes(
        None, [["2-1-0801", "张三", "共有人", "13812341234", "居民身份证", valid_id_number(11), None, None]]
    )
    counts = actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(source))
    assert counts["people"] == 0 and counts["residencies"] == 1
    assert set(cast.owner_person.residencies.values_list("unit__code", flat=True)) == {"1-1-1201", "2-1-0801"}


def test_progress_is_reported_during_the_check(cast, new_estate):
    units = [["xinyuan", "9", "1", f"{n:04d}", 1, 50, "高层公寓", "空置", None, None] for n in range(1, 2501)]
    calls = []
    actions.import_registry(
        actor=cast.manager,
        estate=new_estate,
        source=io.BytesIO(workbook_bytes(units)),
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[:2] == [(1000, 2500), (2000, 2500)] and calls[-1] == (2500, 2500)
    assert Unit.objects.filter(estate=new_estate).count() == 2500


# Bad input ------------------------------------------------------------------------------


def replace_unit(index, **columns):
    rows = good_units()
    for column, value in columns.items():
        rows[index][UNIT_HEADERS.index(column)] = value
    return rows


def replace_person(index, **columns):
    rows = good_people()
    for column, value in columns.items():
        rows[index][PEOPLE_HEADERS.index(column)] = value
    return rows


BAD_FILES = {
    "duplicate unit in the file": (
        lambda: workbook_bytes(good_units() + [good_units()[1]], good_people()),
        {("房屋", 6, "房号")},
    ),
    "negative, zero and non-numeric areas": (
        lambda: workbook_bytes(
            [
                replace_unit(0, **{excel.AREA: -5})[0],
                replace_unit(1, **{excel.AREA: 0})[1],
                replace_unit(2, **{excel.AREA: "八十"})[2],
            ],
            None,
        ),
        {("房屋", 2, excel.AREA), ("房屋", 3, excel.AREA), ("房屋", 4, excel.AREA)},
    ),
    "ID number with a wrong check digit": (
        lambda: workbook_bytes(
            good_units(),
            replace_person(3, 证件类型="居民身份证", 证件号码=ZHAO_ID[:-1] + ("1" if ZHAO_ID[-1] != "1" else "2")),
        ),
        {("住户", 5, "证件号码")},
    ),
    "phone that is no phone": (
        lambda: workbook_bytes(good_units(), replace_person(0, 手机="12345")),
        {("住户", 2, "手机")},
    ),
    "unit of another estate": (
        lambda: workbook_bytes(replace_unit(1, 项目编码="yunqi"), good_people()[2:3]),
        {("房屋", 3, "项目编码"), ("住户", 2, "房屋编号")},
    ),
    "unknown estate code": (
        lambda: workbook_bytes(replace_unit(0, 项目编码="nowhere"), None),
        {("房屋", 2, "项目编码")},
    ),
    "person in a unit that is nowhere": (
        lambda: workbook_bytes(good_units(), replace_person(2, 房屋编号="9-9-9999")),
        {("住户", 4, "房屋编号")},
    ),
    "person in a unit of another estate": (
        lambda: workbook_bytes(None, [["A-08", "王五", "业主", None, None, None, None, None]]),
        {("住户", 2, "房屋编号")},
    ),
    "unknown zone": (lambda: workbook_bytes(replace_unit(1, 管家区域="Z9"), None), {("房屋", 3, "管家区域")}),
    "unknown choice labels": (
        lambda: workbook_bytes(
            replace_unit(1, 户型="豪宅", 状态="出租"), replace_person(2, 关系="朋友", 证件类型="军官证", 证件号码="123")
        ),
        {("房屋", 3, "户型"), ("房屋", 3, "状态"), ("住户", 4, "关系"), ("住户", 4, "证件类型")},
    ),
    "floor and date that are not": (
        lambda: workbook_bytes(replace_unit(1, 楼层="十二", 交付日期="明年"), None),
        {("房屋", 3, "楼层"), ("房屋", 3, "交付日期")},
    ),
    "missing required column": (
        lambda: workbook_bytes(
            [row[:5] + row[6:] for row in good_units()], None, unit_headers=UNIT_HEADERS[:5] + UNIT_HEADERS[6:]
        ),
        {("房屋", 1, excel.AREA)},
    ),
    "missing person column": (
        lambda: workbook_bytes(
            None, [row[:2] + row[3:] for row in good_people()], people_headers=PEOPLE_HEADERS[:2] + PEOPLE_HEADERS[3:]
        ),
        {("住户", 1, "关系")},
    ),
    "same ID number under two names": (
        lambda: workbook_bytes(good_units(), replace_person(1, 姓名="赵七")),
        {("住户", 3, "姓名")},
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_input_is_refused_with_its_row_and_column_and_nothing_is_saved(cast, case, unchanged):
    make, expected = BAD_FILES[case]
    with unchanged(), pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(make()))
    found = problems_of(error.value)
    assert expected <= found, found
    assert all(p.message for p in error.value.problems)


def test_problem_messages_name_the_unit(cast):
    with pytest.raises(DomainError) as error:
        actions.import_registry(
            actor=cast.manager,
            estate=cast.estate,
            source=io.BytesIO(
                workbook_bytes(good_units() + [good_units()[1]], [["A-08", "王五", "业主"] + [None] * 5])
            ),
        )
    messages = {(p.sheet, p.row): p.message for p in error.value.problems}
    assert "3-2-1201" in messages[("房屋", 6)] and "2" in messages[("房屋", 6)]
    assert "A-08" in messages[("住户", 2)]
    assert error.value.as_dict()["problems"][0]["sheet"] == "房屋"


@pytest.mark.parametrize("content", [b"\xe5\xa7\x93\xe5\x90\x8d,\xe6\x89\x8b\xe6\x9c\xba\n", b"", b"PK\x03\x04broken"])
def test_a_file_that_is_no_workbook_gets_one_clear_sentence(cast, content, unchanged):
    with unchanged(), pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(content))
    assert error.value.field == "file" and "Traceback" not in error.value.message


def test_a_cut_off_workbook_is_refused(cast):
    content = workbook_bytes(good_units(), good_people())
    with pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(content[: len(content) // 2]))
    assert error.value.field == "file"


def test_a_workbook_without_the_sheets_is_refused(cast):
    workbook = Workbook()
    workbook.active.title = "Sheet1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(buffer.getvalue()))
    assert "房屋" in error.value.problems[0].message


@pytest.mark.parametrize("name,content", [("units.csv", b"a,b\n1,2\n"), ("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 60)])
def test_upload_that_is_not_xlsx_is_refused_before_any_job(cast, name, content):
    with pytest.raises(DomainError) as error:
        actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=SimpleUploadedFile(name, content))
    assert error.value.field == "file"
    assert not Job.objects.exists()


def test_upload_over_the_size_limit_is_refused(cast, settings):
    settings.GUANJIA_IMPORT_MAX_BYTES = 1000
    upload = SimpleUploadedFile("big.xlsx", workbook_bytes(good_units(), good_people()))
    with pytest.raises(DomainError) as error:
        actions.start_registry_import(actor=cast.manager, estate=cast.estate, upload=upload)
    assert error.value.field == "file" and not Job.objects.exists()


# The job, step by step in this process ------------------------------------------------------


def start(cast, content):
    return actions.start_registry_import(
        actor=cast.manager, estate=cast.estate, upload=SimpleUploadedFile("registry.xlsx", content)
    )


def test_dry_run_previews_and_confirm_imports_once(cast):
    before = snapshot()
    job = start(cast, workbook_bytes(good_units(), good_people()))
    actions.preview_registry_import(job_id=job.pk)
    actions.preview_registry_import(job_id=job.pk)  # delivered twice: no harm
    job.refresh_from_db()
    assert (job.stage, job.status) == ("previewed", Job.Status.RUNNING)
    assert job.result["counts"]["units"] == 4 and job.result["error_count"] == 0
    assert job.result["units"][1]["code"] == "3-2-1201"
    assert ZHAO_ID not in str(job.result) and "13911112222" not in str(job.result)
    assert snapshot() == before

    actions.confirm_registry_import(actor=cast.manager, job=job)
    with pytest.raises(DomainError):
        actions.confirm_registry_import(actor=cast.manager, job=job)
    actions.commit_registry_import(job_id=job.pk)
    actions.commit_registry_import(job_id=job.pk)  # delivered twice: no harm
    job.refresh_from_db()
    assert (job.stage, job.status, job.percent) == ("imported", Job.Status.SUCCEEDED, 100)
    assert job.result["imported"]["units"] == 4
    assert Unit.objects.filter(estate=cast.estate).count() == 2 + 4
    assert Change.objects.filter(verb="import").count() == 1
    assert not os.path.exists(job.params["path"])  # the upload is deleted once imported


def test_dry_run_with_problems_cannot_be_confirmed(cast):
    job = start(cast, workbook_bytes(replace_unit(1, 户型="豪宅"), None))
    actions.preview_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.result["error_count"] == 1
    assert job.result["errors"][0] == {
        "sheet": "房屋",
        "row": 3,
        "column": "户型",
        "field": "户型",
        "message": job.result["errors"][0]["message"],
    }
    with pytest.raises(DomainError):
        actions.confirm_registry_import(actor=cast.manager, job=job)


def test_import_fails_cleanly_when_the_estate_changed_after_the_dry_run(cast):
    """A unit added since the dry run is now an update (an export imports again); a zone the
    file names and someone renamed since is a problem of its row, and nothing is written."""
    job = start(cast, workbook_bytes(good_units(), None))
    actions.preview_registry_import(job_id=job.pk)
    actions.confirm_registry_import(actor=cast.manager, job=job)
    Zone.objects.filter(estate=cast.estate, code="B").update(code="B2")  # someone renamed it meanwhile
    before = snapshot()
    actions.commit_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and ("房屋", 4, "管家区域") in {
        (e["sheet"], e["row"], e["column"]) for e in job.result["errors"]
    }
    assert snapshot() == before


def test_a_unit_already_in_the_estate_is_updated_not_refused(cast):
    """Was "unit already in the estate" among the bad files: issue 11 item 17 makes it an update."""
    rows = replace_unit(0, 项目编码="cuihu", 楼栋="1", 单元="1", 房号="1201", 楼层=12)[:1]
    rows[0][UNIT_HEADERS.index(excel.AREA)] = 99.5
    counts = actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(workbook_bytes(rows)))
    assert counts["units"] == 0 and counts["updated_units"] == 1
    unit = Unit.objects.get(pk=cast.unit_a.pk)
    assert str(unit.area) == "99.50" and unit.house_type == Unit.HouseType.SHOP


def test_a_unit_added_between_check_and_write_rolls_everything_back(cast, monkeypatch, unchanged):
    """The unique constraint closes the race that the check cannot see."""
    real_facts = queries.estate_facts

    def stale_facts(estate):
        facts = real_facts(estate)
        facts.units.pop("1-1-1201")  # as read a moment before someone added it
        return facts

    monkeypatch.setattr(queries, "estate_facts", stale_facts)
    rows = good_units() + [["cuihu", "1", "1", "1201", 12, 90, "高层公寓", "入住", None, "A"]]
    with unchanged(), pytest.raises(DomainError) as error:
        actions.import_registry(
            actor=cast.manager, estate=cast.estate, source=io.BytesIO(workbook_bytes(rows, good_people()))
        )
    assert error.value.field == "file"


def test_stale_imports_are_discarded(cast):
    job = start(cast, workbook_bytes(good_units(), None))
    Job.objects.filter(pk=job.pk).update(created_at=job.created_at - datetime.timedelta(days=3))
    assert actions.discard_stale_imports() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


# The job through the real worker and the pages --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_upload_preview_confirm_through_the_worker(cast, client_as):
    client = client_as("manager")
    estate_id = cast.estate.pk
    with run_worker() as worker:
        response = client.post(
            reverse("people_import:upload", args=[estate_id]),
            {"file": SimpleUploadedFile("registry.xlsx", workbook_bytes(good_units(), good_people()))},
        )
        assert response.status_code == 302
        job = Job.objects.get(kind="registry_import")
        assert response.url == reverse("people_import:job", args=[estate_id, job.pk])
        progress_url = reverse("people_import:progress", args=[estate_id, job.pk])

        def stage_is(stage):
            fragment = client.get(progress_url).content.decode()
            return f'data-stage="{stage}"' in fragment and fragment

        fragment = wait_for(lambda: stage_is("previewed"), worker=worker, message="the dry run")
        assert 'hx-trigger="every 1s"' not in fragment  # the page stops polling
        assert "3-2-1201" in fragment and reverse("people_import:confirm", args=[estate_id, job.pk]) in fragment
        assert Unit.objects.filter(estate=cast.estate).count() == 2

        response = client.post(reverse("people_import:confirm", args=[estate_id, job.pk]))
        assert response.status_code == 302
        page = client.get(response.url).content.decode()
        assert 'hx-trigger="every 1s"' in page or 'data-stage="imported"' in page
        wait_for(lambda: stage_is("imported"), worker=worker, message="the import")
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert set(Unit.objects.filter(estate=cast.estate).values_list("code", flat=True)) == {
        "1-1-1201",
        "2-1-0801",
        "3-0101",
        "3-2-1201",
        "3-2-1202",
        "V8-01",
    }
    assert Person.objects.filter(estate=cast.estate, name="赵六").count() == 1


def test_job_page_polls_while_the_job_is_waiting(cast, client_as):
    job = start(cast, workbook_bytes(good_units(), good_people()))
    page = client_as("manager").get(reverse("people_import:job", args=[cast.estate.pk, job.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert reverse("people_import:progress", args=[cast.estate.pk, job.pk]) in body


def test_job_page_lists_the_problems(cast, client_as):
    job = start(cast, workbook_bytes(replace_unit(1, 户型="豪宅"), None))
    actions.preview_registry_import(job_id=job.pk)
    body = client_as("manager").get(reverse("people_import:progress", args=[cast.estate.pk, job.pk])).content.decode()
    assert "豪宅" in body and "户型" in body and "every 1s" not in body
    assert reverse("people_import:confirm", args=[cast.estate.pk, job.pk]) not in body


def test_upload_page_offers_the_form_and_the_export(cast, client_as):
    body = client_as("head_butler").get(reverse("people_import:upload", args=[cast.estate.pk])).content.decode()
    assert 'type="file"' in body and 'accept=".xlsx' in body and 'enctype="multipart/form-data"' in body
    assert reverse("people_import:export", args=[cast.estate.pk]) in body and "建筑面积(㎡)" in body


def test_upload_page_shows_a_bad_file_error(cast, client_as):
    response = client_as("manager").post(
        reverse("people_import:upload", args=[cast.estate.pk]), {"file": SimpleUploadedFile("units.csv", b"a,b\n")}
    )
    assert response.status_code == 400 and "invalid-feedback" in response.content.decode()
    assert not Job.objects.exists()


# Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["outsider", "butler", "assistant", "owner"])
def test_others_get_404_and_change_nothing(cast, client_as, role, unchanged):
    client = client_as(role)
    estate_id = cast.estate.pk
    with unchanged():
        assert client.get(reverse("people_import:upload", args=[estate_id])).status_code == 404
        upload = SimpleUploadedFile("registry.xlsx", workbook_bytes(good_units(), good_people()))
        assert client.post(reverse("people_import:upload", args=[estate_id]), {"file": upload}).status_code == 404
        assert client.get(reverse("people_import:export", args=[estate_id])).status_code == 404
        assert client.get(reverse("people_import:export", args=[estate_id]) + "?unmasked=1").status_code == 404
    assert not Job.objects.exists() and not PersonalDataRead.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "butler", "assistant", "finance"])
def test_others_cannot_see_or_confirm_a_job(cast, client_as, role):
    job = start(cast, workbook_bytes(good_units(), good_people()))
    actions.preview_registry_import(job_id=job.pk)
    client = client_as(role)
    for name in ("people_import:job", "people_import:progress"):
        assert client.get(reverse(name, args=[cast.estate.pk, job.pk])).status_code == 404
    assert client.post(reverse("people_import:confirm", args=[cast.estate.pk, job.pk])).status_code == 404
    job.refresh_from_db()
    assert job.stage == "previewed"


def test_a_job_is_only_found_under_its_own_estate(cast, client_as):
    other_job = actions.start_registry_import(
        actor=cast.outsider,
        estate=cast.other_estate,
        upload=SimpleUploadedFile("registry.xlsx", workbook_bytes(good_units("yunqi"), None)),
    )
    client = client_as("manager")
    assert client.get(reverse("people_import:job", args=[cast.estate.pk, other_job.pk])).status_code == 404
    assert client.get(reverse("people_import:job", args=[cast.other_estate.pk, other_job.pk])).status_code == 404


CAST_SECRETS = ["13812341234", "13987655678", valid_id_number(11), valid_id_number(12)]


def test_finance_exports_masked_even_when_asking_for_clear(cast, client_as):
    response = client_as("finance").get(reverse("people_import:export", args=[cast.estate.pk]) + "?unmasked=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="registry-cuihu.xlsx"'
    text = all_text(response.content)
    assert "1-1-1201" in text and "张三" in text and "138****1234" in text
    for secret in CAST_SECRETS:
        assert secret not in text
    assert not PersonalDataRead.objects.exists()


def test_manager_exports_clear_only_when_asking(cast, client_as):
    client = client_as("manager")
    masked = all_text(client.get(reverse("people_import:export", args=[cast.estate.pk])).content)
    assert "13812341234" not in masked and not PersonalDataRead.objects.exists()
    clear = all_text(client.get(reverse("people_import:export", args=[cast.estate.pk]) + "?unmasked=1").content)
    assert "13812341234" in clear and valid_id_number(11) in clear
    assert "13700007777" not in clear  # nobody from the other estate
    assert PersonalDataRead.objects.get().count == 2


# API ------------------------------------------------------------------------------------


def api_url(estate_id, tail=""):
    return f"/api/v1/estates/{estate_id}/{tail}"


def test_api_import_start_status_and_errors(cast, client_as):
    client = client_as("manager")
    response = client.post(
        api_url(cast.estate.pk, "imports"),
        {"file": SimpleUploadedFile("r.xlsx", workbook_bytes(replace_unit(1, 户型="豪宅"), None))},
    )
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["stage"] == "" and response.json()["awaiting_confirmation"] is False
    actions.preview_registry_import(job_id=job_id)
    body = client.get(api_url(cast.estate.pk, f"imports/{job_id}")).json()
    assert body["status"] == "failed" and body["errors"][0]["row"] == 3 and body["errors"][0]["column"] == "户型"
    refused = client.post(api_url(cast.estate.pk, f"imports/{job_id}/confirm"))
    assert refused.status_code == 400 and refused.json()["field"] == "job"


def test_api_confirm_and_bad_file(cast, client_as):
    client = client_as("manager")
    bad = client.post(api_url(cast.estate.pk, "imports"), {"file": SimpleUploadedFile("r.csv", b"a,b")})
    assert bad.status_code == 400 and bad.json()["field"] == "file"
    job = start(cast, workbook_bytes(good_units(), None))
    actions.preview_registry_import(job_id=job.pk)
    assert client.get(api_url(cast.estate.pk, f"imports/{job.pk}")).json()["awaiting_confirmation"] is True
    confirmed = client.post(api_url(cast.estate.pk, f"imports/{job.pk}/confirm"))
    assert confirmed.status_code == 202 and confirmed.json()["stage"] == "confirmed"


@pytest.mark.parametrize("role", ["outsider", "butler", "assistant"])
def test_api_refuses_others(cast, client_as, role):
    job = start(cast, workbook_bytes(good_units(), None))
    client = client_as(role)
    upload = SimpleUploadedFile("r.xlsx", workbook_bytes(good_units(), None))
    assert client.post(api_url(cast.estate.pk, "imports"), {"file": upload}).status_code == 404
    assert client.get(api_url(cast.estate.pk, f"imports/{job.pk}")).status_code == 404
    assert client.post(api_url(cast.estate.pk, f"imports/{job.pk}/confirm")).status_code == 404
    assert client.get(api_url(cast.estate.pk, "export")).status_code == 404
    assert Job.objects.count() == 1


def test_api_export_is_masked_for_finance(cast, client_as):
    response = client_as("finance").get(api_url(cast.estate.pk, "export?unmasked=true"))
    assert response.status_code == 200
    assert re.search(r"registry-cuihu\.xlsx", response["Content-Disposition"])
    text = all_text(response.content)
    for secret in CAST_SECRETS:
        assert secret not in text


def test_names_that_look_like_formulas_are_exported_as_text(cast, new_estate):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    Person.objects.filter(estate=new_estate, name="钱七").update(name='=HYPERLINK("http://x","y")')
    Person.objects.filter(estate=new_estate, name="赵六").update(emergency_contact_name="@SUM(A1)")
    content = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=False)
    workbook = load_workbook(io.BytesIO(content))
    assert [c.coordinate for sheet in workbook for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    names = {row[1] for row in sheet_values(content)[excel.PEOPLE_SHEET][1:]}
    contacts = {row[6] for row in sheet_values(content)[excel.PEOPLE_SHEET][1:]}
    assert '=HYPERLINK("http://x","y")' in names and "@SUM(A1)" in contacts


# Office workbooks as they come ---------------------------------------------------------------


def office_workbook(unit_headers, units, people=None) -> bytes:
    return workbook_bytes(units, people, unit_headers=unit_headers)


def test_addresses_as_offices_write_them_import_as_unit_codes(cast, new_estate):
    headers = ["项目编码", "房屋地址", "建筑面积", "户型"]
    units = [
        ["xinyuan", "1栋2单元1201", "1,312.55", "高层公寓"],
        ["xinyuan", "2幢2单元1201室", "89.5㎡", "高层公寓"],
        ["xinyuan", "3号楼2单元12层01", 89.5, "高层公寓"],
        ["xinyuan", "4-2-1201", "1 024.00", "高层公寓"],
        ["xinyuan", "５#楼１单元0301", "120", "高层公寓"],
        ["xinyuan", "6栋0101", "45.25", "商铺"],
    ]
    people = [
        ["1栋2单元1201", "赵六", "业主", "13911112222", None, None, None, None],
        ["3号楼2单元12层01室", "钱七", "业主", None, None, None, None, None],
        ["6-0101", "孙八", "租户", None, None, None, None, None],
    ]
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(office_workbook(headers, units, people))
    )
    imported = {
        unit.code: (unit.building.code, unit.entrance, unit.number, unit.floor, str(unit.area))
        for unit in Unit.objects.filter(estate=new_estate).select_related("building")
    }
    assert imported == {
        "1-2-1201": ("1", "2", "1201", 12, "1312.55"),
        "2-2-1201": ("2", "2", "1201", 12, "89.50"),
        "3-2-1201": ("3", "2", "1201", 12, "89.50"),
        "4-2-1201": ("4", "2", "1201", 12, "1024.00"),
        "5-1-0301": ("5", "1", "0301", 3, "120.00"),
        "6-0101": ("6", "", "0101", 1, "45.25"),
    }
    linked = set(Residency.objects.filter(unit__estate=new_estate).values_list("unit__code", "person__name"))
    assert linked == {("1-2-1201", "赵六"), ("3-2-1201", "钱七"), ("6-0101", "孙八")}


def test_building_entrance_and_room_in_separate_cells_with_their_words(cast, new_estate):
    headers = ["项目编码", "楼栋", "单元", "房号", "楼层", "建筑面积(㎡)", "户型"]
    units = [["xinyuan", "1栋", "2单元", "1201室", "12层", "1,312.55", "高层公寓"]]
    actions.import_registry(actor=cast.manager, estate=new_estate, source=io.BytesIO(office_workbook(headers, units)))
    unit = Unit.objects.get(estate=new_estate)
    assert (unit.code, unit.floor, str(unit.area)) == ("1-2-1201", 12, "1312.55")


@pytest.mark.parametrize("area", ["1e30", 1e30, "9" * 31, 10**31, "-1e30", "NaN"])
def test_a_number_too_big_for_its_column_is_a_row_problem_naming_the_column(cast, area, unchanged):
    units = replace_unit(1, **{excel.AREA: area})
    with unchanged(), pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(workbook_bytes(units, None)))
    assert problems_of(error.value) == {("房屋", 3, excel.AREA)}


def test_a_date_cell_too_big_for_a_date_is_a_row_problem(cast, unchanged):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = excel.UNIT_SHEET
    sheet.append(UNIT_HEADERS)
    sheet.append(good_units()[1])
    sheet["I2"].value = 1e30
    sheet["I2"].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    workbook.save(buffer)
    with unchanged(), pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=cast.estate, source=io.BytesIO(buffer.getvalue()))
    assert problems_of(error.value) == {("房屋", 2, excel.DELIVERY_DATE)}


# Export, edit, import again ----------------------------------------------------------------


def registry_rows(estate):
    """Every stored field of the estate's units, people and links, by id."""
    return {
        "units": {row["id"]: row for row in Unit.objects.filter(estate=estate).values()},
        "people": {row["id"]: row for row in Person.objects.filter(estate=estate).values()},
        "links": {row["id"]: row for row in Residency.objects.filter(unit__estate=estate).values()},
        "buildings": set(Building.objects.filter(estate=estate).values_list("id", "code", "floors")),
    }


def differences(before, after):
    """(kind, id, field, old, new) for every stored field that changed; rows added or removed too."""
    found = set()
    for kind in ("units", "people", "links"):
        for pk in before[kind].keys() | after[kind].keys():
            old, new = before[kind].get(pk), after[kind].get(pk)
            if old is None or new is None:
                found.add((kind, pk, "row", old is None, new is None))
                continue
            found |= {(kind, pk, name, old[name], new[name]) for name in old if old[name] != new[name]}
    if before["buildings"] != after["buildings"]:
        found.add(("buildings", 0, "rows", None, None))
    return found


def last_change() -> int:
    return Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def edit(content: bytes, sheet: str, row_value: str, column: str, value) -> bytes:
    """The workbook with one cell changed: in the row whose first cells hold `row_value`."""
    workbook = load_workbook(io.BytesIO(content))
    worksheet = workbook[sheet]
    headers = [cell.value for cell in worksheet[1]]
    for row in worksheet.iter_rows(min_row=2):
        if row_value in {str(cell.value) for cell in row[:4]}:
            row[headers.index(column)].value = value
            break
    else:
        raise AssertionError(f"no row with {row_value}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def import_through_the_job(cast, estate, content):
    """As the upload page does it: dry run, confirm, import."""
    job = actions.start_registry_import(
        actor=cast.manager, estate=estate, upload=SimpleUploadedFile("registry.xlsx", content)
    )
    actions.preview_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.result["error_count"] == 0, job.result["errors"]
    actions.confirm_registry_import(actor=cast.manager, job=job)
    actions.commit_registry_import(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    return job


@pytest.mark.parametrize("unmasked", [False, True])
def test_an_export_imports_again_as_it_is_and_changes_nothing(cast, new_estate, unmasked):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    before, changes = registry_rows(new_estate), last_change()
    exported = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=unmasked)
    job = import_through_the_job(cast, new_estate, exported)
    assert differences(before, registry_rows(new_estate)) == set()
    assert job.result["imported"]["units"] == 0 and job.result["imported"]["updated_units"] == 0
    assert list(Change.objects.filter(pk__gt=changes).values_list("verb", flat=True)) == ["import"]


@pytest.mark.parametrize("unmasked", [False, True])
def test_export_edit_two_cells_import_changes_exactly_those_two(cast, new_estate, unmasked):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    before, changes = registry_rows(new_estate), last_change()
    exported = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=unmasked)
    edited = edit(exported, excel.UNIT_SHEET, "1202", excel.AREA, 121.25)
    edited = edit(edited, excel.PEOPLE_SHEET, "李娜", excel.PHONE, "13700009999")
    import_through_the_job(cast, new_estate, edited)

    unit = Unit.objects.get(estate=new_estate, code="3-2-1202")
    li = Person.objects.get(estate=new_estate, name="李娜")
    found = differences(before, registry_rows(new_estate))
    assert {(kind, pk, name) for kind, pk, name, _old, _new in found} == {
        ("units", unit.pk, "area"),
        ("people", li.pk, "phone"),
        ("people", li.pk, "phone_tail"),  # kept with the phone, for the search by its last digits
    }
    assert str(unit.area) == "121.25" and li.phone == "13700009999"
    audit = {
        (change.verb, change.object_id, tuple(sorted(change.changes)))
        for change in Change.objects.filter(pk__gt=changes).exclude(verb="import")
    }
    assert audit == {("update", unit.pk, ("area",)), ("update", li.pk, ("phone",))}


def test_a_masked_phone_that_is_not_the_residents_own_is_refused(cast, new_estate):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    exported = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=False)
    edited = edit(exported, excel.PEOPLE_SHEET, "李娜", excel.PHONE, "137****2222")
    with pytest.raises(DomainError) as error:
        actions.import_registry(actor=cast.manager, estate=new_estate, source=io.BytesIO(edited))
    assert ("住户", 6, excel.PHONE) in problems_of(error.value)


def test_a_name_corrected_in_a_masked_export_renames_the_resident(cast, new_estate):
    actions.import_registry(
        actor=cast.manager, estate=new_estate, source=io.BytesIO(workbook_bytes(good_units("xinyuan"), good_people()))
    )
    li = Person.objects.get(estate=new_estate, name="李娜")
    exported = actions.export_registry(actor=cast.manager, estate=new_estate, unmasked=False)
    counts = actions.import_registry(
        actor=cast.manager,
        estate=new_estate,
        source=io.BytesIO(edit(exported, excel.PEOPLE_SHEET, "李娜", excel.NAME, "李娜娜")),
    )
    li.refresh_from_db()
    assert (li.name, li.name_pinyin, counts["people"], counts["updated_people"]) == ("李娜娜", "linana", 0, 1)


def test_the_import_page_offers_a_template_that_imports_as_it_is(cast, client_as, new_estate):
    page = client_as("manager").get(reverse("people_import:upload", args=[new_estate.pk])).content.decode()
    template_url = reverse("people_import:template", args=[new_estate.pk])
    assert template_url in page
    response = client_as("manager").get(template_url)
    assert response.status_code == 200 and "registry-template-xinyuan.xlsx" in response["Content-Disposition"]
    values = sheet_values(response.content)
    assert values[excel.UNIT_SHEET][0] == UNIT_HEADERS and values[excel.PEOPLE_SHEET][0] == PEOPLE_HEADERS
    assert len(values[excel.UNIT_SHEET]) > 1 and len(values[excel.PEOPLE_SHEET]) > 1
    counts = actions.import_registry(actor=cast.manager, estate=new_estate, source=io.BytesIO(response.content))
    assert counts["units"] == len(values[excel.UNIT_SHEET]) - 1


@pytest.mark.parametrize("role", ["butler", "assistant", "owner", "outsider"])
def test_the_template_is_for_those_who_import(cast, client_as, role):
    response = client_as(role).get(reverse("people_import:template", args=[cast.estate.pk]))
    assert response.status_code == 404


def test_through_the_api_an_edited_export_imports_as_an_update(cast, client_as):
    client = client_as("manager")
    exported = client.get(api_url(cast.estate.pk, "export")).content
    before, changes = registry_rows(cast.estate), last_change()
    edited = edit(exported, excel.UNIT_SHEET, "1201", excel.STATUS, "装修中")
    started = client.post(api_url(cast.estate.pk, "imports"), {"file": SimpleUploadedFile("r.xlsx", edited)})
    assert started.status_code == 202, started.content
    job_id = started.json()["id"]
    actions.preview_registry_import(job_id=job_id)
    preview = client.get(api_url(cast.estate.pk, f"imports/{job_id}")).json()
    assert preview["error_count"] == 0 and preview["counts"]["updated_units"] == 1, preview["errors"]
    assert client.post(api_url(cast.estate.pk, f"imports/{job_id}/confirm")).status_code == 202
    actions.commit_registry_import(job_id=job_id)
    done = client.get(api_url(cast.estate.pk, f"imports/{job_id}")).json()
    assert done["status"] == "succeeded" and done["imported"]["updated_units"] == 1
    changed = {(kind, pk, name) for kind, pk, name, _old, _new in differences(before, registry_rows(cast.estate))}
    assert changed == {("units", cast.unit_a.pk, "status")}
    assert Change.objects.filter(pk__gt=changes).exclude(verb="import").count() == 1


@pytest.mark.parametrize(
    ("headers", "unit_cells"),
    [
        (["房屋地址"], ["1栋2单元1201"]),
        (["楼栋", "单元", "房号"], ["1栋", "2单元", "1201室"]),
        (["房号"], ["1号楼2单元12层01"]),
        (["房号"], ["1-2-1201"]),
    ],
)
def test_residents_may_name_their_unit_by_address_or_by_its_parts(cast, new_estate, headers, unit_cells):
    actions.import_registry(
        actor=cast.manager,
        estate=new_estate,
        source=io.BytesIO(
            office_workbook(
                ["项目编码", "房屋地址", "建筑面积", "户型"], [["xinyuan", "1栋2单元1201", "89.5", "高层公寓"]]
            )
        ),
    )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = excel.PEOPLE_SHEET
    sheet.append([*headers, "姓名", "关系", "手机"])
    sheet.append([*unit_cells, "赵六", "业主", "13911112222"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    counts = actions.import_registry(actor=cast.manager, estate=new_estate, source=io.BytesIO(buffer.getvalue()))
    assert counts["residencies"] == 1
    assert Residency.objects.get(person__name="赵六").unit.code == "1-2-1201"
