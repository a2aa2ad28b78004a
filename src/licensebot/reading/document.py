"""The PDF as a document: its pages' text-layer words, its AcroForm values, its page images.

The first stage of reading, and the only one that parses the untrusted bytes: pypdf for the
AcroForm values (each filled field a word placed at its widget), pypdfium2 for each page's
text layer (characters grouped into words), for rendering a page image at a dpi, within
`ReadLimits`, and for the table rules a page draws (`grid`). Everything after works on
`Page`s and images.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageChops
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from licensebot.core.form import Source
from licensebot.reading.grid import Grid, grid_from_pdf_page
from licensebot.reading.layout import Word
from licensebot.reading.limits import ReadError, ReadLimits


@dataclass
class Page:
    """One page of the document as its text layer tells it."""

    index: int
    width: float  # points
    height: float
    words: list[Word]  # text layer, points, top-left origin
    image_page: bool  # one image covers the page: a scan or photo


class Document:
    """An open PDF. `text_pages` opens it with pdfium and keeps it open (with its forms
    initialised, as rendering needs them) for `render`; `close` (or leaving a `with`) closes it."""

    def __init__(self, data: bytes, limits: ReadLimits) -> None:
        self.data = data
        self.limits = limits
        self._pdf: pdfium.PdfDocument | None = None
        self._loaded: dict[int, pdfium.PdfPage] = {}
        self._forms_failed: pdfium.PdfiumError | None = None
        #: pdfium is not to be called from two threads at once: the reader's thread and the
        #: body pages' worker both render (`render`, `raster`'s crops, the pages they load)
        self._pdfium = threading.RLock()

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def form_words(self) -> list[Word]:
        """Filled AcroForm fields as words placed at their widgets (most trusted values)."""
        try:
            reader = PdfReader(io.BytesIO(self.data), strict=False)
        except PdfReadError as exc:
            raise ReadError("broken", str(exc)) from exc
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("encrypted", "the PDF needs a password to open")
        n = len(reader.pages)
        if n == 0:
            raise ReadError("broken", "the PDF has no pages")
        if n > self.limits.max_pages:
            raise ReadError("too_many_pages", f"{n} pages > {self.limits.max_pages}")
        words: list[Word] = []
        for i, page in enumerate(reader.pages):
            height = float(page.mediabox.height)
            annots = page.get("/Annots") or []
            for ref in annots:
                annot: Any = ref.get_object()
                if annot.get("/Subtype") != "/Widget":
                    continue
                holder = annot if "/V" in annot or "/FT" in annot else annot.get("/Parent", annot)
                holder = holder.get_object()
                value = holder.get("/V")
                if not isinstance(value, str) or not value.strip():
                    continue
                x0, y0, x1, y1 = (float(v) for v in annot["/Rect"])
                top, bottom = height - max(y0, y1), height - min(y0, y1)
                # a widget is taller than its text: shrink it to a text line at its middle
                mid, h = (top + bottom) / 2, min(bottom - top, 12.0)
                words.append(
                    Word(
                        value.strip(),
                        min(x0, x1),
                        mid - h / 2,
                        max(x0, x1),
                        mid + h / 2,
                        1.0,
                        i,
                        Source.FORM,
                    )
                )
        return words

    def text_pages(self) -> list[Page]:
        """Each page's text-layer words (pdfium: fast) and whether an image covers it.

        The document stays open (with its forms initialised, as rendering needs them) for the
        page images; `close` closes it."""
        try:
            pdf = pdfium.PdfDocument(self.data, password="")
        except pdfium.PdfiumError as exc:
            if "password" in str(exc).lower():
                raise ReadError("encrypted", "the PDF needs a password to open") from exc
            raise ReadError("broken", str(exc)) from exc
        self._pdf = pdf
        try:
            pdf.init_forms()
        except pdfium.PdfiumError as exc:
            self._forms_failed = exc  # only a page image needs the forms: fails there
        pages: list[Page] = []
        for i in range(len(pdf)):
            page = self._pdf_page(i)
            width, height = page.get_size()
            area = float(width * height) or 1.0
            image_page = False
            for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
                sw, sh = obj.get_px_size()
                if sw * sh > self.limits.max_image_pixels:
                    raise ReadError("too_large", f"an image of {sw}x{sh} pixels")
                x0, y0, x1, y1 = obj.get_bounds()
                image_page = image_page or (x1 - x0) * (y1 - y0) >= 0.6 * area
            textpage = page.get_textpage()
            try:
                words = page_words(textpage, i, float(height))
            finally:
                textpage.close()
            pages.append(Page(i, float(width), float(height), words, image_page))
        return pages

    def render(self, index: int, dpi: float) -> Image.Image:
        with self._pdfium:  # the grey copy is made while pdfium's bitmap is there
            return seal_free_gray(self._render_rgb(index, self._scale(index, dpi)))

    def raster(self, index: int, dpi: float) -> PageRaster:
        """The page's image as `render` would make it, rendered only where it is looked at
        (see `PageRaster`)."""
        if self._forms_failed is not None:
            raise self._forms_failed
        scale = self._scale(index, dpi)
        w, h = self._pdf_page(index).get_size()
        size = (math.ceil(w * scale), math.ceil(h * scale))  # pdfium's own page size
        return PageRaster(self, index, dpi, scale, size)

    def _scale(self, index: int, dpi: float) -> float:
        """Pixels a point for a page image at `dpi`, within `limits.max_render_pixels`."""
        with self._pdfium:
            w, h = self._pdf_page(index).get_size()
        scale = dpi / 72
        pixels = w * h * scale * scale
        if pixels > self.limits.max_render_pixels:
            scale *= (self.limits.max_render_pixels / pixels) ** 0.5
        return scale

    def _render_rgb(
        self, index: int, scale: float, box: tuple[int, int, int, int] | None = None
    ) -> Image.Image:
        """The page in colour at `scale` (RGBX), or the part of it in `box` (pixels of the
        whole page's image): the same pixels there, as pdfium draws the whole page with the
        same matrix and only clips it to the bitmap."""
        if self._forms_failed is not None:
            raise self._forms_failed
        with self._pdfium:
            page = self._pdf_page(index)
            crop = (0.0, 0.0, 0.0, 0.0)
            if box is not None:
                w, h = page.get_size()
                width, height = math.ceil(w * scale), math.ceil(h * scale)
                x0, top, x1, bottom = box

                def margin(px: int) -> float:
                    # in points, which pypdfium2 turns back into whole pixels with ceil: half a
                    # pixel under the margin lands exactly on it
                    return max(0.0, (px - 0.5) / scale)

                crop = (margin(x0), margin(height - bottom), margin(width - x1), margin(top))
            # RGBX, pdfium's own buffer: PIL reads it in place (no copy, no byte swap); the grey
            # image made from it is a copy, so the bitmap may go when that is made
            bitmap = page.render(
                scale=scale, crop=crop, may_draw_forms=True, rev_byteorder=True, prefer_bgrx=True
            )
            image: Image.Image = bitmap.to_pil()
            return image

    def grid(self, index: int, words: Sequence[Word] = ()) -> Grid:
        """The page's table rules and cells from its drawing (vector lines and thin boxes,
        and runs of underscores in `words`), in points like its words."""
        return grid_from_pdf_page(self._pdf_page(index), index, words)

    def _pdf_page(self, index: int) -> pdfium.PdfPage:
        with self._pdfium:
            page = self._loaded.get(index)
            if page is None:
                assert self._pdf is not None
                page = self._loaded[index] = self._pdf[index]
            return page

    def close(self) -> None:
        for page in self._loaded.values():
            page.close()
        self._loaded.clear()
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None


#: Pixels of the page rendered around a box that `PageRaster.crop` is asked for.
CROP_MARGIN = 64


class PageRaster:
    """A page's image at a dpi (`Document.raster`) for reads that look at a few boxes of it
    (a typed form's empty cells and its Signature cell: the ink there), rendered box by box
    rather than whole: a typed LA's read then costs no whole page image (about 9 MB in colour,
    a third of a fresh reader's page faults). `crop` gives the pixels `Document.render` gives
    there: pdfium draws the same pixels in a part as in the whole, and grey levels are a pixel's
    own, except for red ink (`seal_free_gray`), which depends on the whole page: a box with any
    red ink in it is cut from the whole page's image, rendered then. `full` is that image."""

    def __init__(
        self, doc: Document, index: int, dpi: float, scale: float, size: tuple[int, int]
    ) -> None:
        self.doc = doc
        self.index = index
        self.dpi = dpi
        self.scale = scale
        self.width, self.height = size
        self._full: Image.Image | None = None

    def crop(self, box: tuple[float, float, float, float]) -> Image.Image:
        """The grey image of `box` (whole pixels within the page), as cut from `full`."""
        x0, top, x1, bottom = (int(v) for v in box)
        if box != (x0, top, x1, bottom) or not (
            0 <= x0 < x1 <= self.width and 0 <= top < bottom <= self.height
        ):
            return self.full().crop(box)  # what only the whole image can say (PIL's padding)
        if self._full is None:
            # a margin around the box: a path that the part's edge cuts is drawn with slightly
            # different edges near it (pdfium clips it first), so the edge is kept away
            pad = CROP_MARGIN
            around = (
                max(0, x0 - pad),
                max(0, top - pad),
                min(self.width, x1 + pad),
                min(self.height, bottom + pad),
            )
            part = self.doc._render_rgb(self.index, self.scale, around)
            if _red_mask(part, RED_MARGIN).getbbox() is None:
                dx, dy = x0 - around[0], top - around[1]
                return part.crop((dx, dy, dx + x1 - x0, dy + bottom - top)).convert("L")
        return self.full().crop(box)

    def full(self) -> Image.Image:
        """The whole page's image, as `Document.render` makes it."""
        if self._full is None:
            self._full = self.doc.render(self.index, self.dpi)
        return self._full


#: A pixel whose red exceeds its green and blue by this much is red ink (a seal, a stamp).
RED_MARGIN = 60


def seal_free_gray(img: Image.Image) -> Image.Image:
    """The page in grey levels, with red ink seen through a red filter (as light as paper).

    Chinese forms are often stamped with a red seal, over the signature or the values; it is
    the institution's mark, never a value nor the signer's hand, and in plain grey levels it
    is as dark as ink. Print and pens are black or blue: only strongly red pixels change (to
    their red channel, light), so the pen's strokes across a seal stay dark. A grey page
    (a copier's scan) is converted as it is; a seal copied in grey keeps its shape, which
    `signature.seal_like` knows."""
    if img.mode == "L":
        return img
    rgb = img if img.mode in ("RGB", "RGBX") else img.convert("RGB")
    gray = rgb.convert("L")
    # look for red at a quarter of the size first: a page without red costs no more
    if _red_mask(rgb.reduce(4), RED_MARGIN * 2 // 3).getbbox() is None:
        return gray
    r = rgb.getchannel("R")
    return Image.composite(r, gray, _red_mask(rgb, RED_MARGIN))


def _red_mask(rgb: Image.Image, margin: int) -> Image.Image:
    """White where red exceeds both green and blue by `margin`."""
    r, g, b = rgb.split()[:3]
    excess = ImageChops.subtract(r, ImageChops.lighter(g, b))
    return excess.point(lambda v: 255 if v >= margin else 0)


#: A tab's leader in a text layer: a run of dots (or of a line's underscores) between a label
#: and its value, written as characters with no space on either side (`Name:.......Samuel
#: Reed`, a word processor's dotted tab stop). No value holds four of them in a row.
LEADER = re.compile(r"[.·…‥_]{4,}|[…‥]{2,}")  # an ellipsis is dots too


def leader_breaks(text: str) -> set[int]:
    """Where a leader starts and where it ends in `text`: there a word ends and another
    starts, so that the label, the leader (filler, as a line of underscores is: masked as
    print where ink is measured, no part of a value) and the value are three words."""
    return {i for m in LEADER.finditer(text) for i in (m.start(), m.end())}


def is_leader(w: Word) -> bool:
    """`w` is a tab's leader (a word of its own: `leader_breaks`)."""
    return LEADER.fullmatch(w.text) is not None


#: What pdfium's text gives for a hyphen at the end of a line.
LINE_END_HYPHEN = "\ufffe"


def page_words(textpage: Any, page: int, height: float) -> list[Word]:
    """Words from pdfium's characters: split at spaces, line changes and wide gaps.

    The hot loop of reading a text layer (a few thousand characters a page): pdfium's loose
    character box is read straight through its C function into one reused struct, and the
    word's box is kept in locals (the same comparisons as `min`/`max`, without the calls)."""
    n = textpage.count_chars()
    text = textpage.get_text_range(0, n) if n else ""
    if len(text) != n:
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(n))
    # pdfium gives a hyphen that ends a line as U+FFFE (`Human-` / `Centred` came out as
    # `Human\ufffe Centred`): it is the hyphen, one character for one
    text = text.replace(LINE_END_HYPHEN, "-")
    breaks = leader_breaks(text)
    charbox = pdfium_c.FPDFText_GetLooseCharBox
    raw = textpage.raw
    rect = pdfium_c.FS_RECTF()
    words: list[Word] = []
    cur: list[str] = []
    x0 = y0 = x1 = y1 = 0.0  # the current word's box: left, top, right, bottom
    for i, ch in enumerate(text):
        if ch.isspace() or ch == "\x00":
            if cur:
                words.append(Word("".join(cur), x0, y0, x1, y1, 1.0, page, Source.TEXT))
                cur = []
            continue
        if cur and i in breaks:
            words.append(Word("".join(cur), x0, y0, x1, y1, 1.0, page, Source.TEXT))
            cur = []
        if not charbox(raw, i, rect):
            raise pdfium.PdfiumError("Failed to get charbox.")
        left, right = rect.left, rect.right
        t, b = height - rect.top, height - rect.bottom
        if cur:
            h = y1 - y0
            if b - t > h:
                h = b - t
            if h < 1.0:
                h = 1.0
            overlap = (b if b < y1 else y1) - (t if t > y0 else y0)
            if not overlap > 0.3 * h or left - x1 > 0.3 * h or left < x0 - 0.5 * h:
                words.append(Word("".join(cur), x0, y0, x1, y1, 1.0, page, Source.TEXT))
                cur = []
        if not cur:
            x0, y0, x1, y1 = left, t, right, b
        else:
            if left < x0:
                x0 = left
            if t < y0:
                y0 = t
            if right > x1:
                x1 = right
            if b > y1:
                y1 = b
        cur.append(ch)
    if cur:
        words.append(Word("".join(cur), x0, y0, x1, y1, 1.0, page, Source.TEXT))
    return words
