"""A form page's rows straightened by its table's rules: a fold bends them, the reader reads
them straight."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from licensebot.reading.straighten import straighten

DPI = 300


def _page(dip: float, half_width: float = 0.25) -> np.ndarray:
    """A four-row table, 5.5 inches wide, whose rules (and a row of print-like marks in each
    row) dip `dip` inches into a V `2 * half_width` inches wide at the fold, 4.5 inches from
    the left edge."""
    img = Image.new("L", (int(8.27 * DPI), int(11.7 * DPI)), 250)
    d = ImageDraw.Draw(img)
    x0, x1, fold, half = 1.0 * DPI, 6.5 * DPI, 4.5 * DPI, half_width * DPI

    def bent(x: float) -> float:
        return dip * DPI * max(0.0, 1 - abs(x - fold) / half)

    xs = np.linspace(x0, x1, 400)
    for r in range(5):
        y = 2 * DPI + r * 0.4 * DPI
        d.line([(x, y + bent(x)) for x in xs], fill=20, width=3)
        if r < 4:  # a line of "letters" in the row, bent alike
            for k in range(60):
                x = x0 + 0.1 * DPI + k * 0.09 * DPI
                top = y + 0.12 * DPI + bent(x)
                d.rectangle([x, top, x + 0.05 * DPI, top + 0.12 * DPI], fill=20)
    for x in (x0, 2.5 * DPI, x1):
        d.line([(x, 2 * DPI), (x, 3.6 * DPI)], fill=20, width=3)
    return np.asarray(img)


def _rule_y(gray: np.ndarray, x: float, near: float) -> float:
    """Where the rule's ink is in column `x`, near `near` (pixels)."""
    col = gray[int(near - 0.12 * DPI) : int(near + 0.12 * DPI), int(x)]
    dark = np.flatnonzero(col < 128)
    return float(np.median(dark)) + near - 0.12 * DPI


@pytest.mark.parametrize(
    ("dip", "half_width"),
    [(0.08, 0.25), (0.2, 0.35)],
    ids=["pressed-flat", "deep"],
)
def test_rows_a_fold_bent_are_straight_again(dip: float, half_width: float) -> None:
    page = _page(dip, half_width)
    assert _rule_y(page, 4.5 * DPI, (2.0 + dip) * DPI) - _rule_y(page, 3 * DPI, 2.0 * DPI) > 20
    out, bend = straighten(page, DPI)
    assert 0.6 * dip < bend < 1.2 * dip
    for r in range(5):
        y = 2 * DPI + r * 0.4 * DPI
        assert abs(_rule_y(out, 4.5 * DPI, y) - _rule_y(out, 3 * DPI, y)) <= 3
    # the print in the rows moved with them: the marks at the fold stand level with the rest
    marks = [int(1.1 * DPI + k * 0.09 * DPI + 0.02 * DPI) for k in (20, 38)]  # 3.0, 4.6 in
    tops = [int(np.flatnonzero(out[int(2.45 * DPI) : int(2.75 * DPI), x] < 128)[0]) for x in marks]
    assert abs(tops[0] - tops[1]) <= 3


def test_a_page_with_straight_rules_is_left_as_it_is() -> None:
    page = _page(0.0)
    out, bend = straighten(page, DPI)
    assert bend == 0.0
    assert out is page
