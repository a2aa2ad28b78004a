"""A scanned page's image made flat and upright before it is read.

The geometry stage of a scanned page, between rendering (`document`) and pass 1
(`labels_pass`), done by `geometry.flatten_page`: a phone photo has its page found on the
desk, warped flat and lit evenly; any page is turned upright (a quarter turn by its lines of
print, confirmed by Tesseract's orientation detection, `lines_across`; a half turn by its
ascenders or the text direction classifier) and deskewed. `upright`
gives the form page's `FlatPage`; `turns` the orientations pass 1 tries, in order, until it
finds the form's labels: the page as flattened, then a half turn more only when the half-turn
call was unsure; `other_turns` when no orientation tried read as text at all.
`upright_body` is the same for the other pages, read only for the version text.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np
from PIL import Image

from licensebot.reading.geometry import FlatPage, flatten_page
from licensebot.reading.ocr import BODY, MAIN, OcrError, script_orientation

#: Below this confidence in the 0-or-180 call, pass 1 also tries the page on its head.
UNSURE_UPRIGHT = 0.6


def upright(raw: Image.Image, dpi: float) -> FlatPage:
    """The form page found, flattened, evenly lit, upright and deskewed (grayscale)."""
    return flatten_page(
        raw, dpi=dpi, across=partial(lines_across, dpi=dpi, lane=MAIN), straight=True
    )


def turns(page: FlatPage) -> Iterator[Image.Image]:
    """The orientations to read the page in, most likely first; lazily."""
    yield page.image
    if page.upright_conf < UNSURE_UPRIGHT:
        yield page.image.rotate(180)


def other_turns(page: FlatPage) -> Iterator[Image.Image]:
    """The orientations `turns` did not offer, for a page whose lines none of those read as
    text: the half turn when the half-turn call was sure (a page holding one line of print,
    `Signature: ... Date: ...` overleaf, gives it too little to go on, and it turned the line
    on its head), then a quarter turn either way (the quarter-turn call went wrong); lazily."""
    if page.upright_conf >= UNSURE_UPRIGHT:
        yield page.image.rotate(180)
    yield page.image.rotate(90, expand=True)
    yield page.image.rotate(270, expand=True)


def upright_body(raw: Image.Image, dpi: float) -> Image.Image:
    """Another page of the document, for its text alone: flattened and upright as the form
    page is (a photo's desk cropped away, its light evened)."""
    return flatten_page(raw, dpi=dpi, across=partial(lines_across, dpi=dpi, lane=BODY)).image


#: Tesseract's orientation detection settles a quarter turn when at least this sure.
OSD_SURE = 2.0
#: ... read at this resolution (its model judges letters' shapes: 150 dpi is plenty).
OSD_DPI = 150


def lines_across(gray: np.ndarray, *, dpi: float, lane: str) -> bool | None:
    """A second opinion, by the shapes of the letters, where the print's profiles say a page
    lies a quarter turn off: True when Tesseract's orientation detection is sure the lines
    run across (the page upright or on its head), False when sure they run down, None when it
    cannot tell. Profiles count ink along rows, whatever made it: a worn copier's streaks of
    grain down a sparse form page outweighed the print across it, and the page was read
    sideways, every label lost."""
    k = max(1, round(dpi / OSD_DPI))
    img = Image.fromarray(gray)
    if k > 1:
        img = img.reduce(k)
    try:
        found = script_orientation(img, lane=lane)
    except OcrError:
        return None  # no osd model: the profiles decide alone
    if found is None or found[1] < OSD_SURE:
        return None
    return found[0] in (0, 180)
