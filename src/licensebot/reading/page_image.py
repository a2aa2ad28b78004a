"""A scanned page's image made flat and upright before it is read.

The geometry stage of a scanned page, between rendering (`document`) and pass 1
(`labels_pass`), done by `geometry.flatten_page`: a phone photo has its page found on the
desk, warped flat and lit evenly; any page is turned upright (a quarter turn by its lines of
print, a half turn by its ascenders or the text direction classifier) and deskewed. `upright`
gives the form page's `FlatPage`; `turns` the orientations pass 1 tries, in order, until it
finds the form's labels: the page as flattened, then a half turn more only when the half-turn
call was unsure. `upright_body` is the same for the other pages, read only for the version text.
"""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image

from licensebot.reading.geometry import FlatPage, flatten_page

#: Below this confidence in the 0-or-180 call, pass 1 also tries the page on its head.
UNSURE_UPRIGHT = 0.6


def upright(raw: Image.Image, dpi: float) -> FlatPage:
    """The form page found, flattened, evenly lit, upright and deskewed (grayscale)."""
    return flatten_page(raw, dpi=dpi)


def turns(page: FlatPage) -> Iterator[Image.Image]:
    """The orientations to read the page in, most likely first; lazily."""
    yield page.image
    if page.upright_conf < UNSURE_UPRIGHT:
        yield page.image.rotate(180)


def upright_body(raw: Image.Image, dpi: float) -> Image.Image:
    """Another page of the document, for its text alone: flattened and upright as the form
    page is (a photo's desk cropped away, its light evened)."""
    return flatten_page(raw, dpi=dpi).image
