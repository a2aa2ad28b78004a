"""Pass 2 (and 3): reading the value cells, and when a reading counts.

`ocr_cells` cuts the cells from the page image (300 dpi), stacks them into one image per model
(`read_sheet`: one Tesseract run reads them all) and reads each: `eng` for emails and dates,
`Latin` for names and text, `chi_sim+eng` for cells pass 1 could not read (Chinese,
handwriting), and those again in `eng` alone for a second, independent reading. Every reading
of a cell is kept on its `Cell`; the rules of `vote` say when they agree, the handwriting veto
(`wobbly`: letters off a straight baseline) when none counts. On a form read as print, a value
still unread is read once more from its cell alone (`recheck_cell`, `recheck_chinese`); what
is still unread goes to the `vote`, after the second engine (RapidOCR, `second_engine`) has
read those cells alone: its reading joins `Cell.readings`, where the vote weighs it as another
engine's, and where the message may corroborate it (`FieldValue.readings`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace
from statistics import median

import numpy as np
from PIL import Image, ImageOps

from licensebot.core.form import FieldValue, Reading, Source
from licensebot.reading.agreement import (
    ACCENTED,
    PUNCTUATED,
    RAPID,
    RAPID_SURE,
    WORD_FIELDS,
    accented_by_latin,
    accents_seen,
    comma_for_period,
    cross_engine,
    lookalike,
    read_plain_surely,
    spelled,
    unaccented,
    word_for_word,
)
from licensebot.reading.baseline import straight, wobbly
from licensebot.reading.cells import CELL_INK, Box, Cell, scale_box
from licensebot.reading.clean import CLEANERS, cut_short, label_tail, row_label_line
from licensebot.reading.engines import CHINESE, LATIN, CellReader, joined
from licensebot.reading.facts import Found, read_members
from licensebot.reading.layout import Label, Word, first_lines, join_words
from licensebot.reading.limits import ReadLimits
from licensebot.reading.ocr import (
    clear_edges,
    cleared_crop,
    erase_rules,
    ink_ratio,
    tesseract_words,
    white_paper,
)
from licensebot.reading.rapid import RapidCellReader
from licensebot.reading.vote import (
    CJK,
    CJK_PUNCT,
    accented,
    clean_readings,
    cleaned,
    digits,
    edged,
    fold,
    near,
    plausible_name,
    same,
    vote,
)

#: The third pass per field: Tesseract model, page segmentation (7: one line), variables.
RECHECK: dict[str, tuple[str, int, tuple[str, ...]]] = {
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
PRINTED_CELLS = 3
#: Two pass-2 readings this sure (and alike, on a straight baseline) read a cell as print.
PRINT_TWICE = 0.9


_NAME = "signer_name"  # the field read again in Chinese


def as_print(values: int, read: int) -> bool:
    """A page's `values` value cells, `read` of them read as print, are a typed form's:
    `PRINTED_CELLS` of them, or, where a page break left fewer rows on this page (Email,
    Address and Date under the break), all of them but one and at least two."""
    return read >= PRINTED_CELLS or (read >= 2 and read >= values - 1)


#: The third pass's words must all be read at least this surely.
RECHECK_CONF = 0.85


def ocr_cells(
    image: Image.Image,
    cells: list[Cell],
    found: Found,
    *,
    scale: float,
    limits: ReadLimits,
    labels: dict[str, Label] | None = None,
    recheck: bool = False,
    printed: bool = False,
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
        reads.update(read_sheet(image, group, scale, lang, limits))
    other = [c for c in cells if not c.pass1 and c.key not in ("members", "signature")]
    second: dict[int, list[Word]] = {}
    if other:
        second = read_sheet(image, other, scale, "eng", limits)
    rechecks: list[tuple[Cell, list[str]]] = []
    # cells pass 1 could not read (an underline through the descenders at its 150 dpi) that
    # pass 2 read as print: both readings alike, sure, on a straight baseline
    read_twice: set[int] = set()
    for cell in cells:
        inside = reads.get(id(cell), [])
        if cell.key == "signature":
            found.signature_words = inside
            continue
        if cell.key == "members":
            if labels is not None:
                found.members = read_members(labels, inside, scale_box(cell.box, scale), limits)
            continue
        inside = [w for w in inside if w.text.strip("|_—-.,:;'\"")]
        ordered = trim_junk(first_lines(inside, cell.lines)) if inside else []
        if not ordered:
            found.fields[cell.key] = (
                # only ink reaching in from outside the cell, and nothing read: blank
                FieldValue(None, 0.9, Source.OCR, blank=True, raw="")
                if cell.empty and edge_ink_only(image, cell.box, scale)
                else FieldValue(None, 0.0, Source.OCR, raw="")
            )
            if cell.pass1 and recheck:
                rechecks.append((cell, [cell.pass1]))
            continue
        cell.words = ordered
        raw = join_words(ordered)
        conf = min(w.conf for w in ordered)
        if cell.pass1:
            cell.readings.append(Reading(cell.pass1, cell.pass1_conf, model=pass1_model(cell)))
        at_edge = runs_to_edge(ordered, cell.box, scale, cell.ruled)
        cell.readings.append(Reading(raw, conf, at_edge, cell.lang))
        fv = cleaned(cell.key, raw, conf, Source.OCR, limits)
        if cell.pass1:
            check = CLEANERS[cell.key](cell.pass1)
            if check is not None and same(cell.key, check, CLEANERS[cell.key](raw)):
                # two readings at different resolutions agree: trust the better one
                conf = max(conf, cell.pass1_conf)
                fv = cleaned(cell.key, raw, conf, Source.OCR, limits)
            elif fv.value is not None and not (conf >= 0.9 and near_by_accents(check, fv.value)):
                # the two readings disagree; a confident full-resolution reading close to
                # the first only where the English model drops an accent stands, nothing else
                # (a photo's `Protessor` at 0.91 is no accented `Professor`)
                fv = FieldValue(None, min(conf, 0.5), Source.OCR, raw=raw)
        alt_raw = ""
        if not cell.pass1:
            # trimmed as the first reading is: a speck read `2.` after the value is no dissent
            alt = trim_junk(
                first_lines(
                    [w for w in second.get(id(cell), []) if w.text.strip("|_—-.,:;'\"")],
                    cell.lines,
                )
            )
            alt_raw = join_words(alt)
            if alt:
                at_edge = runs_to_edge(alt, cell.box, scale, cell.ruled)
                cell.readings.append(Reading(alt_raw, min(w.conf for w in alt), at_edge, "eng"))
            if (
                alt
                and fv.value is not None
                and not CJK.search(raw)
                and min(conf, min(w.conf for w in alt)) >= PRINT_TWICE
                and same(cell.key, CLEANERS[cell.key](alt_raw), fv.value)
                and straight(image, ordered)
            ):
                read_twice.add(id(cell))
            if cell.key == "date" and digits(alt_raw) == digits(raw) and digits(raw):
                # a date in Chinese: English reads the digits alone; agreeing digits count
                fv = cleaned(cell.key, raw, max(conf, 0.8), Source.OCR, limits)
            elif (
                fv.value is not None
                and not CJK.search(raw)
                and (conf < 0.92 or not same(cell.key, CLEANERS[cell.key](alt_raw), fv.value))
            ):
                # Latin from a cell the first pass could not read (likely handwriting)
                # counts only when very confident and an English reading agrees
                fv = FieldValue(None, min(conf, 0.5), Source.OCR, raw=raw)
        agreed = cell.pass1_conf >= 0.9 and same(cell.key, CLEANERS[cell.key](cell.pass1), fv.value)
        # print read confidently twice needs no further proof; anything else must also sit
        # on a straight baseline (letters off one: handwriting, never trusted)
        if fv.value is not None and not CJK.search(raw) and not agreed and wobbly(image, ordered):
            fv = FieldValue(None, min(fv.confidence, 0.5), Source.OCR, raw=raw)
            cell.hand = True
        if fv.value is None and cell.empty and edge_ink_only(image, cell.box, scale):
            # all the ink reaches in from outside the cell (the signature scrawl of the
            # row below): nothing is written here
            fv = FieldValue(None, 0.9, Source.OCR, blank=True, raw=fv.raw)
        found.fields[cell.key] = fv
        if recheck and needs_recheck(cell, fv):
            rechecks.append((cell, [r for r in (cell.pass1, raw, alt_raw) if r]))
    # A form read as print by the first pass: handwritten forms get no third pass (the
    # model would only be asked to guess, and every cell would cost a run)
    # (`printed`: the cells are the rest of a form read as print: a row a page break cut)
    values = [c for c in cells if c.key in CLEANERS]
    printed = printed or as_print(
        len(values), sum(1 for c in values if c.pass1 or id(c) in read_twice)
    )
    if recheck and not printed:
        read_twice |= read_by_both(image, values, read_twice, scale)
        printed = as_print(len(values), sum(1 for c in values if c.pass1 or id(c) in read_twice))
    if recheck and not printed:
        # Chinese characters have no baseline to tell handwriting by; on a handwritten
        # form the Chinese model reads a hand's 张三 as a confident 张二: never trusted
        for key, read in list(found.fields.items()):
            if read.value is not None and read.source == Source.OCR and CJK.search(read.value):
                found.fields[key] = replace(read, value=None, confidence=min(read.confidence, 0.5))
    for cell, earlier in rechecks if printed else []:
        found.fields[cell.key] = recheck_cell(
            image, cell, earlier, found.fields[cell.key], limits, scale
        )
    name = next((c for c in cells if c.key == "signer_name"), None)
    others = [fv.value for k, fv in found.fields.items() if k in CLEANERS and k != _NAME]
    if (
        printed
        and name is not None
        and found.fields[_NAME].value is None
        and sum(v is not None for v in others) >= PRINTED_CELLS + 1
    ):
        # the name alone is unread on a form whose other values all read as print: a
        # name typed in Chinese characters that the mixed passes missed
        whole = clean_crop(image, name.box, soft=soft_rules(name))
        found.fields[_NAME] = recheck_chinese(whole, found.fields[_NAME], cell=name, limits=limits)
    for cell in cells:
        unsure = found.fields.get(cell.key)
        if cell.key not in CLEANERS or unsure is None or not unsure.unreadable:
            continue
        votes = printed and not cell.hand
        if votes:
            second_engine(image, cell, scale)
        voted = vote(cell.key, cell.readings) if votes else None
        if voted is None and votes and chinese_name_unmatched(cell):
            # RapidOCR, whose model is a Chinese one, reads a name in Chinese print that no
            # Tesseract reading gives (it scores Chinese print low and drops a character):
            # its Chinese model on the cell alone, twice, then the vote again
            whole = clean_crop(image, cell.box, soft=soft_rules(cell))
            recheck_chinese(whole, unsure, cell=cell, limits=limits)
            voted = vote(cell.key, cell.readings)
        # the readings the message may corroborate (`core.corroborate`): none of a form not
        # read as print (RapidOCR reads a written name nearly as the file name spells it,
        # `Grace whitmore`; handwriting is never a value, the message's word or not). Such a
        # form has four values or more unread: it goes to a person anyway. (A cell of a
        # printed form whose letters stray off a baseline keeps them: a crease bends print's
        # line too, and the message's exact word is the applicant's own.)
        readings = clean_readings(cell.key, cell.readings) if printed else ()
        found.fields[cell.key] = voted or replace(unsure, readings=readings)
    for cell in cells:
        sure = found.fields.get(cell.key)
        if cell.key in CLEANERS and sure is not None and sure.value is not None:
            sure = confirmed(image, cell, sure, scale)
            if sure.value is not None and cut_short(sure.raw):
                found.cut[cell.key] = sure
                sure = unread(cell, sure)
            found.fields[cell.key] = sure
    mostly_unread(image, cells, found)


def read_by_both(
    image: Image.Image, values: Sequence[Cell], counted: set[int], scale: float
) -> set[int]:
    """The value cells the first pass could not read (a copier's streak through the row, a
    fold) that the second engine reads letter for letter as a Tesseract model does
    (`agreement.cross_engine`), on a straight baseline: print, as a cell two sure passes of
    Tesseract read alike is. Two engines that err apart rarely agree on handwriting, and a
    hand's letters stand off one baseline (bench/results/engines.md). Chinese print has no
    baseline to measure: never counted so."""
    out: set[int] = set()
    for cell in values:
        if cell.pass1 or id(cell) in counted or not cell.words:
            continue
        if any(CJK.search(w.text) for w in cell.words):
            continue
        second_engine(image, cell, scale)
        if cross_engine(cell.key, cell.readings) is not None and straight(image, cell.words):
            out.add(id(cell))
    return out


def near_by_accents(plain: str | None, accented: str) -> bool:
    """`accented` is `plain` (the English model's reading) within two letters, and differs
    from it only in accents or where it has letters the English model cannot write (`Peña`
    read `Pefia`, `Müller` read `Miiller`); never two plain readings a letter apart
    (`Professor` and a photo's `Protessor`)."""
    if plain is None or not near(plain, accented):
        return False
    return fold(plain) == fold(accented) or not accented.isascii()


def mostly_unread(image: Image.Image, cells: Sequence[Cell], found: Found) -> None:
    """A form most of whose values no pass, vote or engine could read is one filled in by
    hand: a short value both engines read there (`Hele` of a hand's `Helen Baker`: too few
    letters for a baseline to be measured, and the engines agree on what they can make of
    it) is a part of a scrawl as likely as print. On such a form a value stands only when its
    letters were measured on a straight baseline; Chinese characters have none to measure."""
    text = [c for c in cells if c.key in CLEANERS and c.key in found.fields]
    settled = [c for c in text if found.fields[c.key].value is not None]
    if 2 * len(settled) >= len(text):
        return
    for cell in settled:
        fv = found.fields[cell.key]
        assert fv.value is not None
        if CJK.search(fv.value) or not straight(image, cell.words):
            found.fields[cell.key] = unread(cell, fv)
            cell.hand = True


def clean_crop(image: Image.Image, box: Box, *, soft: bool = False) -> Image.Image:
    """`box` of the full-resolution image with its rules erased and its paper made white:
    what a cell is read again from, alone (`soft`: see `soft_rules`)."""
    return white_paper(erase_rules(image.crop(box), length=60, soft=soft))


def soft_rules(cell: Cell) -> bool:
    """Whether `cell`'s crop has the faint rules that span it erased too
    (`ocr.erase_rules(soft=...)`): not a value on an underline, whose line runs under the
    print it is typed on (a phone app's grey underline erased took the commas' tails with
    it, and the Latin model's reading of an address with them)."""
    return not cell.underlined


def pass1_model(cell: Cell) -> str:
    """The model the first pass read `cell` with, as far as its text tells: Chinese
    characters come from a Chinese one (a page with Chinese labels is read with
    `chi_sim+eng`), anything else is English's."""
    return "chi_sim+eng" if CJK.search(cell.pass1) else "eng"


def chinese_name_unmatched(cell: Cell) -> bool:
    """The name cell's RapidOCR reading is a sure name in Chinese characters, and no reading
    of Tesseract's Chinese model alone is there yet."""
    return (
        cell.key == _NAME
        and not any(r.model == "chi_sim" for r in cell.readings)
        and any(
            r.model == RAPID
            and r.confidence >= RAPID_SURE
            and CJK.search(r.text)
            and CLEANERS[_NAME](r.text) is not None
            for r in cell.readings
        )
    )


def unread(cell: Cell, read: FieldValue) -> FieldValue:
    """`read` left unread (at most half sure), with every reading of the cell kept for the
    message to corroborate."""
    return FieldValue(
        None,
        min(read.confidence, 0.5),
        Source.OCR,
        raw=read.raw,
        readings=clean_readings(cell.key, cell.readings),
    )


#: The second engine: RapidOCR, which reads only the cells the vote settles (a few tens of
#: milliseconds a cell; a whole page would take it many seconds).
SECOND_ENGINE: CellReader = RapidCellReader()
_log = logging.getLogger(__name__)


def second_engine(image: Image.Image, cell: Cell, scale: float) -> None:
    """The cell read by the second engine (rules erased, as Tesseract's crops), its lines
    joined as one reading added to the cell's; once (a cell it has read keeps that reading).
    Without the engine (not installed, its models missing), or when it fails, the vote has
    Tesseract's readings alone."""
    if any(r.model == RAPID for r in cell.readings):
        return
    reading = second_reading(image, cell, scale)
    if reading is not None:
        cell.readings.append(reading)


def second_reading(
    image: Image.Image, cell: Cell, scale: float, *, underlines: bool = False
) -> Reading | None:
    """The second engine's reading of `cell` (`second_engine`); with `underlines`, of the
    crop with its horizontal lines kept (`erase_rules(horizontal=False)`)."""
    box = value_lines(cell, scale) if underlines else scale_box(cell.box, scale)
    crop = erase_rules(
        image.crop(box),
        length=round(60 * scale),
        horizontal=not underlines,
        soft=soft_rules(cell),
    )
    if any(cell.ruled) and not all(cell.ruled):
        crop = paper_beyond(crop, cell.ruled)  # (both closed: nothing is cut, see below)
    hint = CHINESE if cell.lang.startswith("chi") else LATIN
    try:
        reading = joined(own_lines(SECOND_ENGINE.read_cell(crop, lang_hint=hint)))
    except MemoryError:
        raise  # the sandbox's cap: the read fails as a whole
    except Exception as exc:  # RapidError, and ONNX Runtime's and OpenCV's own classes
        _log.warning("ocr.second_engine.failed: %s: %s", type(exc).__name__, exc)
        return None
    if reading is not None and all(cell.ruled):
        # both sides the cell's own rules: nothing runs on beyond them
        reading = replace(reading, edged=False)
    return reading


def own_lines(lines: Sequence[Reading]) -> Sequence[Reading]:
    """The cell's lines up to one that starts as the next row does (`clean.row_label_line`):
    an underlined address's region ran over the row below, and the second engine, which
    reads every line of its crop, gave `... United Kingdom Signature: Date: 21 June 2024`."""
    for i, line in enumerate(lines):
        if i and row_label_line(line.text):
            return lines[:i]
    return lines


#: The band the second engine reads around the lines the first read: this many text heights
#: above and below them.
LINES_MARGIN = 0.6


def value_lines(cell: Cell, scale: float) -> Box:
    """The part of `cell` (in pixels at `scale`) the value's lines stand in: its whole width,
    and from above the first line Tesseract read to below the last. The punctuation's
    re-read reads there: a region that runs over the next row (an underlined value above
    the signing line) gives the second engine that row's words too (`... Laval, France
    JorgSichafer Date: 2025 年 5 月 31 日`). Not the cell's first reading: where Tesseract
    read fewer lines than stand there, the second engine's reading of those alone would agree
    with a value cut short (`Calle Ramiro de Maeztu 7.`)."""
    x0, top, x1, bottom = scale_box(cell.box, scale)
    if not cell.words:
        return (x0, top, x1, bottom)
    h = median(w.height for w in cell.words)
    return (
        x0,
        max(top, min(w.top for w in cell.words) - LINES_MARGIN * h),
        x1,
        min(bottom, max(w.bottom for w in cell.words) + LINES_MARGIN * h),
    )


def paper_beyond(crop: Image.Image, ruled: tuple[bool, bool]) -> Image.Image:
    """`crop` with a line's height of its own paper added beyond each closed side (a column
    rule, or the label the value follows: `Address: Arcisstraße 21, ...` starts at the crop's
    left edge). Nothing of the value stands beyond such a side, so print close to it is no
    value the crop cut; with paper there, the second engine does not take it for one."""
    left, right = (crop.height if side else 0 for side in ruled)
    if not (left or right) or crop.width == 0 or crop.height == 0:
        return crop
    paper = np.percentile(np.asarray(crop.convert("L")), 90)
    fill: int | tuple[int, ...] = int(paper) if crop.mode == "L" else (int(paper),) * 3
    if crop.mode not in ("L", "RGB"):
        crop = crop.convert("RGB")
    return ImageOps.expand(crop, border=(left, 0, right, 0), fill=fill)


#: A period between words after a word no abbreviation is (four letters or more, none of
#: `ABBREVIATED`) or after a number: a comma whose tail was lost (to an underline, or to a
#: photo's soft print), the comma. (Three letters or fewer is an abbreviation's length:
#: `Rd.`, `St.`, `No.`, `Co.`, `Fl.`; a word of four is either, `Road.` or `Univ.`.) So is
#: one after a capital letter alone before a number: the letter names a tower, a block or a
#: unit (`Tower B, 3388 Keyuan South Road`); an initial stands before a name, not a number.
COMMA_READ_AS_PERIOD = re.compile(r"(?:\b([^\W\d_]{4,})|\d)\. (?=\w)|\b[A-Z]\. (?=\d)")
#: Words of four letters or more an affiliation or an address abbreviates with a period
#: (the usual English shortenings of institutions, departments and streets).
ABBREVIATED = frozenset(
    {
        *("acad", "admin", "assoc", "asst", "bldg", "blvd", "coll", "corp", "dept", "depart"),
        *("dist", "govt", "hosp", "inst", "indus", "intl", "intern", "lect", "natl", "natnl"),
        *("prof", "prov", "sect", "tech", "techn", "univ"),
    }
)
#: The fields whose periods between words may be commas OCR lost the tails of: a title's
#: (`Assoc. Prof.`) are its abbreviations'.
SEPARATED = frozenset({"affiliation", "address"})


def _comma(m: re.Match[str]) -> str:
    word = m.group(1)
    if word is not None and word.lower() in ABBREVIATED:
        return m.group(0)
    return m.group(0)[:-2] + ", "


#: Fields whose every character counts (no accent to drop): the engines must agree exactly.
EXACT = frozenset({"work_email", "date"})


def confirmed(image: Image.Image, cell: Cell, read: FieldValue, scale: float) -> FieldValue:
    """`_confirmed`; a value it confirms with its commas put back: a period between words
    that no engine read as a comma, where an underline took a comma's tail (`Information
    Systems. University of Melbourne`, `Victoria 3010. Australia`, in every reading of a
    photo) or a photo's soft print shrank it to a dot (`Wuhan. Hubei 430074. China` in a
    table with no underline); neither adds a tail to a period. After a word no abbreviation
    is, or a number, in an affiliation or an address, it is the comma typed there. (An
    address that puts a period there, a German `5. OG` for a floor, is recorded with a
    comma: the address is recorded, no rule judges its letters.)"""
    sure = _confirmed(image, cell, read, scale)
    if sure.value is not None and cell.key in SEPARATED:
        sure = replace(sure, value=COMMA_READ_AS_PERIOD.sub(_comma, sure.value))
    return sure


def _confirmed(image: Image.Image, cell: Cell, read: FieldValue, scale: float) -> FieldValue:
    """A value OCR gave stands only when the second engine reads it too.

    Every Tesseract rule above weighs readings of one engine: its models and resolutions
    share its habits, and on soft print (a phone photo, ~170 ppi enlarged by the warp) it
    reads `Universitv`, `Buildina`, a comma as a period at over 0.9 confidence, twice alike.
    RapidOCR, another network trained on other data, errs elsewhere; so its reading of the
    cell (read here if the vote did not ask for it) must give the same value (accents aside
    outside emails and dates: its alphabet lacks them). Otherwise the two engines' agreement
    (`agreement.cross_engine`) may still settle another of the cell's readings; else the
    value is unread, with every reading kept for the message to corroborate. Word for word
    agreement (`agreement.word_for_word`: the same words but for what each engine is known
    not to see) settles it last."""
    second_engine(image, cell, scale)
    rapid = [r for r in cell.readings if r.model == RAPID]
    if not rapid:
        # the second engine read nothing there (or could not run): one engine's word alone
        return unread(cell, read)
    key, value = cell.key, read.value
    assert value is not None
    # a name's accents are read by the accented model alone (`eng` keeps `é` and drops `ñ`,
    # RapidOCR drops both): a name RapidOCR reads only up to accents stands when that model
    # read it so, and a name it reads letter for letter does not when that model read it
    # with accents the value lacks
    name = key == "signer_name"
    latin = [
        v
        for r in (cell.readings if name else ())
        if r.model in ACCENTED and (v := CLEANERS[key](r.text)) is not None
    ]
    if name and value.isascii() and accents_seen(value, cell.readings):
        # the accented model spelled a word of the name with letters of its own (`Kjær`),
        # whatever junk it read beside it (a tabbed form's dot leaders read as letters): the
        # two engines without those letters agreeing on `Kjaer` confirm no spelling
        return unread(cell, read)
    if key in PUNCTUATED and ". " in value:
        # a period between words may be a comma whose tail the erased underline took, for
        # both engines alike: the second engine reads the crop with its underline kept too
        # (not for a period that ends the value or stands before a comma: `Co., Ltd.`)
        underlined = second_reading(image, cell, scale, underlines=True)
        commas = value
        for r in (*rapid, *([underlined] if underlined is not None else [])):
            seen = CLEANERS[key](r.text)
            if not r.edged and seen is not None:
                commas = comma_for_period(commas, seen) or commas
        if commas != value:
            return replace(read, value=commas)
    for r in rapid:
        other = CLEANERS[key](r.text)
        if r.edged or other is None:
            continue  # every reading of a crop that cuts the value agrees on the cut
        if name and any(v != value and unaccented(v, value) for v in latin):
            break
        if other == value:
            return read
        if key in PUNCTUATED and (merged := comma_for_period(value, other)) is not None:
            # the same words but for commas one engine read as periods: the commas
            return replace(read, value=merged)
        if (
            key not in EXACT
            and unaccented(value, other)
            and (not name or value in latin)
            # an accent only the accented model saw, a sure pass reading the letter plain:
            # a speck (`Politécnicá` against `eng`'s `Politécnica`)
            and not read_plain_surely(key, value, cell.readings)
        ):
            return read
        if key in SEPARATED and lookalike(value, other):
            # letters of one shape in a sans-serif font (`Human-Centred AI` read `Al`): which
            # stands, no engine can see; the affiliation's and the address's letters are
            # compared loosely if at all, and the value is Tesseract's sure reading
            return read
    crossed = (
        cross_engine(key, cell.readings)
        or word_for_word(key, cell.readings)
        or spelled(key, cell.readings)
    )
    if crossed is not None:
        agreed, partner = crossed
        return FieldValue(agreed, round(partner.confidence, 3), Source.OCR, raw=partner.text)
    return unread(cell, read)


def recheck_cell(
    image: Image.Image,
    cell: Cell,
    earlier: list[str],
    fv: FieldValue,
    limits: ReadLimits,
    scale: float = 1.0,
) -> FieldValue:
    """Third pass, for a value the cell passes left unread (or a name whose accents they
    may have dropped): the one cell alone, as one line, its edges cleared of a neighbour's
    ink, with the model that suits the field. Its reading counts only when an earlier,
    independent reading of the cell says the same, and the letters sit on a straight
    baseline (print); otherwise the value stays None."""
    crop = white_paper(cleared_crop(image, cell.box))
    key = cell.key
    lang, psm, config = RECHECK.get(key, ("Latin", 6, ()))
    t = limits.ocr_timeout
    ws = value_words(tesseract_words(crop, lang=lang, psm=psm, timeout=t, config=config))
    got = None
    if ws and not CJK.search(join_words(ws)):
        at_edge = runs_to_edge(ws, (0, 0, crop.width, crop.height), 1.0, cell.ruled)
        cell.readings.append(Reading(join_words(ws), min(w.conf for w in ws), at_edge, lang))
        # the baseline judged on the crop before its edges were cleared: a value whose
        # descenders touch the cell's bottom rule loses them to the clearing (`Blue eak`,
        # `Technolo ies`), and letters without their feet look off a straight line
        if wobbly(clean_crop(image, cell.box, soft=soft_rules(cell)), ws):
            # letters off a straight baseline: handwriting (if they read as a value at
            # all: `eng` reading a date in Chinese gives junk, with no baseline to judge)
            cell.hand = cell.hand or CLEANERS[key](join_words(ws)) is not None
        elif not at_edge:
            # the value runs to the crop's edge: it may go on beyond it (the cell was cut
            # at "l.wils|on@..."), and every reading of the crop would agree on the cut
            got = recheck_latin(key, ws, earlier) or accented_print(image, cell, scale)
    if got is not None:
        return got
    if key == "date" and fv.value is None:
        # a date written 2024年7月25日, which the English passes read as `20244-7258`
        whole = clean_crop(image, cell.box, soft=soft_rules(cell))
        return recheck_chinese(whole, fv, key, cell=cell, limits=limits)
    if key != "signer_name" or fv.value is None:
        return fv
    # a Latin name the passes agreed on only without its accents, or one that is no name
    # (two letters: a Chinese name misread): not sure of it
    return FieldValue(None, min(fv.confidence, 0.5), Source.OCR, raw=fv.raw)


def accented_print(image: Image.Image, cell: Cell, scale: float) -> FieldValue | None:
    """A word field whose accented reading (pass 3's `Latin`) has letters the other passes
    cannot write (`Arcisstraße 21, 80333 München`: `eng` reads `Arcisstrage`, the Chinese
    model `Arcisstrape`, and none agree), settled by the second engine
    (`agreement.accented_by_latin`): read here if it has not read the cell yet."""
    if cell.key not in WORD_FIELDS or all(r.text.isascii() for r in cell.readings):
        return None
    second_engine(image, cell, scale)
    found = accented_by_latin(cell.key, cell.readings)
    if found is None:
        return None
    value, latin = found
    return FieldValue(value, round(latin.confidence, 3), Source.OCR, raw=latin.text)


def recheck_latin(key: str, ws: list[Word], earlier: list[str]) -> FieldValue | None:
    """Pass 3's reading of print (whole, on a straight baseline), if an earlier one agrees."""
    raw = join_words(ws)
    conf = min(w.conf for w in ws)
    value = CLEANERS[key](raw)
    if value is None or conf < RECHECK_CONF:
        return None
    if key == "signer_name" and not plausible_name(value):
        return None
    before = [CLEANERS[key](r) for r in earlier]
    exact = key in ("work_email", "date")
    if not any(
        b == value or (edged(raw, r) if exact else accented(value, b))
        for r, b in zip(earlier, before, strict=True)
    ):
        return None  # nothing read before says the same: not sure
    return FieldValue(value, round(conf, 3), Source.OCR, raw=raw)


def recheck_chinese(
    crop: Image.Image,
    fv: FieldValue,
    key: str = "signer_name",
    *,
    cell: Cell,
    limits: ReadLimits,
) -> FieldValue:
    """A name (or a date) in Chinese characters: the ink read with the Chinese model alone,
    twice (at two sizes); the two readings must give the same value (for a name, two to
    four characters). Not from the edge-cleared crop: a character cut away there would
    leave a shorter name, `12月` would become `2月`."""
    t = limits.ocr_timeout
    readings: list[tuple[str | None, float]] = []
    ink = ink_box(crop)
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
        ws = [w for w in read if w.text.strip(CJK_PUNCT)]
        raw = join_words(ws)
        if not ws or not CJK.search(raw):
            return fv
        readings.append((CLEANERS[key](raw), min(w.conf for w in ws)))
        cell.readings.append(Reading(raw, readings[-1][1], model="chi_sim"))
    (a, ca), (b, cb) = readings
    needed = limits.cjk_threshold if key == _NAME else limits.threshold
    if a is None or a != b or min(ca, cb) < needed:
        return fv
    return FieldValue(a, round(min(ca, cb), 3), Source.OCR, raw=raw)


def read_sheet(
    image: Image.Image, cells: list[Cell], scale: float, lang: str, limits: ReadLimits
) -> dict[int, list[Word]]:
    """OCR cells cut from `image`, stacked with white space between, in one run."""
    boxes = [
        (c.box[0] * scale, c.box[1] * scale, c.box[2] * scale, c.box[3] * scale) for c in cells
    ]
    crops = [
        white_paper(erase_rules(image.crop(b), length=round(60 * scale), soft=soft_rules(c)))
        for b, c in zip(boxes, cells, strict=True)
    ]
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
    words = tesseract_words(sheet, lang=lang, psm=6, timeout=limits.ocr_timeout)
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


def needs_recheck(cell: Cell, fv: FieldValue) -> bool:
    if cell.key not in CLEANERS or fv.blank:
        return False
    if fv.value is None:
        return bool(fv.raw)
    if cell.key != "signer_name" or CJK.search(fv.value):
        return False
    # a name read without the Latin model's say, or one that is no name
    return not cell.pass1 or not plausible_name(fv.value)


def trim_junk(ws: Sequence[Word]) -> list[Word]:
    """A label's bracketed tail before the value (`clean.label_tail`); specks at either end
    of a cell read as a stray low-confidence letter or two, or as a letter or two standing
    apart from the value on its line (a worn copier's grain after `... Technology` read `Š`
    at 0.73: no value's word stands that far from the next)."""
    out = list(ws)
    if len(out) > 1 and label_tail(out[0].text):
        out.pop(0)  # `E-mail (邮箱):`'s `(邮箱):` read as `fal):` before the value
    while out and len(out[0].text) <= 2 and len(out) > 1:
        if not (out[0].conf < 0.7 or _apart(out[0], out[1])):
            break
        out.pop(0)
    while out and len(out[-1].text) <= 2 and len(out) > 1:
        if not (out[-1].conf < 0.7 or _apart(out[-2], out[-1])):
            break
        out.pop()
    # a lone lower-case letter after a value is a speck however sure Tesseract 5.5 is of it
    # (`Northfield University j`): no name, title, affiliation or address ends that way
    while len(out) > 1 and len(out[-1].text) == 1 and out[-1].text.islower():
        out.pop()
    return out


#: A word further than this many text heights from the next on its line stands apart.
SPECK_GAP = 1.5


def _apart(a: Word, b: Word) -> bool:
    """`a` and `b`, in reading order, are on one line and far apart (`SPECK_GAP`)."""
    h = max(a.height, b.height)
    same_line = min(a.bottom, b.bottom) - max(a.top, b.top) > 0.3 * h
    return same_line and b.x0 - a.x1 > SPECK_GAP * h


def value_words(ws: Sequence[Word]) -> list[Word]:
    return trim_junk([w for w in ws if w.text.strip("|_—-.,:;'\"")])


def runs_to_edge(
    ws: Sequence[Word], box: Box, scale: float, ruled: tuple[bool, bool] = (False, False)
) -> bool:
    """The words reach (within 0.4 of their height) the left or right edge of `box`, where
    that edge is not the value's own cell rule (`ruled`: print close to a table's column rule
    is the cell's padding being small, not a value cut)."""
    h = median(w.height for w in ws)
    return (not ruled[0] and min(w.x0 for w in ws) - box[0] * scale < 0.4 * h) or (
        not ruled[1] and box[2] * scale - max(w.x1 for w in ws) < 0.4 * h
    )


def ink_box(img: Image.Image, pad: int = 16) -> Box | None:
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


def edge_ink_only(image: Image.Image, box: Box, scale: float) -> bool:
    """The cell's ink all touches its edges: rules and a neighbour's strokes, no value."""
    crop = image.crop(scale_box(box, scale))
    return ink_ratio(clear_edges(crop), (0, 0, crop.width, crop.height)) <= CELL_INK / 4
