"""Read an LA PDF into a `ReadForm`: fields, signature, members, scanned, form version.

Most trusted first: AcroForm values (pypdf), then the text layer with positions (pdfplumber),
then OCR of the page image (Tesseract) for scanned pages and for ink in otherwise empty cells.
OCR reads in two passes: the whole form page once at 150 dpi to find the labels, then only the
value cells, cut from the 300 dpi image and stacked into one image, with Chinese enabled.
A value whose reading is not confident is None (unreadable), never a guess.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from time import perf_counter
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import PdfReadError
from rapidfuzz.distance import Levenshtein

from licensebot.core.form import FieldValue, Member, ReadForm, Reading, Source
from licensebot.core.la import LaVersion
from licensebot.reading.clean import CLEANERS, clean_name, tidy
from licensebot.reading.layout import (
    FIELD_KEYS,
    Label,
    Region,
    Word,
    find_labels,
    first_lines,
    join_words,
    lines_of,
    pick_labels,
    value_regions,
    words_in,
)
from licensebot.reading.ocr import (
    OcrError,
    baseline_wobble,
    clear_edges,
    erase_rules,
    ink_ratio,
    mean_conf,
    osd_rotation,
    straighten,
    tesseract_words,
)
from licensebot.reading.signature import SignatureInk
from licensebot.reading.signature import measure as measure_signature
from licensebot.reading.version import match_version

log = logging.getLogger(__name__)

#: Share of a value cell covered by ink above which "nothing typed here" means "handwritten".
CELL_INK = 0.004
#: Letters further than this (in text heights) from a straight baseline are handwriting.
HANDWRITING_WOBBLE = 0.06
#: Share of the Signature cell covered by handwriting ink for it to count as signed.
SIGNATURE_INK = 0.006
_CJK = re.compile(r"[\u3400-\u9fff]")
_CJK_PUNCT = "，。、；：,.;:·・'\"“”‘’()（）|"
Box = tuple[float, float, float, float]
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]{2,40}$")


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """Caps on untrusted input, and how sure a reading must be to count."""

    max_bytes: int = 20_000_000
    max_pages: int = 12
    max_image_pixels: int = 60_000_000  # an embedded image bigger than this is a bomb
    max_render_pixels: int = 40_000_000  # a rendered page image
    ocr_dpi: int = 300  # the form page, for the value cells
    body_dpi: int = 100  # other scanned pages, read only for the version text
    ocr_timeout: float = 30.0  # one Tesseract run
    threshold: float = 0.80  # a value's confidence below this is reported as None
    cjk_threshold: float = 0.60  # the same for values in Chinese characters
    # enforced by the sandbox:
    time_limit: float = 60.0  # wall clock seconds
    cpu_limit: int = 90  # CPU seconds (RLIMIT_CPU)
    memory_bytes: int = 2_000_000_000  # address space (RLIMIT_AS)


class ReadError(Exception):
    """The PDF cannot be read at all; `code` is the ReadForm error code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def is_pdf(data: bytes) -> bool:
    """Decided by the bytes: `%PDF-` within the first KiB (as PDF readers accept it)."""
    return b"%PDF-" in data[:1024]


def error_form(code: str, detail: str = "", timings: dict[str, float] | None = None) -> ReadForm:
    return ReadForm(
        fields={k: FieldValue(None, 0.0) for k in FIELD_KEYS},
        signed=None,
        signed_confidence=0.0,
        members=(),
        scanned=False,
        form_version=None,
        form_similarity=0.0,
        is_la=False,
        pages=0,
        error=code,
        timings=timings or {},
        error_detail=detail or None,
    )


def read_pdf(
    data: bytes, *, versions: Sequence[LaVersion], limits: ReadLimits | None = None
) -> ReadForm:
    """Everything the rules need from one PDF; never raises for a bad PDF (see `error`)."""
    limits = limits or ReadLimits()
    if not is_pdf(data):
        return error_form("not_pdf", "the file does not start like a PDF (%PDF-)")
    if len(data) > limits.max_bytes:
        return error_form("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    timings: dict[str, float] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return _Reader(data, versions, limits, timings).read()
    except ReadError as exc:
        return error_form(exc.code, exc.detail, timings)
    except OcrError as exc:
        return error_form("ocr_failed", str(exc), timings)
    except (PdfReadError, pdfium.PdfiumError, ValueError, KeyError, TypeError) as exc:
        return error_form("broken", f"{type(exc).__name__}: {exc}"[:300], timings)
    except RecursionError:
        return error_form("broken", "the PDF's structure nests without end", timings)
    except MemoryError:
        raise  # the sandbox's memory limit: its caller answers `too_large`
    except Exception as exc:  # a parser bug on hostile input is a broken PDF, not a crash
        log.warning("pdf.read.unexpected", exc_info=True)
        return error_form("broken", f"{type(exc).__name__}: {exc}"[:300], timings)


# ---- the reader -----------------------------------------------------------------------------


@dataclass
class _Page:
    index: int
    width: float  # points
    height: float
    words: list[Word]  # text layer, points, top-left origin
    image_page: bool  # one image covers the page: a scan or photo


@dataclass
class _Cell:
    """A value to OCR from the form page image (pixel box) in the second pass."""

    key: str
    box: Box
    pass1: str = ""  # what the first pass read there (English, confidently); "" if nothing
    pass1_conf: float = 0.0
    empty: bool = False  # no word was found there: the box is the whole cell, for its ink
    readings: list[Reading] = field(default_factory=list)  # every pass's reading, in order
    hand: bool = False  # a reading's letters were off a straight baseline: handwriting

    @property
    def lang(self) -> str:
        if not self.pass1:
            return "chi_sim+eng"  # Chinese, handwriting, or print the first pass missed
        # the Latin-script model reads accents (ø, å, ñ, ç, ß) that the English one drops or
        # misreads (as é, fi, &, a lower confidence); it costs a second model load, so only
        # for text the first pass did not read as plain, confident ASCII
        if self.key in ("work_email", "date"):
            return "eng"
        if self.key == "signer_name" or not self.pass1.isascii() or self.pass1_conf < 0.93:
            return "Latin"  # names: "Søren" reads as a confident "Sgren" in English
        return "eng"


@dataclass
class _Found:
    fields: dict[str, FieldValue] = field(default_factory=dict)
    signed: bool | None = None
    signed_conf: float = 0.0
    members: list[Member] = field(default_factory=list)
    signature_words: list[Word] = field(default_factory=list)


class _Reader:
    def __init__(
        self,
        data: bytes,
        versions: Sequence[LaVersion],
        limits: ReadLimits,
        timings: dict[str, float],
    ) -> None:
        self.data = data
        self.versions = versions
        self.limits = limits
        self.timings = timings
        self._pdf: pdfium.PdfDocument | None = None
        self._loaded: dict[int, pdfium.PdfPage] = {}
        self._forms_failed: pdfium.PdfiumError | None = None

    def _tick(self, stage: str, since: float) -> float:
        now = perf_counter()
        self.timings[stage] = self.timings.get(stage, 0.0) + now - since
        return now

    # -- structure --

    def read(self) -> ReadForm:
        try:
            return self._read()
        finally:
            self._close()

    def _read(self) -> ReadForm:
        t = perf_counter()
        form_words = self._acroform_words()
        pages = self._text_pages()
        t = self._tick("text", t)
        text_words = [w for p in pages for w in p.words] + form_words
        labels = pick_labels(find_labels(text_words))
        form_page = _form_page(labels)
        doc_text = " ".join(w.text for p in pages for w in p.words)
        image_pages = [p for p in pages if p.image_page]
        complete = True
        if form_page is not None and not pages[form_page].image_page:
            found = self._read_digital(pages[form_page], labels, text_words)
            scanned = False
        elif image_pages:
            found, ocr_text, complete = self._read_scanned(pages, form_page)
            doc_text = " ".join([doc_text, ocr_text])
            scanned = True
        else:
            found = _Found(fields={k: FieldValue(None, 0.0) for k in FIELD_KEYS})
            scanned = False
        t = perf_counter()
        table = form_page is not None or any(
            fv.value is not None or fv.blank for fv in found.fields.values()
        )
        match = match_version(doc_text, self.versions, partial=not complete, form_table_found=table)
        self._tick("version", t)
        return ReadForm(
            fields=found.fields,
            signed=found.signed,
            signed_confidence=found.signed_conf,
            members=tuple(found.members),
            scanned=scanned,
            form_version=match.version,
            form_similarity=round(match.similarity, 3),
            is_la=match.is_la,
            pages=len(pages),
            timings=dict(self.timings),
            version_status=match.status,
            version_nearest=match.nearest,
            version_missing=match.missing,
            version_changed=match.changed,
        )

    def _acroform_words(self) -> list[Word]:
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

    def _text_pages(self) -> list[_Page]:
        """Each page's text-layer words (pdfium: fast) and whether an image covers it.

        The document stays open (with its forms initialised, as rendering needs them) for the
        page images; `read` closes it."""
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
        pages: list[_Page] = []
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
                words = _page_words(textpage, i, float(height))
            finally:
                textpage.close()
            pages.append(_Page(i, float(width), float(height), words, image_page))
        return pages

    def _pdf_page(self, index: int) -> pdfium.PdfPage:
        page = self._loaded.get(index)
        if page is None:
            assert self._pdf is not None
            page = self._loaded[index] = self._pdf[index]
        return page

    def _close(self) -> None:
        for page in self._loaded.values():
            page.close()
        self._loaded.clear()
        if self._pdf is not None:
            self._pdf.close()
            self._pdf = None

    # -- digital --

    def _read_digital(self, page: _Page, labels: dict[str, Label], words: list[Word]) -> _Found:
        t = perf_counter()
        found = _Found()
        dpi = 150.0
        scale = dpi / 72
        img = self._render(page.index, dpi)
        label_ids = {id(w) for lab in labels.values() for w in lab.words}
        others = list(labels.values())
        to_ocr: list[_Cell] = []
        for key in FIELD_KEYS:
            lab = labels.get(key)
            if lab is None:
                found.fields[key] = FieldValue(None, 0.0)
                continue
            value_words = list(lab.inline)
            regions = value_regions(lab, others, page.width)
            if not value_words:
                for region in regions:
                    inside = words_in(region, words, label_ids)
                    if inside:
                        value_words = first_lines(inside, 1 if not region.below else 2)
                        break
            if value_words:
                src = (
                    Source.FORM
                    if any(w.source == Source.FORM for w in value_words)
                    else Source.TEXT
                )
                found.fields[key] = _cleaned(key, join_words(value_words), 1.0, src, self.limits)
                continue
            # nothing typed: ink there is handwriting (or a pasted image) to OCR
            inked = [r for r in regions if ink_ratio(img, _px(r, scale)) > CELL_INK]
            if inked:
                to_ocr.append(_Cell(key, _px(inked[0], scale), empty=True))
            else:
                found.fields[key] = FieldValue(None, 1.0, Source.TEXT, blank=True)
        t = self._tick("text", t)
        if to_ocr:
            self._ocr_cells(self._render(page.index, 300), to_ocr, found, scale=300 / dpi)
            t = self._tick("ocr", t)
        sig = labels.get("signature")
        if sig is not None:
            box = _signature_box(sig, others, page.width)
            printed = [_pxbox(w, scale) for w in words if _inside(w, box, page.index)]
            ratio = ink_ratio(img, _scale_box(box, scale), printed)
            found.signed, found.signed_conf = _signed(ratio)
        found.members = _members(labels, words, page.width, page.index, 1.0, self.limits)
        self._tick("signature", t)
        return found

    def _render(self, index: int, dpi: float) -> Image.Image:
        if self._forms_failed is not None:
            raise self._forms_failed
        page = self._pdf_page(index)
        w, h = page.get_size()
        scale = dpi / 72
        pixels = w * h * scale * scale
        if pixels > self.limits.max_render_pixels:
            scale *= (self.limits.max_render_pixels / pixels) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
        rendered: Image.Image = bitmap.to_pil().convert("L")
        return rendered

    # -- scanned --

    def _read_scanned(self, pages: list[_Page], form_page: int | None) -> tuple[_Found, str, bool]:
        """OCR the form page (known from the text layer, else found from the last page up),
        then the other pages only if the version cannot be told without them."""
        ocr_text: list[str] = []
        layer_text = " ".join(w.text for p in pages for w in p.words)
        candidates = (
            [form_page]
            if form_page is not None
            else [p.index for p in reversed(pages) if p.image_page]
        )
        result: _Found | None = None
        read_pages: set[int] = set()
        for index in candidates:
            result, words = self._read_scanned_page(index)
            read_pages.add(index)
            if not pages[index].words:
                ocr_text.append(" ".join(w.text for w in words))
            if result is not None:
                break
        unread = [p for p in pages if p.image_page and not p.words and p.index not in read_pages]
        complete = not unread
        so_far = " ".join([layer_text, *ocr_text])
        table = result is not None
        if (
            unread
            and match_version(so_far, self.versions, partial=True, form_table_found=table).version
            is None
        ):
            t = perf_counter()
            for p in unread:
                ocr_text.append(self._body_text(p.index))
            complete = True
            self._tick("ocr_body", t)
        if result is None:
            result = _Found(fields={k: FieldValue(None, 0.0, Source.OCR) for k in FIELD_KEYS})
        return result, " ".join(ocr_text), complete

    def _body_text(self, index: int) -> str:
        """A page's words at low resolution: enough to tell which LA text it is."""
        img = self._render(index, self.limits.body_dpi)
        pim = straighten(img, self.limits.body_dpi, photo=True, deskew=False)
        timeout = self.limits.ocr_timeout
        words = tesseract_words(pim.image, lang="eng", psm=3, timeout=timeout, page=index)
        if mean_conf(words) < 0.6:
            words = tesseract_words(
                pim.image.rotate(180), lang="eng", psm=3, timeout=timeout, page=index
            )
        return " ".join(w.text for w in words)

    def _read_scanned_page(self, index: int) -> tuple[_Found | None, list[Word]]:
        t = perf_counter()
        dpi = float(self.limits.ocr_dpi)
        raw = self._render(index, dpi)
        pim = straighten(raw, dpi, photo=True)
        t = self._tick("image", t)
        image = pim.image
        words: list[Word] = []
        labels: dict[str, Label] = {}
        turned = 0
        for attempt in ("as-is", "osd", "flip", "chinese"):
            if attempt == "flip":
                if not turned:
                    continue
                image = image.rotate(180)  # OSD can mistake a quarter turn's direction
            if attempt == "osd":
                turn = osd_rotation(image.reduce(2), timeout=self.limits.ocr_timeout)
                if not turn:
                    continue
                image = straighten(image.rotate(turn, expand=True, fillcolor=255), dpi).image
                turned = turn
            lang = "eng+chi_sim" if attempt == "chinese" else "eng"
            small = erase_rules(image.reduce(2), length=round(dpi / 2 / 4))
            words = tesseract_words(
                small, lang=lang, psm=11, timeout=self.limits.ocr_timeout, page=index, scale=2.0
            )
            labels = pick_labels(find_labels(words))
            if _enough(labels):
                break
        if _enough(labels) and not labels.keys() >= _FORM_LABELS:
            words, labels = self._relabel(image, words, labels, index)
        t = self._tick("ocr_pass1", t)
        if not _enough(labels):
            return None, words
        found = _Found()
        width = float(image.width)
        others = list(labels.values())
        label_ids = {id(w) for lab in labels.values() for w in lab.words}
        cells: list[_Cell] = []
        for key in FIELD_KEYS:
            lab = labels.get(key)
            if lab is None:
                found.fields[key] = FieldValue(None, 0.0, Source.OCR)
                continue
            cell = _cell_for(key, lab, others, words, label_ids, image, width)
            if cell is None:
                found.fields[key] = FieldValue(None, 0.9, Source.OCR, blank=True)
            else:
                cells.append(cell)
        members_box = _members_box(labels, width)
        if members_box is not None:
            cells.append(_Cell("members", members_box))
        sig = labels.get("signature")
        row_words: list[Word] = []
        if sig is None:
            # pass 1 at 150 dpi can miss a small label (7 pt on the compact form, photos):
            # look for it at full resolution where the forms put it
            row_labels, row_words = _signature_label(image, labels, index, self.limits.ocr_timeout)
            if row_labels:
                sig = row_labels[0]
                others = [*others, *row_labels]
        printed: list[Box] = []
        if sig is not None:
            fallback = _signature_box(sig, others, width)
            printed = [(w.x0, w.top, w.x1, w.bottom) for w in words + row_words if _printed(w)]
            ink = measure_signature(image, sig, others, fallback, printed)
            found.signed, found.signed_conf = ink.signed, ink.confidence
            unsure = [w for w in words if _inside(w, ink.box, index) and not _printed(w)]
            if ink.signed is not False and unsure:
                # junk where English found no print may be a name printed in Chinese: read
                # the cell with Chinese in pass 2 and mask what reads as characters
                cells.append(_Cell("signature", ink.box))
        t = self._tick("signature", t)
        self._ocr_cells(image, cells, found, scale=1.0, labels=labels, recheck=True)
        sig_cell = next((c for c in cells if c.key == "signature"), None)
        if sig is not None and sig_cell is not None:
            printed += [
                (w.x0, w.top, w.x1, w.bottom)
                for w in found.signature_words
                if _CJK.search(w.text) and w.conf >= 0.6
            ]
            ink = measure_signature(image, sig, others, fallback, printed)
            found.signed, found.signed_conf = ink.signed, ink.confidence
        name = found.fields.get("signer_name")
        if (
            sig is not None
            and found.signed is None
            and name is not None
            and name.value
            and _CJK.search(name.value)
            and self._typed_name_in_cell(image, ink, name.value)
        ):
            # print-size marks that read as the signer's name typed in Chinese
            found.signed, found.signed_conf = False, 0.8
        self._tick("ocr_pass2", t)
        return found, words

    def _relabel(
        self, image: Image.Image, words: list[Word], labels: dict[str, Label], index: int
    ) -> tuple[list[Word], dict[str, Label]]:
        """Pass 1 found the form but missed one of its labels (`Date` read as `Rate` beside
        the signature's ink, `Affiliation` split into `Affil ion`): the band of the page that
        holds the labels is read again at 200 dpi, and its words stand for pass 1's there.
        Kept only if it finds more of the form's labels; costs a run on a tenth of forms."""
        h = median(lab.height for lab in labels.values())
        top = max(0.0, min(lab.top for lab in labels.values()) - 2 * h)
        bottom = min(
            float(image.height),
            max(lab.bottom for lab in labels.values()) + _RELABEL_BELOW * image.height,
        )
        band = image.crop((0, round(top), image.width, round(bottom)))
        k = 1.5  # 300 dpi to 200 dpi
        small = band.resize(
            (round(band.width / k), round(band.height / k)), Image.Resampling.LANCZOS
        )
        fresh = tesseract_words(
            erase_rules(small, length=round(self.limits.ocr_dpi / k / 4)),
            lang="eng",
            psm=11,
            timeout=self.limits.ocr_timeout,
            page=index,
            scale=k,
            offset=(0.0, round(top)),
        )
        merged = [w for w in words if not top <= w.cy <= bottom] + fresh
        found = _with_date_label(pick_labels(find_labels(merged)), merged)
        if len(found.keys() & _FORM_LABELS) > len(labels.keys() & _FORM_LABELS):
            return merged, found
        return words, _with_date_label(labels, words)

    def _typed_name_in_cell(self, image: Image.Image, ink: SignatureInk, name: str) -> bool:
        """Whether the ink left in the Signature cell, all of print size, reads in Chinese as
        exactly the (typed, confidently read) signer's name: a typed name, not a signature."""
        if ink.tall_ink > 0 or not ink.strokes:
            return False
        bx0, by0 = ink.box[0], ink.box[1]
        pad = 10
        box = (
            max(0, round(bx0 + min(st.x0 for st in ink.strokes)) - pad),
            max(0, round(by0 + min(st.y0 for st in ink.strokes)) - pad),
            min(image.width, round(bx0 + max(st.x1 for st in ink.strokes)) + pad),
            min(image.height, round(by0 + max(st.y1 for st in ink.strokes)) + pad),
        )
        try:
            # psm 8: Tesseract 5.5 reads a small line of Chinese print as nothing in psm 7
            read = tesseract_words(
                image.crop(box), lang="chi_sim", psm=8, timeout=self.limits.ocr_timeout
            )
        except OcrError:
            return False
        read = [w for w in read if w.text.strip(_CJK_PUNCT)]
        if not read or min(w.conf for w in read) < 0.6:
            return False
        return "".join(w.text for w in read).replace(" ", "") == name.replace(" ", "")

    def _ocr_cells(
        self,
        image: Image.Image,
        cells: list[_Cell],
        found: _Found,
        *,
        scale: float,
        labels: dict[str, Label] | None = None,
        recheck: bool = False,
    ) -> None:
        """Second pass: OCR the cells, stacked into one image per language.

        Print the first pass read in English is read again at full resolution in English.
        Everything else (Chinese, handwriting, ink the first pass could not read) is read
        with Chinese and English, and also in English alone: a Latin value counts only when
        both readings agree, so a scrawl never becomes a confident wrong value.
        """
        if not cells:
            return
        reads: dict[int, list[Word]] = {}
        for lang in sorted({c.lang for c in cells}):
            group = [c for c in cells if c.lang == lang]
            reads.update(self._read_sheet(image, group, scale, lang))
        other = [c for c in cells if not c.pass1 and c.key not in ("members", "signature")]
        second: dict[int, list[Word]] = {}
        if other:
            second = self._read_sheet(image, other, scale, "eng")
        rechecks: list[tuple[_Cell, list[str]]] = []
        for cell in cells:
            inside = reads.get(id(cell), [])
            if cell.key == "signature":
                found.signature_words = inside
                continue
            if cell.key == "members":
                if labels is not None:
                    found.members = _members(
                        labels, inside, float(image.width), 0, scale, self.limits, ocr=True
                    )
                continue
            inside = [w for w in inside if w.text.strip("|_—-.,:;'\"")]
            ordered = _trim_junk(first_lines(inside, 2)) if inside else []
            if not ordered:
                found.fields[cell.key] = (
                    # only ink reaching in from outside the cell, and nothing read: blank
                    FieldValue(None, 0.9, Source.OCR, blank=True, raw="")
                    if cell.empty and _edge_ink_only(image, cell.box, scale)
                    else FieldValue(None, 0.0, Source.OCR, raw="")
                )
                if cell.pass1 and recheck:
                    rechecks.append((cell, [cell.pass1]))
                continue
            raw = join_words(ordered)
            conf = min(w.conf for w in ordered)
            if cell.pass1:
                cell.readings.append(Reading(cell.pass1, cell.pass1_conf, model="eng"))
            edged = _runs_to_edge(ordered, cell.box, scale)
            cell.readings.append(Reading(raw, conf, edged, cell.lang))
            fv = _cleaned(cell.key, raw, conf, Source.OCR, self.limits)
            if cell.pass1:
                check = CLEANERS[cell.key](cell.pass1)
                if check is not None and _same(cell.key, check, CLEANERS[cell.key](raw)):
                    # two readings at different resolutions agree: trust the better one
                    conf = max(conf, cell.pass1_conf)
                    fv = _cleaned(cell.key, raw, conf, Source.OCR, self.limits)
                elif fv.value is not None and not (conf >= 0.9 and _near(check, fv.value)):
                    # the two readings disagree; a confident full-resolution reading close to
                    # the first (an accent the English model dropped) stands, nothing else
                    fv = FieldValue(None, min(conf, 0.5), Source.OCR, raw=raw)
            alt_raw = ""
            if not cell.pass1:
                alt = first_lines([w for w in second.get(id(cell), []) if w.text.strip()], 2)
                alt_raw = join_words(alt)
                if alt:
                    edged = _runs_to_edge(alt, cell.box, scale)
                    cell.readings.append(Reading(alt_raw, min(w.conf for w in alt), edged, "eng"))
                if cell.key == "date" and _digits(alt_raw) == _digits(raw) and _digits(raw):
                    # a date in Chinese: English reads the digits alone; agreeing digits count
                    fv = _cleaned(cell.key, raw, max(conf, 0.8), Source.OCR, self.limits)
                elif (
                    fv.value is not None
                    and not _CJK.search(raw)
                    and (conf < 0.92 or not _same(cell.key, CLEANERS[cell.key](alt_raw), fv.value))
                ):
                    # Latin from a cell the first pass could not read (likely handwriting)
                    # counts only when very confident and an English reading agrees
                    fv = FieldValue(None, min(conf, 0.5), Source.OCR, raw=raw)
            agreed = cell.pass1_conf >= 0.9 and _same(
                cell.key, CLEANERS[cell.key](cell.pass1), fv.value
            )
            if fv.value is not None and not _CJK.search(raw) and not agreed:
                # print read confidently twice needs no further proof; anything else must
                # also sit on a straight baseline
                wobble = baseline_wobble(image.crop(_tight(ordered, 1.0)))
                if wobble is not None and wobble > HANDWRITING_WOBBLE:
                    # letters off a straight baseline: handwriting, never trusted
                    fv = FieldValue(None, min(fv.confidence, 0.5), Source.OCR, raw=raw)
                    cell.hand = True
            if fv.value is None and cell.empty and _edge_ink_only(image, cell.box, scale):
                # all the ink reaches in from outside the cell (the signature scrawl of the
                # row below): nothing is written here
                fv = FieldValue(None, 0.9, Source.OCR, blank=True, raw=fv.raw)
            found.fields[cell.key] = fv
            if recheck and _needs_recheck(cell, fv):
                rechecks.append((cell, [r for r in (cell.pass1, raw, alt_raw) if r]))
        # A form read as print by the first pass: handwritten forms get no third pass (the
        # model would only be asked to guess, and every cell would cost a run)
        printed = sum(1 for c in cells if c.pass1 and c.key in CLEANERS) >= _PRINTED_CELLS
        if recheck and not printed:
            # Chinese characters have no baseline to tell handwriting by; on a handwritten
            # form the Chinese model reads a hand's 张三 as a confident 张二: never trusted
            for key, read in list(found.fields.items()):
                if read.value is not None and read.source == Source.OCR and _CJK.search(read.value):
                    found.fields[key] = replace(
                        read, value=None, confidence=min(read.confidence, 0.5)
                    )
        for cell, earlier in rechecks if printed else []:
            found.fields[cell.key] = self._recheck(image, cell, earlier, found.fields[cell.key])
        name = next((c for c in cells if c.key == "signer_name"), None)
        others = [fv.value for k, fv in found.fields.items() if k in CLEANERS and k != _NAME]
        if (
            printed
            and name is not None
            and found.fields[_NAME].value is None
            and sum(v is not None for v in others) >= _PRINTED_CELLS + 1
        ):
            # the name alone is unread on a form whose other values all read as print: a
            # name typed in Chinese characters that the mixed passes missed
            whole = erase_rules(image.crop(name.box), length=60)
            found.fields[_NAME] = self._recheck_chinese(whole, found.fields[_NAME], cell=name)
        for cell in cells:
            unsure = found.fields.get(cell.key)
            if cell.key not in CLEANERS or unsure is None or not unsure.unreadable:
                continue
            voted = _vote(cell.key, cell.readings) if printed and not cell.hand else None
            found.fields[cell.key] = voted or replace(unsure, readings=_clean_readings(cell))

    def _recheck(
        self, image: Image.Image, cell: _Cell, earlier: list[str], fv: FieldValue
    ) -> FieldValue:
        """Third pass, for a value the cell passes left unread (or a name whose accents they
        may have dropped): the one cell alone, as one line, its edges cleared of a neighbour's
        ink, with the model that suits the field. Its reading counts only when an earlier,
        independent reading of the cell says the same, and the letters sit on a straight
        baseline (print); otherwise the value stays None."""
        crop = erase_rules(clear_edges(image.crop(cell.box)), length=60)
        key = cell.key
        lang, psm, config = _RECHECK.get(key, ("Latin", 6, ()))
        t = self.limits.ocr_timeout
        ws = _value_words(tesseract_words(crop, lang=lang, psm=psm, timeout=t, config=config))
        got = None
        if ws and not _CJK.search(join_words(ws)):
            edged = _runs_to_edge(ws, (0, 0, crop.width, crop.height), 1.0)
            cell.readings.append(Reading(join_words(ws), min(w.conf for w in ws), edged, lang))
            if _wobbly(crop, ws):
                # letters off a straight baseline: handwriting (if they read as a value at
                # all: `eng` reading a date in Chinese gives junk, with no baseline to judge)
                cell.hand = cell.hand or CLEANERS[key](join_words(ws)) is not None
            elif not edged:
                # the value runs to the crop's edge: it may go on beyond it (the cell was cut
                # at "l.wils|on@..."), and every reading of the crop would agree on the cut
                got = self._recheck_latin(key, ws, earlier)
        if got is not None:
            return got
        if key == "date" and fv.value is None:
            # a date written 2024年7月25日, which the English passes read as `20244-7258`
            whole = erase_rules(image.crop(cell.box), length=60)
            return self._recheck_chinese(whole, fv, key, cell=cell)
        if key != "signer_name" or fv.value is None:
            return fv
        # a Latin name the passes agreed on only without its accents, or one that is no name
        # (two letters: a Chinese name misread): not sure of it
        return FieldValue(None, min(fv.confidence, 0.5), Source.OCR, raw=fv.raw)

    def _recheck_latin(self, key: str, ws: list[Word], earlier: list[str]) -> FieldValue | None:
        """Pass 3's reading of print (whole, on a straight baseline), if an earlier one agrees."""
        raw = join_words(ws)
        conf = min(w.conf for w in ws)
        value = CLEANERS[key](raw)
        if value is None or conf < _RECHECK_CONF:
            return None
        if key == "signer_name" and not _plausible_name(value):
            return None
        before = [CLEANERS[key](r) for r in earlier]
        exact = key in ("work_email", "date")
        if not any(
            b == value or (_edged(raw, r) if exact else _accented(value, b))
            for r, b in zip(earlier, before, strict=True)
        ):
            return None  # nothing read before says the same: not sure
        return FieldValue(value, round(conf, 3), Source.OCR, raw=raw)

    def _recheck_chinese(
        self, crop: Image.Image, fv: FieldValue, key: str = "signer_name", *, cell: _Cell
    ) -> FieldValue:
        """A name (or a date) in Chinese characters: the ink read with the Chinese model alone,
        twice (at two sizes); the two readings must give the same value (for a name, two to
        four characters). Not from the edge-cleared crop: a character cut away there would
        leave a shorter name, `12月` would become `2月`."""
        t = self.limits.ocr_timeout
        readings: list[tuple[str | None, float]] = []
        ink = _ink_box(crop)
        if ink is None:
            return fv
        tight = crop.crop(ink)
        # the Chinese model reads print best at about half the 300 dpi height
        for k in (0.5, 0.6):
            img = tight.resize(
                (max(1, round(tight.width * k)), max(1, round(tight.height * k))),
                Image.Resampling.LANCZOS,
            )
            # psm 8, one word: a name has no spaces, and Tesseract 5.5 reads a small line of
            # Chinese print as nothing in psm 7; its punctuation (a stray `，`) is no part of it
            read = tesseract_words(img, lang="chi_sim", psm=8, timeout=t)
            ws = [w for w in read if w.text.strip(_CJK_PUNCT)]
            raw = join_words(ws)
            if not ws or not _CJK.search(raw):
                return fv
            readings.append((CLEANERS[key](raw), min(w.conf for w in ws)))
            cell.readings.append(Reading(raw, readings[-1][1], model="chi_sim"))
        (a, ca), (b, cb) = readings
        needed = self.limits.cjk_threshold if key == _NAME else self.limits.threshold
        if a is None or a != b or min(ca, cb) < needed:
            return fv
        return FieldValue(a, round(min(ca, cb), 3), Source.OCR, raw=raw)

    def _read_sheet(
        self, image: Image.Image, cells: list[_Cell], scale: float, lang: str
    ) -> dict[int, list[Word]]:
        """OCR cells cut from `image`, stacked with white space between, in one run."""
        boxes = [
            (c.box[0] * scale, c.box[1] * scale, c.box[2] * scale, c.box[3] * scale) for c in cells
        ]
        crops = [erase_rules(image.crop(b), length=round(60 * scale)) for b in boxes]
        gap = 40
        width = max(c.width for c in crops) + 2 * gap
        height = sum(c.height for c in crops) + gap * (len(crops) + 1)
        sheet = Image.new("L", (width, height), 255)
        bands: list[tuple[int, int]] = []
        y = gap
        for crop in crops:
            sheet.paste(crop, (gap, y))
            bands.append((y, y + crop.height))
            y += crop.height + gap
        words = tesseract_words(sheet, lang=lang, psm=6, timeout=self.limits.ocr_timeout)
        out: dict[int, list[Word]] = {}
        for cell, box, (b0, b1) in zip(cells, boxes, bands, strict=True):
            out[id(cell)] = [
                Word(
                    w.text,
                    w.x0 - gap + box[0],
                    w.top - b0 + box[1],
                    w.x1 - gap + box[0],
                    w.bottom - b0 + box[1],
                    w.conf,
                    0,
                    Source.OCR,
                )
                for w in words
                if b0 - 5 <= w.cy <= b1 + 5
            ]
        return out


# ---- helpers --------------------------------------------------------------------------------


def _page_words(textpage: Any, page: int, height: float) -> list[Word]:
    """Words from pdfium's characters: split at spaces, line changes and wide gaps.

    The hot loop of reading a text layer (a few thousand characters a page): pdfium's loose
    character box is read straight through its C function into one reused struct, and the
    word's box is kept in locals (the same comparisons as `min`/`max`, without the calls)."""
    n = textpage.count_chars()
    text = textpage.get_text_range(0, n) if n else ""
    if len(text) != n:
        text = "".join(textpage.get_text_range(i, 1) or " " for i in range(n))
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


_MAIN = {"signer_name", "signer_title", "affiliation", "work_email", "address", "signature", "date"}


#: The labels every form has: a missing one after pass 1 sends the labels' band to `_relabel`.
_FORM_LABELS = frozenset({*FIELD_KEYS, "signature"})
#: How far below the lowest label found `_relabel` reads (a share of the page's height).
_RELABEL_BELOW = 0.12


def _with_date_label(labels: dict[str, Label], words: Sequence[Word]) -> dict[str, Label]:
    """`Date` misread by one letter (`Rate`, `Fate`: a short word in a narrow cell, which the
    fuzzy label match rightly does not take alone) is the Date label when what follows it in
    its row reads as a date."""
    if "date" in labels:
        return labels
    for w in words:
        if len(w.text) != 4 or Levenshtein.distance(w.text.lower(), "date") != 1:
            continue
        after = sorted(
            (v for v in words if v.x0 > w.x1 and abs(v.cy - w.cy) < 0.5 * w.height),
            key=lambda v: v.x0,
        )[:3]
        if after and after[0].x0 - w.x1 < 15 * w.height and CLEANERS["date"](join_words(after)):
            return {**labels, "date": Label("date", [w], 0.75)}
    return labels


def _enough(labels: dict[str, Label]) -> bool:
    return len(_MAIN & labels.keys()) >= 3


def _form_page(labels: dict[str, Label]) -> int | None:
    main = [lab.page for f, lab in labels.items() if f in _MAIN]
    if len(main) < 3:
        return None
    return max(set(main), key=main.count)


def _px(region: Region, scale: float) -> Box:
    return (region.x0 * scale, region.top * scale, region.x1 * scale, region.bottom * scale)


def _scale_box(box: Box, s: float) -> Box:
    return (box[0] * s, box[1] * s, box[2] * s, box[3] * s)


def _pxbox(w: Word, scale: float) -> Box:
    return (w.x0 * scale, w.top * scale, w.x1 * scale, w.bottom * scale)


def _inside(w: Word, box: Box, page: int) -> bool:
    return w.page == page and box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]


def _printed(w: Word) -> bool:
    """An OCR word that reads as print (a typed name), not as a scrawl."""
    return w.conf >= 0.8 and len(w.text) >= 2 and bool(re.search(r"\w\w", w.text))


def _signed(ratio: float) -> tuple[bool, float]:
    margin = abs(ratio - SIGNATURE_INK) / SIGNATURE_INK
    return ratio > SIGNATURE_INK, round(min(1.0, 0.5 + margin / 2), 3)


def _signature_box(sig: Label, others: Sequence[Label], width: float) -> Box:
    """The Signature cell: right of its label to the next label, and the space below it."""
    right, below = value_regions(sig, others, width)
    return (
        min(right.x0, below.x0 + sig.height),
        right.top - sig.height,
        right.x1,
        max(right.bottom + sig.height, below.bottom),
    )


def _signature_label(
    image: Image.Image, labels: dict[str, Label], page: int, timeout: float
) -> tuple[list[Label], list[Word]]:
    """The Signature label looked for at full size where the forms put it: in the Date
    label's row, left of it, or else in the row below the Address label (and the Date label
    there, which bounds the cell); and the words read there."""
    mine = [lab for lab in labels.values() if lab.page == page]
    if not mine:
        return [], []
    left = min(lab.x0 for lab in mine)
    date, address = labels.get("date"), labels.get("address")
    if date is not None and date.page == page:
        u = date.height
        box = (left - 2 * u, date.top - 1.5 * u, date.x0 - 0.2 * u, date.bottom + 1.5 * u)
    elif address is not None and address.page == page:
        u = address.height
        below = [lab.top for lab in mine if lab.top > address.bottom + u]
        bottom = min([address.bottom + 8 * u, *below])
        box = (left - 2 * u, address.bottom + 0.5 * u, float(image.width), bottom)
    else:
        return [], []
    x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
    x1, y1 = min(image.width, round(box[2])), min(image.height, round(box[3]))
    if x1 - x0 < 4 * u or y1 - y0 < u:
        return [], []
    try:
        words = tesseract_words(
            erase_rules(image.crop((x0, y0, x1, y1)), length=round(4 * u)),
            lang="eng",
            psm=11,
            timeout=timeout,
            page=page,
            offset=(float(x0), float(y0)),
        )
    except OcrError:
        return [], []  # the signature stays unknown; the values are read all the same
    found = pick_labels([lab for lab in find_labels(words) if lab.field in ("signature", "date")])
    if "signature" not in found:
        return [], words
    return [
        found["signature"],
        *([found["date"]] if date is None and "date" in found else []),
    ], words


def _cell_for(
    key: str,
    lab: Label,
    others: Sequence[Label],
    words: Sequence[Word],
    label_ids: set[int],
    image: Image.Image,
    width: float,
) -> _Cell | None:
    """Where to OCR the value in pass 2; None when the cell is empty (blank)."""
    h = lab.height
    # a value after "Label:" in the label's own run; but junk after a colon OCR made up (the
    # label's `company...)` read as `compan: oe)`) gives way to a legible value in the cell
    inline = None
    if lab.inline:
        inline = _Cell(key, _around(lab.inline, h, None, image), *_legible(lab.inline))
        if inline.pass1:
            return inline
    for region in value_regions(lab, others, width):
        inside = words_in(region, words, label_ids)
        inside = [w for w in inside if w.text.strip("|_—-.,:;'\"")]
        if inside:
            ws = first_lines(inside, 1 if not region.below else 2)
            cell = _Cell(key, _around(ws, h, region, image), *_legible(ws))
            if inline is None or cell.pass1:
                return cell
            break
    if inline is not None:
        return inline
    for region in value_regions(lab, others, width):
        box = (region.x0, region.top, region.x1, region.bottom)
        if ink_ratio(image, box) > CELL_INK:
            return _Cell(key, box, empty=True)
    return None


def _fold(text: str) -> str:
    """Accents and case away: the English model reads "Peña" as "Pena" (or "Pefia")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def _same(key: str, a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    if key in ("work_email", "date"):
        return a == b
    return _fold(a) == _fold(b) or a == b


def _near(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return False
    return Levenshtein.distance(_fold(a), _fold(b)) <= 2 and len(_fold(b)) >= 4


def _tight(ws: Sequence[Word], scale: float) -> Box:
    """The words' own box (and a little air), in `scale`d image pixels."""
    h = median(w.height for w in ws)
    return (
        min(w.x0 for w in ws) * scale,
        (min(w.top for w in ws) - 0.3 * h) * scale,
        max(w.x1 for w in ws) * scale,
        (max(w.bottom for w in ws) + 0.3 * h) * scale,
    )


def _trim_junk(ws: Sequence[Word]) -> list[Word]:
    """Specks at either end of a cell read as a stray low-confidence letter or two."""
    out = list(ws)
    while out and len(out[0].text) <= 2 and out[0].conf < 0.7 and len(out) > 1:
        out.pop(0)
    while out and len(out[-1].text) <= 2 and out[-1].conf < 0.7 and len(out) > 1:
        out.pop()
    # a lone lower-case letter after a value is a speck however sure Tesseract 5.5 is of it
    # (`Northfield University j`): no name, title, affiliation or address ends that way
    while len(out) > 1 and len(out[-1].text) == 1 and out[-1].text.islower():
        out.pop()
    return out


#: The third pass per field: Tesseract model, page segmentation (7: one line), variables.
_RECHECK: dict[str, tuple[str, int, tuple[str, ...]]] = {
    "signer_name": ("Latin", 7, ()),
    "work_email": (
        "eng",
        7,
        (
            "tessedit_char_whitelist=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.@-_+",
        ),
    ),
    "date": ("eng", 7, ()),
}
#: Cells the first pass read as confident print for a form to count as typed (third pass).
_PRINTED_CELLS = 3
_NAME = "signer_name"  # the field read again in Chinese
#: The third pass's words must all be read at least this surely.
_RECHECK_CONF = 0.85
#: A vote (`_vote`): its surest reading at least this sure, its second at least the floor
#: (Chinese: its own floor: Tesseract scores Chinese print lower); any other reading this
#: sure is a dissent that stops it.
_VOTE_SURE = 0.8
_VOTE_FLOOR = 0.3
_CJK_VOTE_SURE = 0.7
_CJK_VOTE_FLOOR = 0.5
_VOTE_DISSENT = 0.5
_VOTE_MARGIN = 0.08
_UNANIMOUS_EASE = 0.1  # what `_VOTE_SURE` eases by when every reading agrees
#: Fields stored for the record that no rule judges by their letters (`_best_model`).
_RECORDED_ONLY = frozenset({"address"})
_BEST_MODEL_SURE = 0.8


def _ink_box(img: Image.Image, pad: int = 16) -> Box | None:
    """The box around the ink in `img`, with `pad` pixels of paper (None: no ink)."""
    a = np.asarray(img.convert("L"), dtype=np.uint8) < 150
    ys, xs = np.nonzero(a)
    if xs.size == 0:
        return None
    return (
        max(0, int(xs.min()) - pad),
        max(0, int(ys.min()) - pad),
        min(img.width, int(xs.max()) + pad),
        min(img.height, int(ys.max()) + pad),
    )


def _edge_ink_only(image: Image.Image, box: Box, scale: float) -> bool:
    """The cell's ink all touches its edges: rules and a neighbour's strokes, no value."""
    crop = image.crop(_scale_box(box, scale))
    return ink_ratio(clear_edges(crop), (0, 0, crop.width, crop.height)) <= CELL_INK / 4


def _needs_recheck(cell: _Cell, fv: FieldValue) -> bool:
    if cell.key not in CLEANERS or fv.blank:
        return False
    if fv.value is None:
        return bool(fv.raw)
    if cell.key != "signer_name" or _CJK.search(fv.value):
        return False
    # a name read without the Latin model's say, or one that is no name
    return not cell.pass1 or not _plausible_name(fv.value)


def _runs_to_edge(ws: Sequence[Word], box: Box, scale: float) -> bool:
    """The words reach (within 0.4 of their height) the left or right edge of `box`."""
    h = median(w.height for w in ws)
    return (
        min(w.x0 for w in ws) - box[0] * scale < 0.4 * h
        or box[2] * scale - max(w.x1 for w in ws) < 0.4 * h
    )


def _wobbly(crop: Image.Image, ws: Sequence[Word]) -> bool:
    wobble = baseline_wobble(crop.crop(_tight(ws, 1.0)))
    return wobble is not None and wobble > HANDWRITING_WOBBLE


def _clean_readings(cell: _Cell) -> tuple[Reading, ...]:
    """The cell's readings as values of its field (those that are one), for the message to
    corroborate (`core.corroborate`)."""
    clean = CLEANERS[cell.key]
    return tuple(
        Reading(value, round(r.confidence, 3), r.edged, r.model)
        for r in cell.readings
        if (value := clean(r.text)) is not None
    )


def _vote(key: str, readings: Sequence[Reading]) -> FieldValue | None:
    """A value that two readings (different models or resolutions) give letter for letter,
    one of them surely, while no reading of any weight says otherwise: each model's
    errors are its own (the English model reads `Shuangqing` as `Shuangging`, the Latin one
    does not), so two that agree against no confident dissent have read the print. A
    reading that runs to its crop's edge cannot vote for a value (every reading of a cut
    crop agrees on the cut), only against one; one that only drops the accents of a name is
    no dissent, nor is a "name" of under four letters (a Chinese name misread as `RR`). A
    dissent of weight stops the vote unless the value has more readings than the dissent and
    its surest is clearly surer (by `_VOTE_MARGIN`) than the dissent's."""
    # the same text at the same confidence is one model's reading twice (`chi_sim+eng` reads
    # Latin print exactly as `eng` does): one vote
    unique = {(r.text, round(r.confidence, 3)): r for r in readings}.values()
    cleaned = [(CLEANERS[key](r.text), r) for r in unique]
    support: dict[str, list[Reading]] = {}
    for value, r in cleaned:
        if value is not None and not r.edged and _whole(key, r.text, value):
            support.setdefault(value, []).append(r)
    for value, group in support.items():
        best = max(group, key=lambda r: r.confidence)
        # read from Chinese characters (a name, or a date written 2024年10月4日)
        cjk = any(_CJK.search(r.text) for r in group)
        sure, floor = (_CJK_VOTE_SURE, _CJK_VOTE_FLOOR) if cjk else (_VOTE_SURE, _VOTE_FLOOR)
        # every reading, from more than one model, says the same: a little less sureness
        # will do, and the others need none of their own
        unanimous = len(group) == len(cleaned) and len({r.model for r in group}) >= 2
        if len(group) < 2 or best.confidence < sure - (_UNANIMOUS_EASE if unanimous else 0.0):
            continue
        if not unanimous and sorted(r.confidence for r in group)[-2] < floor:
            continue
        dissent = [
            r.confidence
            for other, r in cleaned
            if other != value
            and r.confidence >= _VOTE_DISSENT
            and not (other is not None and _accented(value, other))
            and not (key == _NAME and other is not None and not _plausible_name(other))
        ]
        if not dissent or (
            len(group) > len(dissent) and best.confidence >= max(dissent) + _VOTE_MARGIN
        ):
            return FieldValue(value, round(best.confidence, 3), Source.OCR, raw=best.text)
    if key in _RECORDED_ONLY:
        return _best_model(key, cleaned)
    return None


def _whole(key: str, raw: str, value: str) -> bool:
    """The reading is the value as it stands, not a value its cleaning cut out of it: an email
    read `|.wilson@...` cleans to `wilson@...`, and two such readings must not outvote the
    truth (`l.wilson@...`)."""
    if key != "work_email":
        return True
    return raw.strip().strip("<>()[]\"'").rstrip(".,;:").casefold() == value.casefold()


def _best_model(key: str, cleaned: Sequence[tuple[str | None, Reading]]) -> FieldValue | None:
    """For a value no rule judges by its letters (the address), the `Latin` model's sure
    reading stands against `eng` readings a letter or two away: `Latin` is a "best" model
    (89 MB), `eng` a "fast" one (4 MB) whose slips (`q` read as `g`) are known. Different
    words, or a reading as sure from another model, still leave the value unread."""
    best = [
        (v, r)
        for v, r in cleaned
        if v is not None and r.model == "Latin" and r.confidence >= _BEST_MODEL_SURE and not r.edged
    ]
    if not best or any(o.edged for _, o in cleaned):
        return None  # a reading cut at the crop's edge: the crop may not be the value's cell
    value, r = max(best, key=lambda vr: vr[1].confidence)
    for other, o in cleaned:
        if other is None or other == value:
            continue
        if o.model == "Latin" or Levenshtein.distance(other, value) > 2:
            return None
    return FieldValue(value, round(r.confidence, 3), Source.OCR, raw=r.text)


def _plausible_name(name: str) -> bool:
    """A Latin name has at least four letters ("Li Bo"): "RH" is a Chinese name misread."""
    return _CJK.search(name) is not None or sum(c.isalpha() for c in name) >= 4


def _value_words(ws: Sequence[Word]) -> list[Word]:
    return _trim_junk([w for w in ws if w.text.strip("|_—-.,:;'\"")])


def _bare(text: str | None) -> str:
    """Lower case without combining accents; letters like ø and ß stay what they are."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in decomposed if c.isalnum())


def _accented(value: str, other: str | None) -> bool:
    """`value` is `other` with accents or letters the English model cannot read (ø, ß):
    every difference is at a non-ASCII letter of `value`, and there are at most two."""
    if other is None:
        return False
    a, b = _bare(value), _bare(other)
    if a == b:
        return True
    ops = Levenshtein.editops(a, b)
    if not ops or len(ops) > 2 or len(a) < 4:
        return False
    # a letter the other reading has more is no accent (and may be one the edge clearing cut)
    return all(op.tag in ("replace", "delete") and not a[op.src_pos].isascii() for op in ops)


def _edged(raw: str, other: str) -> bool:
    """`other` is `raw` and a word of a character or two (a speck read as `j`): the value
    itself is whole in both. Glued junk (`_72025/06/29`) does not count: a value the edge
    clearing cut a letter from would look just like it."""
    a, b = raw.strip(), other.strip()
    extra = b[len(a) :] if b.startswith(a + " ") else b[: -len(a)] if b.endswith(" " + a) else ""
    return len(a) >= 6 and 0 < len(extra.strip()) <= 2


def _digits(text: str) -> list[str]:
    return re.findall(r"\d+", text)


def _legible(ws: Sequence[Word]) -> tuple[str, float]:
    """The first pass's reading when it is confident print (English), else ""."""
    if ws and min(w.conf for w in ws) >= 0.7 and mean_conf(ws) >= 0.85:
        return join_words(ws), min(w.conf for w in ws)
    return "", 0.0


def _around(ws: Sequence[Word], h: float, region: Region | None, image: Image.Image) -> Box:
    """The crop for a value: its whole cell across (the first pass may have missed a word at
    either end), its lines down."""
    if region is not None:
        x0, x1 = region.x0, region.x1
    else:
        x0, x1 = min(w.x0 for w in ws) - 1.0 * h, max(w.x1 for w in ws) + 6.0 * h
    top = min(w.top for w in ws) - 0.6 * h
    bottom = max(w.bottom for w in ws) + 0.6 * h
    w, hh = float(image.width), float(image.height)
    return (max(0.0, x0), max(0.0, top), min(w, x1), min(hh, bottom))


def _members_box(labels: dict[str, Label], width: float) -> Box | None:
    head = labels.get("members_id")
    if head is None:
        return None
    name = labels.get("members_name")
    h = head.height
    x0 = (name.x0 if name else head.x0 - 12 * h) - 1.0 * h
    return (max(0.0, x0), head.bottom + 0.3 * h, width - h, head.bottom + 16 * h)


def _members(
    labels: dict[str, Label],
    words: Sequence[Word],
    width: float,
    page: int,
    scale: float,
    limits: ReadLimits,
    *,
    ocr: bool = False,
) -> list[Member]:
    """Rows of the students/employees table under its `Name | Registered ID` header."""
    head = labels.get("members_id")
    if head is None:
        return []
    name_head = labels.get("members_name")
    h = head.height
    split = head.x0 - 0.5 * h
    left = (name_head.x0 if name_head else 0.0) - 1.0 * h
    stop = min(
        (lab.top for lab in labels.values() if lab.page == head.page and lab.top > head.bottom + h),
        default=head.bottom + 16 * h,
    )
    rows = [
        w
        for w in words
        if (ocr or w.page == head.page)
        and w.cy > head.bottom + 0.3 * h
        and w.cy < min(stop, head.bottom + 16 * h)
        and w.x0 >= left
    ]
    members: list[Member] = []
    for line in lines_of(rows):
        name_ws = [w for w in line if w.cx < split]
        id_ws = [w for w in line if w.cx >= split]
        if not name_ws:
            continue
        conf = min(w.conf for w in line)
        if conf < limits.threshold:
            continue  # not read with confidence: leave the row out rather than guess
        name = clean_name(re.sub(r"^\d+[.)]\s*", "", join_words(name_ws)))
        reg = tidy(join_words(id_ws)).replace(" ", "") if id_ws else ""
        if name:
            members.append(Member(name, reg if _ID.match(reg) else None))
    return members


def _cleaned(key: str, raw: str, conf: float, src: Source, limits: ReadLimits) -> FieldValue:
    value = CLEANERS[key](raw)
    if value is None:
        # something is there, but it is not a value of this field: unreadable, not blank
        return FieldValue(None, round(min(conf, 0.3), 3), src, raw=raw)
    # Tesseract is less sure of Chinese print than of Latin print at the same quality
    needed = limits.cjk_threshold if _CJK.search(raw) else limits.threshold
    if conf < needed:
        return FieldValue(None, round(conf, 3), src, raw=raw)
    return FieldValue(value, round(conf, 3), src, raw=raw)


# ---- JSON ------------------------------------------------------------------------------------


def form_to_json(form: ReadForm) -> dict[str, Any]:
    """The contract's `fields`, `scanned`, `form_version`, plus each value's confidence."""
    fields: dict[str, Any] = {k: form.value(k) for k in FIELD_KEYS}
    fields["signed"] = form.signed
    fields["members"] = [{"name": m.name, "registered_id": m.registered_id} for m in form.members]
    confidence: dict[str, Any] = {
        k: (fv.confidence if (fv := form.fields.get(k)) else 0.0) for k in FIELD_KEYS
    }
    confidence["signed"] = form.signed_confidence
    confidence["form_version"] = form.form_similarity
    out: dict[str, Any] = {
        "fields": fields,
        "scanned": form.scanned,
        "form_version": form.form_version,
        "confidence": confidence,
        "unreadable": [k for k in FIELD_KEYS if (fv := form.fields.get(k)) and fv.unreadable],
        "blank": [k for k in FIELD_KEYS if (fv := form.fields.get(k)) and fv.blank],
        "is_la": form.is_la,
        "pages": form.pages,
    }
    if form.error:
        out["error"] = form.error
        out["error_detail"] = form.error_detail
    return out


def replace_fields(form: ReadForm, **changes: Any) -> ReadForm:
    return replace(form, **changes)
