"""The LA's list of subjects whose images may not be published, read by the second engine.

Tesseract loses a number of the list now and then on a soft photo (`110, 115` read `15`),
and a number with nothing in its place is what an older, shorter list looks like: the version
stays unsure. RapidOCR, another engine with other habits, reads the list's lines one at a
time; a number printed there is one it reads as well, while a number an older list lacks is
in no reading (`version.match_version`, `also`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from statistics import median

import numpy as np
from PIL import Image

from licensebot.reading.layout import Word
from licensebot.reading.rapid import RapidError, line_bands, read_line

#: A word of the subject list: its `sub.` marker, or one of its three-digit numbers.
_LIST_WORD = re.compile(r"^\W*(?:sub\W*|\d{3}\W*)$", re.IGNORECASE)
#: Words of the list a page holds at least, for its lines to be read by the second engine.
LIST_WORDS = 20


def list_by_second_engine(image: Image.Image, words: Sequence[Word]) -> str:
    """The subject list's lines on a page, each recognised by the second engine, as text
    ("" when the page holds no list, or the engine cannot run): where Tesseract's words of
    the list stand, the band's lines of ink one at a time."""
    listed = [w for w in words if _LIST_WORD.match(w.text)]
    if len(listed) < LIST_WORDS:
        return ""
    h = median(w.height for w in listed)
    x0, top = (
        max(0, round(min(w.x0 for w in listed) - h)),
        max(0, round(min(w.top for w in listed) - h)),
    )
    x1 = min(image.width, round(max(w.x1 for w in listed) + 2 * h))
    bottom = min(image.height, round(max(w.bottom for w in listed) + h))
    band = image.crop((x0, top, x1, bottom)).convert("L")
    lines = []
    for bx0, by0, bx1, by1 in line_bands(np.asarray(band, dtype=np.uint8)):
        if not 0.5 * h <= by1 - by0 <= 2.5 * h:
            continue
        pad = max(2, round(0.3 * h))
        try:
            reading = read_line(
                band.crop((max(0, bx0 - pad), max(0, by0 - pad), bx1 + pad, by1 + pad))
            )
        except RapidError:
            return ""
        if reading is not None:
            lines.append(reading.text)
    return "\n".join(lines)
