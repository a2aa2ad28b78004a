"""A page's lines of print levelled where a fold down the page bent them: the reader reads a
letter folded for its envelope as it reads a flat one."""

from collections.abc import Callable

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from licensebot.reading.unbend import unbend

DPI = 100


def _page(shift: Callable[[float], float]) -> np.ndarray:
    """An A4 page of 40 lines of "words" (blocks of print's height, an ascender here and
    there), each column moved `shift(x)` pixels down, as a fold down the page moves it."""
    w, h = int(8.27 * DPI), int(11.7 * DPI)
    img = Image.new("L", (w, h), 245)
    d = ImageDraw.Draw(img)
    rng = np.random.default_rng(7)
    for line in range(40):
        top = int(1.0 * DPI + line * 0.22 * DPI)
        x = int(0.8 * DPI)
        while x < w - 0.9 * DPI:
            word = int(rng.integers(15, 60))
            d.rectangle([x, top, x + word, top + 8], fill=30)
            for _ in range(int(rng.integers(0, 3))):  # ascenders
                a = x + int(rng.integers(0, word))
                d.rectangle([a, top - 4, a + 2, top], fill=30)
            x += word + int(rng.integers(5, 9))
    flat = np.asarray(img)
    xs = np.arange(w, dtype=np.float32)
    map_x, map_y = np.meshgrid(xs, np.arange(h, dtype=np.float32))
    map_y -= np.asarray([shift(float(x)) for x in xs], dtype=np.float32)
    return np.asarray(cv2.remap(flat, map_x, map_y, cv2.INTER_LINEAR, borderValue=245))


def _fold(at: float, half: float, dip: float) -> Callable[[float], float]:
    """A V `2 * half` inches wide at `at` inches, `dip` inches deep (augraphy's `Folding`)."""
    return lambda x: dip * DPI * max(0.0, 1 - abs(x - at * DPI) / (half * DPI))


def _line_top(page: np.ndarray, x: float, near: float) -> float:
    """Where the line of print near row `near` is in the columns around `x`: the middle of the
    rows mostly inked there (the blocks, not an ascender)."""
    band = page[int(near - 0.08 * DPI) : int(near + 0.16 * DPI), int(x) - 12 : int(x) + 13] < 128
    rows = np.flatnonzero(band.sum(axis=1) >= 0.4 * band.shape[1])
    return float(np.median(rows)) + near - 0.08 * DPI


@pytest.mark.parametrize(
    "folds",
    [
        [(3.0, 0.4, 0.15)],  # one fold down a page pressed not quite flat
        [(2.8, 0.5, 0.2), (5.5, 0.4, 0.12)],  # folded in three, deep
    ],
    ids=["one-fold", "folded-in-three"],
)
def test_print_a_fold_bent_stands_level_again(folds: list[tuple[float, float, float]]) -> None:
    bends = [_fold(*f) for f in folds]
    page = _page(lambda x: sum(b(x) for b in bends))
    at, _, dip = folds[0]
    line = 1.0 * DPI + 20 * 0.22 * DPI
    assert _line_top(page, at * DPI, line + dip * DPI) - _line_top(page, 1.2 * DPI, line) > 10
    out, bend = unbend(page, DPI)
    assert 0.7 * dip < bend < 1.3 * max(f[2] for f in folds)
    for k in (5, 20, 35):  # lines near the top, the middle and the foot
        y = 1.0 * DPI + k * 0.22 * DPI
        tops = [_line_top(out, x * DPI, y) for x in (1.2, at, 4.2, 6.8)]
        assert max(tops) - min(tops) <= 2, (k, tops)


def test_a_level_page_is_left_as_it_is() -> None:
    page = _page(lambda x: 0.0)
    out, bend = unbend(page, DPI)
    assert bend == 0.0
    assert out is page


def test_a_skewed_page_is_left_to_the_deskew() -> None:
    page = _page(lambda x: 0.02 * x)  # a slope, no bend: 0.15 inches over the page
    out, bend = unbend(page, DPI)
    assert bend == 0.0
    assert out is page


def test_a_page_without_print_is_left_as_it_is() -> None:
    page = np.full((int(11.7 * DPI), int(8.27 * DPI)), 245, dtype=np.uint8)
    out, bend = unbend(page, DPI)
    assert bend == 0.0 and out is page


def test_a_box_with_a_word_in_it_is_no_page_of_print_to_level() -> None:
    # a signature row a page break carried overleaf: a box and its label, its rules bent by a
    # fold; two rules are no lines of print to measure a fold by, and nothing is moved
    w, h = int(8.27 * DPI), int(11.7 * DPI)
    img = Image.new("L", (w, h), 245)
    d = ImageDraw.Draw(img)
    bend = _fold(5.0, 0.4, 0.15)
    for y in (1.0 * DPI, 2.0 * DPI):
        d.line([(x, y + bend(x)) for x in range(int(0.8 * DPI), int(7.4 * DPI))], fill=30, width=2)
    d.rectangle([int(0.9 * DPI), int(1.1 * DPI), int(1.9 * DPI), int(1.2 * DPI)], fill=30)
    page = np.asarray(img)
    out, bend_found = unbend(page, DPI)
    assert bend_found == 0.0 and out is page


def test_a_page_lying_a_quarter_turn_off_is_left_to_its_turns() -> None:
    # its lines run down: what strips across it measure is no fold, and its quarter turns are
    # read from these pixels later
    page = np.ascontiguousarray(np.rot90(_page(_fold(3.0, 0.4, 0.15))))
    out, bend = unbend(page, DPI)
    assert bend == 0.0 and out is page
