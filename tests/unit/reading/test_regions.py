"""Each field's value region, found from its label on layouts the test factory never drew: the
region holds the whole value (every line of it) and nothing else, not another label."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

import pypdfium2 as pdfium
import pytest
from reportlab.lib.pagesizes import A4, LETTER

from licensebot.core.la import LaVersion
from licensebot.reading.grid import Cell as GridCell
from licensebot.reading.grid import Grid, Rule, grid_from_image, grid_from_pdf_page
from licensebot.reading.layout import FIELD_KEYS, Label, Word, find_labels, join_words
from licensebot.reading.ocr import erase_rules, tesseract_words
from licensebot.reading.regions import (
    ValueRegion,
    assign_fields,
    locate_values,
    members_region,
    own_lines,
    region_words,
)
from tests.forms.factory import make_spec
from tests.forms.factory import render as render_spec
from tests.unit.reading.synthetic import (
    EN,
    ZH,
    draw_colon_text,
    draw_four_columns,
    draw_ruled_stacked_one_line,
    draw_stacked,
    draw_two_columns,
    draw_underlined_text,
    draw_underlines,
    line_words,
    render,
    scan_like,
    text_words,
    truth,
    turn_words,
)

LAYOUTS: dict[str, Callable[[], bytes]] = {
    "two-columns-A4": lambda: draw_two_columns(size=A4),
    "two-columns-Letter": lambda: draw_two_columns(size=LETTER),
    "four-columns-Letter": lambda: draw_four_columns(size=LETTER),
    "four-columns-A4": lambda: draw_four_columns(size=A4),
    "four-columns-chinese-labels": lambda: draw_four_columns(ZH),
    "horizontal-rules-only": lambda: draw_four_columns(verticals=False),
    "underlines": draw_underlines,
    "underlined-text": draw_underlined_text,
    "stacked-labels": draw_stacked,
    "label-colon-value": draw_colon_text,
}


def _label(field: str, text: str, x0: float, top: float, *, char: float, height: float) -> Label:
    """A label OCR read as one word: `char` pixels a character, `height` tall."""
    return Label(field, [Word(text, x0, top, x0 + char * len(text), top + height, 0.95)], 1.0)


def _read(
    words: Sequence[Word], grids: dict[int, Grid], size: tuple[float, float]
) -> tuple[dict[str, Label], dict[str, ValueRegion]]:
    labels = assign_fields(find_labels(words))
    return labels, locate_values(labels, words, page_size=size, grids=grids)


def _read_digital(pdf: bytes) -> tuple[dict[str, Label], dict[str, ValueRegion], list[Word]]:
    """The labels, value regions and words of a born-digital A4 page (its vector rules)."""
    words = text_words(pdf)
    doc = pdfium.PdfDocument(pdf)
    try:
        grid = grid_from_pdf_page(doc[0], 0, words)
    finally:
        doc.close()
    labels, regions = _read(words, {0: grid}, A4)
    return labels, regions, words


def _text_in(region: ValueRegion, words: Sequence[Word], labels: dict[str, Label]) -> str:
    mine = {id(w) for lab in labels.values() for w in lab.words}
    return join_words([w for w in region_words(region, words) if id(w) not in mine])


def _no_label_inside(region: ValueRegion, labels: dict[str, Label]) -> bool:
    x0, top, x1, bottom = region.box
    return not any(
        x0 <= (lab.x0 + lab.x1) / 2 <= x1 and top <= (lab.top + lab.bottom) / 2 <= bottom
        for key, lab in labels.items()
        if key != region.field and lab.page == region.page
    )


def _check(
    labels: dict[str, Label], regions: dict[str, ValueRegion], words: Sequence[Word]
) -> None:
    assert set(regions) >= {*FIELD_KEYS, "signature"}
    want = truth()
    for key in FIELD_KEYS:
        got = _text_in(regions[key], words, labels)
        # a skewed line's words may come out of order: the same words, every one of them
        assert sorted(got.split()) == sorted(want[key].split()), (key, regions[key])
        assert _no_label_inside(regions[key], labels), key
    assert _text_in(regions["signature"], words, labels) == ""  # ink only, no text
    assert _no_label_inside(regions["signature"], labels)


@pytest.mark.parametrize("name", LAYOUTS)
def test_born_digital_forms_from_their_vector_rules(name: str) -> None:
    pdf = LAYOUTS[name]()
    words = text_words(pdf)
    doc = pdfium.PdfDocument(pdf)
    try:
        size = doc[0].get_size()
        grid = grid_from_pdf_page(doc[0], 0, words)
    finally:
        doc.close()
    labels, regions = _read(words, {0: grid}, (float(size[0]), float(size[1])))
    _check(labels, regions, words)


@pytest.mark.parametrize(
    ("name", "angle"),
    [
        ("two-columns-A4", -1.5),
        ("four-columns-Letter", 1.0),
        ("four-columns-chinese-labels", 0.0),
        ("horizontal-rules-only", -1.0),
        ("underlines", 1.5),
        ("underlined-text", -1.0),
    ],
)
def test_scanned_forms_from_the_rules_in_their_image(name: str, angle: float) -> None:
    dpi = 200
    pdf = LAYOUTS[name]()
    image = scan_like(render(pdf, dpi), angle)
    words = turn_words(text_words(pdf, dpi / 72), angle, image.size)
    grid = grid_from_image(image, dpi)
    labels, regions = _read(words, {0: grid}, (float(image.width), float(image.height)))
    _check(labels, regions, words)


def test_a_value_under_its_label_that_crosses_a_column_rule_is_taken_whole() -> None:
    # the affiliation on one line across the column rule of the rows around it: the whole
    # line, not the right cell's half (read as a confident `Northgate University`, and an
    # affiliation mismatch followed)
    pdf = draw_ruled_stacked_one_line()
    labels, regions, words = _read_digital(pdf)
    want = truth()
    for key in ("affiliation", "address", "signer_name", "signer_title"):
        got = _text_in(regions[key], words, labels)
        assert sorted(got.split()) == sorted(want[key].split()), (key, regions[key])


def test_underlined_text_has_paper_around_it_in_its_region() -> None:
    # the rule under typed text ends at its last letter: a region ending there would cut the
    # reading at the crop's edge (every engine agreeing on a value that may go on)
    pdf = draw_underlined_text()
    labels, regions, words = _read_digital(pdf)
    for key in ("signer_name", "work_email", "address", "date"):
        region, lab = regions[key], labels[key]
        assert region.how == "underline", key
        mine = [w for w in region_words(region, words) if w not in lab.words]
        assert region.box[2] - max(w.x1 for w in mine) >= 0.4 * lab.height, key
        assert min(w.x0 for w in mine) - region.box[0] >= 0.1 * lab.height, key
    assert regions["address"].mask  # the label under the band's second line is masked


def test_a_wrapped_line_without_its_underline_is_still_the_values() -> None:
    # a photo loses the second line's short rule: the words at the margin under the label,
    # on the next line, with no label of their own, are the value's second line (else both
    # engines agree on the first line alone: `Calle Ramiro de Maeztu 7,`)
    pdf = draw_underlined_text(second_rule=False)
    labels, regions, words = _read_digital(pdf)
    got = _text_in(regions["address"], words, labels)
    assert sorted(got.split()) == sorted(truth()["address"].split())
    assert _no_label_inside(regions["address"], labels)


def test_a_value_on_an_underline_never_takes_the_row_above() -> None:
    # rows set close (single spacing, a line of 10 pt every 18 pt): the room left above an underline
    # for tall letters reached the row above, and a born-digital form's affiliation was read
    # `Assistant Professor Department of ...`, the title's value before it
    pdf = draw_underlined_text(gap=0)
    labels, regions, words = _read_digital(pdf)
    want = truth()
    for key in ("signer_name", "signer_title", "affiliation", "work_email", "address"):
        assert _text_in(regions[key], words, labels) == want[key], (key, regions[key])


def test_a_multi_line_value_is_taken_whole_and_said_to_be_two_lines() -> None:
    pdf = draw_two_columns()
    _, regions, _ = _read_digital(pdf)
    assert regions["address"].how == "cell-right"
    assert regions["address"].lines_expected == 2
    assert regions["signer_name"].lines_expected == 1
    assert regions["signature"].lines_expected is None


def test_how_each_layout_places_its_values() -> None:
    hows = {}
    for name in ("four-columns-Letter", "underlines", "stacked-labels", "label-colon-value"):
        pdf = LAYOUTS[name]()
        _, regions, _ = _read_digital(pdf)
        hows[name] = regions["signer_name"].how
    assert hows == {
        "four-columns-Letter": "cell-right",
        "underlines": "underline",
        "stacked-labels": "below",
        "label-colon-value": "right",
    }


def test_a_bare_name_label_is_the_signer_unless_it_heads_the_members_table() -> None:
    words = text_words(draw_four_columns(EN))  # `Name | value | Title | value`
    assert "signer_name" in assign_fields(find_labels(words))


def _line(text: str, x0: float, top: float, h: float = 20.0) -> list[Word]:
    return line_words(text, x0, top, height=h, char=12, space=10)


def test_a_bare_name_heading_the_members_table_is_never_the_signers() -> None:
    """The signer's own label missed (a Chinese `签署人` a photo blurred), the members table's
    `Name` is no stand-in for it: not when its header cell sits a line below `Registered
    ID`'s (cells aligned differently), nor anywhere below the Signature label. Its value
    would be the header beside it, and the applicant told their file's name is wrong."""
    rows = [
        _line("Title: Professor", 60, 100),
        _line("Affiliation: Northgate Institute", 60, 140),
        _line("Work email: a@b.org", 60, 180),
        _line("Address: 1 Road", 60, 220),
        _line("Signature:", 60, 260),
        _line("Date: 2025-09-17", 60, 340),
        _line("Students / employees the signer signs for:", 60, 380),
    ]
    header = [*_line("Registered ID", 400, 410), *_line("Name", 60, 440)]
    words = [w for row in rows for w in row] + header
    assert "signer_name" not in assign_fields(find_labels(words))
    # no members header at all, but below the signature: still the members'
    below = [w for row in rows for w in row] + _line("Name", 60, 440)
    assert "signer_name" not in assign_fields(find_labels(below))
    # above the signature, heading nothing: the signer's
    above = [*_line("Name: Ann Lee", 60, 60), *(w for row in rows for w in row)]
    assert "signer_name" in assign_fields(find_labels(above))


def test_dots_leading_to_a_value_are_no_underline() -> None:
    """`Address:..........Suite 400, ...`: a photo's dot leader runs into a line after the
    label. The value stands after its end, not over it: its region runs on from there to
    the margin (read as `Suite` alone, the crop cut at the leader's end); a value typed over
    a line is still the underline's."""
    label = _line("Address:", 60, 200)
    value = _line("Suite 400, 2250 Innovation Parkway", 420, 200)
    leader = Rule(160.0, 219.0, 410.0, 219.0, True, 2.0)
    words = [*label, *value]
    labels = assign_fields(find_labels(words))
    grid = Grid((leader,), (), 300.0)
    got = locate_values(labels, words, page_size=(1200.0, 800.0), grids={0: grid})["address"]
    assert got.how == "leader"
    assert got.box[0] >= 400 and got.box[2] >= value[-1].x1
    # the value over the line: the line is its underline
    over = [*label, *_line("Suite 400", 200, 198)]
    labels = assign_fields(find_labels(over))
    got = locate_values(labels, over, page_size=(1200.0, 800.0), grids={0: grid})["address"]
    assert got.how == "underline"


def test_two_labels_whose_values_would_share_one_cell_are_neither_located() -> None:
    """`单位` of `单位地址` (the affiliation's address) read apart from `地址` and taken for
    the Affiliation label: both labels find the address's cell. One cell holds one value;
    whose, the reader cannot tell: neither field is located (unread, a person looks)."""
    grid = Grid(
        (),
        (
            GridCell(0, 0, 100, 40),
            GridCell(100, 0, 500, 40),
            GridCell(0, 40, 100, 80),
            GridCell(100, 40, 500, 80),
        ),
        300.0,
    )
    words = [
        Word("单位", 10, 44, 40, 60),
        Word("地址", 42, 46, 80, 62),
        Word("Floor", 110, 45, 160, 60),
        Word("邮箱", 10, 10, 40, 26),
        Word("a@b.org", 110, 10, 190, 26),
    ]
    labels = {
        "affiliation": Label("affiliation", [words[0]], 1.0),
        "address": Label("address", [words[1]], 1.0),
        "work_email": Label("work_email", [words[3]], 1.0),
    }
    got = locate_values(labels, words, page_size=(600.0, 200.0), grids={0: grid})
    assert "affiliation" not in got and "address" not in got
    assert "work_email" in got


def test_tesseract_words_find_the_values_of_a_scanned_four_column_form() -> None:
    dpi = 200
    pdf = draw_four_columns()
    image = scan_like(render(pdf, dpi), 0.7)
    # as the reader's first pass does: rules erased, sparse text
    ocr = tesseract_words(erase_rules(image, length=dpi // 4), lang="eng", psm=11)
    truth_words = turn_words(text_words(pdf, dpi / 72), 0.7, image.size)
    labels = assign_fields(find_labels(ocr))
    regions = locate_values(
        labels, ocr, page_size=image.size, grids={0: grid_from_image(image, dpi)}
    )
    want = truth()
    for key in FIELD_KEYS:
        x0, top, x1, bottom = regions[key].box
        expected = want[key].split()
        # the value's printed words (from the PDF's own text, OCR errors aside) all lie inside
        held = [w.text for w in truth_words if x0 <= w.cx <= x1 and top <= w.cy <= bottom]
        assert sorted(held) == sorted(expected), key


# ---- the test factory's layouts -------------------------------------------------------------


@pytest.mark.parametrize("layout", ["word", "compact", "retyped"])
@pytest.mark.parametrize("seed", [101, 2024, 40007])
def test_the_factory_layouts_digital(layout: str, seed: int, current: LaVersion) -> None:
    spec = make_spec(seed, current, medium="digital", hand="typed", layout=layout)
    pdf = render_spec(spec)
    doc = pdfium.PdfDocument(pdf)
    words: list[Word] = []
    grids: dict[int, Grid] = {}
    for i in range(len(doc)):
        page_words = [
            Word(w.text, w.x0, w.top, w.x1, w.bottom, w.conf, i, w.source)
            for w in _page_text_words(pdf, i)
        ]
        words += page_words
        grids[i] = grid_from_pdf_page(doc[i], i, page_words)
    size = doc[0].get_size()
    doc.close()
    labels, regions = _read(words, grids, (float(size[0]), float(size[1])))
    for key in FIELD_KEYS:
        assert _text_in(regions[key], words, labels) == spec.written[key], key
    assert _text_in(regions["signature"], words, labels) in ("", spec.written["signer_name"])
    if spec.members:
        box = members_region(labels, page_size=(float(size[0]), float(size[1])), grids=grids)
        assert box is not None
        inside = [
            w.text
            for w in words
            if w.page == labels["members_id"].page
            and box[0] <= w.cx <= box[2]
            and box[1] <= w.cy <= box[3]
        ]
        for name, reg in spec.members:
            assert reg in inside and name.split()[0] in inside


def _page_text_words(pdf: bytes, index: int) -> list[Word]:
    import io

    import pdfplumber

    from licensebot.core.form import Source

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return [
            Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], 1.0, index, Source.TEXT)
            for w in doc.pages[index].extract_words()
        ]


def test_a_value_cell_that_runs_on_to_the_next_label_of_its_row_ends_before_it() -> None:
    # a Chinese office form whose shaded label cells' drawing left out the column rules
    # between `Name value` and `Title label`: the right cell holds both the name and `职称：`
    from licensebot.reading.grid import Rule, build_grid

    rules = [
        *(Rule(66.96, y, 517.68, y, True) for y in (72.72, 84.96, 97.2, 109.44)),
        *(Rule(x, 72.72, x, 109.44, False) for x in (66.96, 179.28, 517.68)),
    ]
    grids = {3: build_grid(rules, 72.0, (595.0, 842.0), 3)}
    words = [
        Word("签署人姓名：", 91.6, 73.8, 154.6, 83.4, 1.0, 3),
        Word("何雨桐", 184.9, 72.4, 216.4, 86.1, 1.0, 3),
        Word("职称：", 333.0, 72.4, 364.5, 86.1, 1.0, 3),
        Word("Assistant", 410.5, 72.0, 449.6, 85.7, 1.0, 3),
        Word("Professor", 451.9, 72.0, 492.1, 85.7, 1.0, 3),
    ]
    labels, regions = _read(words, grids, (595.0, 842.0))
    assert set(labels) >= {"signer_name", "signer_title"}
    got = {k: join_words(region_words(regions[k], words, grids)) for k in labels}
    assert got["signer_name"] == "何雨桐"
    assert got["signer_title"] == "Assistant Professor"


def test_a_tabbed_value_wrapped_to_the_margin_under_its_label_is_the_values() -> None:
    # `Affiliation:<tab>Department of ..., University of` / `Melbourne` / `E-mail:<tab>...`: a
    # word processor wraps the value to the margin, under its label
    from licensebot.reading.cells import value_and_tail

    def ws(text: str, x: float, top: float) -> list[Word]:
        return line_words(text, x, top, height=12, char=9, space=5, conf=0.95)

    def values(words: list[Word]) -> dict[str, str]:
        labels, regions = _read(words, {}, (595.0, 842.0))
        return {k: join_words(value_and_tail(regions[k], words, {}, labels)[0]) for k in labels}

    head = [
        *ws("Title:", 72, 100),
        *ws("Professor", 200, 100),
        *ws("Affiliation:", 72, 125),
        *ws("Department of Computing, University of", 200, 125),
    ]
    got = values(
        [*head, *ws("Melbourne", 72, 143), *ws("E-mail:", 72, 168), *ws("a@b.edu", 200, 168)]
    )
    assert got["affiliation"] == "Department of Computing, University of Melbourne"
    assert got["work_email"] == "a@b.edu" and got["signer_title"] == "Professor"
    # a line at the margin with no label right under it is no part of the value (a note
    # under the form)
    got = values([*head, *ws("Printed", 72, 143)])
    assert got["affiliation"] == "Department of Computing, University of"
    # rows a blank line apart: the next row's label after the blank line follows it all the
    # same (`Address:` wrapped to the margin, a blank line, `Signature:`)
    spaced = [*head, *ws("Melbourne", 72, 143), *ws("Signature:", 72, 190)]
    assert values(spaced)["affiliation"] == "Department of Computing, University of Melbourne"
    # ... but not with a line of print between: that is a note, not the next row
    noted = [
        *head,
        *ws("Printed", 72, 143),
        *ws("see overleaf", 72, 165),
        *ws("Signature:", 72, 190),
    ]
    assert values(noted)["affiliation"] == "Department of Computing, University of"


def test_specks_read_under_a_label_do_not_keep_its_value_out_of_the_next_cell() -> None:
    # a worn copier's streak down the label column, read as `i` and `sf` at 0.1 under the
    # Signature label: the signature is still the next cell's ink, never the label cell's
    words = text_words(draw_four_columns())
    labels, regions = _read(words, {0: _grid_of(draw_four_columns())}, A4)
    sig = labels["signature"]
    h = sig.bottom - sig.top
    specks = [
        Word("i", sig.x0 + 2, sig.bottom + 0.5 * h, sig.x0 + 4, sig.bottom + 1.2 * h, 0.13),
        Word("sf", sig.x0 + 1, sig.bottom + 1.5 * h, sig.x0 + 5, sig.bottom + 1.9 * h, 0.16),
    ]
    again = locate_values(
        labels, [*words, *specks], page_size=A4, grids={0: _grid_of(draw_four_columns())}
    )
    assert again["signature"].how == "cell-right"
    assert again["signature"].box == regions["signature"].box
    assert again["signature"].box[0] >= sig.x1


def test_a_value_under_its_label_ends_at_the_label_cells_rule() -> None:
    # the Signature row of a four-column table: words under the label in its own cell make
    # the value the label cell's; it ends at that cell's rule, not at the Date label two
    # cells on
    pdf = draw_four_columns()
    words = text_words(pdf)
    labels, _ = _read(words, {0: _grid_of(pdf)}, A4)
    sig = labels["signature"]
    h = sig.bottom - sig.top
    note = Word("Witness", sig.x0, sig.bottom + 0.8 * h, sig.x0 + 4 * h, sig.bottom + 1.8 * h, 0.95)
    grid = _grid_of(pdf)
    again = locate_values(labels, [*words, note], page_size=A4, grids={0: grid})
    own = grid.cell_containing((sig.x0, sig.top, sig.x1, sig.bottom))
    assert own is not None
    assert again["signature"].how == "cell-same"
    assert again["signature"].box[2] <= own.x1 + 1
    assert again["signature"].box[2] < labels["date"].x0


def _grid_of(pdf: bytes) -> Grid:
    doc = pdfium.PdfDocument(pdf)
    try:
        return grid_from_pdf_page(doc[0], 0, text_words(pdf))
    finally:
        doc.close()


def test_a_cell_cut_into_pieces_by_its_signing_line_is_one_cell_again() -> None:
    # the Signature row of a four-column table: a signing line drawn across the signature's
    # cell and a pen's upright stroke cut it into three regions; the value is the whole cell
    # (the signature measured above its signing line alone lost its letters' lower half)
    from licensebot.reading.grid import Cell as GridCell

    cells = (
        GridCell(336, 927, 777, 1209),  # the label's
        GridCell(780, 927, 990, 1014),  # above the signing line, left of the stroke
        GridCell(990, 927, 1218, 1017),  # ... right of it
        GridCell(780, 1017, 1218, 1209),  # under the signing line
        GridCell(1221, 927, 1662, 1209),  # the Date label's
        GridCell(1665, 930, 2106, 1209),  # the date's
    )
    grid = Grid((), cells, 300.0)
    labels = {
        "signature": Label("signature", [Word("Signature", 358, 934, 568, 978, 0.96)], 1.0),
        "date": Label("date", [Word("Date", 1244, 934, 1320, 978, 0.96)], 1.0),
    }
    regions = locate_values(labels, [], page_size=(2480.0, 3508.0), grids={0: grid})
    assert regions["signature"].box == (780, 927, 1218, 1209)
    assert regions["date"].box == (1665, 930, 2106, 1209)


def test_a_centred_label_cell_has_its_value_in_the_next_cell_before_the_next_label() -> None:
    # a Chinese table's row `签署人： | 何雨桐 | 职称： | Head of Department` on a worn copy:
    # the rules between the last three cells lost, pass 1 read no word of the Chinese name
    from licensebot.reading.grid import Cell as GridCell

    cells = (
        GridCell(282, 552, 747, 600),  # the name's label cell, its label centred
        GridCell(750, 552, 2160, 600),  # the rest of the row, its inner rules lost
    )
    grid = Grid((), cells, 300.0)
    labels = {
        "signer_name": Label("signer_name", [Word("签署人：", 432, 554, 571, 594, 0.9)], 1.0),
        "signer_title": Label("signer_title", [Word("职称：", 1300, 554, 1400, 594, 0.9)], 1.0),
    }
    words = [Word(t, x, 556, x + 100, 594, 0.96) for t, x in (("Head", 1500), ("of", 1620))]
    regions = locate_values(labels, words, page_size=(2480.0, 3508.0), grids={0: grid})
    name = regions["signer_name"]
    assert name.how == "cell-right" and name.box[0] == 750 and name.box[2] < 1300
    # a label at its cell's left edge, room beside it, keeps its value beside it
    left = {
        "signer_name": Label("signer_name", [Word("签署人：", 290, 554, 429, 594, 0.9)], 1.0),
        "signer_title": labels["signer_title"],
    }
    regions = locate_values(left, words, page_size=(2480.0, 3508.0), grids={0: grid})
    assert regions["signer_name"].how == "cell-same"


def test_a_label_boxed_down_over_the_row_below_is_looked_up_by_its_own_line() -> None:
    """A phone photo's small print: OCR boxed `The Signer's Name` down over the row below
    it, the box's middle on the rule between the rows. The name's value is its own row's
    cell, not the rows below it; the label's words stay no value's."""
    dpi = 200
    pdf = draw_two_columns(size=A4)
    image = scan_like(render(pdf, dpi), 0.0)
    words = text_words(pdf, dpi / 72)
    grid = grid_from_image(image, dpi)
    labels = assign_fields(find_labels(words))
    name = labels["signer_name"]
    grown = [replace(w, bottom=w.bottom + 1.1 * w.height) for w in name.words]
    moved = {**labels, "signer_name": replace(name, words=grown)}
    # the grown words stand for the label's words in the page's words, as OCR gives them
    ids = {id(w) for w in name.words}
    page = [w for w in words if id(w) not in ids] + grown
    regions = locate_values(moved, page, page_size=image.size, grids={0: grid})
    assert regions["signer_name"].cell is not None
    assert _text_in(regions["signer_name"], page, moved) == truth()["signer_name"]
    assert own_lines(moved)["signer_name"].bottom < name.bottom + 0.5 * name.height
    # a label of two lines (its words each of a line's height) is left whole
    assert own_lines(labels) == labels


def test_rows_merged_by_a_lost_rule_split_at_labels_boxed_far_taller_than_print() -> None:
    # a creased scan: the rule between the Position and Affiliation rows worn away, and OCR
    # boxed each label over the letters the crease lifted and the hint under it (`Position`
    # 103 px tall beside print of 36): split at the labels' tops, the title's value went to
    # the affiliation (`Research Group Leader Northgate Institute ...`, a wrong value)
    from licensebot.reading.grid import Rule, build_grid

    rules = [
        *(Rule(60.0, y, 500.0, y, True) for y in (76.0, 100.0, 160.0, 184.0)),
        *(Rule(x, 76.0, x, 184.0, False) for x in (60.0, 180.0, 500.0)),
    ]
    grids = {0: build_grid(rules, 72.0, (595.0, 842.0), 0)}

    def line(text: str, x: float, top: float, page: int = 0) -> list[Word]:
        out, at = [], x
        for t in text.split():
            out.append(Word(t, at, top, at + 6.0 * len(t), top + 10.0, 0.95, page))
            at += 6.0 * len(t) + 4.0
        return out

    def tall(w: Word) -> Word:  # grown 1.5 lines up and 0.8 down
        return replace(w, top=w.top - 15.0, bottom=w.bottom + 8.0)

    words = [
        *line("Name", 66.0, 82.0),
        *line("Maria Keller", 186.0, 82.0),
        *(tall(w) for w in line("Position", 66.0, 105.0)),
        *line("Research Group Leader", 186.0, 105.0),
        *(tall(w) for w in line("Affiliation", 66.0, 128.0)),
        *line("Northgate Institute for Advanced", 186.0, 128.0),
        *line("Computational Research", 186.0, 143.0),
        *line("Email", 66.0, 166.0),
        *line("m.keller@northgate.edu", 186.0, 166.0),
        # the page's other print (the note under the table)
        *line("Note: the LA must be filled in, printed out, hand signed and scanned", 60.0, 200.0),
        *line("into PDF format, named as DFME_License_Agreement_signer's name.pdf", 60.0, 214.0),
    ]
    labels, regions = _read(words, grids, (595.0, 842.0))
    assert {"signer_title", "affiliation"} <= set(labels)
    got = {k: join_words(region_words(regions[k], words, grids)) for k in labels}
    assert got["signer_title"] == "Research Group Leader"
    assert got["affiliation"] == "Northgate Institute for Advanced Computational Research"
    assert got["signer_name"] == "Maria Keller"


def test_a_hint_under_the_label_in_the_other_language_leaves_the_value_to_the_next_cell() -> None:
    # a bilingual label cell: `Name` over its hint `姓名`, which pass 1 read as `ue`; the hint
    # stands as low as the foot of the value beside the label (a tilde, a crease lift its
    # box), yet it is no line of a value running on across the column rule
    pdf = draw_two_columns()
    words = text_words(pdf)
    grid = _grid_of(pdf)
    labels, regions = _read(words, {0: grid}, A4)
    name = labels["signer_name"]
    h = name.bottom - name.top
    hint = Word(
        "ue", name.x0, name.bottom - 0.15 * h, name.x0 + 1.6 * h, name.bottom + 0.9 * h, 0.64
    )
    again = locate_values(labels, [*words, hint], page_size=A4, grids={0: grid})
    assert regions["signer_name"].how == "cell-right"
    assert again["signer_name"].how == "cell-right"
    assert again["signer_name"].box == regions["signer_name"].box
    assert _text_in(again["signer_name"], [*words, hint], labels) == truth()["signer_name"]


def test_a_value_under_its_label_is_not_given_up_for_a_speck_beside_it() -> None:
    # a full-width row whose column rule a worn copier's streak made: the address under its
    # label stops short of the "rule", and the streak's dot read `s` at 0.3 in the cell right
    # of it is no value there
    pdf = draw_ruled_stacked_one_line()
    labels, _, words = _read_digital(pdf)
    doc = pdfium.PdfDocument(pdf)
    try:
        grid = grid_from_pdf_page(doc[0], 0, words)
    finally:
        doc.close()
    label = labels["address"]
    h = label.bottom - label.top
    mid = A4[0] / 2
    short = [
        w
        for w in words
        if not (w.top > label.bottom and w.top < label.bottom + 2 * h and w.x1 > mid - 6 * h)
    ]
    speck = Word(
        "s", mid + 10 * h, label.bottom + 0.5 * h, mid + 10.6 * h, label.bottom + 1.3 * h, 0.3
    )
    regions = locate_values(labels, [*short, speck], page_size=A4, grids={0: grid})
    got = _text_in(regions["address"], [*short, speck], labels)
    assert got and "s" not in got.split(), (got, regions["address"])


def test_a_tall_signature_cell_under_a_small_capitals_label_is_its_cell() -> None:
    """`SIGNATURE` in 5 pt small capitals heads a 73 pt row: the row is the Signature's cell,
    room for a hand, not a frame around the form (the region was taken over the row's top
    rule, in the row above, and a signed form called unsigned)."""
    cells = (GridCell(81, 291, 505, 322), GridCell(81, 323, 505, 396))
    grid = Grid((), cells, 72.0)
    words = [Word("SIGNATURE", 85, 324, 124, 329)]
    labels = {"signature": Label("signature", words, 1.0)}
    got = locate_values(labels, words, page_size=(595.0, 842.0), grids={0: grid})["signature"]
    assert got.cell == cells[1]


def test_a_digital_signature_with_no_cell_reaches_up_to_the_row_above() -> None:
    """A word processor lifts a pasted signature above the `Signature:` line; with no cell to
    bound it, the region reaches up to the row above's label."""
    from licensebot.reading.regions import up_to_the_row_above

    address = Label("address", [Word("Address:", 43, 114, 139, 124)], 1.0)
    sig = Label("signature", [Word("Signature:", 43, 208, 116, 218)], 1.0)
    region = ValueRegion("signature", 0, (116, 193, 610, 233), "right", 1)
    got = up_to_the_row_above(region, {"address": address, "signature": sig})
    assert got.box == (116, 124, 610, 233)
    in_a_cell = ValueRegion(
        "signature", 0, (116, 193, 610, 233), "cell-right", 1, cell=GridCell(116, 193, 610, 233)
    )
    assert up_to_the_row_above(in_a_cell, {"address": address, "signature": sig}) is in_a_cell


def test_a_stacked_label_boxed_down_over_its_value_has_the_value_under_its_line() -> None:
    """A photo's small stacked label (`Name of the signer` over the value, in one cell): pass 1
    boxed its `of` and `the` two lines tall, down over the value. The value is under the
    label's line of print, not beside its boxes: read beside them, the name's cell was empty
    (a filled-in form rejected for a missing name) and the title's cut (`partment`)."""
    cells = (GridCell(60, 100, 500, 160), GridCell(500, 100, 940, 160))
    grid = Grid((), cells, 150.0)

    def line(text: str, x: float, top: float, h: float = 14.0) -> list[Word]:
        out, at = [], x
        for t in text.split():
            out.append(Word(t, at, top, at + 0.6 * h * len(t), top + h, 0.95))
            at += 0.6 * h * len(t) + 0.4 * h
        return out

    def tall(w: Word) -> Word:
        return replace(w, top=w.top - 10.0, bottom=w.bottom + 20.0)

    name_label = line("Name of the signer", 66.0, 106.0)
    name_label = [tall(w) if w.text in ("of", "the") else w for w in name_label]
    title_label = line("Title / position", 506.0, 106.0)
    title_label = [tall(w) if w.text == "/" else w for w in title_label]
    words = [
        *name_label,
        *line("Mia Lee", 66.0, 128.0, 20.0),
        *title_label,
        *line("Head of Department", 506.0, 128.0, 20.0),
        # the page's other print
        *line("Note: the LA must be filled in, printed out, hand signed and scanned", 60, 40),
        *line("into PDF format, named as DFME_License_Agreement_signer's name.pdf", 60, 60),
        *line("When reporting results in papers the user should refer to the data", 60, 200),
    ]
    labels, regions = _read(words, {0: grid}, (1000.0, 400.0))
    assert labels["signer_name"].bottom >= 140  # boxed down over the value's line
    got = {k: _text_in(regions[k], words, labels) for k in regions}
    assert got["signer_name"] == "Mia Lee"
    assert got["signer_title"] == "Head of Department"


def test_a_labels_hint_under_it_is_no_value_running_on_into_the_next_cell() -> None:
    """`The Signer's Title` over its hint `(dean, professor...)`, the hint reaching the
    column rule, the value `Senior Lecturer` centred in the next cell between the two lines:
    a photo's boxes make the value's box overlap the hint's by a few pixels. The value is the
    next cell's alone, not the hint and the value as one line across the rule (the label was
    read into the title and it went unread)."""
    cells = (GridCell(1221, 1779, 1692, 1878), GridCell(1692, 1779, 2160, 1878))
    grid = Grid((), cells, 300.0)
    words = [
        Word("The", 1242, 1783, 1323, 1819, 0.93),
        Word("Signer's", 1340, 1783, 1512, 1826, 0.78),
        Word("Title", 1526, 1783, 1620, 1819, 0.96),
        Word("(dean,", 1245, 1834, 1378, 1882, 0.97),
        Word("professor...)", 1398, 1834, 1658, 1878, 0.96),
        Word("Senior", 1712, 1799, 1852, 1837, 0.95),
        Word("Lecturer", 1869, 1797, 2049, 1837, 0.97),
    ]
    labels = {"signer_title": Label("signer_title", words[:3], 1.0)}
    got = locate_values(labels, words, page_size=(2480.0, 3508.0), grids={0: grid})
    region = got["signer_title"]
    assert region.how == "cell-right"
    assert _text_in(region, words, labels) == "Senior Lecturer"


def test_a_wrapped_underlined_value_is_read_over_both_its_lines() -> None:
    """`Address: 1037 Luoyu Road, Hongshan District,` on its underline, `Wuhan, Hubei 430074,
    China` wrapped to the margin under the label on a second underline. The value's rule is
    the one at the label's line: the second starts under the label (no gap at all) and had
    been taken for it, and the address was read as `1037 Luoyu Road, Hongshan Hubei ...`."""
    words = [
        Word("Address:", 43, 135, 82, 146),
        *_line("1037 Luoyu Road, Hongshan District,", 84, 135, 11.0),
        *_line("Wuhan, Hubei 430074, China", 43, 150, 11.0),
    ]
    first = Rule(84.5, 144.1, 470.0, 144.1, True, 0.5)
    second = Rule(42.6, 158.6, 380.0, 158.6, True, 0.5)
    grid = Grid((first, second), (), 72.0)
    labels = assign_fields(find_labels(words))
    got = locate_values(labels, words, page_size=(595.0, 842.0), grids={0: grid})["address"]
    assert got.how == "underline"
    assert _text_in(got, words, labels) == (
        "1037 Luoyu Road, Hongshan District, Wuhan, Hubei 430074, China"
    )


def test_a_tabbed_value_wrapped_to_the_margin_ending_open_or_a_page_is_the_values() -> None:
    # `Postal address:<tab>Doug McDonell Building, ..., Victoria 3010,` / `Australia`, and the
    # Signature row five blank lines down; and `..., Northgate Science` / `Park, Cambridge
    # ...` as the last print of its page, `Signature:` opening the next: both lines are the
    # value (each had been recorded without its second line)
    from licensebot.reading.cells import value_and_tail

    def ws(text: str, x: float, top: float, page: int = 0) -> list[Word]:
        return line_words(text, x, top, height=12, char=9, space=5, conf=0.95, page=page)

    def address(words: list[Word]) -> str:
        labels, regions = _read(words, {}, (595.0, 842.0))
        return join_words(value_and_tail(regions["address"], words, {}, labels)[0])

    head = [*ws("Title:", 72, 100), *ws("Professor", 200, 100), *ws("Address:", 72, 125)]
    opened = [*head, *ws("Doug McDonell Building, Victoria 3010,", 200, 125)]
    got = address([*opened, *ws("Australia", 72, 143), *ws("Signature:", 72, 240)])
    assert got == "Doug McDonell Building, Victoria 3010, Australia"
    # not open: a line there with no label after it is a note under the form
    closed = [*head, *ws("Doug McDonell Building, Victoria 3010", 200, 125)]
    got = address([*closed, *ws("Australia", 72, 143), *ws("Signature:", 72, 240)])
    assert got == "Doug McDonell Building, Victoria 3010"
    # the page's last print, the form's labels going on overleaf
    overleaf = [*ws("Signature:", 72, 60, page=1), *ws("Date:", 72, 90, page=1)]
    got = address([*closed, *ws("Australia", 72, 143), *overleaf])
    assert got == "Doug McDonell Building, Victoria 3010 Australia"


def test_a_streak_through_a_labels_cell_in_one_row_is_no_column_rule() -> None:
    # a copier's grey streak down the labels' column of a Chinese table is a rule in the tall
    # Signature row alone: it split `签名`'s cell, and the empty piece right of the streak,
    # still in the labels' column, had been the signature's region (no ink: called unsigned)
    cells = (
        GridCell(156, 2538, 702, 2595),  # 邮箱
        GridCell(705, 2538, 2349, 2595),
        GridCell(156, 2598, 702, 2715),  # 单位地址
        GridCell(705, 2598, 2349, 2715),
        GridCell(156, 2718, 465, 3021),  # 签名, left of the streak
        GridCell(468, 2718, 702, 3021),  # ... right of it
        GridCell(705, 2718, 2349, 3021),  # the signature's
        GridCell(156, 3024, 702, 3081),  # 日期
        GridCell(705, 3024, 2349, 3084),
    )
    grid = Grid((), cells, 300.0)

    label = partial(_label, char=48, height=46)

    labels = {
        "work_email": label("work_email", "邮箱", 382, 2543),
        "address": label("address", "单位地址", 331, 2630),
        "signature": label("signature", "签名", 381, 2846),
        "date": label("date", "日期", 387, 3030),
    }
    regions = locate_values(labels, [], page_size=(2550.0, 3301.0), grids={0: grid})
    assert regions["signature"].box == (705, 2718, 2349, 3021)
    # a row with a narrower label cell of its own, its value cell running on past the other
    # rows' column rule, keeps its rule: the value is the cell right of it
    narrow = (*cells[:4], GridCell(156, 2718, 465, 3021), GridCell(468, 2718, 2349, 3021))
    regions = locate_values(
        {k: labels[k] for k in ("work_email", "address", "signature")},
        [],
        page_size=(2550.0, 3301.0),
        grids={0: Grid((), narrow, 300.0)},
    )
    assert regions["signature"].box == (468, 2718, 2349, 3021)


def test_a_labels_hint_takes_no_words_from_the_next_cell() -> None:
    # pass 1 read the row as one line across the column rule it erased: the hint's bracket,
    # closing on the line below (`(dean,` / `professor...)`), took the title's first words
    # from the next cell into the label, and the title was recorded as `Scientist`
    from licensebot.reading.regions import within_cells

    cells = (GridCell(1248, 1180, 1743, 1310), GridCell(1746, 1180, 2229, 1310))
    grid = Grid((), cells, 300.0)
    words = [
        Word("The", 1270, 1208, 1336, 1242, 0.93),
        Word("Title", 1350, 1208, 1430, 1242, 0.97),
        Word("(dean,", 1608, 1208, 1720, 1242, 0.9),
        Word("Principal", 1754, 1208, 1930, 1242, 0.34),
        Word("Research", 1940, 1208, 2100, 1242, 0.97),
        Word("professor...)", 1270, 1260, 1486, 1294, 0.78),
        Word("Scientist", 2110, 1208, 2220, 1242, 0.97),
    ]
    labels = {"signer_title": Label("signer_title", words[:6], 1.0)}
    cut = within_cells(labels, {0: grid})
    assert [w.text for w in cut["signer_title"].words] == [
        "The",
        "Title",
        "(dean,",
        "professor...)",
    ]
    region = locate_values(cut, words, page_size=(2480.0, 3508.0), grids={0: grid})
    assert region["signer_title"].box[0] == 1746
    # a label's own wording is never cut: no bracket, no words taken away
    plain = {"address": Label("address", [words[0], replace(words[3], text="Address")], 1.0)}
    assert within_cells(plain, {0: grid}) == plain


def test_a_stacked_tables_value_under_its_label_is_the_labels_own() -> None:
    # a stacked table (each value under its label in the label's cell) whose small `TITLE`
    # pass 1 missed: the title's cell right of the name's held words and no label, and the
    # title had been read as the name; the table sets its values under its labels, so the
    # name is the one under its own label (its boxes overlapping the label's by a few pixels)
    cells = (
        GridCell(159, 180, 1254, 270),  # Name of the signer / Mía Castaño
        GridCell(1257, 180, 2355, 270),  # TITLE (missed) / Chief Technology Officer
        GridCell(159, 273, 2355, 360),  # Affiliation / ...
        GridCell(159, 363, 1254, 450),  # WORK EMAIL / ...
        GridCell(1257, 363, 2355, 450),  # Date / ...
        GridCell(159, 453, 2355, 540),  # Address / ...
    )

    label = partial(_label, char=20, height=52)

    labels = {
        "signer_name": label("signer_name", "Name of the signer", 170, 178),
        "affiliation": label("affiliation", "Affiliation", 178, 276),
        "work_email": label("work_email", "WORK EMAIL", 170, 366),
        "date": label("date", "Date", 1278, 366),
        "address": label("address", "Address", 178, 456),
    }
    values = [
        Word("Mia", 172, 218, 236, 280, 0.9),
        Word("Castaño", 254, 218, 410, 280, 0.9),
        Word("Chief", 1280, 222, 1380, 262, 0.95),
        Word("Officer", 1400, 222, 1520, 262, 0.95),
        Word("School", 178, 320, 300, 356, 0.95),
        Word("m.c@hust.edu.cn", 178, 420, 500, 448, 0.95),
        Word("2023-10-22", 1278, 420, 1500, 448, 0.95),
        Word("Luoyu", 178, 505, 300, 538, 0.95),
    ]
    grid = Grid((), cells, 300.0)
    regions = locate_values(labels, values, page_size=(2480.0, 3508.0), grids={0: grid})
    name = regions["signer_name"]
    assert name.how == "cell-same" and name.box[0] == 159 and name.box[2] <= 1254


def _four_column_table(top_row: tuple[GridCell, ...]) -> tuple[GridCell, ...]:
    """A four-column table (label | value | label | value) as a worn copy's grid gives it:
    `top_row` the first row's cells, then the affiliation, email and address across, the
    tall Signature | ink | Date | date row, and the members' table's region under it."""
    return (
        *top_row,
        GridCell(159, 279, 690, 375),
        GridCell(693, 279, 2283, 375),
        GridCell(159, 378, 690, 474),
        GridCell(693, 378, 2283, 474),
        GridCell(159, 477, 690, 573),
        GridCell(690, 477, 2283, 573),
        GridCell(159, 576, 687, 858),
        GridCell(690, 576, 1221, 858),
        GridCell(1224, 576, 1752, 858),
        GridCell(1755, 576, 2283, 858),
        GridCell(159, 861, 2286, 957),  # `Name | Registered ID` of the members under it
    )


def _four_column_labels() -> dict[str, Label]:
    label = partial(_label, char=22, height=40)

    return {
        "signer_name": label("signer_name", "Signer's Name", 180, 186),
        "signer_title": label("signer_title", "The Signer's Title", 1244, 186),
        "affiliation": label("affiliation", "Affiliation", 180, 286),
        "work_email": label("work_email", "Work email", 180, 382),
        "address": label("address", "Address", 182, 482),
        "signature": label("signature", "Signature", 182, 582),
        "date": label("date", "Date", 1246, 582),
        "members_id": label("members_id", "Registered ID", 1246, 872),
    }


_FOUR_COLUMN_VALUES = [
    Word("Professor", 1770, 186, 1950, 226, 0.97),
    Word("Department", 700, 286, 900, 326, 0.97),
    Word("m.j@unimelb.edu.au", 700, 382, 1100, 422, 0.95),
    Word("Doug", 700, 482, 800, 522, 0.97),
    Word("19/11/2024", 1770, 582, 1990, 622, 0.97),
]


def test_the_members_header_under_a_table_says_nothing_of_its_column_rules() -> None:
    # a four-column table; the copy lost the rule between the title's label and value, so
    # the title's label cell runs to the table's right side. The members' `Registered ID`
    # under the table, in the date label's column too, stands in a region as wide as the
    # page: with the title's, two cells of the column ending where the date's value does,
    # the date's own column rule had been taken for a streak, its value looked for under
    # its label, and the date reported blank
    top = (
        GridCell(162, 180, 690, 276),
        GridCell(693, 180, 1221, 276),
        GridCell(1224, 180, 2283, 276),  # the title's label and value, one cell
    )
    grid = Grid((), _four_column_table(top), 300.0)
    labels = _four_column_labels()
    regions = locate_values(
        labels, _FOUR_COLUMN_VALUES, page_size=(2480.0, 3508.0), grids={0: grid}
    )
    assert regions["date"].how == "cell-right"
    assert regions["date"].box == (1755, 576, 2283, 858)


def test_in_a_table_of_values_right_of_labels_an_unread_value_is_right_of_its_label() -> None:
    # the same table, the rule between the name's value and the title's label lost instead;
    # the name is in Chinese, which pass 1 read nothing of. Every other value stands right of
    # its label: so does the name, up to the title's label (it had been looked for beside its
    # label in the label's own cell, and reported blank)
    top = (
        GridCell(162, 180, 690, 276),
        GridCell(693, 180, 1752, 276),  # the name's value and the title's label, one cell
        GridCell(1755, 180, 2283, 276),
    )
    grid = Grid((), _four_column_table(top), 300.0)
    labels = _four_column_labels()
    regions = locate_values(
        labels, _FOUR_COLUMN_VALUES, page_size=(2480.0, 3508.0), grids={0: grid}
    )
    name = regions["signer_name"]
    assert name.how == "cell-right"
    assert name.box[0] == 693 and name.box[2] < 1244
    # a table that sets its values beside their labels in the labels' own cells keeps an
    # unread value there
    wide = (
        GridCell(162, 180, 1221, 276),
        GridCell(1224, 180, 2283, 276),
        GridCell(159, 279, 2283, 375),
        GridCell(159, 378, 2283, 474),
        GridCell(159, 477, 2283, 573),
    )
    keep = {k: labels[k] for k in ("signer_name", "signer_title", "affiliation", "work_email")}
    regions = locate_values(
        keep, _FOUR_COLUMN_VALUES[:3], page_size=(2480.0, 3508.0), grids={0: Grid((), wide, 300.0)}
    )
    assert regions["signer_name"].how == "cell-same"


def test_an_unsure_hint_under_a_label_leaves_the_value_to_the_cell_right_of_it() -> None:
    # `Signature` over its Chinese hint `签名`, which the English pass read `#8` at 0.65; the
    # table sets its values right of their labels, so the signature is the next cell's ink,
    # not the hint's cell (it had been measured there: no ink, called unsigned)
    top = (
        GridCell(162, 180, 690, 276),
        GridCell(693, 180, 1221, 276),
        GridCell(1224, 180, 1752, 276),
        GridCell(1755, 180, 2283, 276),
    )
    grid = Grid((), _four_column_table(top), 300.0)
    labels = _four_column_labels()
    hint = Word("#8", 188, 630, 250, 660, 0.65)
    words = [*_FOUR_COLUMN_VALUES, Word("Rachel", 700, 186, 820, 226, 0.97), hint]
    regions = locate_values(labels, words, page_size=(2480.0, 3508.0), grids={0: grid})
    assert regions["signature"].box == (690, 576, 1221, 858)
    # a word read surely there is a note under the label, the label cell's (see
    # test_a_value_under_its_label_ends_at_the_label_cells_rule)
    sure = [*words[:-1], replace(hint, text="Witness", x1=400, conf=0.95)]
    regions = locate_values(labels, sure, page_size=(2480.0, 3508.0), grids={0: grid})
    assert regions["signature"].how == "cell-same"


def test_a_streak_through_the_labels_cells_of_several_rows_is_no_column_rule() -> None:
    # a copier's grey streak down the labels' column splits every row tall enough: the two-line
    # address's and the signature's. The pieces right of it, still in the labels' column, had
    # been the address's region (empty: "left blank", a handwritten form rejected) and the
    # signature's (no ink: "unsigned")
    cells = (
        GridCell(156, 2478, 702, 2535),  # 姓名
        GridCell(705, 2478, 2349, 2535),
        GridCell(156, 2538, 702, 2595),  # 邮箱
        GridCell(705, 2538, 2349, 2595),
        GridCell(156, 2598, 465, 2715),  # 单位地址, left of the streak
        GridCell(468, 2598, 702, 2715),  # ... right of it
        GridCell(705, 2598, 2349, 2715),
        GridCell(156, 2718, 465, 3021),  # 签名, left of the streak
        GridCell(468, 2718, 702, 3021),  # ... right of it
        GridCell(705, 2718, 2349, 3021),
        GridCell(156, 3024, 702, 3081),  # 日期
        GridCell(705, 3024, 2349, 3084),
    )

    label = partial(_label, char=48, height=46)

    labels = {
        "signer_name": label("signer_name", "签署人姓名", 200, 2483),
        "work_email": label("work_email", "工作邮箱", 200, 2543),
        "address": label("address", "单位地址", 180, 2630),
        "signature": label("signature", "签名", 181, 2846),
        "date": label("date", "签署日期", 200, 3030),
    }
    grid = Grid((), cells, 300.0)
    regions = locate_values(labels, [], page_size=(2550.0, 3301.0), grids={0: grid})
    assert regions["address"].box == (705, 2598, 2349, 2715)
    assert regions["signature"].box == (705, 2718, 2349, 3021)


def test_a_value_boxed_up_over_its_labels_foot_is_under_the_label() -> None:
    # a photo's stacked `WORK EMAIL` over its soft value, which pass 1 read only in part
    # (`te-research.org`, boxed up 4 pixels over the label's foot): the value is under the
    # label, the whole width of its cell (it had been looked for beside the label, and the
    # email's first letters cut off)
    cells = (GridCell(336, 1125, 1218, 1206), GridCell(1221, 1125, 2103, 1206))
    labels = {
        "work_email": Label(
            "work_email",
            [Word("WORK", 348, 1120, 436, 1168, 0.74), Word("EMAIL", 456, 1120, 556, 1168, 0.52)],
            1.0,
        ),
        "date": Label("date", [Word("Date", 1240, 1120, 1330, 1168, 0.9)], 1.0),
    }
    words = [Word("te-research.org", 670, 1164, 934, 1210, 0.01)]
    regions = locate_values(
        labels, words, page_size=(2481.0, 3507.0), grids={0: Grid((), cells, 300.0)}
    )
    email = regions["work_email"]
    assert email.how == "cell-same" and email.box[0] == 336 and email.box[1] >= 1160


def test_a_value_under_a_label_starts_at_the_label_where_its_rows_column_rule_is_lost() -> None:
    # a stacked table's first row, the rule between the name's and the title's columns lost on
    # a creased copy: one cell holds both labels and both values. The title under its label
    # had been read from the cell's left rule, the name with it (`Chloé Bérubé Professor`)
    cells = (GridCell(156, 180, 2283, 273), GridCell(156, 276, 2283, 369))

    label = partial(_label, char=18, height=34)

    labels = {
        "signer_name": label("signer_name", "The Signer's Name", 178, 188),
        "signer_title": label("signer_title", "Title / position", 1242, 188),
        "affiliation": label("affiliation", "Affiliation", 178, 284),
    }
    words = [
        Word("Chloé", 178, 228, 300, 268, 0.96),
        Word("Bérubé", 318, 228, 460, 268, 0.96),
        Word("Professor", 1244, 228, 1440, 268, 0.96),
        Word("University", 178, 324, 400, 364, 0.96),
    ]
    regions = locate_values(
        labels, words, page_size=(2482.0, 3509.0), grids={0: Grid((), cells, 300.0)}
    )
    title = regions["signer_title"]
    assert 1200 <= title.box[0] <= 1244
    assert regions["signer_name"].box[2] <= 1244
