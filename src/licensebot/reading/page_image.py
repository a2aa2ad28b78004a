"""A scanned page's image made upright and straight before it is read.

The geometry stage of a scanned page, between rendering (`document`) and pass 1
(`labels_pass`): `upright` straightens the form page (lighting flattened on photos, deskewed by
projection profiles); `turns` gives the orientations pass 1 tries, in order, until it finds the
form's labels: the page as it is, then the quarter turn Tesseract's OSD tells (only when the
page as it is shows no labels), then that turned a half turn more (OSD can mistake a quarter
turn's direction). `upright_body` is the cheaper straightening of the other pages, read only
for the version text. A geometry stage of another kind (finding the page in a photo,
perspective) replaces these functions and keeps their contracts.
"""

from __future__ import annotations

from collections.abc import Iterator

from PIL import Image

from licensebot.reading.ocr import osd_rotation, straighten


def upright(raw: Image.Image, dpi: float) -> Image.Image:
    """The form page's image, grayscale, lighting flattened (photos) and deskewed."""
    return straighten(raw, dpi, photo=True).image


def turns(image: Image.Image, dpi: float, timeout: float) -> Iterator[Image.Image]:
    """The orientations to read the page in, most likely first; lazily (OSD costs a run)."""
    yield image
    turn = osd_rotation(image.reduce(2), timeout=timeout)
    if not turn:
        return
    turned = straighten(image.rotate(turn, expand=True, fillcolor=255), dpi).image
    yield turned
    yield turned.rotate(180)  # OSD can mistake a quarter turn's direction


def upright_body(raw: Image.Image, dpi: float) -> Image.Image:
    """Another page of the document, for its text alone: lighting flattened, not deskewed."""
    return straighten(raw, dpi, photo=True, deskew=False).image
