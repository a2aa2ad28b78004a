"""Read an LA PDF into a `ReadForm`: fields, signature, members, scanned, form version.

The orchestrator of the reader's stages (docs/reading.md walks a PDF through them):

1. `document`: open the PDF; AcroForm values as words, each page's text-layer words, page
   images rendered within `ReadLimits`. Labels are found on the text layer (`layout`); three
   on one page make it the form page (`labels_pass.form_page_of`).
2. A digital form page: its values by label (`cells.digital_cells`), ink in a cell with no
   text read in pass 2 (`cell_ocr`), the signature by ink share (`facts.ink_verdict`).
3. A page image: the page found in a photo, flattened and made upright (`page_image`,
   `geometry`), pass 1 finds the labels (`labels_pass`), the value cells are cut around them
   (`cells.scan_cells`), the Signature cell measured
   (`facts.page_signature`), pass 2 (and 3, and the vote) read the cells (`cell_ocr`, `vote`),
   the signature settled (`facts.settle_page_signature`).
4. The LA version from all the text read, in page order (`version.match_version`); other
   image pages are OCR'd for it ahead, in a worker thread, and used only when the form page's
   text cannot tell it.

A value whose reading is not confident is None (unreadable), never a guess.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence, Set
from concurrent.futures import Future, ThreadPoolExecutor
from statistics import median
from time import perf_counter

import pypdfium2 as pdfium
from PIL import Image, ImageDraw
from pypdf.errors import PdfReadError

from licensebot.core.form import FieldValue, ReadForm, Source, VersionStatus
from licensebot.core.la import LaVersion
from licensebot.reading.cell_ocr import PRINTED_CELLS, ocr_cells, value_words
from licensebot.reading.cells import (
    Box,
    Cell,
    digital_cells,
    legible,
    pxbox,
    scale_box,
    scan_cells,
    word_in_box,
)
from licensebot.reading.clean import CLEANERS
from licensebot.reading.document import Document, Page, PageRaster, is_leader
from licensebot.reading.facts import (
    Found,
    ink_verdict,
    page_signature,
    read_members,
    settle_page_signature,
)
from licensebot.reading.filekind import is_pdf, not_pdf_reason
from licensebot.reading.geometry import FlatPage
from licensebot.reading.grid import Grid, grid_from_image
from licensebot.reading.inflate import flate_bomb
from licensebot.reading.labels_pass import (
    AS_TEXT,
    enough,
    form_page_of,
    label_column,
    read_labels,
    with_date_label,
)
from licensebot.reading.layout import FIELD_KEYS, MERGED_LABEL, Label, Word, find_labels
from licensebot.reading.limits import ReadError, ReadLimits, tick
from licensebot.reading.ocr import BODY, OcrError, ink_ratio, mean_conf, tesseract_words
from licensebot.reading.page_breaks import (
    OVERLEAF_LINES,
    carried_overleaf,
    continued_label,
    joined,
    label_rests,
)
from licensebot.reading.page_image import upright, upright_body
from licensebot.reading.regions import (
    ValueRegion,
    assign_fields,
    locate_values,
    members_region,
    up_to_the_row_above,
    within_cells,
)
from licensebot.reading.subject_list import list_by_second_engine
from licensebot.reading.version import (
    VersionMatch,
    after_reread,
    match_version,
    pages_of,
    subjects_alone_unsure,
)

__all__ = ["ReadError", "ReadLimits", "error_form", "is_pdf", "read_pdf"]

log = logging.getLogger(__name__)

#: At most this many pages read again for the version (the pages where its unsure or outdated
#: clauses stand).
REREAD_PAGES = 3


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


#: The values that wrap onto more lines of their cell: a page break may cut them with no
#: comma to show it (`_Reader._value_overleaf`).
WRAPPING = ("affiliation", "address")
#: A column taken from another page holds words this share of its width beyond its edges
#: (`_Reader._read_atop`).
COLUMN_SLACK = 0.12


def read_pdf(
    data: bytes, *, versions: Sequence[LaVersion], limits: ReadLimits | None = None
) -> ReadForm:
    """Everything the rules need from one PDF; never raises for a bad PDF (see `error`)."""
    limits = limits or ReadLimits()
    if (why := not_pdf_reason(data)) is not None:
        return error_form("not_pdf", why)
    if len(data) > limits.max_bytes:
        return error_form("too_large", f"{len(data)} bytes > {limits.max_bytes}")
    bomb = flate_bomb(data, cap=limits.memory_bytes // 2)
    if bomb is not None:
        return error_form("too_large", bomb)
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


class _Reader:
    """One PDF's read: the stages in order, their times in `timings`."""

    def __init__(
        self,
        data: bytes,
        versions: Sequence[LaVersion],
        limits: ReadLimits,
        timings: dict[str, float],
    ) -> None:
        self.versions = versions
        self.limits = limits
        self.timings = timings
        self.doc = Document(data, limits)
        #: pass 1 of each image page tried as the form page: its upright image, words, labels
        self.pass1: dict[int, tuple[Image.Image, list[Word], dict[str, Label]]] = {}
        #: the OCR text of each image page read, by page index
        self.page_text: dict[int, str] = {}
        #: the fields whose labels pass 1 found on the form page
        self.form_labels: set[str] = set()
        #: ... and where its values are (a value the page break cut goes on overleaf)
        self.form_regions: Mapping[str, ValueRegion] = {}
        #: the form page's pass 1: its upright image, words, labels
        self.form_pass1: tuple[Image.Image, list[Word], dict[str, Label]] | None = None

    def _tick(self, stage: str, since: float) -> float:
        return tick(self.timings, stage, since)

    def read(self) -> ReadForm:
        with self.doc:
            return self._read()

    def _read(self) -> ReadForm:
        t = perf_counter()
        form_words = self.doc.form_words()
        pages = self.doc.text_pages()
        t = self._tick("text", t)
        text_words = [w for p in pages for w in p.words] + form_words
        # a tab's leader between a label and its value is no word of either
        found_labels = find_labels([w for w in text_words if not is_leader(w)])
        rests = label_rests(found_labels)  # a label's rest a page break carried overleaf
        labels = assign_fields([lab for lab in found_labels if not any(lab is r for r in rests)])
        form_page = form_page_of(labels)
        doc_text = " ".join(w.text for p in pages for w in p.words)
        image_pages = [p for p in pages if p.image_page]
        complete = True
        ahead: Future[VersionMatch] | None = None
        if form_page is not None and not pages[form_page].image_page:
            found = self._read_digital(pages, pages[form_page], labels, text_words)
            scanned = False
        elif image_pages:
            found, ocr_text, complete, ahead = self._read_scanned(pages, form_page)
            doc_text = " ".join([doc_text, ocr_text])
            scanned = True
        else:
            found = Found(fields={k: FieldValue(None, 0.0) for k in FIELD_KEYS})
            scanned = False
        table = form_page is not None or any(
            fv.value is not None or fv.blank for fv in found.fields.values()
        )
        if ahead is not None and table:
            # told in the body pages' thread while the cells were read, from the same text
            # (an OCR error of its re-read is raised here, where the version is used)
            match = ahead.result()
            self.timings["version_ahead"] = 1.0  # a flag, as `page_found` is
        else:
            match = self._version(pages, doc_text, complete, table, scanned, self.page_text)
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
            version_excluded=match.excluded,
        )

    def _version(
        self,
        pages: list[Page],
        doc_text: str,
        complete: bool,
        table: bool,
        scanned: bool,
        page_text: dict[int, str],
    ) -> VersionMatch:
        """The LA version of `doc_text` (the text layer and `page_text`, each image page's
        OCR text), and of the unsure clauses' pages read again when that leaves it unsure."""
        t = perf_counter()
        match = match_version(
            doc_text,
            self.versions,
            partial=not complete,
            form_table_found=table,
            exact_text=not scanned,  # a text layer alone: what it says is all there is
        )
        self._tick("version", t)
        if scanned and complete and match.status in (VersionStatus.UNSURE, VersionStatus.OUTDATED):
            match = self._read_again(pages, match, table, page_text)
        return match

    # -- digital --

    def _read_digital(
        self, pages: list[Page], page: Page, labels: dict[str, Label], words: list[Word]
    ) -> Found:
        t = perf_counter()
        dpi = 150.0
        scale = dpi / 72
        # the form page's image, for the ink in the few cells that hold no text: rendered
        # only there (`PageRaster`), as a typed form needs no more of it
        img = self.doc.raster(page.index, dpi)
        rasters = {page.index: img}

        def image_of(index: int) -> PageRaster:
            if index not in rasters:
                rasters[index] = self.doc.raster(index, dpi)
            return rasters[index]

        grids = {page.index: self._digital_grid(page, labels, dpi, img)}
        for other in {lab.page for lab in labels.values()} - {page.index}:
            if not pages[other].image_page:  # the members table on the next page
                grids[other] = self._digital_grid(pages[other], labels, dpi)
        size = (page.width, page.height)
        regions = locate_values(labels, words, page_size=size, grids=grids)
        fields, to_ocr = digital_cells(labels, regions, words, grids, image_of, scale, self.limits)
        fields.update(carried_overleaf(fields, labels, regions, words))
        found = Found(fields=fields)
        t = self._tick("text", t)
        for index, cells in sorted(to_ocr.items()):
            image = self.doc.render(index, 300)
            ocr_cells(image, cells, found, scale=300 / dpi, limits=self.limits)
            t = self._tick("ocr", t)
        sig = regions.get("signature")
        if sig is not None:
            sig = up_to_the_row_above(sig, labels)
            # on the page the Signature cell is on (a page break may have moved it)
            printed = [pxbox(w, scale) for w in words if word_in_box(w, sig.box, sig.page)]
            ratio = ink_ratio(image_of(sig.page), scale_box(sig.box, scale), printed)
            found.signed, found.signed_conf = ink_verdict(ratio)
        members = members_region(labels, page_size=size, grids=grids)
        if members is not None:
            on_page = [w for w in words if w.page == labels["members_id"].page]
            found.members = read_members(labels, on_page, members, self.limits)
        self._tick("signature", t)
        return found

    def _digital_grid(
        self, page: Page, labels: dict[str, Label], dpi: float, img: PageRaster | None = None
    ) -> Grid:
        """The page's rules from its drawing; from its image (at `dpi`) when the
        drawing has no cell at the labels and the image has (rules drawn inside form
        XObjects, or as images), in points either way."""
        grid = self.doc.grid(page.index, page.words)
        mine = [lab for lab in labels.values() if lab.page == page.index]
        if any(_in_cell(grid, lab) for lab in mine):
            return grid
        image = img.full() if img is not None else self.doc.render(page.index, dpi)
        seen = grid_from_image(image, dpi, page.index).scaled(72 / dpi)
        return seen if any(_in_cell(seen, lab) for lab in mine) else grid

    # -- scanned --

    def _read_scanned(
        self, pages: list[Page], form_page: int | None
    ) -> tuple[Found, str, bool, Future[VersionMatch] | None]:
        """OCR the form page (known from the text layer, else found from the last page up),
        then the other pages only if the version cannot be told without them. The text comes
        back in page order: a clause running over a page break is whole only so; and whether
        every page was read.

        The other image pages are read for their text in a worker thread while the form page
        is read (Tesseract lets go of the GIL: on two cores the body text costs no wait); what
        turns out not to be needed is dropped. When the form is on the page read first, that
        thread goes on, once pass 1 has read the form page, to tell the version (and read the
        unsure clauses' pages again) while the cells are read: the version of a form whose
        table was found, as `_read` would tell it afterwards, done when this returns."""
        ocr_text: dict[int, str] = {}
        layer_text = " ".join(w.text for p in pages for w in p.words)
        candidates = (
            [form_page]
            if form_page is not None
            else [p.index for p in reversed(pages) if p.image_page]
        )
        result: Found | None = None
        read_pages: set[int] = set()
        body = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body")
        # the body pages' text as `_read_body` gathers it, and the version from it
        gathered: Future[tuple[dict[int, str], bool]] | None = None
        version: Future[VersionMatch] | None = None

        def version_ahead(index: int, words: list[Word]) -> None:
            # pass 1 found the form on `index`: its text and the body pages' are all there is
            nonlocal gathered, version
            if index != candidates[0]:
                return  # pages searched before it are not read in the body pages' thread
            text = {} if pages[index].words else {index: " ".join(w.text for w in words)}
            unread = [p.index for p in pages if p.image_page and not p.words and p.index != index]
            # queued on the one thread after the pages' own reads, so their futures are done
            gathered = body.submit(self._gather, unread, dict(ahead), text, layer_text)
            version = body.submit(self._version_of, pages, gathered, layer_text)

        try:
            others = [p for p in pages if p.image_page and not p.words and p.index != candidates[0]]
            ahead = self._body_ahead(body, others)
            for index in candidates:
                result, words = self._read_scanned_page(index, version_ahead)
                read_pages.add(index)
                if not pages[index].words:
                    ocr_text[index] = " ".join(w.text for w in words)
                if result is not None:
                    self._table_before(index, result, pages)
                    self._table_overleaf(index, result, pages)
                    break
            t = perf_counter()
            if gathered is not None and result is not None:
                ocr_text, complete = gathered.result()
            else:
                version = None
                unread = [
                    p.index
                    for p in pages
                    if p.image_page and not p.words and p.index not in read_pages
                ]
                complete = self._read_body(unread, ahead, ocr_text, layer_text, result is not None)
            self._tick("ocr_body", t)
        finally:
            body.shutdown(wait=True, cancel_futures=True)
        if result is None:
            result = Found(fields={k: FieldValue(None, 0.0, Source.OCR) for k in FIELD_KEYS})
        self.page_text = ocr_text
        return result, " ".join(ocr_text[i] for i in sorted(ocr_text)), complete, version

    def _gather(
        self,
        unread: list[int],
        ahead: dict[int, Future[str]],
        ocr_text: dict[int, str],
        layer_text: str,
    ) -> tuple[dict[int, str], bool]:
        """`_read_body` for a form whose table was found: the text, whether every page was
        read."""
        complete = self._read_body(unread, ahead, ocr_text, layer_text, True)
        return ocr_text, complete

    def _version_of(
        self, pages: list[Page], gathered: Future[tuple[dict[int, str], bool]], layer_text: str
    ) -> VersionMatch:
        """The version of a form whose table was found, from the gathered text (done: queued
        before this on the same thread)."""
        ocr_text, complete = gathered.result()
        doc_text = " ".join([layer_text, " ".join(ocr_text[i] for i in sorted(ocr_text))])
        return self._version(pages, doc_text, complete, True, True, ocr_text)

    def _read_again(
        self, pages: list[Page], match: VersionMatch, table: bool, page_text: dict[int, str]
    ) -> VersionMatch:
        """The pages where the clauses that decided an OCR'd version stand, read again at
        `reread_dpi` as one text block per page (`REREAD_PSM`; by the layout too when that
        tells no version), and the version told from that.

        Which verdict stands is `version.after_reread`'s."""
        outdated = match.status is VersionStatus.OUTDATED
        # unsure: what it could not tell, and the absences too few to call it outdated (one
        # contact line, a page's last, lost at the body's resolution)
        names = set(match.missing) | set(match.changed)
        if not outdated:
            names |= set(match.unsure)
        if not names or not page_text:
            return match
        wanted = pages_of(match, names, page_text)
        if not wanted or (not outdated and len(wanted) > REREAD_PAGES):
            return match
        t = perf_counter()
        text = dict(page_text)
        dpi = self.limits.reread_dpi
        read: dict[int, tuple[Image.Image, list[Word]]] = {}
        for index in wanted:
            image = upright_body(self.doc.render(index, dpi), dpi)
            words = self._reread_words(image, index, psm=REREAD_PSM)
            text[index] = " ".join(w.text for w in words)
            read[index] = (image, words)
        layer = " ".join(w.text for p in pages for w in p.words)
        reread = " ".join([layer, *(text[i] for i in sorted(text))])
        again = match_version(reread, self.versions, form_table_found=table)
        first = " ".join([layer, *(page_text[i] for i in sorted(page_text))])
        settled = after_reread(
            match,
            again,
            lambda: match_version(
                reread,
                self.versions,
                form_table_found=table,
                also=[first],
            ),
        )
        readings = [first]
        if settled.status is not VersionStatus.MATCH:
            # one block lost what the automatic layout kept (a number of the subject list):
            # the same pages by the layout too, every clause as the reading that found it
            laid_out = " ".join(
                [layer, *(self._reread_text(read[i][0], i, psm=3) for i in sorted(read))]
            )
            readings.append(laid_out)
            union = match_version(reread, self.versions, form_table_found=table, also=readings)
            if union.status is VersionStatus.MATCH:
                settled = union
        if subjects_alone_unsure(settled):
            # numbers of the list neither reading saw (`110, 115` read `15`): the other
            # engine reads the list's lines; a number printed there is one it reads too,
            # while a number an older list lacks is in no reading
            listed = " ".join(list_by_second_engine(*read[i]) for i in sorted(read))
            if listed:
                both = match_version(
                    reread, self.versions, form_table_found=table, also=[*readings, listed]
                )
                if both.status is VersionStatus.MATCH:
                    settled = both
        self._tick("version_reread", t)
        log.debug("pdf.version.reread pages=%s %s -> %s", wanted, match.status, settled.status)
        return settled

    def _reread_words(self, image: Image.Image, index: int, *, psm: int) -> list[Word]:
        return tesseract_words(
            image, lang="eng", psm=psm, timeout=self.limits.ocr_timeout, page=index, lane=BODY
        )

    def _reread_text(self, image: Image.Image, index: int, *, psm: int) -> str:
        return " ".join(w.text for w in self._reread_words(image, index, psm=psm))

    def _body_ahead(self, pool: ThreadPoolExecutor, pages: list[Page]) -> dict[int, Future[str]]:
        """Start reading `pages` for their text in `pool`; rendered here (pdfium is not to be
        called from two threads), read there."""
        dpi = self.limits.body_dpi
        return {
            p.index: pool.submit(self._body_text, self.doc.render(p.index, dpi), p.index)
            for p in pages
        }

    def _read_body(
        self,
        unread: list[int],
        ahead: dict[int, Future[str]],
        ocr_text: dict[int, str],
        layer_text: str,
        table: bool,
    ) -> bool:
        """Add the text of the unread pages to `ocr_text`, in page order, until the version
        is told (every clause of a version read: the rest cannot change that). Whether every
        page was read."""
        for index in unread:
            so_far = " ".join([layer_text, *(ocr_text[i] for i in sorted(ocr_text))])
            match = match_version(so_far, self.versions, partial=True, form_table_found=table)
            if match.version is not None:
                return False
            future = ahead.pop(index, None)
            if future is None:
                image = self.doc.render(index, self.limits.body_dpi)
                ocr_text[index] = self._body_text(image, index)
            else:
                ocr_text[index] = future.result()
        return True

    def _body_text(self, raw: Image.Image, index: int) -> str:
        """A page's words at low resolution: enough to tell which LA text it is. At 150 dpi
        Tesseract read development scans worse, not better (whole lines of a skewed page lost,
        blocks out of order), and one block (psm 6) loses lines of a page not deskewed."""
        image = upright_body(raw, self.limits.body_dpi)
        timeout = self.limits.ocr_timeout
        words = tesseract_words(image, lang="eng", psm=3, timeout=timeout, page=index, lane=BODY)
        if mean_conf(words) < 0.6:
            # read so poorly it may be on its head; but a page read poorly either way (a
            # Chinese translation beside the clauses, a worn copy) keeps the better reading
            turned = tesseract_words(
                image.rotate(180), lang="eng", psm=3, timeout=timeout, page=index, lane=BODY
            )
            if mean_conf(turned) > mean_conf(words):
                words = turned
        return " ".join(w.text for w in words)

    def _read_scanned_page(
        self, index: int, on_form: Callable[[int, list[Word]], None] | None = None
    ) -> tuple[Found | None, list[Word]]:
        """The form's facts from one page image (None: no form found on it), and the words
        pass 1 read there; `on_form` is told the page and those words as soon as pass 1 has
        found the form there."""
        t = perf_counter()
        dpi = float(self.limits.ocr_dpi)
        image = self.doc.render(index, dpi)
        t = self._tick("image", t)
        flat = upright(image, dpi)
        self._note_page(flat)
        t = self._tick("geometry", t)
        image, words, labels = read_labels(flat, index, self.limits)
        t = self._tick("ocr_pass1", t)
        if not enough(labels):
            self.pass1[index] = (image, words, labels)
            return None, words
        if on_form is not None:
            on_form(index, words)
        self.form_labels = set(labels)
        self.form_pass1 = (image, words, labels)
        # the rules before anything is erased: the same pixels as pass 1's words
        grids = {index: grid_from_image(image, dpi, index)}
        labels = within_cells(labels, grids)  # no hint's words from the next cell
        size = (float(image.width), float(image.height))
        regions = locate_values(labels, words, page_size=size, grids=grids)
        self.form_regions = regions
        fields, cells = scan_cells(labels, regions, words, image, grids)
        found = Found(fields=fields)
        signature, sig_cell = page_signature(
            image, labels, regions, words, grids, index, self.limits
        )
        if signature is not None:
            found.signed, found.signed_conf = signature.ink.signed, signature.ink.confidence
        if sig_cell is not None:
            cells.append(sig_cell)
        t = self._tick("signature", t)
        self._read_cells(image, regions, cells, found, labels)
        if signature is not None:
            settle_page_signature(
                signature, image, found, cell_read=sig_cell is not None, limits=self.limits
            )
        self._tick("ocr_pass2", t)
        return found, words

    def _read_cells(
        self,
        image: Image.Image,
        regions: Mapping[str, ValueRegion],
        cells: list[Cell],
        found: Found,
        labels: dict[str, Label],
    ) -> None:
        """Pass 2 (and 3) over a page's cells; a label sharing its cell with the value (the
        value wraps under it) is blanked first: no part of it."""
        masks = [m for r in regions.values() for m in r.mask]
        ocr_cells(
            blanked(image, masks),
            cells,
            found,
            scale=1.0,
            limits=self.limits,
            labels=labels,
            recheck=True,
        )

    def _pass1_of(self, index: int) -> tuple[Image.Image, list[Word], dict[str, Label]]:
        """Pass 1 of another page than the form page: read once (when the form page was searched
        from the last page up, it was read then), kept in `pass1`."""
        if index not in self.pass1:
            dpi = float(self.limits.ocr_dpi)
            flat = upright(self.doc.render(index, dpi), dpi)
            self.pass1[index] = read_labels(flat, index, self.limits)
        return self.pass1[index]

    def _table_before(self, index: int, found: Found, pages: list[Page]) -> None:
        """A signer table that a page break cut after its first rows: the form page (found by
        its Signature and Date rows) lacks the labels of the rows above, and the page before
        ends with them. The values of those rows are read there, as on the form page."""
        missing = [k for k in FIELD_KEYS if k not in self.form_labels]
        prev = index - 1
        if not missing or prev < 0 or not pages[prev].image_page:
            return
        t = perf_counter()
        image, words, labels = self._pass1_of(prev)
        split = None
        if self.form_pass1 is not None:
            split = continued_label(labels.values(), self.form_pass1[2].values())
        rest: FieldValue | None = None
        if split is not None:
            # the form page's top row is the rest of the row the page break cut: its label
            # no label, its value the rest of the cut value
            taken = split[1].field
            rest = found.fields.pop(taken, None)
            found.cut.pop(taken, None)
            self.form_labels.discard(taken)
            self.form_regions = {k: r for k, r in self.form_regions.items() if k != taken}
            missing = [k for k in FIELD_KEYS if k not in self.form_labels]
        keys = tuple(k for k in missing if k in labels)
        # a row's worth is not a table: the LA's own text names an affiliation too
        if len(keys) < min(2, len(missing)):
            self._tick("ocr_pass1", t)
            return
        grids = {prev: grid_from_image(image, float(self.limits.ocr_dpi), prev)}
        # the table goes on at the form page: a value wrapped to the margin at this page's
        # foot is the value's, as when the next row's label follows it on the same page
        # (`..., University of` / `Melbourne`, then `E-mail:` overleaf)
        only, regions = self._read_rows(image, words, labels, grids, keys, found, overleaf=True)
        self._value_carried(found, only, regions, wrapped=split is None)
        if split is not None and split[0].field in only:
            key = split[0].field
            head = found.cut.get(key, found.fields.get(key))
            if head is not None:
                self._join(found, key, head, rest)
        self._tick("ocr_pass2", t)

    def _read_rows(
        self,
        image: Image.Image,
        words: list[Word],
        labels: dict[str, Label],
        grids: Mapping[int, Grid],
        keys: tuple[str, ...],
        found: Found,
        *,
        overleaf: bool = False,
    ) -> tuple[dict[str, Label], dict[str, ValueRegion]]:
        """The values of `keys`' rows on another page than the form page, read as there:
        their labels found and their regions (`overleaf`: the table goes on at the next
        page)."""
        size = (float(image.width), float(image.height))
        regions = locate_values(
            labels, words, page_size=size, grids=grids, keys=keys, overleaf=overleaf
        )
        only = {k: labels[k] for k in keys if k in regions}
        fields, cells = scan_cells(only, {k: regions[k] for k in only}, words, image, grids)
        found.fields.update({k: v for k, v in fields.items() if k in only})
        self._read_cells(image, regions, cells, found, labels)
        return only, regions

    def _table_overleaf(self, index: int, found: Found, pages: list[Page]) -> None:
        """A signer table that a page break cut: the Signature cell (and the Date cell beside
        it), or the Date row alone, is not on the form page but at the top of the next. Its
        ink is measured there, and the date read there when the form page has no Date label
        (pass 1 of that page, read already when the form page was searched from the last page
        up, else now)."""
        date = found.fields.get("date")
        date_missing = date is None or (date.value is None and not date.blank and not date.raw)
        if (found.signed is not None and not date_missing) or index + 1 >= len(pages):
            return
        nxt = index + 1
        if not pages[nxt].image_page:
            return
        t = perf_counter()
        image, words, labels = self._pass1_of(nxt)
        self._tick("ocr_pass1", t)
        if date_missing:
            # `Date` read `Pate` beside the Signature; `日期` read `日其` in a Date row alone
            labels = with_date_label(labels, words)
        if found.signed is None and "signature" not in labels and "date" in labels:
            # the Signature row overleaf too, its label missed by pass 1 (a Chinese `签字：`
            # above `日期：`): the labels' column down to the Date label read by the second
            # engine, as on a form page (`label_column`). Without it the signature was not
            # looked for, and the signature's row was read as the rest of the cut address
            under = labels["date"].bottom + labels["date"].height
            labels = label_column(image, labels, (0.0, under), nxt)
        if "signature" not in labels and not (date_missing and "date" in labels):
            return  # the next page does not go on with the table (the Date row alone may)
        # the table goes on overleaf: a value "left blank" in its last rows on the form page
        # may stand overleaf too (a row the page break cut): a person looks, the applicant is
        # not told to fill in what they filled in
        blank = set()
        for key, fv in list(found.fields.items()):
            if fv.blank and key in FIELD_KEYS:
                found.fields[key] = FieldValue(None, 0.0, Source.OCR, raw=fv.raw)
                blank.add(key)
        dpi = float(self.limits.ocr_dpi)
        grids = {nxt: grid_from_image(image, dpi, nxt)}
        self._value_overleaf(found, image, words, labels, grids[nxt], blank=blank)
        # whole rows the page break carried overleaf, labels and values (`Work email | Date`
        # at the form page's foot, `ADDRESS` and its value over `SIGNATURE` at the next
        # page's head): read there as on the form page (the address had been reported unread)
        rows = tuple(
            k for k in FIELD_KEYS if k != "date" and k not in self.form_labels and k in labels
        )
        if rows:
            self._read_rows(image, words, labels, grids, rows, found)
        t = perf_counter()
        size = (float(image.width), float(image.height))
        keys = ("signature", "date") if date_missing and "date" in labels else ("signature",)
        regions = locate_values(labels, words, page_size=size, grids=grids, keys=keys)
        if "date" in regions:
            only = {"date": labels["date"]}
            fields, cells = scan_cells(only, {"date": regions["date"]}, words, image, grids)
            if "date" in fields:  # blank there, or no value
                found.fields["date"] = fields["date"]
            # (the rest of a form read as print: its date is voted on as print's are)
            ocr_cells(
                image,
                cells,
                found,
                scale=1.0,
                limits=self.limits,
                labels=labels,
                printed=read_as_print(found),
            )
        if found.signed is not None or "signature" not in labels:
            self._tick("signature", t)
            return
        signature, sig_cell = page_signature(image, labels, regions, words, grids, nxt, self.limits)
        if signature is None:
            return
        found.signed, found.signed_conf = signature.ink.signed, signature.ink.confidence
        if sig_cell is not None:
            ocr_cells(image, [sig_cell], found, scale=1.0, limits=self.limits, labels=labels)
        settle_page_signature(
            signature, image, found, cell_read=sig_cell is not None, limits=self.limits
        )
        self._tick("signature", t)

    def _value_overleaf(
        self,
        found: Found,
        image: Image.Image,
        words: list[Word],
        labels: dict[str, Label],
        grid: Grid | None = None,
        *,
        blank: Set[str] = frozenset(),
    ) -> None:
        """A row the page break cut: the form page's last value read stops short
        (`Found.cut`: a comma, `1037 Luoyu Road, Hongshan District,`), and the next page
        opens with its last lines, above the table's next label and across the same column.
        Those lines are read as a cell of their own, by the same passes and rules; the value
        is the two parts, and unread when the rest is. Or the page break cut the row after
        its label: the form page's last value was blank there (one of `blank`), and the
        lines overleaf are the whole value (a stacked table's `Full address of the
        affiliation` at one page's foot, the address at the next one's head; reported unread
        before), read from the label's left as `_value_carried` reads a row carried to the
        form page."""
        cut = [k for k in found.cut if k in self.form_regions and k in found.fields]
        if not labels:
            return
        lowest = self._lowest_row()
        if not cut and lowest is not None and lowest in blank and self.form_pass1 is not None:
            label = self.form_pass1[2].get(lowest)
            x0, _, x1, _ = self.form_regions[lowest].box
            x0 = min(x0, label.x0) if label is not None else x0
            whole = self._read_atop(
                lowest, (x0, x1), image, words, labels, printed=read_as_print(found), grid=grid
            )
            if whole is not None:
                found.fields[lowest] = whole
            return
        if cut:
            key = max(cut, key=lambda k: self.form_regions[k].box[3])  # the lowest: the cut row
            head = found.cut[key]
        else:
            # no comma to tell it, but a value that wraps (an address, an affiliation) in
            # the form page's last row, the table going on overleaf: the lines above the next
            # page's first label across its column are its own (`Cambridge` here, `CB4 0WS,
            # United Kingdom` there); none there, and it is whole
            last = self._last_row_value(found)
            if last is None:
                return
            key, head = last, found.fields[last]
        x0, _, x1, _ = self.form_regions[key].box
        tail = self._read_atop(
            key, (x0, x1), image, words, labels, printed=read_as_print(found), grid=grid
        )
        if tail is None:
            return
        self._join(found, key, head, tail)

    @staticmethod
    def _join(found: Found, key: str, head: FieldValue, tail: FieldValue | None) -> None:
        """`key`'s value: `head` and its `tail` from the other side of a page break
        (`page_breaks.joined`)."""
        found.fields[key] = joined(key, head, tail, cut=key in found.cut)

    def _lowest_row(self) -> str | None:
        """The field whose region lies lowest on the form page (None: no region)."""
        regions = self.form_regions
        if not regions:
            return None
        return max(regions, key=lambda k: (regions[k].page, regions[k].box[3]))

    def _last_row_value(self, found: Found) -> str | None:
        """The value that may wrap (`WRAPPING`) in the form page's lowest row, when read:
        no other value's region lies below it on the page."""
        lowest = self._lowest_row()
        fv = found.fields.get(lowest) if lowest is not None else None
        if lowest not in WRAPPING or fv is None or fv.value is None:
            return None
        return lowest

    def _value_carried(
        self,
        found: Found,
        before: Mapping[str, Label],
        regions: Mapping[str, ValueRegion],
        *,
        wrapped: bool = True,
    ) -> None:
        """A row the page break cut after its labels: the last row of those read on the page
        before (`_table_before`) is blank there, its values carried to the top of the form
        page, above the table's first label there and across the same columns (Word breaks a
        row across pages: `Affiliation` at the foot of one page, `Technical University of
        Munich` at the head of the next; `Name | Title` and, overleaf, `Andrés Muñoz |
        Research Group Leader`). Those lines are the values, read by the same passes and
        rules; no value is told missing that was typed overleaf.

        Or the break cut the row in the middle of a value that wraps (`wrapped`, `WRAPPING`):
        its first line read on the page before (`Northgate Institute for Advanced
        Computational`), the lines atop the form page in its column its rest (`Research and
        Human-Centred AI`, beside an empty label cell): the value is both, unread when the
        rest is (the first line alone had been recorded)."""
        read = [k for k in before if k in regions and k in found.fields]
        if not read or self.form_pass1 is None:
            return
        lowest = max(before[k].top for k in read)
        height = median(before[k].bottom - before[k].top for k in read)
        row = sorted(
            (k for k in read if before[k].top > lowest - height), key=lambda k: before[k].x0
        )
        image, words, labels = self.form_pass1
        printed = read_as_print(found)
        for i, key in enumerate(row):
            # a value cut short (`..., University of`: `Found.cut`) is the value's head too
            head = found.cut.get(key, found.fields[key])
            if not head.blank and not (wrapped and key in WRAPPING and head.value is not None):
                continue
            # from the label's left (a stacked table's value stands below its label, where no
            # value was found: the region is guessed right of the label) to the next label's
            label, box = before[key], regions[key].box
            x0 = min(box[0], label.x0)
            x1 = before[row[i + 1]].x0 - height if i + 1 < len(row) else max(box[2], label.x1)
            value = self._read_atop(key, (x0, x1), image, words, labels, printed=printed)
            if value is None:
                continue
            if head.blank:
                found.fields[key] = value
            else:
                self._join(found, key, head, value)

    def _read_atop(
        self,
        key: str,
        column: tuple[float, float],
        image: Image.Image,
        words: list[Word],
        labels: dict[str, Label],
        *,
        printed: bool,
        grid: Grid | None = None,
    ) -> FieldValue | None:
        """The lines at the top of a page, above its first label's row (its cell's top rule
        in `grid`, else the label) and across `column`, read as `key`'s cell of their own by
        the same passes and rules (`printed`: the rest of the form was read as print; None: no
        such lines)."""
        if not labels:
            return None
        x0, x1 = column
        first = min(labels.values(), key=lambda lab: min(w.top for w in lab.words))
        top = min(w.top for w in first.words)
        height = median(w.height for w in first.words)
        row = grid.cell_containing((first.x0, first.top, first.x1, first.bottom)) if grid else None
        if row is not None and row.top < top:
            # a label set in the middle of a tall row (`签字：` beside the signature's room):
            # the lines above it in its own row are the row's (the pen's), not the value's
            top = row.top
        pad = 2 * height
        # the column comes from the other page, flattened, deskewed and lit on its own: its
        # edges may stand a little off this page's (a phone app's pages, each cropped and
        # turned apart: a name 58 px left of its column, a tenth of its width)
        slack = max(pad, COLUMN_SLACK * (x1 - x0))
        lines = value_words(
            [
                w
                for w in words
                if w.bottom <= top and w.top >= top - OVERLEAF_LINES * 1.8 * height
                if x0 - slack <= w.x0 and w.x1 <= x1 + slack
                # print's size: a pen's scrawl reaching up from the signing line below (read
                # `人` two lines tall) is no line of a value
                if w.height <= MERGED_LABEL * height
            ]
        )
        if not any(w.conf >= AS_TEXT for w in lines):
            return None  # nothing there reads as print (a scrawl's tail read `全` at 0.0)
        box = (
            max(0.0, min(w.x0 for w in lines) - pad),
            max(0.0, min(w.top for w in lines) - 0.6 * height),
            min(float(image.width), max(w.x1 for w in lines) + pad),
            max(w.bottom for w in lines) + 0.6 * height,
        )
        rest = Found(fields={key: FieldValue(None, 0.0, Source.OCR)})
        cell = Cell(key, box, *legible(lines), lines=OVERLEAF_LINES)
        ocr_cells(
            image,
            [cell],
            rest,
            scale=1.0,
            limits=self.limits,
            labels=labels,
            recheck=True,
            printed=printed,
        )
        return rest.fields[key]

    def _note_page(self, flat: FlatPage) -> None:
        """What the geometry did to the form page, beside the stages' times (not seconds:
        `page_found` 1 when a photo's page was found and warped flat, `page_turned` degrees)."""
        self.timings["page_found"] = float(flat.found)
        self.timings["page_turned"] = float(flat.turned)
        log.debug(
            "pdf.geometry found=%s turned=%d conf=%.2f skew=%.1f quad=%s",
            flat.found,
            flat.turned,
            flat.upright_conf,
            flat.skew,
            flat.quad,
        )


#: Tesseract's page segmentation for the version's re-read: one block of text. The first
#: reading's (psm 3, automatic layout) drops a block it takes for a picture: a worn copier's
#: streak beside `3. Citations` lost the heading, the citation and the lines around them at
#: every resolution, and a current LA read as one without them. The re-read reads the page
#: flattened and deskewed, where one block keeps every line; the two readings are weighed
#: together (`version.after_reread`), each clause as the one that found it. Where that
#: tells no version, the same pages are read by the layout too (one block lost a number of
#: the subject list the layout kept) and all three readings weighed together.
REREAD_PSM = 6


def read_as_print(found: Found) -> bool:
    """The form's values read so far are print: enough of them settled (a handwritten form's
    are not), so that a few cells read on their own are weighed as print's."""
    settled = sum(1 for k, fv in found.fields.items() if k in CLEANERS and fv.value is not None)
    return settled >= PRINTED_CELLS


def _in_cell(grid: Grid, lab: Label) -> bool:
    return grid.cell_containing(lab.box) is not None


def blanked(image: Image.Image, boxes: Sequence[Box]) -> Image.Image:
    """`image` with `boxes` painted white (a copy; the image itself when there are none)."""
    if not boxes:
        return image
    out = image.copy()
    draw = ImageDraw.Draw(out)
    for x0, top, x1, bottom in boxes:
        draw.rectangle((x0, top, x1, bottom), fill=255)
    return out
