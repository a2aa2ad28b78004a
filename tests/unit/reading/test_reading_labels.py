import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from licensebot.core.form import Source
from licensebot.reading.blank_form import find_font
from licensebot.reading.labels_pass import label_column, with_date_label
from licensebot.reading.layout import (
    Label,
    Word,
    find_labels,
    lines_of,
    match_label,
    pick_labels,
)
from tests.unit.reading.synthetic import line_words


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("The Signer's Name", "signer_name"),
        ("The Signer’s Name", "signer_name"),
        ("Signer name", "signer_name"),
        ("Name of signer", "signer_name"),
        ("Full name", "signer_name"),
        ("签字人姓名", "signer_name"),
        ("The Signer's Title (dean, professor...)", "signer_title"),
        ("Affiliation (Institute, University, company...)", "affiliation"),
        ("Work email (at your affiliation)", "work_email"),
        ("E-mail", "work_email"),
        ("Detail Address of your affiliation", "address"),
        ("Date", "date"),
        ("日期", "date"),
        ("Signature", "signature"),
        # OCR noise
        ("The Signers Narne", "signer_name"),
        ("Affi1iation", "affiliation"),
        ("Detai1 Address of your affi1iation", "address"),
    ],
)
def test_labels_are_found_by_meaning(label: str, field: str) -> None:
    hit = match_label(label)
    assert hit is not None and hit[0] == field


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("签署人签字：", "signature"),
        ("职称/职务：", "signer_title"),
        ("签字人职称", "signer_title"),
        ("单位地址", "address"),
        ("签名日期", "date"),
        ("所在机构", "affiliation"),
        ("联系邮箱", "work_email"),
        ("签署人姓名", "signer_name"),
    ],
)
def test_a_chinese_label_is_known_by_the_term_it_is_built_from(label: str, field: str) -> None:
    hit = match_label(label)
    assert hit is not None and hit[0] == field


@pytest.mark.parametrize(
    "text",
    ["Professor", "Hillcrest University", "the", "2024-03-15", "学校", "请在本表签字并寄回"],
)
def test_values_are_not_labels(text: str) -> None:
    assert match_label(text) is None


def test_a_word_of_one_label_is_no_other_label_misread() -> None:
    # `signer` of `Name of the signer` (the rest lost under a worn copier's blot) is a letter
    # from `signed`: taken for the Signature label, the typed name in its cell made the form
    # unsigned. A letter misread still finds its label.
    assert match_label("signer") is None
    assert match_label("Signcd") == ("signature", pytest.approx(0.83, abs=0.01))
    assert match_label("Signed") == ("signature", 1.0)


def test_a_label_word_with_an_english_ending_is_another_word() -> None:
    # `addresses:` alone on its line, the tail of `... to the following email addresses:`
    # above a handwritten form's table, had been the Address label: the empty line beside it
    # was the address left blank, and the form was rejected for a missing field
    for word in ("addresses:", "Addresses", "Titles", "emails", "Names"):
        assert match_label(word) is None, word
    # the labels themselves, misread by a letter, and the labels that are such a word
    assert match_label("ADDRESS:") == ("address", 1.0)
    assert match_label("Adress")[0] == "address"  # type: ignore[index]
    assert match_label("Dated") == ("date", 1.0)


def test_a_sentences_last_word_on_a_line_of_its_own_is_no_label() -> None:
    words = _words(
        ("sign", 10, 50), ("and", 50, 50), ("send", 80, 50), ("to", 120, 50), ("the", 140, 50),
        ("following", 170, 50), ("email", 250, 50),
        ("addresses:", 10, 64),
    )  # fmt: skip
    assert find_labels(words) == []


def _words(*items: tuple[str, float, float]) -> list[Word]:
    """Words of height 10 at (x, top), each 8 units per character wide."""
    return [Word(t, x, y, x + 8 * len(t), y + 10) for t, x, y in items]


def test_a_labels_hint_in_brackets_is_the_labels_to_its_close() -> None:
    # `Name (in full, as in your passport)` matches the wording `name in full`: the rest of
    # the hint had been the value typed after the label (recorded as the signer's name)
    line = line_words("Name (in full, as in your passport)", 10, 50)
    (label,) = find_labels(line)
    assert label.field == "signer_name"
    assert label.inline == []
    assert label.words[-1].text == "passport)"
    # over two lines, the label's own words going on below
    two = line_words("Name", 10, 50) + line_words("(in full, as in your passport)", 10, 64)
    (label,) = find_labels(two)
    assert label.field == "signer_name"
    assert label.inline == []
    # a bracket no word closes takes no value with it
    (label,) = find_labels(line_words("Name (in full, Ana Lopez", 10, 50))
    assert [w.text for w in label.inline] == ["Ana", "Lopez"]
    # a sentence's aside in brackets is no label (the LA's `(name, registered ID for the
    # competition) that associate with him/her`: its words after had been the name)
    aside = "(name, registered ID for the competition) that associate"
    assert find_labels(line_words(aside, 10, 50)) == []


def test_a_label_wrapped_under_a_value_on_its_line_is_one_label() -> None:
    # a photo's erased column rule left `Detail Address of your` and the address on one
    # line; the label ends on the line below (`affiliation`), which alone had been the
    # Affiliation label: the address's last line was recorded as the affiliation
    words = line_words("Detail Address of your Floor 18, Tower B,", 10, 50)
    words += line_words("affiliation", 10, 64) + line_words("Shenzhen, China", 200.0, 64)
    labels = pick_labels(find_labels(words))
    assert set(labels) == {"address"}
    assert [w.text for w in labels["address"].words][-1] == "affiliation"
    assert [w.text for w in labels["address"].inline][:2] == ["Floor", "18,"]
    # a label's line that ends with its value, over the next row's label, is two rows
    two = line_words("Work email a.b@c.edu", 10, 50) + line_words("Address", 10, 64)
    assert set(pick_labels(find_labels(two))) == {"work_email", "address"}


def test_a_label_wrapped_over_two_lines_is_one_label() -> None:
    words = _words(
        ("Detail", 10, 100),
        ("Address", 70, 100),
        ("of", 134, 100),
        ("your", 154, 100),
        ("affiliation", 10, 114),
        ("12", 300, 107),
        ("College", 322, 107),
        ("Road", 386, 107),
    )
    labels = pick_labels(find_labels(words))
    assert set(labels) == {"address"}
    assert [w.text for w in labels["address"].words][-1] == "affiliation"


def test_a_label_whose_first_line_alone_is_no_label_is_one_label_with_its_second() -> None:
    # a narrow label cell wraps `The Signer's` over `Name`: alone, `Name` was a bare Name
    # label and `Signer's`, cut to `igner's` beside it, was recorded as the signer's name
    words = line_words("The Signer's", 10, 50) + line_words("Name", 10, 64)
    words += line_words("Title", 200, 50) + line_words("Professor", 300, 50)
    labels = pick_labels(find_labels(words))
    assert [w.text for w in labels["signer_name"].words] == ["The", "Signer's", "Name"]
    # a value's line over the next row's label is two rows, not one label
    two = line_words("Nathan Cole", 10, 50) + line_words("Affiliation", 10, 64)
    assert [w.text for w in pick_labels(find_labels(two))["affiliation"].words] == ["Affiliation"]


def test_a_label_wrapped_over_three_lines_in_a_narrow_column_is_one_label() -> None:
    # the middle line alone matches nothing; the last would be an Affiliation label of its own
    words = _words(
        ("Affiliation", 10, 60),
        ("College", 200, 60),
        ("of", 264, 60),
        ("Science", 284, 60),
        ("Detail", 10, 100),
        ("Address", 62, 100),
        ("12", 200, 100),
        ("College", 222, 100),
        ("Road,", 286, 100),
        ("of", 10, 114),
        ("your", 30, 114),
        ("Hangzhou", 200, 114),
        ("affiliation", 10, 128),
    )
    labels = pick_labels(find_labels(words))
    assert set(labels) == {"affiliation", "address"}
    assert [w.text for w in labels["address"].words] == [
        "Detail",
        "Address",
        "of",
        "your",
        "affiliation",
    ]
    assert labels["affiliation"].top == 60


HINT = [("(in", 10, 114), ("full,", 34, 114), ("as", 82, 114), ("in", 102, 114)]
HINT += [("your", 122, 114), ("passport)", 162, 114)]


@pytest.mark.parametrize(
    "second",
    [
        [("姓名", 10, 114)],
        HINT,
    ],
    ids=["other-language", "hint"],
)
def test_a_label_over_its_translation_or_a_hint_is_one_label(
    second: list[tuple[str, float, float]],
) -> None:
    # a two-line label cell: `Full name` over `姓名` (or over a hint) is the signer's name, and
    # the `姓名` no members' Name label of its own; the next row's label is still its own
    words = _words(("Full", 10, 100), ("name", 50, 100), *second)
    words += _words(("Grace", 200, 107), ("Whitmore", 248, 107), ("Title", 10, 134))
    labels = find_labels(words)
    assert [lab.field for lab in labels] == ["signer_name", "signer_title"]
    assert labels[0].words[-1].text == second[-1][0]
    chinese_first = find_labels(
        _words(("签署人姓名", 10, 100), ("The", 10, 114))
        + _words(("Signer's", 42, 114), ("Name", 114, 114))
    )
    assert [lab.field for lab in chinese_first] == ["signer_name"]


def test_a_parenthesis_ocr_never_saw_closed_does_not_take_the_value_under_the_label() -> None:
    # a stacked cell: `Affiliation (institute, university, company)` over its value, the
    # `company)` lost by OCR; the value's line is no tail of the label's
    words = _words(("Affiliation", 10, 100), ("(institute,", 106, 100), ("university,", 202, 100))
    words += _words(("College", 10, 114), ("of", 74, 114), ("Computer", 94, 114))
    labels = find_labels(words)
    assert [lab.field for lab in labels] == ["affiliation"]
    assert [w.text for w in labels[0].words] == ["Affiliation", "(institute,", "university,"]


def test_a_labels_last_word_ocr_cut_in_two_is_still_the_labels() -> None:
    # `Work email (at your` / `affiliation)` read `affili` and, on a line of its own (the value
    # beside it pulled it there), `tion)`: `affili` is the label's, not the value's
    boxes = [
        ("Work", 250, 2128, 346, 2158),
        ("email", 360, 2128, 460, 2158),
        ("(at", 476, 2128, 526, 2162),
        ("your", 538, 2134, 622, 2164),
        ("l.wilson@riverside-lab.org", 860, 2148, 1394, 2190),
        ("affili", 252, 2174, 328, 2204),
        ("tion)", 354, 2174, 436, 2208),
    ]
    words = [Word(t, x0, top, x1, bottom, 0.9, 0, Source.OCR) for t, x0, top, x1, bottom in boxes]
    labels = find_labels(words)
    assert labels[0].field == "work_email"
    assert "affili" in [w.text for w in labels[0].words]


def test_the_same_field_in_the_same_language_below_is_another_row() -> None:
    # two rows of names, `Name` over `Name` (no translation): two labels
    labels = find_labels(_words(("Name", 10, 100), ("Name", 10, 114)))
    assert len(labels) == 2


def test_the_next_rows_label_right_below_is_not_a_labels_tail() -> None:
    # `Work e-mail` over `Address` (a table whose rule between the rows a copier lost) is two
    # labels, not `Work e-mail Address`; a line that leaves its parenthesis open goes on below
    rows = pick_labels(
        find_labels(_words(("Work", 10, 100), ("e-mail", 50, 100), ("Address", 10, 114)))
    )
    assert set(rows) == {"work_email", "address"}
    wrapped = _words(("Work", 10, 100), ("email", 50, 100), ("(at", 100, 100), ("your", 130, 100))
    wrapped += _words(("affiliation)", 10, 114))
    labels = pick_labels(find_labels(wrapped))
    assert set(labels) == {"work_email"}
    assert [w.text for w in labels["work_email"].words][-1] == "affiliation)"


def test_running_text_that_starts_with_a_label_word_is_not_a_label() -> None:
    words = _words(("Date", 10, 50), ("of", 48, 50), ("the", 66, 50), ("meeting", 94, 50))
    assert find_labels(words) == []


def test_a_colon_separates_an_inline_value() -> None:
    words = _words(("Signer", 10, 50), ("name:", 62, 50), ("San", 108, 50), ("Zhang", 136, 50))
    (label,) = find_labels(words)
    assert label.field == "signer_name"
    assert [w.text for w in label.inline] == ["San", "Zhang"]


def test_a_scrawl_read_as_junk_before_a_label_is_not_the_labels() -> None:
    # the signature's ink read as `SS` and `pe` (a 150 dpi scan's numbers) just before the
    # Date label: the label starts at `Date`, so the Signature cell does not end at the scrawl
    scrawl = [
        Word("SS", 753, 2473, 939, 2590, conf=0.46, source=Source.OCR),
        Word("pe", 1026, 2473, 1396, 2590, conf=0.23, source=Source.OCR),
    ]
    date = Word("Date", 1462, 2518, 1550, 2548, conf=0.71, source=Source.OCR)
    labels = pick_labels(find_labels([*scrawl, date]))
    assert [w.text for w in labels["date"].words] == ["Date"]
    # a Chinese half of a bilingual label, read by English OCR as junk, stays with it
    half = Word("AE", 1400, 2518, 1450, 2548, conf=0.3, source=Source.OCR)
    labels = pick_labels(find_labels([half, date]))
    assert [w.text for w in labels["date"].words] == ["AE", "Date"]


def test_a_chinese_label_ocr_cut_in_pieces_is_the_field_its_whole_word_names() -> None:
    # `签署人签字` (the signer's signature) read as `签署` `人` `签字`: its first pieces alone
    # are `签署人` (the signer), a name's label; the whole word names its field last
    cut = [
        Word("签署", 100, 200, 150, 225, page=1),
        Word("人", 152, 200, 176, 225, page=1),
        Word("签字", 178, 200, 228, 225, page=1),
    ]
    value = [Word("Samuel", 400, 200, 470, 225, page=1)]
    labels = pick_labels(find_labels([*cut, *value]))
    assert set(labels) == {"signature"}
    assert [w.text for w in labels["signature"].words] == ["签署", "人", "签字"]
    # pieces of the row below's label (`名称` of `单位名称`, as a photo's pass 1 cut it) are
    # no part of the name's: not on its line
    page = [
        ("姓名", 450, 1268, 530, 1304),
        ("何", 776, 1266, 842, 1304),
        ("雨", 864, 1266, 884, 1304),
        ("桐", 882, 1258, 910, 1326),
        ("Full", 1716, 1268, 1782, 1302),
        ("Professor", 1798, 1268, 1984, 1302),
        ("Northgate", 776, 1320, 964, 1362),
        ("Institute", 980, 1320, 1130, 1354),
        ("单位", 410, 1344, 606, 1384),
        ("名", 514, 1332, 554, 1394),
        ("称", 552, 1332, 586, 1394),
        (":", 594, 1332, 612, 1394),
        ("Human-Centred", 776, 1372, 1082, 1406),
        ("邮箱", 452, 1422, 530, 1460),
    ]
    rows = [Word(t, x0, y0, x1, y1, page=1) for t, x0, y0, x1, y1 in page]
    name = [lab for lab in find_labels(rows) if lab.words[0].text == "姓名"]
    assert len(name) == 1 and [w.text for w in name[0].words] == ["姓名"]
    # `签署人` alone is the name's label, and its value beside it stays out of it
    named = [Word("签署人", 100, 300, 176, 325, page=1), Word("张伟", 400, 300, 450, 325, page=1)]
    found = pick_labels(find_labels(named))
    assert set(found) == {"signer_name"}
    assert [w.text for w in found["signer_name"].words] == ["签署人"]


def test_a_chinese_label_tesseract_missed_is_read_in_the_labels_column() -> None:
    """The labels are in Chinese alone and pass 1 missed `签字：` (Tesseract read `EF:` in a
    copier's grain): the lines of the labels' column between the labels found are read by
    the second engine, and the one that reads as the missing label is that label."""
    font = ImageFont.truetype(str(find_font("wqy-microhei.ttc")), 40, index=0)
    img = Image.new("L", (1600, 900), 250)
    d = ImageDraw.Draw(img)
    rows = ((100, "姓名"), (220, "单位"), (340, "邮箱"), (460, "签字："), (700, "日期"))
    for y in (80, 200, 320, 440, 680, 800):
        d.line([(60, y), (1500, y)], fill=20, width=3)
    for x in (60, 400, 1500):
        d.line([(x, 80), (x, 800)], fill=20, width=3)
    labels = {}
    for (y, text), field in zip(
        rows, ("signer_name", "affiliation", "work_email", "", "date"), strict=True
    ):
        d.text((140, y + 18), text, font=font, fill=25)
        if field:
            box = d.textbbox((140, y + 18), text, font=font)
            labels[field] = Label(field, [Word(text, *map(float, box), page=2)], 0.9)
    d.text((440, 118), "Samuel Reed", font=font, fill=25)
    found = label_column(img, labels, (60.0, 820.0), 2)
    assert set(found) == {*labels, "signature"}
    sig = found["signature"]
    assert 440 < sig.top < 540 and sig.x1 < 400  # where the label stands
    # a label found in English heads the column all the same: the lines around it are read
    english = {"date": Label("date", [Word("Date", 140, 718, 220, 758, page=2)], 1.0)}
    assert set(label_column(img, english, (60.0, 820.0), 2)) == {*labels, "signature"}


def test_an_english_label_tesseract_missed_on_a_photo_is_read_in_the_labels_column() -> None:
    """A phone photo's small print: pass 1 missed `Position` and `Email`, and boxed `The
    Signer's Name` down over the `Position` line below it. The labels' column is read line
    by line by the second engine; a line that reads as a missing label is that label, the
    line under a label box grown over it included. A value's line is no label."""
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 30)
    img = Image.new("L", (1600, 700), 250)
    d = ImageDraw.Draw(img)
    rows = (
        (100, "The Signer's Name", "signer_name"),
        (160, "Position", ""),
        (220, "Affiliation", "affiliation"),
        (280, "Email", ""),
        (340, "Postal address", "address"),
        (400, "Date of signing", "date"),
    )
    for y in (90, 150, 210, 270, 330, 390, 450):
        d.line([(60, y), (1500, y)], fill=20, width=2)
    for x in (60, 700, 1500):
        d.line([(x, 90), (x, 450)], fill=20, width=2)
    labels = {}
    for y, text, field in rows:
        d.text((80, y + 10), text, font=font, fill=25)
        if field:
            x0, y0, x1, y1 = d.textbbox((80, y + 10), text, font=font)
            grown = 60 if field == "signer_name" else 0  # boxed down over `Position`
            labels[field] = Label(field, [Word(text, x0, y0, x1, y1 + grown, page=0)], 0.9)
    d.text((720, 170), "Associate Professor", font=font, fill=25)
    found = label_column(img, labels, (60.0, 470.0), 0)
    assert set(found) == {*labels, "signer_title", "work_email"}
    assert 160 < found["signer_title"].top < 210 and found["signer_title"].x1 < 700
    assert 280 < found["work_email"].top < 330


def test_a_labels_own_second_line_is_no_label_of_its_own() -> None:
    """`Work email (at your` / `affiliation)`: a label wrapped over two lines of its own
    words. Its second line reads as the affiliation's label, and is not: the affiliation's
    row stands on the page before."""
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 30)
    img = Image.new("L", (1600, 400), 250)
    d = ImageDraw.Draw(img)
    words = []
    for text, x, y in (("Work email (at your", 80, 60), ("affiliation)", 80, 100)):
        d.text((x, y), text, font=font, fill=25)
        for part in text.split():
            x0, y0, x1, y1 = d.textbbox((x, y), part, font=font)
            words.append(Word(part, x0, y0, x1, y1, page=0))
            x = x1 + 8
    d.text((80, 180), "Detail address", font=font, fill=25)
    x0, y0, x1, y1 = d.textbbox((80, 180), "Detail address", font=font)
    labels = {
        "work_email": Label("work_email", words, 0.9),
        "address": Label("address", [Word("Detail address", x0, y0, x1, y1, page=0)], 0.9),
    }
    assert set(label_column(img, labels, (40.0, 260.0), 0)) == set(labels)


def test_a_first_row_label_beside_a_found_one_is_read_in_the_labels_column() -> None:
    """`签署人：` (the signer: the name's label) heads the first row, its row's `职务：` found
    in the third column; the next row's label box reaches a few pixels into its line. It is
    read in the labels' column all the same, as the name's label."""
    font = ImageFont.truetype(str(find_font("wqy-microhei.ttc")), 40, index=0)
    img = Image.new("L", (1700, 700), 250)
    d = ImageDraw.Draw(img)
    for y in (80, 200, 320, 440):
        d.line([(60, y), (1600, y)], fill=20, width=3)
    for x in (60, 400, 900, 1150, 1600):
        d.line([(x, 80), (x, 200)], fill=20, width=3)
    for x in (60, 400, 1600):
        d.line([(x, 200), (x, 440)], fill=20, width=3)
    d.text((100, 118), "签署人：", font=font, fill=25)
    d.text((440, 118), "Megan Foster", font=font, fill=25)

    def label(field: str, text: str, x: int, y: int, grow: int = 0) -> Label:
        d.text((x, y), text, font=font, fill=25)
        x0, y0, x1, y1 = d.textbbox((x, y), text, font=font)
        return Label(field, [Word(text, x0, y0 - grow, x1, y1, page=2)], 0.9)

    labels = {
        "signer_title": label("signer_title", "职务：", 930, 118),
        # the `名` of `单位名称` boxed taller than its line: its top just inside the row above
        "affiliation": label("affiliation", "单位名称：", 100, 238, grow=45),
        "work_email": label("work_email", "邮箱：", 100, 358),
    }
    found = label_column(img, labels, (60.0, 460.0), 2)
    assert set(found) == {*labels, "signer_name"}
    assert found["signer_name"].top < 200 and found["signer_name"].x1 < 400


def test_date_misread_by_a_letter_is_the_date_label_before_a_date_even_one_wrapped() -> None:
    def row(*items: tuple[str, float, float]) -> list[Word]:
        return [Word(t, x, y, x + 20 * len(t), y + 30, 0.95) for t, x, y in items]

    signature = {"signature": Label("signature", row(("Signature", 100, 100)), 1.0)}
    # `Pate` then `27 September` and, under it in the narrow cell, `2025`
    words = row(
        ("Pate", 900, 100), ("27", 1300, 100), ("September", 1370, 100), ("2025", 1300, 140)
    )
    found = with_date_label(signature, words)
    assert [w.text for w in found["date"].words] == ["Pate"]
    # the same word before no date is no label
    assert "date" not in with_date_label(signature, row(("Pate", 900, 100), ("soon", 1300, 100)))
    assert "date" not in with_date_label(
        signature, row(("Pate", 900, 100), ("27", 1300, 100), ("September", 1370, 100))
    )


def test_a_date_label_misread_by_a_character_is_the_date_label_before_a_date() -> None:
    # a Date row alone at the top of the last page: `日期` read as two words, `日` `其`
    def row(*items: tuple[str, float]) -> list[Word]:
        return [Word(t, x, 100, x + 30 * len(t), 130, 0.9) for t, x in items]

    words = row(("日", 300), ("其", 320), ("2025-04-20", 600))  # boxes overlapping, as read
    found = with_date_label({}, words)
    assert "".join(w.text for w in found["date"].words) == "日其"
    assert "date" not in with_date_label({}, row(("日", 300), ("其", 335), ("soon", 600)))
    # two characters apart across the row are no label
    assert "date" not in with_date_label({}, row(("日", 300), ("其", 500), ("2025-04-20", 600)))
    # nor is a word of another meaning two characters off
    assert "date" not in with_date_label({}, row(("星其", 300), ("2025-04-20", 600)))


def test_a_label_ends_at_its_colon_and_marks_are_no_part_of_it() -> None:
    """What OCR read after a label's colon is its value however it reads (`Signer's name:
    高翔` read `&`), and marks beside a label are the pen's (`Signature ~~.`: the wave read
    as a word): neither is the label's own print, to be masked as such. A label followed by
    marks alone is still a label."""
    name = find_labels(_words(("Signer's", 240, 3100), ("name:", 312, 3100), ("&", 358, 3100)))
    assert [w.text for w in name[0].words] == ["Signer's", "name:"]
    assert [w.text for w in name[0].inline] == ["&"]
    sig = find_labels(_words(("Signature", 240, 3100), ("~~.", 330, 3100)))
    assert sig and sig[0].field == "signature"
    assert [w.text for w in sig[0].words] == ["Signature"]


def test_the_end_of_a_labels_bracket_is_no_label() -> None:
    """`Work email (at your affiliation)` with a gap OCR read between `(at` and
    `affiliation)`: the bracket's end is the email label's hint, not the Affiliation label
    (whose region was then the email's cell, and the email reported as the affiliation)."""
    words = _words(
        ("Affiliation", 10, 100),
        ("Work", 10, 130),
        ("email", 50, 130),
        ("(at", 94, 130),
        ("affiliation)", 200, 130),
    )
    labels = pick_labels(find_labels(words))
    assert labels["affiliation"].words[0].text == "Affiliation"
    assert labels["work_email"].words[0].text == "Work"
    assert all(lab.words[0].text != "affiliation)" for lab in find_labels(words))


def test_a_labels_explanation_stops_at_a_value() -> None:
    """`Work email (at your` with the value beside it, `affiliation)` wrapped under: the
    explanation in brackets does not run over the email to the bracket's end."""
    words = _words(
        ("Work", 10, 100),
        ("email", 50, 100),
        ("(at", 94, 100),
        ("your", 122, 100),
        ("lin.xiaofeng@zju.edu.cn", 158, 100),
        ("affiliation)", 10, 114),
    )
    lab = pick_labels(find_labels(words))["work_email"]
    assert "lin.xiaofeng@zju.edu.cn" not in [w.text for w in lab.words]


def test_a_page_holding_one_line_of_labels_is_read_the_right_way_up() -> None:
    """The signer table cut by a page break: the next page holds `Signature: ____ Date:
    2024-05-25` alone. Its one line gave the half-turn call too little to go on, and it
    stood the page on its head, surely; read so, the line is no text, and the signature and
    date overleaf were never found (a signed, dated form to review). A page no orientation
    tried reads as text is read in the others, the half turn first."""
    from licensebot.reading.geometry import FlatPage
    from licensebot.reading.labels_pass import read_labels
    from licensebot.reading.limits import ReadLimits

    img = Image.new("L", (2480, 3508), 235)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 44)
    d.text((300, 300), "Signature:", font=font, fill=25)
    d.line([(560, 345), (1100, 345)], fill=25, width=3)
    d.text((1180, 300), "Date: 2024-05-25", font=font, fill=25)
    head_down = img.rotate(180)
    page = FlatPage(head_down, 300.0, False, None, 180, 0.9, 0.0, False, "A4", 300.0, 0.0)
    _, _, labels = read_labels(page, 3, ReadLimits())
    assert {"signature", "date"} <= labels.keys()
    assert labels["signature"].x0 < labels["date"].x0  # read upright


def test_a_label_on_paper_a_scanner_app_left_half_grey_is_read() -> None:
    """A phone scanner app's gradient of light over a page holding a Signature cell alone
    (the table's last row overleaf): paper from 216 at one corner to 242 at the other. One
    threshold for the page turned its grey half black, and pass 1 read no word at all; read
    as white paper, the label is there. White paper is read as it is."""
    from licensebot.reading.geometry import FlatPage
    from licensebot.reading.labels_pass import read_labels
    from licensebot.reading.limits import ReadLimits
    from licensebot.reading.ocr import grey_paper

    w, h = 2480, 3508
    ramp = np.add.outer(np.linspace(0, 1, h), np.linspace(0, 1, w)) / 2
    paper = (216 + 26 * ramp).astype(np.uint8)
    for base in (paper, np.full((h, w), 246, np.uint8)):
        img = Image.fromarray(base)
        d = ImageDraw.Draw(img)
        d.rectangle([440, 470, 2420, 880], outline=60, width=3)
        font = ImageFont.truetype(str(find_font("DejaVuSans-Bold.ttf")), 40)
        d.text((470, 480), "SIGNATURE", font=font, fill=40)
        page = FlatPage(img, 300.0, False, None, 0, 0.9, 0.0, False, "A4", 300.0, 0.0)
        _, _, labels = read_labels(page, 3, ReadLimits())
        assert "signature" in labels
        assert grey_paper(img.reduce(2)) is (base is paper)


def test_a_labels_bracket_closing_two_lines_down_is_the_labels() -> None:
    """A narrow column wraps `The Signer's Title (dean, professor...)` over three lines; the
    bracket opened on the second closes on the third. The third is the label's too, not a
    line of the value beside it (`professor...) Scientist` was read as the title)."""
    words = [
        Word("The", 298, 87, 318, 97),
        Word("Signer's", 321, 88, 365, 98),
        Word("Title", 368, 87, 392, 97),
        Word("(dean,", 298, 100, 331, 109),
        Word("professor...)", 298, 112, 362, 122),
        Word("Principal", 480, 87, 528, 97),
        Word("Research", 480, 100, 530, 109),
        Word("Scientist", 480, 112, 527, 122),
    ]
    labels = pick_labels(find_labels(words))
    assert [w.text for w in labels["signer_title"].words] == [
        "The",
        "Signer's",
        "Title",
        "(dean,",
        "professor...)",
    ]


def test_a_narrow_label_cells_bracket_ends_at_the_cell() -> None:
    """`Affiliation (Institute,` in a narrow label cell, `Department of Computing ...` a
    space and a half to its right in the value's cell (a born-digital form's text layer, its
    boxes as pdfium gives them): the label's open bracket does not take the value in, and
    the value is no part of the label. Spaces between words of one cell part nothing."""
    from licensebot.reading.layout import segments_of

    line = [
        Word("Affiliation", 72.1, 526.9, 121.9, 535.5),
        Word("(Institute,", 124.6, 526.9, 174.0, 537.1),
        Word("Department", 184.9, 527.4, 243.9, 537.9),
        Word("of", 246.5, 526.9, 256.7, 535.5),
        Word("Computing", 258.6, 527.3, 312.5, 538.0),
    ]
    assert [[w.text for w in s] for s in segments_of(line)] == [
        ["Affiliation", "(Institute,"],
        ["Department", "of", "Computing"],
    ]
    (label,) = [lab for lab in find_labels(line) if lab.field == "affiliation"]
    assert [w.text for w in label.words] == ["Affiliation", "(Institute,"]


def test_a_speck_read_as_a_word_above_a_line_does_not_stand_for_the_line() -> None:
    """A creased copy's speck read as `ste` (12 px tall) just above a stacked table's first
    row heads the line by its middle: the line's words are grouped by the taller print that
    joins it, not by the speck. `Signer's` (its `g` reaching lower) had fallen to the next
    line, the label taken the value's misread `ARE` under it for its own, and the name been
    reported blank (a good form rejected)."""
    raw = [
        ("ste", 1504, 496, 1654, 508, 0.23),
        ("The", 238, 500, 294, 524, 0.93),
        ("Signer's", 300, 500, 420, 532, 0.39),
        ("Name", 428, 500, 514, 526, 0.97),
        ("TITLE", 1242, 502, 1330, 526, 0.96),
        ("ARE", 240, 540, 368, 580, 0.41),
        ("Principal", 1244, 542, 1404, 582, 0.97),
        ("AFFILIATION", 238, 592, 434, 616, 0.95),
    ]
    words = [Word(*r) for r in raw]
    lines = [[w.text for w in line] for line in lines_of(words)]
    assert lines[0] == ["The", "Signer's", "Name", "TITLE", "ste"]
    labels = {lab.field: [w.text for w in lab.words] for lab in find_labels(words)}
    assert labels["signer_name"] == ["The", "Signer's", "Name"]
    # a tall mark (a scrawl, a rule read as a glyph) never stands for a line: the next
    # line's words are not pulled into it
    tall = [
        Word("Name", 100, 100, 180, 124),
        Word("|", 300, 98, 304, 170),
        Word("x", 400, 140, 420, 164),
    ]
    assert [[w.text for w in line] for line in lines_of(tall)][-1] == ["x"]
