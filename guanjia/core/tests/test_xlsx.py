"""The generic workbook mechanics: uploads, cells, headers, streaming, progress and writing.
No database: a workbook is bytes in, values out."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import to_excel

from guanjia.core import xlsx, xlsx_book
from guanjia.core.errors import DomainError


def positive(header, value):
    if not isinstance(value, int) or value <= 0:
        raise DomainError(f"{header} must be a positive whole number.")
    return value


LAYOUT = xlsx.Layout(
    "名单",
    (
        xlsx.Column("编号", "number", read=xlsx.as_int, check=positive, required=True, width=8),
        xlsx.Column("姓名", "name", aliases=("名字",), required=True, width=12),
        xlsx.Column("建筑面积(㎡)", "area", read=xlsx.as_is, aliases=("面积",), width=14),
        xlsx.Column("日期", "date", read=xlsx.as_date, width=12),
    ),
)


def openpyxl_bytes(rows, title="名单", *, date1904=False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if date1904:
        workbook.epoch = datetime.datetime(1904, 1, 1)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def handmade(sheet_data: str, *, strings: str = "", styles: str = "", workbook_properties: str = "") -> bytes:
    """A workbook written part by part, for what openpyxl itself never writes (shared strings
    with phonetic guides, rows and cells without references, cached formula values)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "_rels/.rels": f'<Relationships xmlns="{package}"><Relationship Id="r1" '
        f'Type="{relationships}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{relationships}">{workbook_properties}'
        '<sheets><sheet name="名单" sheetId="1" r:id="s1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}">'
        f'<Relationship Id="s1" Type="{relationships}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="s2" Type="{relationships}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="s3" Type="{relationships}/styles" Target="styles.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>{sheet_data}</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">{strings}</sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{main}">{styles}</styleSheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def stored_rows(content: bytes) -> list[tuple[int, list]]:
    with xlsx.streaming(io.BytesIO(content)) as book:
        return list(book.rows(book.sheets["名单"]))


def read(content: bytes, layout=LAYOUT, report=None):
    problems: list[xlsx.SheetProblem] = []
    with xlsx.streaming(io.BytesIO(content)) as book:
        progress = xlsx.Progress(book, [layout.title], report)
        rows = list(xlsx.read_sheet(book, layout, problems, progress))
    progress.finish()
    return rows, problems


# Cells ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, ""),
        (1201.0, "1201"),
        (13812341234, "13812341234"),
        (89.5, "89.5"),
        (True, "True"),
        (datetime.datetime(2024, 6, 30), "2024-06-30"),
        (datetime.datetime(2024, 6, 30, 8, 15), "2024-06-30 08:15:00"),
        ("  张三 ", "张三"),
    ],
)
def test_text_keeps_every_digit(value, expected):
    assert xlsx.text(value) == expected


@pytest.mark.parametrize(
    "value,expected", [(12, 12), (12.0, 12), ("-3", -3), (" 7 ", 7), ("十二", "十二"), (True, "True"), (None, "")]
)
def test_as_int_gives_the_text_back_when_it_is_no_whole_number(value, expected):
    assert xlsx.as_int(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, None),
        ("", None),
        (datetime.datetime(2024, 6, 30, 9), datetime.date(2024, 6, 30)),
        (datetime.date(2024, 6, 30), datetime.date(2024, 6, 30)),
        ("2024-06-30", datetime.date(2024, 6, 30)),
        ("2024/6/3", datetime.date(2024, 6, 3)),
        ("2024年6月30日", datetime.date(2024, 6, 30)),
        ("2024-02-30", "2024-02-30"),
        ("明年", "明年"),
    ],
)
def test_as_date_reads_the_usual_spellings(value, expected):
    assert xlsx.as_date(value) == expected


# Headers --------------------------------------------------------------------------------


def test_the_header_may_sit_under_a_title_and_use_other_spellings():
    header = xlsx.find_header(
        [(1, ["2024年名单"]), (2, []), (3, ["名字", " 编 号 ", "建筑面积（㎡）", "备注"]), (4, [1, "张三"])], LAYOUT
    )
    assert header.row == 3
    assert header.positions == {"姓名": 0, "编号": 1, "建筑面积(㎡)": 2}
    assert header.missing == [] and header.problems("名单") == []


def test_a_column_twice_keeps_the_first_and_is_reported():
    header = xlsx.find_header([(1, ["编号", "姓名", "名字"])], LAYOUT)
    assert header.positions["姓名"] == 1
    [problem] = header.problems("名单")
    assert (problem.sheet, problem.row, problem.field) == ("名单", 1, "姓名")


def test_missing_required_columns_are_named_on_the_header_row_or_the_first():
    found = xlsx.find_header([(1, ["标题"]), (2, ["姓名", "面积"])], LAYOUT)
    assert found.row == 2 and found.missing == ["编号"]
    assert [(p.row, p.field) for p in found.problems("名单")] == [(2, "编号")]
    nowhere = xlsx.find_header([(1, ["姓名"])], LAYOUT)
    assert nowhere.row == 0 and nowhere.missing == ["编号", "姓名"]
    assert {p.row for p in nowhere.problems("名单")} == {1}


def test_the_header_is_looked_for_in_the_top_rows_only():
    rows = [(n, ["说明"]) for n in range(1, xlsx.HEADER_SEARCH_ROWS + 1)] + [(11, ["编号", "姓名"])]
    assert xlsx.find_header(rows, LAYOUT).row == 0


def test_layout_knows_its_headers():
    assert LAYOUT.headers == ["编号", "姓名", "建筑面积(㎡)", "日期"]
    assert LAYOUT.header_of("area") == "建筑面积(㎡)"
    assert LAYOUT.known_headers()["面积"] == "建筑面积(㎡)"


def test_check_cells_names_the_sheet_row_and_column_of_a_refusal():
    problems: list[xlsx.SheetProblem] = []
    checked = xlsx.check_cells(LAYOUT, 7, {"number": "七", "name": "张三", "area": None, "date": None}, problems)
    assert checked["number"] is None and checked["name"] == "张三"
    [problem] = problems
    assert problem.as_dict() == {
        "sheet": "名单",
        "row": 7,
        "column": "编号",
        "field": "编号",
        "message": "编号 must be a positive whole number.",
    }


# Streaming ------------------------------------------------------------------------------


def test_rows_come_keyed_by_column_without_blank_rows():
    content = openpyxl_bytes(
        [
            ["编号", "名字", "面积", "日期"],
            [1, "张三", 89.5, datetime.datetime(2024, 6, 30)],
            [None, None, None, None],
            [2, "李四"],
            ["3", 13812341234, None, "2024/7/1"],
        ]
    )
    rows, problems = read(content)
    assert problems == []
    assert rows == [
        (2, {"number": 1, "name": "张三", "area": 89.5, "date": datetime.date(2024, 6, 30)}),
        (4, {"number": 2, "name": "李四", "area": None, "date": None}),
        (5, {"number": 3, "name": "13812341234", "area": None, "date": datetime.date(2024, 7, 1)}),
    ]


def test_a_sheet_without_a_required_column_yields_nothing():
    rows, problems = read(openpyxl_bytes([["姓名", "日期"], ["张三", None]]))
    assert rows == [] and [(p.sheet, p.row, p.field) for p in problems] == [("名单", 1, "编号")]


def test_shared_strings_rich_text_and_phonetic_guides():
    strings = (
        "<si><t>编号</t></si><si><t>姓名</t></si>"
        '<si><r><t>张</t></r><r><rPr><b/></rPr><t>三</t></r><rPh sb="0" eb="2"><t>ZHANGSAN</t></rPh></si>'
    )
    sheet = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row>'
    )
    assert stored_rows(handmade(sheet, strings=strings)) == [(1, ["编号", "姓名"]), (2, [1, "张三"])]


def test_cells_and_rows_without_references_take_the_next_place():
    sheet = "<row><c><v>1</v></c><c><v>2.5</v></c></row><row><c r='C2'><v>-4</v></c></row>"
    assert stored_rows(handmade(sheet)) == [(1, [1, 2.5]), (2, [None, None, -4])]


def test_booleans_formulas_errors_and_iso_dates():
    sheet = (
        '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="str"><f>A1&amp;""</f><v>TRUE</v></c>'
        '<c r="C1" t="e"><v>#DIV/0!</v></c><c r="D1" t="d"><v>2024-06-30T08:00:00</v></c>'
        '<c r="E1" t="inlineStr"><is><t>内联</t></is></c><c r="F1"/></row>'
    )
    assert stored_rows(handmade(sheet)) == [
        (1, [True, "TRUE", "#DIV/0!", datetime.datetime(2024, 6, 30, 8), "内联", None])
    ]


def test_dates_by_built_in_east_asian_and_custom_formats_and_the_1904_calendar():
    styles = (
        '<numFmts><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="57"/><xf numFmtId="176"/></cellXfs>'
    )
    serial = int(to_excel(datetime.datetime(2024, 6, 30)))
    sheet = f'<row r="1"><c r="A1" s="1"><v>{serial}</v></c><c r="B1" s="2"><v>{serial}</v></c>'
    sheet += f'<c r="C1" s="3"><v>{serial}</v></c><c r="D1" s="0"><v>{serial}</v></c></row>'
    june = datetime.datetime(2024, 6, 30)
    assert stored_rows(handmade(sheet, styles=styles)) == [(1, [june, june, june, serial])]
    in_1904 = handmade(sheet, styles=styles, workbook_properties='<workbookPr date1904="1"/>')
    assert stored_rows(in_1904)[0][1][0] == june + datetime.timedelta(days=1462)


def test_openpyxl_1904_workbooks_read_their_dates():
    rows, _ = read(
        openpyxl_bytes([["编号", "姓名", "日期"], [1, "张三", datetime.datetime(2024, 6, 30)]], date1904=True)
    )
    assert rows[0][1]["date"] == datetime.date(2024, 6, 30)


@pytest.mark.parametrize("content", [b"", b"name,phone\n", b"PK\x03\x04broken", openpyxl_bytes([["a"]])[:300]])
def test_what_is_no_workbook_is_one_sentence(content):
    with pytest.raises(DomainError) as error, xlsx.streaming(io.BytesIO(content)):
        pass
    assert error.value.field == "file" and "Traceback" not in error.value.message


def test_a_workbook_that_breaks_while_streaming_is_refused():
    content = handmade('<row r="1"><c r="A1"><v>1</v></c><row>')  # unclosed elements
    with pytest.raises(DomainError) as error:
        stored_rows(content)
    assert error.value.field == "file"


def test_a_part_that_unpacks_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx_book, "MAX_PART_BYTES", 100)
    with pytest.raises(DomainError) as error:
        stored_rows(openpyxl_bytes([["编号", "姓名"]] + [[n, "张三"] for n in range(20)]))
    assert error.value.field == "file"


def test_a_path_opens_too(tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(openpyxl_bytes([["编号", "姓名"], [1, "张三"]]))
    with xlsx.streaming(str(path)) as book:
        assert list(book.sheets) == ["名单"]


# Progress -------------------------------------------------------------------------------


class Calls(list):
    def append_pair(self, done, total):
        self.append((done, total))


def test_progress_counts_against_the_declared_rows():
    calls = Calls()
    rows, _ = read(openpyxl_bytes([["编号", "姓名"]] + [[n, "张三"] for n in range(1, 2501)]), report=calls.append_pair)
    assert len(rows) == 2500
    assert calls == [(1000, 2500), (2000, 2500), (2500, 2500)]


def test_progress_estimates_the_total_when_the_sheet_declares_none():
    buffer = io.BytesIO()
    xlsx.write_workbook(buffer, [(LAYOUT, ([n, "张三", None, None] for n in range(1, 3001)))])
    calls = Calls()
    rows, _ = read(buffer.getvalue(), report=calls.append_pair)
    assert len(rows) == 3000
    assert [done for done, _total in calls] == [1000, 2000, 3000, 3000]
    assert all(total >= done for done, total in calls) and calls[-1] == (3000, 3000)


# Uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "upload",
    [
        None,
        SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"\0" * 2000),
        SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 60),
        SimpleUploadedFile("list.csv", b"a,b\n"),
    ],
)
def test_an_upload_that_cannot_be_a_workbook_is_refused(upload):
    with pytest.raises(DomainError) as error:
        xlsx.check_upload(upload, max_bytes=1000)
    assert error.value.field == "file"


def test_a_zip_upload_is_taken_and_left_at_its_start():
    upload = SimpleUploadedFile("list.xlsx", openpyxl_bytes([["编号"]]))
    assert xlsx.check_upload(upload, max_bytes=10**6) is upload
    assert upload.read(4) == xlsx.ZIP_SIGNATURE


# Writing --------------------------------------------------------------------------------


def test_written_sheets_have_a_bold_frozen_header_and_the_layout_widths():
    buffer = io.BytesIO()
    xlsx.write_workbook(buffer, [(LAYOUT, [[1, "张三", Decimal("89.50"), datetime.date(2024, 6, 30)]])])
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    sheet = workbook["名单"]
    assert [cell.value for cell in sheet[1]] == LAYOUT.headers
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert [sheet.column_dimensions[letter].width for letter in "ABCD"] == [8, 12, 14, 12]
    rows, problems = read(buffer.getvalue())
    assert problems == [] and rows[0][1]["area"] == 89.5 and rows[0][1]["date"] == datetime.date(2024, 6, 30)


# What people type that a spreadsheet would run: every one is written and read back as text.
FORMULA_LOOKALIKES = [
    '=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "=1+1", "＝1+1", "=cmd|' /C calc'!A0",
]  # fmt: skip


def formula_cells(content: bytes) -> list[str]:
    """The coordinates of every formula in a workbook, on every sheet, read as openpyxl reads it."""
    workbook = load_workbook(io.BytesIO(content))
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_text_that_looks_like_a_formula_is_written_as_text_and_reads_back_the_same():
    layout = xlsx.Layout("名单", (xlsx.Column("姓名", "name"),))
    buffer = io.BytesIO()
    xlsx.write_workbook(buffer, [(layout, [[name] for name in [*FORMULA_LOOKALIKES, "\r=1", "张三"]])])
    content = buffer.getvalue()
    assert formula_cells(content) == []
    cells = list(load_workbook(io.BytesIO(content))["名单"]["A"])[1:]
    # XML turns a carriage return into a line feed; the cell stays text all the same.
    assert [cell.value for cell in cells] == [*FORMULA_LOOKALIKES, "\n=1", "张三"]
    # Marked so that Excel and LibreOffice keep it text when someone edits the cell; plain text is not.
    assert [cell.quotePrefix for cell in cells] == [True] * (len(FORMULA_LOOKALIKES) + 1) + [False]
    # Our own reader (an export imported again) gets the same text.
    assert [values[0] for _number, values in stored_rows(content)[1:]] == [*FORMULA_LOOKALIKES, "\n=1", "张三"]


def test_numbers_and_dates_keep_their_column_format_and_styled_cells_their_own():
    layout = xlsx.Layout("名单", (xlsx.Column("金额", "amount", number_format="#,##0.00"), xlsx.Column("日期", "date")))
    buffer = io.BytesIO()
    rows = [[Decimal("1312.55"), datetime.date(2024, 6, 30)], [xlsx.Styled(Decimal("0.5"), "0.00%"), None]]
    xlsx.write_workbook(buffer, [(layout, rows)])
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["名单"]
    assert (sheet["A2"].value, sheet["A2"].number_format) == (1312.55, "#,##0.00")
    assert (sheet["A3"].value, sheet["A3"].number_format) == (0.5, "0.00%")
    assert sheet["B2"].value == datetime.datetime(2024, 6, 30)
