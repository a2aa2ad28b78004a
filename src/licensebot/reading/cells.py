"""From a page's value regions to its values: the words in each, and what to OCR in pass 2.

Where each value is comes from `regions.locate_values` (its label, the words, the table's
rules and cells in `grid`): a whole cell, the text right of or under a label, the line after
it. On a digital page (`digital_cells`) the typed words in the region are the value (every
line of it); a region with no words but ink is a `Cell` to OCR (handwriting drawn with a
tablet). On a page image (`scan_cells`) every value is a `Cell` cut to its region, with pass
1's reading when it was confident print, as many lines as pass 1 saw there; a region with
ink but no words read is read whole; no ink is a blank field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from statistics import median

from PIL import Image

from licensebot.core.form import FieldValue, Reading, Source
from licensebot.reading.grid import Grid
from licensebot.reading.layout import FIELD_KEYS, Label, Word, is_filler, join_words
from licensebot.reading.limits import ReadLimits
from licensebot.reading.ocr import Raster, ink_ratio, mean_conf
from licensebot.reading.regions import MAX_LINES, ValueRegion, members_region, region_words
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
    words: list[Word] = field(default_factory=list)  # pass 2's words of the value, in order
    lines: int = 2  # lines of words the value holds (as pass 1 saw them)
    #: Which of the box's sides (left, right) are its own table cell's column rules: a value
    #: cannot run on past them, so print close to them is not cut by the crop.
    ruled: tuple[bool, bool] = (False, False)
    #: The value stands on an underline (its region's): a comma's tail reaches into the line
    #: and goes with it, and every engine reads a period.
    underlined: bool = False

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


def value_words(
    region: ValueRegion,
    words: Sequence[Word],
    grids: Mapping[int, Grid],
    labels: Mapping[str, Label],
) -> list[Word]:
    """The value's words in its region, in reading order: no label's (a label sharing its
    cell with the value) and no filler (rules read as `|`, underscores), nor the label's own
    wording run on (`label_tail`)."""
    return value_and_tail(region, words, grids, labels)[0]


def value_and_tail(
    region: ValueRegion,
    words: Sequence[Word],
    grids: Mapping[int, Grid],
    labels: Mapping[str, Label],
) -> tuple[list[Word], list[Word]]:
    """`value_words`, and the label's wording left out of them. Label words running on after
    the label on its own line are the label's wording the synonyms did not cover (`Work email
    address`, `Full address` `of the affiliation`), not the value's: left out when the value
    stands under the label, or when they are all there is (the value went overleaf)."""
    mine = {id(w) for lab in labels.values() for w in lab.words}
    inside = [w for w in region_words(region, words, grids) if id(w) not in mine]
    ws = [w for w in inside if not is_filler(w) or attached_mark(w, inside)]
    own = labels.get(region.field)
    if own is None:
        return ws, []
    tail = label_tail(ws, own)
    under = any(w.page == own.page and w.top > own.bottom for w in ws)
    if not tail or not (under or len(tail) == len(ws)):
        return ws, []
    dropped = {id(w) for w in tail}
    return [w for w in ws if id(w) not in dropped], tail


#: Marks a text layer may hold as words of their own (`s.kjr@tum` `.` `de`, `21` `,` `80333`).
MARKS = frozenset(".,;:")


def attached_mark(w: Word, words: Sequence[Word]) -> bool:
    """A punctuation mark of a text layer set as a word of its own, right after a word of
    the value: the value's own (an email's dot, an address's comma, dropped as filler with
    it: `s.kjr@tum de`, unread)."""
    if w.source != Source.TEXT or w.text not in MARKS:
        return False
    return any(
        o is not w
        and o.page == w.page
        and not is_filler(o)
        and abs(o.x1 - w.x0) <= 0.3 * o.height
        and o.top <= w.cy <= o.bottom + 0.5 * o.height
        for o in words
    )


def label_tail(ws: Sequence[Word], own: Label) -> list[Word]:
    """The words right after the label on its line that are a label's wording (`address`,
    `of the affiliation`), up to a value's first word (`The University of ...` is no
    label's)."""
    line = sorted(
        (w for w in ws if w.page == own.page and own.top <= w.cy <= own.bottom and w.x0 >= own.x0),
        key=lambda w: w.x0,
    )
    tail: list[Word] = []
    for w in line:
        word = w.text.strip(_TAIL_PUNCT).lower()
        if word not in LABEL_TAIL_WORDS or (not tail and word not in _TAIL_STARTS):
            break
        tail.append(w)
    return tail


#: Words a label's wording runs on with beyond what the label synonyms match, when the value
#: stands under the label (`Work email address`, `Detail Address of the affiliation`).
LABEL_TAIL_WORDS = frozenset(
    {
        "address",
        "of",
        "the",
        "your",
        "our",
        "affiliation",
        "email",
        "e-mail",
        "mail",
        "work",
        "detail",
        "detailed",
        "name",
        "title",
        "position",
        "at",
        "signer",
        "signer's",
        "full",
    }
)
_TAIL_STARTS = frozenset({"address", "of", "affiliation", "email", "e-mail", "mail", "name"})
_TAIL_PUNCT = ":：()（）,.;"


def legible(ws: Sequence[Word]) -> tuple[str, float]:
    """The first pass's reading when it is confident print (English), else ""."""
    if ws and min(w.conf for w in ws) >= 0.7 and mean_conf(ws) >= 0.85:
        return join_words(ws), min(w.conf for w in ws)
    return "", 0.0


def around(ws: Sequence[Word], region: ValueRegion) -> Box:
    """The crop for a value pass 1 read: its region across (pass 1 may have missed a word at
    either end), its lines down with some paper (no rule at the crop's edges: a sheet of
    crops read as one block is thrown off by the remnants of skewed rules)."""
    h = median(w.height for w in ws)
    x0, top, x1, bottom = region.box
    up, down = min(w.top for w in ws) - 0.6 * h, max(w.bottom for w in ws) + 0.6 * h
    if region.cell is None:
        return (x0, up, x1, down)
    # a cell's box is traced coarsely: its row rules may reach a little in (kept out); the
    # column rules of a cell of its own are taken whole (erased with the rest), not cut
    # along their length into a mark read as `_` (the label's side of a shared cell is
    # the label's end)
    out = 0.3 * h if region.how in ("cell-right", "cell-below") else 0.0
    # the top: kept off the cell's top rule; a value under its label in the same cell starts
    # at the label's foot, where a tight line's ascenders begin (cut, `Full` reads as `Fu`)
    under_label = top > region.cell.top + 0.5 * h
    first = max(top, up) if under_label else max(top + 0.25 * h, up)
    # ... but never below the value's own letters' top (a thin cell's print close under its
    # rule: `21/08/2024` cut across its tops, which RapidOCR then read as nothing)
    first = min(first, min(w.top for w in ws) - 0.05 * h)
    # the bottom to the row rule itself (erased with the rest): descenders and a comma's tail
    # reach below the words' boxes, and cut there `g` reads as `a`, `,` as `.`
    return (x0 - out, first, x1 + out, min(bottom + 0.1 * h, down))


def clear_of(box: Box, value: Sequence[Word], words: Sequence[Word]) -> Box:
    """`box` kept off the lines of print just above and below the value (a stacked table's
    labels a few pixels away, with no rule between): cut in half across the crop's edge,
    their letters read as a line of junk, and the value with them is read as no value."""
    x0, up, x1, down = box
    top, bottom = min(w.top for w in value), max(w.bottom for w in value)
    mine = {id(w) for w in value}
    for w in words:
        if id(w) in mine or w.x1 <= x0 or w.x0 >= x1 or top <= w.cy <= bottom:
            continue
        if up < w.bottom <= top:
            up = w.bottom + 1
        elif bottom <= w.top < down:
            down = w.top - 1
    return (x0, up, x1, down)


def ruled_sides(region: ValueRegion, label: Label | None = None) -> tuple[bool, bool]:
    """Whether the region's left and right sides are closed: its table cell's own column
    rules, or on the left the end of its label on the same line (`Name: value`: print close
    to the label is no value cut, nothing of it stands before the label) or of the dots
    leading to it."""
    x0, top, x1, bottom = region.box
    after_label = (
        label is not None
        and label.page == region.page
        and label.x1 - 0.5 * label.height <= x0 <= label.x1 + 0.6 * label.height
        and top <= (label.top + label.bottom) / 2 <= bottom
    )
    cell = region.cell
    if cell is None:
        # nothing of a value stands in the dots that lead to it either
        return (after_label or region.how == "leader", False)
    near = 0.02 * max(cell.width, 1.0)
    return (after_label or abs(x0 - cell.x0) <= near, abs(x1 - cell.x1) <= near)


def scale_box(box: Box, s: float) -> Box:
    return (box[0] * s, box[1] * s, box[2] * s, box[3] * s)


def pxbox(w: Word, scale: float) -> Box:
    return (w.x0 * scale, w.top * scale, w.x1 * scale, w.bottom * scale)


def word_in_box(w: Word, box: Box, page: int) -> bool:
    return w.page == page and box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]


def clip(box: Box, image: Image.Image) -> Box:
    return (
        max(0.0, box[0]),
        max(0.0, box[1]),
        min(float(image.width), box[2]),
        min(float(image.height), box[3]),
    )


def digital_cells(
    labels: Mapping[str, Label],
    regions: Mapping[str, ValueRegion],
    words: Sequence[Word],
    grids: Mapping[int, Grid],
    image_of: Callable[[int], Raster],
    scale: float,
    limits: ReadLimits,
) -> tuple[dict[str, FieldValue], dict[int, list[Cell]]]:
    """A text-layer form's values in their regions, and the regions with ink but no text for
    pass 2, by page (in pixels of `image_of(page)`, rendered at `scale` pixels a point). A
    region is looked at on its own page's image: a word processor breaks the table across
    pages, and the Signature cell or the Date may stand at the head of the next page."""
    fields: dict[str, FieldValue] = {}
    to_ocr: dict[int, list[Cell]] = {}
    for key in FIELD_KEYS:
        region = regions.get(key)
        if region is None:
            fields[key] = FieldValue(None, 0.0)
            continue
        value = value_words(region, words, grids, labels)
        if value:
            src = Source.FORM if any(w.source == Source.FORM for w in value) else Source.TEXT
            fields[key] = cleaned(key, join_words(value), 1.0, src, limits)
            continue
        # nothing typed: ink there is handwriting (or a pasted image) to OCR
        box = scale_box(region.box, scale)
        masks = [scale_box(m, scale) for m in region.mask]
        if ink_ratio(image_of(region.page), box, masks) > CELL_INK:
            to_ocr.setdefault(region.page, []).append(Cell(key, box, empty=True))
        else:
            fields[key] = FieldValue(None, 1.0, Source.TEXT, blank=True)
    return fields, to_ocr


def scan_cells(
    labels: Mapping[str, Label],
    regions: Mapping[str, ValueRegion],
    words: Sequence[Word],
    image: Image.Image,
    grids: Mapping[int, Grid],
) -> tuple[dict[str, FieldValue], list[Cell]]:
    """A page image's fields found missing or blank, and the cells to read in pass 2 (the
    members table's last)."""
    fields: dict[str, FieldValue] = {}
    cells: list[Cell] = []
    # the table holds the values in its cells: a value placed outside them was not placed
    # by the table (a label read in the wrong place)
    tabled = sum(r.cell is not None for k, r in regions.items() if k in FIELD_KEYS) >= TABLED
    for key in FIELD_KEYS:
        region = regions.get(key)
        if region is None:
            fields[key] = FieldValue(None, 0.0, Source.OCR)
            continue
        box = clip(region.box, image)
        value, tail = value_and_tail(region, words, grids, labels)
        if value:
            lines = min(MAX_LINES, region.lines_expected or 2)
            crop = clip(clear_of(around(value, region), value, words), image)
            ruled = ruled_sides(region, labels.get(key))
            underlined = region.how == "underline"
            cells.append(
                Cell(key, crop, *legible(value), lines=lines, ruled=ruled, underlined=underlined)
            )
        elif ink_ratio(image, box, (*region.mask, *map(_padded, tail))) > CELL_INK:
            # the label's wording run on is masked: its ink is no value's
            cells.append(Cell(key, box, empty=True, underlined=region.how == "underline"))
        elif key in labels and ink_in_label_cell(labels[key], region, grids, image):
            # nothing right of the label, but ink under it in its own cell: a value written
            # there that pass 1 read as no words (a hand, a stacked table); never "left blank"
            fields[key] = FieldValue(None, 0.0, Source.OCR)
        elif not roomy(box, labels.get(key), words):
            # a sliver no line of text fits in (a region squeezed between a label and the
            # next): nothing there says the value was left out
            fields[key] = FieldValue(None, 0.0, Source.OCR)
        elif tabled and region.cell is None:
            # the other values stand in the table's cells, this one's place in none: an empty
            # box there (above the table, where a copier's streak in the labels' column was
            # read as the Name label) says nothing of the value in its row
            fields[key] = FieldValue(None, 0.0, Source.OCR)
        else:
            fields[key] = FieldValue(None, 0.9, Source.OCR, blank=True)
    page_size = (float(image.width), float(image.height))
    members = members_region(labels, page_size=page_size, grids=grids)
    if members is not None:
        cells.append(Cell("members", clip(members, image)))
    return fields, cells


#: Values in table cells, at least, for a page's values to be the table's (`scan_cells`).
TABLED = 2


def roomy(box: Box, label: Label | None, words: Sequence[Word]) -> bool:
    """`box` is tall enough for a line of the page's print (its label's words, else the page's
    words, set the height): only such a region, empty, is a value left blank."""
    sample = label.words if label is not None and label.words else words
    if not sample:
        return True
    height = median(w.bottom - w.top for w in sample)
    return box[3] - box[1] >= 0.8 * height


def ink_in_label_cell(
    label: Label, region: ValueRegion, grids: Mapping[int, Grid], image: Image.Image
) -> bool:
    """The value region is the cell right of the label, and the label's own cell holds ink
    besides the label's words."""
    grid = grids.get(region.page)
    if region.how != "cell-right" or grid is None:
        return False
    own = grid.cell_containing((label.x0, label.top, label.x1, label.bottom))
    if own is None:
        return False
    box = clip((own.x0, own.top, own.x1, own.bottom), image)
    return ink_ratio(image, box, [_padded(w) for w in label.words]) > CELL_INK


def _padded(w: Word) -> Box:
    pad = 0.3 * (w.bottom - w.top)
    return (w.x0 - pad, w.top - pad, w.x1 + pad, w.bottom + pad)
