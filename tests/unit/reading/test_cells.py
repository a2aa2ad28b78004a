"""`cells.scan_cells`: which fields a page image leaves blank, and which it reads."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from licensebot.reading.blank_form import find_font
from licensebot.reading.cells import around, clear_of, scan_cells
from licensebot.reading.grid import Cell as GridCell
from licensebot.reading.grid import grid_from_image
from licensebot.reading.layout import Label, Word
from licensebot.reading.regions import ValueRegion, locate_values

DPI = 300


def _page(written: bool) -> tuple[Image.Image, dict[str, Label]]:
    """A row of two cells: `Name` at the top of the first, the second empty; a name written
    under the label in the first cell when `written` (a stacked table read as a grid)."""
    img = Image.new("L", (2400, 900), 250)
    d = ImageDraw.Draw(img)
    for y in (300, 560):
        d.line([(200, y), (2200, y)], fill=30, width=3)
    for x in (200, 1300, 2200):
        d.line([(x, 300), (x, 560)], fill=30, width=3)
    d.text(
        (230, 320), "Name", font=ImageFont.truetype(str(find_font("DejaVuSans.ttf")), 38), fill=30
    )
    if written:
        hand = ImageFont.truetype(str(find_font("dkg.ttf")), 70)
        d.text((260, 470), "Helen Baker", font=hand, fill=40, anchor="ls")
    label = Label("signer_name", [Word("Name", 230, 322, 330, 360, 0.96)], 1.0)
    return img, {"signer_name": label}


def _scan(written: bool) -> bool:
    img, labels = _page(written)
    grids = {0: grid_from_image(img, DPI)}
    regions = locate_values(labels, [], page_size=(2400.0, 900.0), grids=grids)
    assert regions["signer_name"].how == "cell-right"  # no words under the label were read
    fields, _ = scan_cells(labels, regions, [], img, grids)
    return fields["signer_name"].blank


def test_an_empty_cell_right_of_the_label_is_blank() -> None:
    assert _scan(written=False) is True


def test_it_is_not_blank_when_ink_stands_under_the_label_in_its_own_cell() -> None:
    # the applicant filled it in; the reader could not read it: a person looks, the
    # applicant is never told to fill in what they filled in
    assert _scan(written=True) is False


def test_a_sliver_of_a_region_no_line_fits_in_is_never_blank() -> None:
    # the region squeezed to 4 px between a label's line and the next row's (a label read in
    # the wrong row): it holds no ink, and says nothing of the value
    img, labels = _page(written=False)
    sliver = ValueRegion("signer_name", 0, (230.0, 360.0, 1290.0, 364.0), "cell-same", None)
    fields, cells = scan_cells(labels, {"signer_name": sliver}, [], img, {})
    assert fields["signer_name"].blank is False
    assert fields["signer_name"].value is None
    assert not cells


def _w(text: str, x0: float, top: float, x1: float, bottom: float) -> Word:
    return Word(text, x0, top, x1, bottom, 0.95)


def test_a_crop_is_kept_off_the_lines_just_above_and_below_its_value() -> None:
    # a stacked table: the label 6 px above the value, the next label 10 px below it, no rule
    value = [_w("College", 238, 1340, 400, 1382), _w("University", 1470, 1340, 1686, 1382)]
    label = _w("Affiliation", 238, 1300, 418, 1334)
    below = _w("Work", 238, 1392, 320, 1420)
    beside = _w("Title", 1300, 1338, 1400, 1380)  # on the value's own line: no other line
    box = clear_of((216, 1315, 2223, 1407), value, [label, *value, below, beside])
    assert box == (216, 1335, 2223, 1391)
    # the value's own letters are never cut, whatever a speck's box says
    speck = _w("8A", 500, 1330, 540, 1390)
    assert clear_of((216, 1315, 2223, 1407), value, [*value, speck]) == (216, 1315, 2223, 1407)
    # nor is anything beyond the crop's sides
    far = _w("Date", 2300, 1300, 2400, 1334)
    assert clear_of((216, 1315, 2223, 1407), value, [*value, far]) == (216, 1315, 2223, 1407)


def test_a_crop_never_cuts_across_the_tops_of_its_values_letters() -> None:
    # a thin Date cell: `21/08/2024` printed 7 px under the cell's top rule
    cell = GridCell(747.0, 873.0, 2157.0, 924.0)
    region = ValueRegion("date", 0, (747.0, 873.0, 2157.0, 924.0), "cell-right", 1, cell=cell)
    value = [_w("21/08/2024", 772, 880, 1018, 918)]
    _, top, _, bottom = around(value, region)
    assert top < 880 and bottom >= 918
    # and off the rule where the print leaves room: a quarter of a line under the cell's top
    roomy = [_w("21/08/2024", 772, 900, 1018, 918)]
    assert around(roomy, region)[1] >= 873 + 0.25 * 18 - 0.01


def test_an_empty_place_outside_the_table_that_holds_the_other_values_is_never_blank() -> None:
    # the Name label read above the table (a copier's streak in the labels' column read as
    # part of it): its region, empty, lies in no cell, while the other values have theirs
    img, labels = _page(written=False)
    grids = {0: grid_from_image(img, DPI)}
    cell = grids[0].cell_containing((1400.0, 320.0, 1500.0, 360.0))
    assert cell is not None
    above = ValueRegion("signer_name", 0, (330.0, 150.0, 2200.0, 290.0), "right", None)
    regions = {
        "signer_name": above,
        **{
            k: ValueRegion(
                k, 0, (cell.x0, cell.top, cell.x1, cell.bottom), "cell-right", 1, cell=cell
            )
            for k in ("affiliation", "work_email")
        },
    }
    fields, _ = scan_cells(labels, regions, [], img, grids)
    assert fields["signer_name"].blank is False and fields["signer_name"].value is None
    # the same empty place on a page whose values no table holds is a value left blank
    fields, _ = scan_cells(labels, {"signer_name": above}, [], img, grids)
    assert fields["signer_name"].blank is True


def test_a_text_layers_marks_set_as_words_of_their_own_are_the_values() -> None:
    """A word processor's PDF holds `s.kjr@tum` `.` `de` and `21` `,` `80333`: the marks are
    the value's (dropped as filler, the email read `s.kjr@tum de`, unread), while a lone
    mark standing apart (a leader's dot) is still no word of it."""
    from licensebot.reading.cells import value_and_tail

    words = [
        Word("E-mail:", 72, 142, 105, 150),
        Word("s.kjr@tum", 107, 142, 155, 150),
        Word(".", 155, 148, 157, 150),
        Word("de", 157, 142, 168, 150),
        Word(".", 300, 148, 302, 150),
    ]
    label = Label("work_email", words[:1], 1.0)
    region = ValueRegion("work_email", 0, (106, 131, 400, 153), "right", 1)
    got, _ = value_and_tail(region, words, {}, {"work_email": label})
    assert [w.text for w in got] == ["s.kjr@tum", ".", "de"]
