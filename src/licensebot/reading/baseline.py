"""Whether words sit on print's straight baseline: typed print does, handwriting does not.

Tesseract reads a neat hand as readily as print, and with as much confidence; what tells them
apart is the feet of the letters (`ocr.baseline_wobble`), measured line by line on the image
the words were read from.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

from PIL import Image

from licensebot.reading.layout import Word, lines_of
from licensebot.reading.ocr import baseline_wobble, cleared_crop

Box = tuple[float, float, float, float]

#: Letters further than this (in text heights) from a straight baseline are handwriting.
HANDWRITING_WOBBLE = 0.06


def tight_box(ws: Sequence[Word], scale: float) -> Box:
    """The words' own box (and a little air), in `scale`d image pixels."""
    h = median(w.height for w in ws)
    return (
        min(w.x0 for w in ws) * scale,
        (min(w.top for w in ws) - 0.3 * h) * scale,
        max(w.x1 for w in ws) * scale,
        (max(w.bottom for w in ws) + 0.3 * h) * scale,
    )


def foot_box(ws: Sequence[Word]) -> Box:
    """`tight_box` with room below for every foot: a descender's, and print's where the
    words' boxes sit a little high on the ink (a photo's pass-2 boxes, by a third of a
    letter's height)."""
    x0, top, x1, bottom = tight_box(ws, 1.0)
    return (x0, top, x1, bottom + 0.3 * median(w.height for w in ws))


def wobbly(crop: Image.Image, ws: Sequence[Word]) -> bool:
    """Some line of the words strays off a straight baseline (handwriting). Line by line: the
    feet of a value wrapped over two lines are on two baselines, and print is straight on each;
    the ink that runs into a line's box from outside (the tops of the next row's print, a rule's
    stub) cleared first, the rules erased before (a descender touching the rule is kept): it is
    no letter's foot."""
    return any(w is not None and w > HANDWRITING_WOBBLE for w in _wobbles(crop, ws))


def straight(crop: Image.Image, ws: Sequence[Word]) -> bool:
    """Every line of the words measured on a straight baseline (too few letters to measure
    is not straight: `wobbly`'s benefit of the doubt, withheld)."""
    wobbles = _wobbles(crop, ws)
    return bool(wobbles) and all(w is not None and w <= HANDWRITING_WOBBLE for w in wobbles)


def _wobbles(crop: Image.Image, ws: Sequence[Word]) -> list[float | None]:
    return [baseline_wobble(cleared_crop(crop, foot_box(line))) for line in lines_of(ws)]
