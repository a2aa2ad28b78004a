"""Pass 1 on a page image: the form's labels, and the words around them.

Labels are found by meaning (`layout.find_labels`). On a page image, pass 1 reads the whole
page once at half the OCR resolution in English (psm 11, sparse text: it does not drop table
cells as psm 3 does), in each orientation `page_image.turns` offers until the form's labels
are found, then with Chinese as well (labels in Chinese only) in the likeliest orientation.
When the form is found but one of its labels is missed, `relabel` reads the labels' band
again at 200 dpi; `signature_label` looks for a Signature label pass 1 missed where the forms
put it. `form_page_of` tells which page holds the form from any page's labels (text layer or
OCR).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

from licensebot.core.form import Source
from licensebot.reading.clean import CLEANERS
from licensebot.reading.geometry import FlatPage
from licensebot.reading.layout import (
    FIELD_KEYS,
    Label,
    Word,
    chinese_label,
    find_labels,
    join_words,
    match_label,
    norm,
    own_line,
    pick_labels,
)
from licensebot.reading.limits import ReadLimits
from licensebot.reading.ocr import (
    OcrError,
    erase_rules,
    grey_paper,
    mean_conf,
    tesseract_words,
    white_paper,
)
from licensebot.reading.page_image import other_turns, turns
from licensebot.reading.rapid import RapidError, line_bands, read_line
from licensebot.reading.regions import assign_fields

#: A page's pass-1 words read at least this surely on average: it reads as text (in this
#: orientation). Print upright reads at 0.8-0.95; a page a quarter turn off gives junk under
#: 0.5 (`ocr.mean_conf`, words of two characters or more).
AS_TEXT = 0.6
#: ... and gives at least this many such words: one `>>` at 0.68 (a page read sideways, a
#: fold's dotted crease taken for its lines) is no text.
TEXT_WORDS = 3


def _as_text(words: Sequence[Word]) -> float:
    """How surely the words read as text: their mean confidence, 0.0 for too few of them."""
    return mean_conf(words) if sum(len(w.text) > 1 for w in words) >= TEXT_WORDS else 0.0


def read_labels(
    page: FlatPage, index: int, limits: ReadLimits
) -> tuple[Image.Image, list[Word], dict[str, Label]]:
    """Pass 1: the page in the orientation where its labels read, its words and labels.
    Not `enough` labels: the page is no form page (or one that cannot be read)."""
    dpi = page.dpi
    words: list[Word] = []
    labels: dict[str, Label] = {}
    turned = page.image
    read: list[tuple[float, Image.Image]] = []  # each orientation tried: how well it read
    for turned in turns(page):
        words, labels = _pass1(turned, "eng", dpi, index, limits)
        if enough(labels):
            break
        read.append((_as_text(words), turned))
    else:
        if max(conf for conf, _ in read) < AS_TEXT:
            # no orientation tried reads as text: the page's lines run the other way (a worn
            # copier's streaks down a sparse form page turned it a quarter wrong; its one line
            # of print turned a page on its head)
            for turned in other_turns(page):
                words, labels = _pass1(turned, "eng", dpi, index, limits)
                if enough(labels):
                    break
                read.append((_as_text(words), turned))
        if not enough(labels):
            # labels in Chinese only: in the first orientation that read as text, else the
            # likeliest
            turned = next((image for conf, image in read if conf >= AS_TEXT), read[0][1])
            words, labels = _pass1(turned, "eng+chi_sim", dpi, index, limits)
    if enough(labels) and not labels.keys() >= FORM_LABELS:
        words, labels = relabel(turned, words, labels, index, limits)
    return turned, words, labels


def _pass1(
    image: Image.Image, lang: str, dpi: float, index: int, limits: ReadLimits
) -> tuple[list[Word], dict[str, Label]]:
    small = image.reduce(2)
    if grey_paper(small):
        small = white_paper(small)  # a scanner app's grey: read as white paper is
    small = erase_rules(small, length=round(dpi / 2 / 4), keep_crossings=False)
    words = tesseract_words(
        small, lang=lang, psm=11, timeout=limits.ocr_timeout, page=index, scale=2.0
    )
    return words, assign_fields(find_labels(words))


#: The labels of the form's main table: three of them on a page make it the form page.
MAIN_LABELS = {
    "signer_name",
    "signer_title",
    "affiliation",
    "work_email",
    "address",
    "signature",
    "date",
}


#: The labels every form has: a missing one after pass 1 sends the labels' band to `relabel`.
FORM_LABELS = frozenset({*FIELD_KEYS, "signature"})


#: How far below the lowest label found `relabel` reads (a share of the page's height).
RELABEL_BELOW = 0.12


def enough(labels: dict[str, Label]) -> bool:
    return len(MAIN_LABELS & labels.keys()) >= 3


def form_page_of(labels: dict[str, Label]) -> int | None:
    main = [lab.page for f, lab in labels.items() if f in MAIN_LABELS]
    if len(main) < 3:
        return None
    return max(set(main), key=main.count)


def _date_misread(words: Sequence[Word]) -> list[list[Word]]:
    """Words that read as `Date` or `日期` but for one letter or character: a word of four
    letters, or two characters, alone or as two words side by side (`日` `其`)."""
    out = [[w] for w in words if _one_off_date(w.text)]
    singles = [w for w in words if len(w.text) == 1]  # not every pair of a page's words
    for a in singles:
        for b in singles:
            if (
                b is not a
                and a.x0 < b.x0
                and -a.height < b.x0 - a.x1 < a.height  # boxes OCR drew may overlap
                and abs(b.cy - a.cy) < 0.5 * a.height
                and _one_off_date(a.text + b.text)
            ):
                out.append([a, b])
    return out


def _one_off_date(text: str) -> bool:
    t = text.lower()
    return (len(t) == 4 and Levenshtein.distance(t, "date") == 1) or (
        len(t) == 2 and Levenshtein.distance(t, "日期") == 1
    )


def with_date_label(labels: dict[str, Label], words: Sequence[Word]) -> dict[str, Label]:
    """`Date` misread by one letter (`Rate`, `Fate`, `Pate`: a short word in a narrow cell,
    which the fuzzy label match rightly does not take alone), or `日期` by one character
    (`日其`), is the Date label when what follows it in its row reads as a date, or does with
    the line under it (a narrow cell wraps `27 September` / `2025`). A Date row alone at the
    top of the last page, its `日期` read `日其`, had been no row: the date unread."""
    if "date" in labels:
        return labels
    for misread in _date_misread(words):
        w = Word(
            join_words(misread),
            misread[0].x0,
            min(v.top for v in misread),
            misread[-1].x1,
            max(v.bottom for v in misread),
            min(v.conf for v in misread),
            misread[0].page,
            misread[0].source,
        )
        after = sorted(
            (
                v
                for v in words
                if v.x0 > w.x1
                and abs(v.cy - w.cy) < 0.5 * w.height
                and all(v is not m for m in misread)
            ),
            key=lambda v: v.x0,
        )[:3]
        if not after or after[0].x0 - w.x1 >= 15 * w.height:
            continue
        x0, x1, bottom = after[0].x0, max(v.x1 for v in after), max(v.bottom for v in after)
        under = sorted(
            (
                v
                for v in words
                if bottom <= v.top < bottom + w.height
                and x0 - w.height <= v.x0
                and v.x1 <= x1 + 4 * w.height
            ),
            key=lambda v: v.x0,
        )[:2]
        if CLEANERS["date"](join_words(after)) or (
            under and CLEANERS["date"](join_words([*after, *under]))
        ):
            return {**labels, "date": Label("date", list(misread), 0.75)}
    return labels


def label_lang(labels: dict[str, Label]) -> str:
    """The language the page's labels read in: English, or English and Chinese where a label
    is printed in Chinese alone (a form laid out as Chinese offices do). The reads that look
    again for a missing label (`relabel`, `signature_label`) use it: read in English alone,
    a Chinese-only `签名` beside the signature's ink is never found, and the signature
    stayed unknown on every such form."""
    if any(chinese_label(norm(join_words(lab.words))) for lab in labels.values()):
        return "eng+chi_sim"
    return "eng"


def relabel(
    image: Image.Image,
    words: list[Word],
    labels: dict[str, Label],
    index: int,
    limits: ReadLimits,
) -> tuple[list[Word], dict[str, Label]]:
    """Pass 1 found the form but missed one of its labels (`Date` read as `Rate` beside
    the signature's ink, `Affiliation` split into `Affil ion`): the band of the page that
    holds the labels is read again at 200 dpi, and its words stand for pass 1's there.
    Kept only if it finds more of the form's labels; costs a run on a tenth of forms."""
    h = median(lab.height for lab in labels.values())
    top = max(0.0, min(lab.top for lab in labels.values()) - 2 * h)
    bottom = min(
        float(image.height),
        max(lab.bottom for lab in labels.values()) + RELABEL_BELOW * image.height,
    )
    band = image.crop((0, round(top), image.width, round(bottom)))
    best_words, best = words, with_date_label(labels, words)
    lang = label_lang(labels)
    # 200 dpi first; where a label is still missing, the band at full size: Tesseract's
    # sparse-text layout finds a small label (a stacked table's `TITLE` in small capitals)
    # at one size and not at another, and no one size finds them all
    for k in RELABEL_SCALES:
        small = (
            band
            if k == 1.0
            else band.resize(
                (round(band.width / k), round(band.height / k)), Image.Resampling.LANCZOS
            )
        )
        fresh = tesseract_words(
            erase_rules(small, length=round(limits.ocr_dpi / k / 4), keep_crossings=False),
            lang=lang,
            psm=11,
            timeout=limits.ocr_timeout,
            page=index,
            scale=k,
            offset=(0.0, round(top)),
        )
        merged = [w for w in words if not top <= w.cy <= bottom] + fresh
        found = with_date_label(assign_fields(find_labels(merged)), merged)
        if len(found.keys() & FORM_LABELS) > len(best.keys() & FORM_LABELS):
            best_words, best = merged, found
        if best.keys() >= FORM_LABELS:
            break
    if not best.keys() >= FORM_LABELS:
        best = label_column(image, best, (top, bottom), index)
    return best_words, best


def label_column(
    image: Image.Image, labels: dict[str, Label], band: tuple[float, float], index: int
) -> dict[str, Label]:
    """Labels Tesseract misread at every size read by the second engine, whose model reads
    Chinese far better and soft print better (`签字：` as `EF:` in a copier's grain; a phone
    photo's small `Position` and `Email`, the row above's `The Signer's Name` boxed down
    over them): the lines of ink in the labels' column (the x-range of the labels found at
    the page's left, left of their values), between the labels found, each recognised alone.
    A line that reads as the label of a field still missing is that label."""
    found_here = [lab for lab in labels.values() if lab.page == index]
    if not found_here:
        return labels
    u = median(lab.height for lab in found_here)
    left = min(lab.x0 for lab in found_here)
    column = [lab for lab in found_here if lab.x0 < left + 3 * u]
    x0, x1 = max(0, round(left - u)), min(image.width, round(max(lab.x1 for lab in column) + u))
    top, bottom = max(0, round(band[0])), min(image.height, round(band[1]))
    if x1 - x0 < 2 * u or bottom - top < u:
        return labels
    # rules: ink runs three characters long (a character's own strokes are one long at most:
    # at the eraser's default length `字` lost its bars and read `了`)
    crop = erase_rules(image.crop((x0, top, x1, bottom)), length=round(3 * u), keep_crossings=False)
    gray = np.asarray(crop.convert("L"), dtype=np.uint8)
    found = dict(labels)
    for bx0, by0, bx1, by1 in line_bands(gray):
        y0, y1 = top + by0, top + by1
        # (a label box OCR grew over the line below covers its own line only, `own_line`;
        # a label's own second line is its own)
        if any(
            min(y1, own_line(lab, u).bottom) - max(y0, lab.top) > 0.5 * min(y1 - y0, lab.height)
            and lab.x0 < x1
            and x0 < lab.x1
            for lab in found.values()
            if lab.page == index
        ):
            # a label found already: in this column (the row's next label, in the third
            # column, beside a first label still missing is no reason to skip the line), and
            # on this line (the next row's label box, a few pixels into it, is not)
            continue
        if not 0.5 * u <= by1 - by0 <= 2.5 * u:
            continue  # no line of a label's size
        # half a line's room above and below: a character's top dot (`字`'s), dropped from
        # the band as a speck, is the character's all the same (`字` without it reads `了`)
        pad = max(2, round(0.5 * (by1 - by0)))
        line = crop.crop((max(0, bx0 - pad), max(0, by0 - pad), bx1 + pad, by1 + pad))
        try:
            reading = read_line(line)
        except RapidError:
            return labels  # no second engine: the label stays missing
        if reading is None:
            continue
        # by the terms a Chinese label is built from, else as a whole label (`签署人`, the
        # signer, names no term: it is the signer's name's label; `Position`)
        text = norm(reading.text)
        hit = chinese_label(text) or match_label(text)
        if hit is None or hit[0] in found or hit[0] not in (*FIELD_KEYS, "signature"):
            continue
        word = Word(
            reading.text, float(x0 + bx0), float(y0), float(x0 + bx1), float(y1),
            reading.confidence, index, Source.OCR,
        )  # fmt: skip
        found[hit[0]] = Label(hit[0], [word], hit[1])
    return found


#: The sizes `relabel` reads the labels' band at (the page image's pixels per band pixel).
RELABEL_SCALES = (1.5, 1.0)


def signature_label(
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
            lang=label_lang(labels),
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
