"""Table rules and cells found from a page image (any dpi, skewed, noisy, broken rules) and from
a born-digital page's drawing: the cells a reader would look into."""

import numpy as np
import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4, LETTER

from licensebot.reading.grid import (
    Rule,
    build_grid,
    grid_from_image,
    grid_from_pdf_page,
    rules_from_image,
)
from tests.unit.reading.synthetic import (
    draw_four_columns,
    draw_two_columns,
    draw_underlines,
    render,
    scan_like,
)


def _pdf_grid(pdf: bytes):  # type: ignore[no-untyped-def]
    doc = pdfium.PdfDocument(pdf)
    try:
        return grid_from_pdf_page(doc[0])
    finally:
        doc.close()


def _table_image(dpi: int, *, verticals: bool = True, gaps: bool = False) -> Image.Image:
    """A 3-row, 2-column table (1.5 + 4 inches wide, rows of 0.4 inch) on a blank page."""
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    d = ImageDraw.Draw(img)
    x0, x1, xm, y0 = dpi, 6.5 * dpi, 2.5 * dpi, 2 * dpi
    width = max(1, dpi // 100)
    for r in range(4):
        y = y0 + r * 0.4 * dpi
        d.line([(x0, y), (x1, y)], fill=0, width=width)
    if verticals:
        for x in (x0, xm, x1):
            d.line([(x, y0), (x, y0 + 1.2 * dpi)], fill=0, width=width)
    if gaps:  # a copier's dropouts: short breaks in every rule
        for k in range(12):
            x = x0 + (k + 0.5) * (x1 - x0) / 12
            d.rectangle([x, y0 - 3, x + dpi * 0.03, y0 + 1.2 * dpi + 3], fill=255)
    return img


@pytest.mark.parametrize("dpi", [100, 200, 300])
def test_a_ruled_table_gives_its_cells_at_any_dpi(dpi: int) -> None:
    grid = grid_from_image(_table_image(dpi), dpi)
    assert len(grid.horizontals) == 4 and len(grid.verticals) == 3
    assert len(grid.cells) == 6
    label = grid.cell_containing((1.2 * dpi, 2.1 * dpi, 1.6 * dpi, 2.25 * dpi))
    assert label is not None
    value = grid.right_of(label)
    assert value is not None and value.x0 == pytest.approx(2.5 * dpi, abs=0.05 * dpi)
    assert value.x1 == pytest.approx(6.5 * dpi, abs=0.05 * dpi)
    under = grid.below(label)
    assert under is not None and under.top == pytest.approx(2.4 * dpi, abs=0.05 * dpi)
    assert grid.right_of(value) is None


def test_broken_rules_still_close_their_cells() -> None:
    grid = grid_from_image(_table_image(200, gaps=True), 200)
    assert len(grid.horizontals) == 4 and len(grid.cells) == 6


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_thin_row_of_one_merged_cell_is_not_split_by_the_column_rule_above(dpi: int) -> None:
    # a Chinese office form: Name | value | Title | value, then a thin Affiliation row whose
    # value cell spans the three columns; the Title column's rule ends at the row rule
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    d = ImageDraw.Draw(img)
    w = max(1, dpi // 100)
    x0, x1, ya, yb, yc = dpi, 7 * dpi, 2 * dpi, 2.35 * dpi, 2.52 * dpi  # a 0.17 inch row
    for y in (ya, yb, yc):
        d.line([(x0, y), (x1, y)], fill=0, width=w)
    for x in (x0, 2 * dpi, x1):
        d.line([(x, ya), (x, yc)], fill=0, width=w)
    for x in (3.5 * dpi, 4.5 * dpi):
        d.line([(x, ya), (x, yb + 1)], fill=0, width=w)  # a hair past the row rule
    grid = grid_from_image(img, dpi)
    label = grid.cell_containing((1.2 * dpi, 2.4 * dpi, 1.6 * dpi, 2.48 * dpi))
    assert label is not None
    value = grid.right_of(label)
    assert value is not None and value.x1 == pytest.approx(7 * dpi, abs=0.05 * dpi)


def test_a_table_of_horizontal_rules_only_has_one_cell_per_row() -> None:
    grid = grid_from_image(_table_image(200, verticals=False), 200)
    assert not grid.verticals
    assert len(grid.cells) == 3
    assert all(c.width == pytest.approx(5.5 * 200, abs=10) for c in grid.cells)


def test_text_alone_makes_no_rules() -> None:
    img = Image.new("L", (1654, 2339), 255)
    d = ImageDraw.Draw(img)
    for k in range(40):
        d.text((150, 150 + 40 * k), "Lorem ipsum dolor sit amet, TTTT llll IIII ---- " * 2, fill=0)
    assert grid_from_image(img, 200).rules == ()


@pytest.mark.parametrize("angle", [-2.0, 1.2])
def test_a_skewed_noisy_scan_of_a_four_column_table(angle: float) -> None:
    dpi = 200
    grid = grid_from_image(scan_like(render(draw_four_columns(), dpi), angle), dpi)
    # 5 rows: 4 cells, 2 (a value across 3 columns), 2, 2, 4
    assert len(grid.cells) == 14
    assert len(grid.horizontals) == 6


@pytest.mark.parametrize("size", [A4, LETTER], ids=["A4", "Letter"])
def test_vector_rules_of_a_born_digital_page(size: tuple[float, float]) -> None:
    grid = _pdf_grid(draw_four_columns(size=size))
    assert len(grid.cells) == 14
    assert grid.per_inch == 72.0
    image_grid = grid_from_image(render(draw_four_columns(size=size), 144), 144).scaled(0.5)
    for a, b in zip(grid.cells, image_grid.cells, strict=True):
        assert np.allclose(a.box, b.box, atol=2.5)  # points: the same cells either way


def test_two_columns_a4() -> None:
    grid = _pdf_grid(draw_two_columns())
    assert len(grid.cells) == 14


def test_underlines_are_found_after_their_label() -> None:
    grid = _pdf_grid(draw_underlines())
    # `Name:` at x 60, cap line at y 120, 10 pt: its box about (60, 120, 90, 130)
    line = grid.underline_after((60.0, 119.0, 89.0, 130.0), 10.0)
    assert line is not None and line.horizontal and line.x0 > 89
    assert grid.underline_after((60.0, 300.0, 89.0, 311.0), 10.0) is None


def test_collinear_pieces_merge_and_crumbs_are_dropped() -> None:
    pieces = [
        Rule(0, 100, 50, 100, True),
        Rule(53, 100.5, 200, 100.5, True),
        Rule(0, 300, 5, 300, True),
    ]
    grid = build_grid(pieces, 72.0, (612.0, 792.0))
    assert len(grid.rules) == 1
    assert grid.rules[0].x0 == 0 and grid.rules[0].x1 == 200


def _assert_the_band_is_no_rule(dpi: int, x: int, width: int, level: int) -> None:
    """A grey band `width` pixels wide at `x`, no darker than `level`, down `_table_image`'s
    label column: still three column rules, and the label's value cell starts at the table's
    own rule, not at the band."""
    a = np.asarray(_table_image(dpi), dtype=np.uint8).copy()
    a[:, x : x + width] = np.minimum(a[:, x : x + width], level)
    grid = grid_from_image(Image.fromarray(a), dpi)
    assert len(grid.verticals) == 3
    label = grid.cell_containing((1.2 * dpi, 2.1 * dpi, 1.4 * dpi, 2.25 * dpi))
    assert label is not None
    value = grid.right_of(label)
    assert value is not None and value.x0 == pytest.approx(2.5 * dpi, abs=0.05 * dpi)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_grey_band_down_the_page_is_no_column_rule(dpi: int) -> None:
    # a copier's roller mark: a light band across the table's label column; its edges are
    # steps of grey, not lines, and a cell "right of the label" must not start at one
    _assert_the_band_is_no_rule(dpi, int(1.6 * dpi), int(0.15 * dpi), 215)


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_narrow_light_band_down_the_page_is_no_column_rule(dpi: int) -> None:
    # a worn copier's roller mark a millimetre wide and some 30 darker than the paper: both its
    # sides are paper, so it is darker than either side, as a rule is; but a rule that thick
    # is printed dark. Taken for a rule, it made a Signature cell of the label's own
    # cell right of the label: empty, "not signed"
    _assert_the_band_is_no_rule(dpi, int(1.7 * dpi), max(3, round(0.04 * dpi)), 222)
    # a light grey rule of a table style, thin, is still a rule
    img = _table_image(dpi)
    ImageDraw.Draw(img).line([(1.7 * dpi, 2 * dpi), (1.7 * dpi, 3.2 * dpi)], fill=190, width=2)
    assert len(grid_from_image(img, dpi).verticals) == 4


def test_an_underline_with_its_value_written_on_it_is_a_rule() -> None:
    # the value's letters sit on the line over most of its length: one of its sides is ink
    # there, but not all along (a grey band's edge is dark on one side everywhere)
    dpi = 300
    img = Image.new("L", (int(8.27 * dpi), int(3 * dpi)), 250)
    d = ImageDraw.Draw(img)
    y = int(1.5 * dpi)
    d.line([(dpi, y), (6 * dpi, y)], fill=40, width=3)
    for k in range(40):  # letters standing on the line, with a letter's gap between them
        x = dpi + 20 + k * 0.12 * dpi
        d.rectangle([x, y - 40, x + 0.07 * dpi, y - 2], fill=40)
    rules = [r for r in rules_from_image(img, dpi) if r.horizontal and r.length > 3 * dpi]
    assert rules and abs(rules[0].y0 - y) < 4


def _folded_table(dpi: int, fold_x: float, dip: float, half_width: float = 0.17) -> Image.Image:
    """`_table_image`'s table with every row rule bent into a V at `fold_x` (inches), `dip`
    inches deep over a third of an inch: a page folded down the middle, pressed on the glass."""
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    d = ImageDraw.Draw(img)
    x0, x1, xm, y0 = dpi, 6.5 * dpi, 2.5 * dpi, 2 * dpi
    width = max(1, dpi // 100)
    half = half_width * dpi
    for r in range(4):
        y = y0 + r * 0.4 * dpi
        bend = [(fold_x * dpi - half, y), (fold_x * dpi, y + dip * dpi), (fold_x * dpi + half, y)]
        d.line([(x0, y), *bend, (x1, y)], fill=0, width=width)
    for x in (x0, xm, x1):
        d.line([(x, y0), (x, y0 + 1.2 * dpi)], fill=0, width=width)
    return img


@pytest.mark.parametrize("dpi", [200, 300])
@pytest.mark.parametrize(("dip", "half_width"), [(0.06, 0.17), (0.2, 0.35)])
def test_a_row_rule_bent_by_a_fold_is_one_rule_and_its_cells_cross_the_fold(
    dpi: int, dip: float, half_width: float
) -> None:
    # the straight kernels lose each rule where the fold bends it; the cells right of the
    # labels must still run to the table's right side, not end at the fold
    grid = grid_from_image(_folded_table(dpi, 4.5, dip, half_width), dpi)
    assert len(grid.horizontals) == 4
    label = grid.cell_containing((1.2 * dpi, 2.1 * dpi, 1.6 * dpi, 2.25 * dpi))
    assert label is not None
    value = grid.right_of(label)
    assert value is not None and value.x1 == pytest.approx(6.5 * dpi, abs=0.05 * dpi)


def _two_underlines(
    dpi: int, first: tuple[float, float], second: tuple[float, float]
) -> tuple[Image.Image, int]:
    """A strip of page with two underlines on one line (their ends in inches), and the line's
    row."""
    img = Image.new("L", (int(8.27 * dpi), int(3 * dpi)), 255)
    d = ImageDraw.Draw(img)
    y = int(1.5 * dpi)
    for a, b in (first, second):
        d.line([(a * dpi, y), (b * dpi, y)], fill=0, width=3)
    return img, y


def test_two_underlines_with_a_label_between_them_stay_two() -> None:
    # `Signature: ________ Date: ________` on one line: letters between the lines are no
    # stroke a bent rule would make
    dpi = 300
    img, y = _two_underlines(dpi, (1.0, 3.0), (3.4, 6.0))
    d = ImageDraw.Draw(img)
    for k in range(4):  # `Date:` standing on the line between them, its letters apart
        x = 3.05 * dpi + k * 0.08 * dpi
        d.rectangle([x, y - 40, x + 0.05 * dpi, y - 1], fill=0)
    rules = [r for r in rules_from_image(img, dpi) if r.horizontal and r.length > dpi]
    grid = build_grid(rules, dpi, (float(img.width), float(img.height)))
    assert len([r for r in grid.horizontals if r.length > dpi]) == 2


def _worn_table(dpi: int) -> Image.Image:
    """`_table_image`'s table (4 rows here) copied on a worn drum: each rule lost stretches
    of up to 1.2 inches (blank paper between its pieces), and the table's right side is gone
    beside the first row."""
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    d = ImageDraw.Draw(img)
    x0, x1, xm, y0 = dpi, 6.5 * dpi, 2.5 * dpi, 2 * dpi
    width = max(1, dpi // 100)
    lost = [(1.4, 2.2), (3.0, 4.2), (4.4, 5.0), (5.9, 6.5)]  # inches along each rule
    for r in range(5):
        y = y0 + r * 0.4 * dpi
        d.line([(x0, y), (x1, y)], fill=0, width=width)
        a, b = lost[r % len(lost)]
        d.rectangle([a * dpi, y - 4, b * dpi, y + 4], fill=255)
    for x in (x0, xm, x1):
        d.line([(x, y0), (x, y0 + 1.6 * dpi)], fill=0, width=width)
    d.rectangle([x1 - 4, y0 - 4, x1 + 4, y0 + 0.45 * dpi], fill=255)
    return img


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_worn_tables_rules_are_mended_and_every_row_is_its_own_cell(dpi: int) -> None:
    grid = grid_from_image(_worn_table(dpi), dpi)
    assert len(grid.cells) == 8
    for r in range(4):
        top = 2 * dpi + r * 0.4 * dpi
        label = grid.cell_containing((1.2 * dpi, top + 0.1 * dpi, 1.6 * dpi, top + 0.25 * dpi))
        assert label is not None, r
        value = grid.right_of(label)
        assert value is not None, r
        assert value.x1 == pytest.approx(6.5 * dpi, abs=0.05 * dpi)
        assert value.top == pytest.approx(top, abs=0.05 * dpi)
        assert value.bottom == pytest.approx(top + 0.4 * dpi, abs=0.05 * dpi)


def test_underlines_on_one_line_outside_a_table_stay_apart() -> None:
    # `Name ________    Title ________`: no table around them, blank paper between
    dpi = 300
    img, _ = _two_underlines(dpi, (1.0, 3.0), (4.2, 6.5))
    grid = grid_from_image(img, dpi)
    assert sorted(round(r.length / dpi, 1) for r in grid.horizontals) == [2.0, 2.3]


def test_a_cell_merged_across_two_rows_is_not_split_by_the_rules_either_side() -> None:
    # three columns; the middle one's cell spans both rows: the rule between the rows stops at
    # the column rules either side of it, and the two pieces are not one rule
    dpi = 300
    img = Image.new("L", (int(8.27 * dpi), int(6 * dpi)), 255)
    d = ImageDraw.Draw(img)
    xs, y0 = (1.0 * dpi, 2.5 * dpi, 4.5 * dpi, 6.5 * dpi), 2 * dpi
    for y in (y0, y0 + 0.8 * dpi):
        d.line([(xs[0], y), (xs[3], y)], fill=0, width=3)
    d.line([(xs[0], y0 + 0.4 * dpi), (xs[1], y0 + 0.4 * dpi)], fill=0, width=3)
    d.line([(xs[2], y0 + 0.4 * dpi), (xs[3], y0 + 0.4 * dpi)], fill=0, width=3)
    for x in xs:
        d.line([(x, y0), (x, y0 + 0.8 * dpi)], fill=0, width=3)
    grid = grid_from_image(img, dpi)
    assert len(grid.cells) == 5
    merged = grid.cell_containing((3.0 * dpi, 2.1 * dpi, 3.5 * dpi, 2.7 * dpi))
    assert merged is not None and merged.height == pytest.approx(0.8 * dpi, abs=0.05 * dpi)


def _worn_stacked_table(dpi: int) -> Image.Image:
    """A stacked form's table on a worn copy (as a creased, worn copier leaves one): two
    columns in the first and third rows, one cell across the table in the others, the last
    row tall (the Signature's). No row rule is left whole: each lost half an inch or more
    left of the column rule, so no piece reaches from one side of the table to the other; the
    column rule is left only beside its two rows (a third of an inch each, too short to be a
    side), and the left side stops short of the last rule."""
    img = Image.new("L", (int(8.27 * dpi), int(11.7 * dpi)), 255)
    d = ImageDraw.Draw(img)
    x0, xm, x1 = 1.0 * dpi, 4.0 * dpi, 7.0 * dpi
    rows = [2.0, 2.35, 2.7, 3.05, 3.4, 4.4]
    lost = [(3.3, 3.85)] * 5 + [(2.5, 3.2)]
    width = max(1, dpi // 100)
    for y, (a, b) in zip(rows, lost, strict=True):
        d.line([(x0, y * dpi), (a * dpi, y * dpi)], fill=0, width=width)
        d.line([(b * dpi, y * dpi), (x1, y * dpi)], fill=0, width=width)
    d.line([(x0, rows[0] * dpi), (x0, 4.0 * dpi)], fill=0, width=width)
    d.line([(x1, rows[0] * dpi), (x1, rows[-1] * dpi)], fill=0, width=width)
    for top, bottom in ((rows[0], rows[1]), (rows[2], rows[3])):
        d.line([(xm, top * dpi), (xm, bottom * dpi)], fill=0, width=width)
    return img


@pytest.mark.parametrize("dpi", [200, 300])
def test_a_worn_table_whose_rules_are_all_broken_is_still_one_table(dpi: int) -> None:
    # the pieces of each row rule lie on one line: they hold the table's two sides together,
    # and every row is mended into its own cells (the affiliation's across the table)
    grid = grid_from_image(_worn_stacked_table(dpi), dpi)
    name = grid.cell_containing((1.2 * dpi, 2.1 * dpi, 1.6 * dpi, 2.25 * dpi))
    assert name is not None
    assert name.box == pytest.approx((1.0 * dpi, 2.0 * dpi, 4.0 * dpi, 2.35 * dpi), abs=0.05 * dpi)
    title = grid.right_of(name)
    assert title is not None and title.x1 == pytest.approx(7.0 * dpi, abs=0.05 * dpi)
    across = grid.below(name)
    assert across is not None
    assert across.box == pytest.approx(
        (1.0 * dpi, 2.35 * dpi, 7.0 * dpi, 2.7 * dpi), abs=0.05 * dpi
    )
    signature = grid.cell_containing((1.2 * dpi, 3.5 * dpi, 1.6 * dpi, 3.7 * dpi))
    assert signature is not None
    assert signature.box == pytest.approx(
        (1.0 * dpi, 3.4 * dpi, 7.0 * dpi, 4.4 * dpi), abs=0.05 * dpi
    )
