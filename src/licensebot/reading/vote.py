"""When readings of a value agree: the rules that turn OCR readings into a value or None.

Pure functions over strings and `Reading`s, no image, no OCR. `cleaned` applies the confidence
threshold to one reading; `same`, `near` and `accented` say when two readings are of one
value; `vote` settles a value the cell passes left unread from every reading of its cell;
`best_model` is the vote's rule for a value no rule judges by its letters (the address).

Two engines read the cells: Tesseract (several models, several passes) and RapidOCR. Agreement
between the two engines (`agreement.cross_engine`) settles a value first; two passes of
Tesseract agreeing come next, and there RapidOCR's reading only ever dissents: its confidence
says little (it is as sure of its wrong readings as of its right ones), so it never makes a
Tesseract value sure, but an independent engine reading something else is a doubt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz.distance import Levenshtein

from licensebot.core.form import FieldValue, Reading, Source
from licensebot.reading.agreement import (
    RAPID,
    WORD_FIELDS,
    cross_engine,
    lookalike,
    spelled,
    word_for_word,
)
from licensebot.reading.clean import CLEANERS
from licensebot.reading.limits import ReadLimits

CJK = re.compile(r"[\u3400-\u9fff]")
#: Punctuation around Chinese print that is no part of a name.
CJK_PUNCT = "，。、；：,.;:·・'\"“”‘’()（）|"

#: A vote (`vote`): its surest reading at least this sure, its second at least the floor
#: (Chinese: its own floor: Tesseract scores Chinese print lower); any other reading this
#: sure is a dissent that stops it.
VOTE_SURE = 0.8
VOTE_FLOOR = 0.3
CJK_VOTE_SURE = 0.7
CJK_VOTE_FLOOR = 0.5
VOTE_DISSENT = 0.5
VOTE_MARGIN = 0.08
UNANIMOUS_EASE = 0.1  # what `VOTE_SURE` eases by when every reading agrees
#: Fields stored for the record that no rule judges by their letters (`best_model`).
RECORDED_ONLY = frozenset({"address"})
BEST_MODEL_SURE = 0.8


def cleaned(key: str, raw: str, conf: float, src: Source, limits: ReadLimits) -> FieldValue:
    """One reading as a value of its field, or None below the confidence threshold."""
    value = CLEANERS[key](raw)
    if value is None:
        # something is there, but it is not a value of this field: unreadable, not blank
        return FieldValue(None, round(min(conf, 0.3), 3), src, raw=raw)
    # Tesseract is less sure of Chinese print than of Latin print at the same quality
    needed = limits.cjk_threshold if CJK.search(raw) else limits.threshold
    if conf < needed:
        return FieldValue(None, round(conf, 3), src, raw=raw)
    return FieldValue(value, round(conf, 3), src, raw=raw)


def fold(text: str) -> str:
    """Accents and case away: the English model reads "Peña" as "Pena" (or "Pefia")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def same(key: str, a: str | None, b: str | None) -> bool:
    """Two cleaned values are one: exactly for emails and dates, else up to accents and case."""
    if a is None or b is None:
        return False
    if key in ("work_email", "date"):
        return a == b
    return fold(a) == fold(b) or a == b


def near(a: str | None, b: str | None) -> bool:
    """Within two letters of each other (accents and case aside), `b` of four or more."""
    if a is None or b is None:
        return False
    return Levenshtein.distance(fold(a), fold(b)) <= 2 and len(fold(b)) >= 4


def clean_readings(key: str, readings: Sequence[Reading]) -> tuple[Reading, ...]:
    """A cell's readings as values of its field (those that are one), for the message to
    corroborate (`core.corroborate`)."""
    clean = CLEANERS[key]
    return tuple(
        Reading(value, round(r.confidence, 3), r.edged, r.model)
        for r in readings
        if (value := clean(r.text)) is not None
    )


def vote(key: str, readings: Sequence[Reading]) -> FieldValue | None:
    """A value that two readings (different models or resolutions) give letter for letter,
    one of them surely, while no reading of any weight says otherwise: each model's
    errors are its own (the English model reads `Shuangqing` as `Shuangging`, the Latin one
    does not), so two that agree against no confident dissent have read the print. A
    reading that runs to its crop's edge cannot vote for a value (every reading of a cut
    crop agrees on the cut), only against one; one that only drops the accents of a name is
    no dissent, nor is a "name" of under four letters (a Chinese name misread as `RR`). A
    dissent of weight stops the vote unless the value has more readings than the dissent and
    its surest is clearly surer (by `VOTE_MARGIN`) than the dissent's.

    Before all that, RapidOCR and a Tesseract model agreeing (`agreement.cross_engine`, with
    its own guards) settle the value: two engines count for more than two passes of one. In
    the passes' vote a RapidOCR reading of another value is a dissent of weight; its agreeing
    adds nothing (its confidence is no measure of its being right)."""
    crossed = cross_engine(key, readings)
    if crossed is not None:
        agreed, partner = crossed
        return FieldValue(agreed, round(partner.confidence, 3), Source.OCR, raw=partner.text)
    # the same text at the same confidence is one model's reading twice (`chi_sim+eng` reads
    # Latin print exactly as `eng` does): one vote
    unique = {(r.text, round(r.confidence, 3)): r for r in readings if r.model != RAPID}.values()
    values = [(CLEANERS[key](r.text), r) for r in unique]
    engine = [(CLEANERS[key](r.text), r) for r in readings if r.model == RAPID]
    support: dict[str, list[Reading]] = {}
    for value, r in values:
        if value is not None and not r.edged and whole(key, r.text, value):
            support.setdefault(value, []).append(r)
    for value, group in support.items():
        best = max(group, key=lambda r: r.confidence)
        # read from Chinese characters (a name, or a date written 2024年10月4日)
        cjk = any(CJK.search(r.text) for r in group)
        sure, floor = (CJK_VOTE_SURE, CJK_VOTE_FLOOR) if cjk else (VOTE_SURE, VOTE_FLOOR)
        # every reading, from more than one model, says the same: a little less sureness
        # will do, and the others need none of their own
        unanimous = len(group) == len(values) and len({r.model for r in group}) >= 2
        if len(group) < 2 or best.confidence < sure - (UNANIMOUS_EASE if unanimous else 0.0):
            continue
        if not unanimous and sorted(r.confidence for r in group)[-2] < floor:
            continue
        # RapidOCR reading the value too: a pass's letter of the same shape (`Al` for `AI`)
        # against two passes and the other engine is the pass's habit, not another value
        backed = key in WORD_FIELDS and any(other == value for other, _ in engine)
        dissent = [
            r.confidence
            for other, r in (*values, *engine)
            if other != value
            and r.confidence >= VOTE_DISSENT
            and not (other is not None and accented(value, other))
            and not (key == "signer_name" and other is not None and not plausible_name(other))
            and not (backed and other is not None and lookalike(value, other))
        ]
        if not dissent or (
            len(group) > len(dissent) and best.confidence >= max(dissent) + VOTE_MARGIN
        ):
            return FieldValue(value, round(best.confidence, 3), Source.OCR, raw=best.text)
    alone = date_read_alone(key, readings)
    if alone is not None:
        return alone
    worded = word_for_word(key, readings) or spelled(key, readings)
    if worded is not None:
        agreed, partner = worded
        return FieldValue(agreed, round(partner.confidence, 3), Source.OCR, raw=partner.text)
    if key in RECORDED_ONLY:
        return best_model(key, [*values, *engine])
    return None


#: RapidOCR's sureness of a whole date it reads alone (`date_read_alone`).
DATE_ALONE_SURE = 0.98


def date_read_alone(key: str, readings: Sequence[Reading]) -> FieldValue | None:
    """A printed date only RapidOCR reads whole. Some fonts' digits come out of Tesseract as
    `2024+1HQ994` on a photo; the date rule asks only that the form is dated, and a date read
    whole at `DATE_ALONE_SURE` by the other engine, on a form the reader found printed (the
    vote's caller asks that, and that the cell is no handwriting), is one: taken, unless a
    Tesseract reading of weight gives another date."""
    if key != "date":
        return None
    alone = [
        (v, r)
        for r in readings
        if r.model == RAPID
        and not r.edged
        and r.confidence >= DATE_ALONE_SURE
        and (v := CLEANERS[key](r.text)) is not None
    ]
    if len({v for v, _ in alone}) != 1:
        return None
    value, best = max(alone, key=lambda vr: vr[1].confidence)
    for r in readings:
        other = CLEANERS[key](r.text)
        if r.model != RAPID and other is not None and other != value:
            return None  # any other date read there, however unsure
    return FieldValue(value, round(best.confidence, 3), Source.OCR, raw=best.text)


def whole(key: str, raw: str, value: str) -> bool:
    """The reading is the value as it stands, not a value its cleaning cut out of it: an email
    read `|.wilson@...` cleans to `wilson@...`, and two such readings must not outvote the
    truth (`l.wilson@...`)."""
    if key != "work_email":
        return True
    return raw.strip().strip("<>()[]\"'").rstrip(".,;:").casefold() == value.casefold()


def best_model(key: str, values: Sequence[tuple[str | None, Reading]]) -> FieldValue | None:
    """For a value no rule judges by its letters (the address), the `Latin` model's sure
    reading stands against `eng` readings a letter or two away: `Latin` is a "best" model
    (89 MB), `eng` a "fast" one (4 MB) whose slips (`q` read as `g`) are known. Different
    words, or a reading as sure from another model, still leave the value unread."""
    best = [
        (v, r)
        for v, r in values
        if v is not None and r.model == "Latin" and r.confidence >= BEST_MODEL_SURE and not r.edged
    ]
    if not best or any(o.edged for _, o in values):
        return None  # a reading cut at the crop's edge: the crop may not be the value's cell
    value, r = max(best, key=lambda vr: vr[1].confidence)
    for other, o in values:
        if other is None or other == value:
            continue
        if o.model == "Latin" or Levenshtein.distance(other, value) > 2:
            return None
    return FieldValue(value, round(r.confidence, 3), Source.OCR, raw=r.text)


def plausible_name(name: str) -> bool:
    """A Latin name has at least four letters ("Li Bo"): "RH" is a Chinese name misread."""
    return CJK.search(name) is not None or sum(c.isalpha() for c in name) >= 4


def bare(text: str | None) -> str:
    """Lower case without combining accents; letters like ø and ß stay what they are."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(c for c in decomposed if c.isalnum())


def accented(value: str, other: str | None) -> bool:
    """`value` is `other` with accents or letters the English model cannot read (ø, ß):
    every difference is at a non-ASCII letter of `value`, and there are at most two."""
    if other is None:
        return False
    a, b = bare(value), bare(other)
    if a == b:
        return True
    ops = Levenshtein.editops(a, b)
    if not ops or len(ops) > 2 or len(a) < 4:
        return False
    # a letter the other reading has more is no accent (and may be one the edge clearing cut)
    return all(op.tag in ("replace", "delete") and not a[op.src_pos].isascii() for op in ops)


def edged(raw: str, other: str) -> bool:
    """`other` is `raw` and a word of a character or two (a speck read as `j`): the value
    itself is whole in both. Glued junk (`_72025/06/29`) does not count: a value the edge
    clearing cut a letter from would look just like it."""
    a, b = raw.strip(), other.strip()
    extra = b[len(a) :] if b.startswith(a + " ") else b[: -len(a)] if b.endswith(" " + a) else ""
    return len(a) >= 6 and 0 < len(extra.strip()) <= 2


def digits(text: str) -> list[str]:
    return re.findall(r"\d+", text)
