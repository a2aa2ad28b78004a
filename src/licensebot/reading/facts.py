"""The facts beyond the text fields: is the form signed, who are its members.

A digital page's signature is its cell's share of ink (`ink_verdict`); a page image's is
judged by `signature.measure` from the cell's strokes, measured before pass 2
(`page_signature`) and again after it with the Chinese print pass 2 found in the cell masked
(`settle_page_signature`), where a typed Chinese name in the cell also reads as unsigned
(`typed_name_in_cell`). `read_members` reads the rows of the members table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
from PIL import Image

from licensebot.core.form import FieldValue, Member
from licensebot.reading.baseline import straight
from licensebot.reading.cells import Box, Cell, word_in_box
from licensebot.reading.clean import clean_name, tidy
from licensebot.reading.grid import Grid
from licensebot.reading.labels_pass import signature_label
from licensebot.reading.layout import Label, Word, join_words, lines_of
from licensebot.reading.layout import print_height as page_print_height
from licensebot.reading.limits import ReadLimits
from licensebot.reading.ocr import OcrError, tesseract_words
from licensebot.reading.regions import ValueRegion, locate_values
from licensebot.reading.signature import SignatureInk, print_heights
from licensebot.reading.signature import measure as measure_signature
from licensebot.reading.vote import CJK, CJK_PUNCT

#: Share of the Signature cell covered by handwriting ink for it to count as signed.
SIGNATURE_INK = 0.006


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_/.]{2,40}$")
# compiled once, in the readers' fork server (see `clean`'s patterns)
_ROW_NUMBER = re.compile(r"^\d+[.)]\s*")
_TWO_WORD_CHARACTERS = re.compile(r"\w\w")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class Found:
    """What the form page gave: its fields, signature, members (and, for the signature's
    ink, the words pass 2 read in the Signature cell)."""

    fields: dict[str, FieldValue] = field(default_factory=dict)
    signed: bool | None = None
    signed_conf: float = 0.0
    members: list[Member] = field(default_factory=list)
    signature_words: list[Word] = field(default_factory=list)
    #: Values read and confirmed that stop short (`clean.cut_short`: a comma at the end),
    #: left unread in `fields`: a page break may have carried the rest overleaf.
    cut: dict[str, FieldValue] = field(default_factory=dict)


def read_members(
    labels: Mapping[str, Label], words: Sequence[Word], box: Box, limits: ReadLimits
) -> list[Member]:
    """Rows of the students/employees table under its `Name | Registered ID` header: the
    words in `box` (`regions.members_region`, in the words' units), split at the ID column."""
    head = labels.get("members_id")
    if head is None:
        return []
    split = head.x0 - 0.5 * head.height
    rows = [w for w in words if box[0] <= w.cx <= box[2] and box[1] <= w.cy <= box[3]]
    members: list[Member] = []
    for line in lines_of(rows):
        name_ws = [w for w in line if w.cx < split]
        id_ws = [w for w in line if w.cx >= split]
        if not name_ws:
            continue
        conf = min(w.conf for w in line)
        if conf < limits.threshold:
            continue  # not read with confidence: leave the row out rather than guess
        name = clean_name(_ROW_NUMBER.sub("", join_words(name_ws)))
        reg = tidy(join_words(id_ws)).replace(" ", "") if id_ws else ""
        if name:
            members.append(Member(name, reg if _ID.match(reg) else None))
    return members


def ink_verdict(ratio: float) -> tuple[bool, float]:
    """A digital page's Signature cell, by its share of ink: signed, and how surely."""
    margin = abs(ratio - SIGNATURE_INK) / SIGNATURE_INK
    return ratio > SIGNATURE_INK, round(min(1.0, 0.5 + margin / 2), 3)


def printed_word(w: Word) -> bool:
    """An OCR word that reads as print (a typed name), not as a scrawl."""
    return w.conf >= 0.8 and len(w.text) >= 2 and bool(_TWO_WORD_CHARACTERS.search(w.text))


def typed_name_in_cell(
    image: Image.Image, ink: SignatureInk, name: str, limits: ReadLimits
) -> bool:
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
        read = tesseract_words(image.crop(box), lang="chi_sim", psm=8, timeout=limits.ocr_timeout)
    except OcrError:
        return False
    read = [w for w in read if w.text.strip(CJK_PUNCT)]
    if not read or min(w.conf for w in read) < 0.6:
        return False
    return "".join(w.text for w in read).replace(" ", "") == name.replace(" ", "")


@dataclass
class PageSignature:
    """A page image's Signature cell between the passes: its label, the labels around it,
    its region (`regions.locate_values`: the table's cell, or the box from the labels alone
    where no rule shows), the print to mask, the ink."""

    label: Label
    others: list[Label]
    region: ValueRegion
    printed: list[Box]
    ink: SignatureInk
    print_height: float | None = None  # the page's print (`signature.print_height`)

    def measure(self, image: Image.Image) -> SignatureInk:
        cell = self.region.box if self.region.cell is not None else None
        return measure_signature(
            image,
            self.label,
            self.others,
            self.region.box,
            self.printed,
            cell=cell,
            print_height=self.print_height,
        )


def typed_or_hand(
    image: Image.Image, ps: PageSignature, words: Sequence[Word], index: int
) -> SignatureInk:
    """An unsigned verdict that stands only because words read in the cell were masked as
    print: Tesseract reads a neat hand (a name written in a careful script) as words, as sure
    of them as of print. Print sits on a straight baseline; when those words do not (or too
    few letters to tell), the verdict is unknown and a person looks: never "not signed" for
    a signature that happens to be legible."""
    inside = [w for w in words if printed_word(w) and word_in_box(w, ps.ink.box, index)]
    if not inside or straight(image, inside):
        return ps.ink
    boxes = {(w.x0, w.top, w.x1, w.bottom) for w in inside}
    bare = replace(ps, printed=[b for b in ps.printed if b not in boxes]).measure(image)
    if bare.signed is False:
        return ps.ink  # no hand under the words either: an empty cell and a stray word
    return replace(ps.ink, signed=None, confidence=0.0)


def own_cell_instead(image: Image.Image, ps: PageSignature, grid: Grid | None) -> PageSignature:
    """An empty cell right of the Signature label's, while the label's own cell has room under
    it: the pen may have signed there (a worn copier's streak down the row, taken for a column
    rule, cut the full-width Signature row in two, the wave under the label in one half, and
    the other half, empty, made a signed form unsigned). The label's own cell is measured too;
    unless it is as empty, its verdict stands."""
    lab = ps.label
    cell = grid.cell_containing(lab.box) if grid is not None else None
    if cell is None or cell.bottom - lab.bottom < OWN_CELL_ROOM * lab.height:
        return ps
    # under the label: its own print (a Chinese label OCR read in pieces) is no ink of a hand
    under = (cell.x0, lab.bottom + 0.3 * lab.height, cell.x1, cell.bottom)
    own = ValueRegion(ps.region.field, ps.region.page, under, "cell-same", None, cell=cell)
    there = replace(ps, region=own)
    there.ink = there.measure(image)
    # a hand found there: a copier's specks under the label, unknown marks, say nothing
    return there if there.ink.signed is True else ps


#: Room under the Signature label in its own cell, in label heights, for a signature to stand.
OWN_CELL_ROOM = 2.0


def page_signature(
    image: Image.Image,
    labels: Mapping[str, Label],
    regions: Mapping[str, ValueRegion],
    words: Sequence[Word],
    grids: Mapping[int, Grid],
    index: int,
    limits: ReadLimits,
) -> tuple[PageSignature | None, Cell | None]:
    """The Signature cell measured on the page image after pass 1 (None: no Signature label,
    even looked for at full size), and the cell for pass 2 to read with Chinese when the
    cell holds words English did not read as print."""
    others = list(labels.values())
    sig = labels.get("signature")
    region = regions.get("signature")
    row_words: list[Word] = []
    if sig is None:
        # pass 1 at 150 dpi can miss a small label (7 pt on the compact form, photos):
        # look for it at full resolution where the forms put it
        row_labels, row_words = signature_label(image, dict(labels), index, limits.ocr_timeout)
        if row_labels:
            sig = row_labels[0]
            others = [*others, *row_labels]
            near = {**labels, **{lab.field: lab for lab in row_labels}}
            region = locate_values(
                near,
                [*words, *row_words],
                page_size=(float(image.width), float(image.height)),
                grids=grids,
                keys=("signature",),
            ).get("signature")
    if sig is None or region is None:
        return None, None
    printed = [(w.x0, w.top, w.x1, w.bottom) for w in [*words, *row_words] if printed_word(w)]
    ps = PageSignature(
        sig,
        others,
        region,
        printed,
        SignatureInk(None, 0.0, region.box, 0, 0),
        page_print_height([w for w in [*words, *row_words] if w.page == index]),
    )
    ps.ink = ps.measure(image)
    if ps.ink.signed is False:
        ps.ink = typed_or_hand(image, ps, [*words, *row_words], index)
    if ps.ink.signed is False and region.how == "cell-right":
        ps = own_cell_instead(image, ps, grids.get(index))
    unsure = [w for w in words if word_in_box(w, ps.ink.box, index) and not printed_word(w)]
    cell = None
    if ps.ink.signed is not False and unsure:
        # junk where English found no print may be a name printed in Chinese: read
        # the cell with Chinese in pass 2 and mask what reads as characters
        cell = Cell("signature", ps.ink.box)
    return ps, cell


#: A line of Chinese print is at most this many label heights tall.
CJK_PRINT_HEIGHT = 1.25
#: A character of print is at most this many times as wide as its line is tall.
CJK_PRINT_WIDTH = 1.5


def print_wide(w: Word) -> bool:
    """`w` is as wide as print of its characters is: a character about as wide as tall. The
    Chinese model read a pen's long wave as `-一` (two characters over ten heights of ink),
    and masked as print it left the cell unsigned."""
    return w.x1 - w.x0 <= CJK_PRINT_WIDTH * w.height * max(1, len(w.text.strip()))


def settle_page_signature(
    ps: PageSignature,
    image: Image.Image,
    found: Found,
    *,
    cell_read: bool,
    limits: ReadLimits,
) -> None:
    """The verdict after pass 2: the Chinese characters it read in the Signature cell (when
    it read the cell) masked as print, and a typed Chinese name recognised as unsigned."""
    if cell_read:
        # print-sized characters, and a name's worth of them: the Chinese model reads a
        # scrawl's loop as a lone 人 or 一, taller than the print around it
        chinese = [
            w
            for w in found.signature_words
            if CJK.search(w.text)
            and w.conf >= 0.6
            and w.height <= CJK_PRINT_HEIGHT * ps.label.height
            and print_wide(w)
        ]
        if sum(len(CJK.findall(w.text)) for w in chinese) >= 2:
            ps.printed += [(w.x0, w.top, w.x1, w.bottom) for w in chinese]
        before = ps.ink.signed
        ps.ink = ps.measure(image)
        found.signed, found.signed_conf = ps.ink.signed, ps.ink.confidence
        typed = found.fields.get("signer_name")
        read = "".join(CJK.findall("".join(w.text for w in chinese)))
        if (
            before is not False
            and ps.ink.signed is False
            and not (typed is not None and typed.value and read == typed.value.replace(" ", ""))
        ):
            # the ink was a pen's, or could not be told, until the masks took it: the Chinese
            # model reads a scrawl or a wave as 一, 人, 个 as readily as it reads a typed name;
            # only the signer's name read there is a typed name, else a person tells
            found.signed, found.signed_conf = None, 0.0
    name = found.fields.get("signer_name")
    if (
        found.signed is None
        and name is not None
        and name.value
        and CJK.search(name.value)
        and typed_name_in_cell(image, ps.ink, name.value, limits)
    ):
        # print-size marks that read as the signer's name typed in Chinese
        found.signed, found.signed_conf = False, 0.8
    elif (
        found.signed is None
        and ps.ink.signed is None
        and not (name is not None and name.value and CJK.search(name.value))
        and written_by_hand(image, ps.ink, ps.label.height, limits)
    ):
        found.signed, found.signed_conf = True, HAND_NAME_CONFIDENCE


#: Letters (strokes of at least `LETTER_HEIGHT` label heights) a written name has at least.
HAND_LETTERS = 4
LETTER_HEIGHT = 0.4
#: An OCR word this sure of itself reads as print (`printed_word`).
PRINT_SURE = 0.8
#: How sure a name written in a neat hand is called signed.
HAND_NAME_CONFIDENCE = 0.6


def written_by_hand(image: Image.Image, ink: SignatureInk, u: float, limits: ReadLimits) -> bool:
    """Whether the ink the geometry left unknown (letters of print size that are not a line of
    print, or a little tall ink) is a name written by hand: a word's worth of letters, no
    seal, read on their own (the masked print, the rules and the label gone) by English OCR
    as letters it is not sure are print (`printed_word`'s test, the one that masked the cell's
    print), and by Chinese OCR as no sure characters (a typed Chinese name). A neat hand
    writes at print size on a straight line; print, even typed large, reads with confidence."""
    if ink.seal or ink.ink is None:
        return False
    letters = [s for s in ink.strokes if s.height >= LETTER_HEIGHT * u]
    if len(letters) < HAND_LETTERS or print_heights(ink.strokes, u):
        return False
    pad = max(4, round(0.5 * u))
    mask = ink.ink
    y0 = max(0, min(s.y0 for s in letters) - pad)
    y1 = min(mask.shape[0], max(s.y1 for s in letters) + pad + 1)
    x0 = max(0, min(s.x0 for s in letters) - pad)
    x1 = min(mask.shape[1], max(s.x1 for s in letters) + pad + 1)
    # the grey levels of the ink left (its soft edges too), on white paper
    bx, by = round(ink.box[0]), round(ink.box[1])
    gray = np.asarray(image.crop((bx + x0, by + y0, bx + x1, by + y1)).convert("L"))
    keep = cv2.dilate(mask[y0:y1, x0:x1].astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    crop = Image.fromarray(np.where(keep[: gray.shape[0], : gray.shape[1]], gray, 255))
    try:
        chinese = tesseract_words(crop, lang="chi_sim", psm=8, timeout=limits.ocr_timeout)
        if any(CJK.search(w.text) and w.conf >= PRINT_SURE for w in chinese):
            return False  # characters of print: a typed Chinese name
        # English, and the model with the accented letters English lacks (a typed `Lefrançois`
        # is an unsure word to English alone)
        for model in ("eng", "Latin"):
            words = tesseract_words(crop, lang=model, psm=7, timeout=limits.ocr_timeout)
            if not words:
                # the line finder takes a scrawly hand for no text: read it as a raw line
                words = tesseract_words(crop, lang=model, psm=13, timeout=limits.ocr_timeout)
            read = [(len(_LETTER.findall(w.text)), w.conf) for w in words]
            total = sum(n for n, _ in read)
            if total < 3:
                return False  # not letters: a smudge, a stroke, what is left of a rule
            # print reads sure in every word; a hand's name is unsure, if only in one word
            if sum(n * conf for n, conf in read) / total >= PRINT_SURE:
                return False
    except OcrError:
        return False
    return True
