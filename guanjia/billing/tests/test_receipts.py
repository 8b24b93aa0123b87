"""Receipts: the amount in Chinese capitals, and a PDF whose Chinese text is really drawn.

The PDF is rasterized (pypdfium2) and each Chinese glyph cut out of the page at the place the
PDF's text layer says it is. A glyph drawn in the embedded font looks like the same character
drawn by Pillow from the Noto CJK file, and unlike the box (tofu) a font without Chinese
draws; two different characters give two different images, which boxes never would.
"""

import datetime
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pypdfium2
import pytest
from PIL import Image, ImageDraw, ImageFont

from guanjia.billing import actions, receipts
from guanjia.billing.models import Payment
from guanjia.billing.tests.factories import FeeItemFactory, FeeStandardFactory
from guanjia.core.models import Change

D = Decimal
JUNE = datetime.date(2025, 6, 1)
JULY = datetime.date(2025, 7, 1)
TOFU_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")  # no CJK glyphs


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("120.05", "壹佰贰拾元零伍分"),
        ("0", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.15", "壹角伍分"),
        ("16", "壹拾陆元整"),
        ("10", "壹拾元整"),
        ("223.75", "贰佰贰拾叁元柒角伍分"),
        ("1010.50", "壹仟零壹拾元伍角整"),
        ("1001", "壹仟零壹元整"),
        ("10001", "壹万零壹元整"),
        ("10100", "壹万零壹佰元整"),
        ("11000", "壹万壹仟元整"),
        ("100000", "壹拾万元整"),
        ("1000100", "壹佰万零壹佰元整"),
        ("100000001", "壹亿零壹元整"),
        ("101000000", "壹亿零壹佰万元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("-3.40", "负叁元肆角整"),
        ("2.345", "贰元叁角伍分"),  # rounded to the fen half up first
    ],
)
def test_amount_in_capitals(amount, words):
    assert receipts.amount_in_capitals(D(amount)) == words


def test_amount_in_capitals_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        receipts.amount_in_capitals(D("1e16"))
    with pytest.raises(ValueError):
        receipts.amount_in_capitals(D("NaN"))


@pytest.fixture
def payment(cast):
    """张三 (unit A, 89.50 m² at 2.50) pays 500.00 in cash: June and July settled, 52.50 prepaid."""
    item = FeeItemFactory(estate=cast.estate, code="wyf", name="物业服务费")
    FeeStandardFactory(fee_item=item, unit_price=D("2.5000"), valid_from=datetime.date(2025, 1, 1))
    for period in (JUNE, JULY):
        actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=period)
    return actions.record_payment(actor=cast.finance, unit=cast.unit_a, amount="500.00", method="cash")


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text (pdftotext), spaces left out: the title is letter-spaced."""
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.replace(" ", "")


def test_receipt_text_names_everything_paid(cast, payment, tmp_path):
    pdf = receipts.render_receipt_pdf(payment)
    text = pdf_text(pdf, tmp_path)
    for expected in (
        "收据",
        "翠湖苑",
        "00000001",
        cast.unit_a.code,
        "张三",
        "物业服务费",
        "2025-06",
        "2025-07",
        "223.75",
        "52.50",  # the prepaid rest
        "伍佰元整",
        "¥500.00",
        "现金",
        "郑财务",
    ):
        assert expected in text, expected
    assert "重印" not in text and "已红冲" not in text


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_receipt_embeds_its_cjk_font(payment, tmp_path):
    path = tmp_path / "receipt.pdf"
    path.write_bytes(receipts.render_receipt_pdf(payment))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = listing.splitlines()[2:]
    assert fonts, listing
    for line in fonts:
        # name, type…, encoding, emb, sub, uni: every font of the receipt is the embedded CJK subset.
        assert receipts.FONT_FAMILY.replace(" ", "") in line.replace(" ", "") or "CJK" in line, listing
        assert "Identity-H" in line and line.split()[-5] == "yes", listing
    assert "Noto" in receipts.find_cjk_font().name


def ink_box(image: Image.Image) -> Image.Image:
    """The black-and-white glyph cropped to its ink and scaled to 32×32."""
    mono = image.convert("L").point(lambda value: 255 if value < 140 else 0)
    box = mono.getbbox()
    assert box is not None, "no ink at all: the glyph was not drawn"
    return mono.crop(box).resize((32, 32), Image.Resampling.BILINEAR).point(lambda value: 255 if value > 100 else 0)


def overlap(first: Image.Image, second: Image.Image) -> float:
    """Intersection over union of the ink of two 32×32 glyphs."""
    a = [value > 0 for value in first.tobytes()]
    b = [value > 0 for value in second.tobytes()]
    union = sum(x or y for x, y in zip(a, b, strict=True))
    return sum(x and y for x, y in zip(a, b, strict=True)) / union if union else 0.0


def drawn_by_pillow(character: str, font_path: Path) -> Image.Image:
    font = ImageFont.truetype(str(font_path), 96)
    image = Image.new("L", (160, 160), 255)
    ImageDraw.Draw(image).text((20, 10), character, font=font, fill=0)
    return ink_box(image)


def glyphs_on_page(pdf: bytes, characters: str, scale: float = 4.0) -> dict[str, Image.Image]:
    """Each of `characters` (first occurrence) cut out of the rasterized page at its place."""
    document = pypdfium2.PdfDocument(pdf)
    page = document[0]
    bitmap = page.render(scale=scale).to_pil()
    text_page = page.get_textpage()
    _width, height = page.get_size()
    found: dict[str, Image.Image] = {}
    for index in range(text_page.count_chars()):
        character = text_page.get_text_range(index, 1)
        if character in characters and character not in found:
            left, bottom, right, top = text_page.get_charbox(index)
            crop = (
                int(left * scale) - 2,
                int((height - top) * scale) - 2,
                int(right * scale) + 2,
                int((height - bottom) * scale) + 2,
            )
            found[character] = ink_box(bitmap.crop(crop))
    return found


def test_receipt_rasterized_shows_real_chinese_glyphs_not_boxes(payment):
    characters = "收据翠湖苑伍佰"
    glyphs = glyphs_on_page(receipts.render_receipt_pdf(payment), characters)
    assert set(glyphs) == set(characters)
    real_font = receipts.find_cjk_font()
    for character, glyph in glyphs.items():
        real = drawn_by_pillow(character, real_font)
        tofu = drawn_by_pillow(character, TOFU_FONT)
        assert overlap(real, tofu) < 0.5  # the two references really differ
        assert overlap(glyph, real) > 0.6, character
        assert overlap(glyph, real) > overlap(glyph, tofu) + 0.2, character
    # Boxes would all look alike; real characters do not.
    assert overlap(glyphs["收"], glyphs["据"]) < 0.6
    assert overlap(glyphs["翠"], glyphs["苑"]) < 0.6


def test_prints_after_the_first_are_marked_as_reprints_and_counted(cast, payment, tmp_path):
    first, copy = actions.print_receipt(actor=cast.finance, payment=payment)
    assert copy == 1 and "重印" not in pdf_text(first, tmp_path)
    second, copy = actions.print_receipt(actor=cast.owner, payment=payment)
    assert copy == 2 and "重印" in pdf_text(second, tmp_path)
    assert receipts.print_count(payment) == 2
    prints = Change.objects.filter(verb=receipts.PRINT_VERB, object_id=payment.pk).order_by("pk")
    assert [(c.actor, c.changes["copy"][1]) for c in prints] == [(cast.finance, 1), (cast.owner, 2)]


def test_a_reversed_payment_prints_as_reversed_with_its_reason(cast, payment, tmp_path):
    actions.reverse_payment(actor=cast.manager, payment=payment, reason="收款金额录错")
    payment = Payment.objects.get(pk=payment.pk)
    text = pdf_text(receipts.render_receipt_pdf(payment), tmp_path)
    assert "已红冲" in text and "收款金额录错" in text
    assert "00000001" in text  # the number stays on the reversed receipt


def test_no_cjk_font_on_disk_is_a_clear_error(monkeypatch, tmp_path):
    receipts.find_cjk_font.cache_clear()
    monkeypatch.setattr(receipts, "_fc_match", lambda: None)
    monkeypatch.setattr(receipts, "FONT_DIRS", (tmp_path,))
    try:
        with pytest.raises(receipts.ReceiptFontMissing, match="fonts-noto-cjk"):
            receipts.find_cjk_font()
        (tmp_path / "noto").mkdir()
        (tmp_path / "noto" / "NotoSansCJK-Regular.ttc").write_bytes(b"x")
        assert receipts.find_cjk_font() == tmp_path / "noto" / "NotoSansCJK-Regular.ttc"
    finally:
        receipts.find_cjk_font.cache_clear()


def test_a_reprint_shows_what_the_original_showed_after_the_prepaid_rest_is_used(cast, payment, tmp_path):
    original = pdf_text(receipts.render_receipt_pdf(payment), tmp_path)
    # August's bill draws on the 52.50 prepaid: a later allocation of the same payment.
    actions.run_billing(actor=cast.finance, estate=cast.estate, period_start=datetime.date(2025, 8, 1))
    assert payment.allocations.count() == 3
    reprint = pdf_text(receipts.render_receipt_pdf(payment, copy_number=2), tmp_path)
    assert "2025-08" not in reprint and "52.50" in reprint
    assert lines_of(reprint.replace("重印·第2次打印", "")) == lines_of(original)


def lines_of(text: str) -> list[str]:
    """The text's lines without the empty ones (a stamp taken out leaves its line empty)."""
    return [line for line in text.splitlines() if line.strip()]


def test_each_part_of_the_receipt_names_payer_company_and_its_use(cast, payment, tmp_path):
    text = pdf_text(receipts.render_receipt_pdf(payment), tmp_path)
    for part in ("第一联", "存根", "第二联", "交款人", "第三联", "记账"):
        assert part in text, part
    assert text.count("张三") >= 3  # the payer on every part
    assert text.count(cast.estate.company.name.replace(" ", "")) >= 3
    assert "盖章" in text  # the seal's place
    assert len(pypdfium2.PdfDocument(receipts.render_receipt_pdf(payment))) == 3  # a page per part
