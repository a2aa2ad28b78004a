"""From a page's labels to its value cells: where each value is, and what to OCR in pass 2.

A value stands right of its label up to the next label in the row, or else below it up to
the next label (`layout.value_regions`). On a digital page (`digital_cells`) the typed words
there are the value; a region with no words but ink is a `Cell` to OCR (handwriting drawn with
a tablet). On a page image (`scan_cells`) every value is a `Cell` cut around pass 1's words
(with pass 1's reading when it was confident print), or the whole region when pass 1 read
nothing there but ink is; no ink is a blank field. A table-rule stage that knows the cells'
real borders replaces `value_regions` here (and `members_area`, `signature_box`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from licensebot.core.form import FieldValue, Reading, Source
from licensebot.reading.document import Page
from licensebot.reading.layout import (
    FIELD_KEYS,
    Label,
    Region,
    Word,
    first_lines,
    join_words,
    value_regions,
    words_in,
)
from licensebot.reading.limits import ReadLimits
from licensebot.reading.ocr import ink_ratio, mean_conf
from licensebot.reading.vote import cleaned

Box = tuple[float, float, float, float]


#: Share of a value cell covered by ink above which "nothing typed here" means "handwritten".
CELL_INK = 0.004


@dataclass
class Cell:
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


def cell_for(
    key: str,
    lab: Label,
    others: Sequence[Label],
    words: Sequence[Word],
    label_ids: set[int],
    image: Image.Image,
    width: float,
) -> Cell | None:
    """Where to OCR the value in pass 2; None when the cell is empty (blank)."""
    h = lab.height
    # a value after "Label:" in the label's own run; but junk after a colon OCR made up (the
    # label's `company...)` read as `compan: oe)`) gives way to a legible value in the cell
    inline = None
    if lab.inline:
        inline = Cell(key, around(lab.inline, h, None, image), *legible(lab.inline))
        if inline.pass1:
            return inline
    for region in value_regions(lab, others, width):
        inside = words_in(region, words, label_ids)
        inside = [w for w in inside if w.text.strip("|_—-.,:;'\"")]
        if inside:
            ws = first_lines(inside, 1 if not region.below else 2)
            cell = Cell(key, around(ws, h, region, image), *legible(ws))
            if inline is None or cell.pass1:
                return cell
            break
    if inline is not None:
        return inline
    for region in value_regions(lab, others, width):
        box = (region.x0, region.top, region.x1, region.bottom)
        if ink_ratio(image, box) > CELL_INK:
            return Cell(key, box, empty=True)
    return None


def legible(ws: Sequence[Word]) -> tuple[str, float]:
    """The first pass's reading when it is confident print (English), else ""."""
    if ws and min(w.conf for w in ws) >= 0.7 and mean_conf(ws) >= 0.85:
        return join_words(ws), min(w.conf for w in ws)
    return "", 0.0


def around(ws: Sequence[Word], h: float, region: Region | None, image: Image.Image) -> Box:
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


def members_area(labels: dict[str, Label], width: float) -> Box | None:
    """The members table's rows under its `Name | Registered ID` header, for pass 2."""
    head = labels.get("members_id")
    if head is None:
        return None
    name = labels.get("members_name")
    h = head.height
    x0 = (name.x0 if name else head.x0 - 12 * h) - 1.0 * h
    return (max(0.0, x0), head.bottom + 0.3 * h, width - h, head.bottom + 16 * h)


def signature_box(sig: Label, others: Sequence[Label], width: float) -> Box:
    """The Signature cell: right of its label to the next label, and the space below it."""
    right, below = value_regions(sig, others, width)
    return (
        min(right.x0, below.x0 + sig.height),
        right.top - sig.height,
        right.x1,
        max(right.bottom + sig.height, below.bottom),
    )


def px(region: Region, scale: float) -> Box:
    return (region.x0 * scale, region.top * scale, region.x1 * scale, region.bottom * scale)


def scale_box(box: Box, s: float) -> Box:
    return (box[0] * s, box[1] * s, box[2] * s, box[3] * s)


def pxbox(w: Word, scale: float) -> Box:
    return (w.x0 * scale, w.top * scale, w.x1 * scale, w.bottom * scale)


def word_in_box(w: Word, box: Box, page: int) -> bool:
    return w.page == page and box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]


def digital_cells(
    page: Page,
    labels: dict[str, Label],
    words: Sequence[Word],
    img: Image.Image,
    scale: float,
    limits: ReadLimits,
) -> tuple[dict[str, FieldValue], list[Cell]]:
    """A text-layer page's values by its labels, and the cells with ink but no text (in
    pixels of `img`, rendered at `scale` pixels a point) for pass 2."""
    fields: dict[str, FieldValue] = {}
    label_ids = {id(w) for lab in labels.values() for w in lab.words}
    others = list(labels.values())
    to_ocr: list[Cell] = []
    for key in FIELD_KEYS:
        lab = labels.get(key)
        if lab is None:
            fields[key] = FieldValue(None, 0.0)
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
            src = Source.FORM if any(w.source == Source.FORM for w in value_words) else Source.TEXT
            fields[key] = cleaned(key, join_words(value_words), 1.0, src, limits)
            continue
        # nothing typed: ink there is handwriting (or a pasted image) to OCR
        inked = [r for r in regions if ink_ratio(img, px(r, scale)) > CELL_INK]
        if inked:
            to_ocr.append(Cell(key, px(inked[0], scale), empty=True))
        else:
            fields[key] = FieldValue(None, 1.0, Source.TEXT, blank=True)
    return fields, to_ocr


def scan_cells(
    labels: dict[str, Label], words: Sequence[Word], image: Image.Image
) -> tuple[dict[str, FieldValue], list[Cell]]:
    """A page image's fields found missing or blank, and the cells to read in pass 2 (the
    members table's last)."""
    fields: dict[str, FieldValue] = {}
    width = float(image.width)
    others = list(labels.values())
    label_ids = {id(w) for lab in labels.values() for w in lab.words}
    cells: list[Cell] = []
    for key in FIELD_KEYS:
        lab = labels.get(key)
        if lab is None:
            fields[key] = FieldValue(None, 0.0, Source.OCR)
            continue
        cell = cell_for(key, lab, others, words, label_ids, image, width)
        if cell is None:
            fields[key] = FieldValue(None, 0.9, Source.OCR, blank=True)
        else:
            cells.append(cell)
    members_box = members_area(labels, width)
    if members_box is not None:
        cells.append(Cell("members", members_box))
    return fields, cells
