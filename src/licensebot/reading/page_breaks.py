"""Values a page break carried overleaf, on a text layer: the lines at the next page's head.

A word processor breaks a table's row across pages: its labels at one page's foot, its values
at the next one's head (`The Signer's Name | TITLE`, then `Jörg Schäfer | Research Group
Leader`). The scanned path reads them as cells of their own (`pdf._Reader._value_carried`,
`_value_overleaf`); a text layer has their words already.

It breaks a label cell of two lines so too (`continued_label`): `Detail Address of your` at
one page's foot, `affiliation` at the next one's head, which alone reads as another label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from licensebot.core.form import FieldValue, Source
from licensebot.reading.cell_ocr import value_words
from licensebot.reading.clean import CLEANERS, cut_short, ends_open
from licensebot.reading.document import is_leader
from licensebot.reading.layout import Label, Word, join_words, match_label
from licensebot.reading.regions import ValueRegion

#: Lines of a value the page break carried to the top of the next page, at most (an
#: address's last two).
OVERLEAF_LINES = 2
#: A label a page break cut in two reads, its two parts together, as one of its field's
#: wordings at least this surely ...
CONTINUED_SURE = 0.95
#: ... and more surely by this much than its first part alone.
CONTINUED_GAIN = 0.02


def continued_label(before: Iterable[Label], after: Iterable[Label]) -> tuple[Label, Label] | None:
    """A label cell a page break cut in two: the lowest label of one page (`Detail Address`,
    `of your` after it in its cell) goes on in the top row of the next (`affiliation`), where
    its rest alone reads as another field's label. That row is the cut row's: its label the
    rest of the cut one, its value the rest of the cut value (`Nanshan District, Shenzhen
    518057, China` had been recorded as the affiliation). Returns (the cut label, its rest
    taken for a label), or None.

    The rest belongs to the label above when, in the same column, the two parts together
    read as the upper label's field nearly exactly (`CONTINUED_SURE`) and the upper part
    alone (with what follows it in its cell) does not, or less surely: a whole `Work email`
    over an `Address` row overleaf is two labels (`Work email Address` reads no better than
    `Work email`), as is an `Address` over an `Affiliation`."""
    above, below = list(before), list(after)
    if not above or not below:
        return None
    head = max(above, key=lambda lab: lab.bottom)
    rest = min(below, key=lambda lab: lab.top)
    if rest.field == head.field or rest.x0 >= head.x1 or head.x0 >= rest.x1:
        return None
    whole = match_label(join_words([*head.words, *head.inline, *rest.words]))
    if whole is None or whole[0] != head.field or whole[1] < CONTINUED_SURE:
        return None
    own = match_label(join_words([*head.words, *head.inline]))
    if own is not None and own[0] == head.field and own[1] > whole[1] - CONTINUED_GAIN:
        return None
    return head, rest


def label_rests(labels: Sequence[Label]) -> list[Label]:
    """The labels of several pages (a text layer's) that are the rests of labels a page
    break cut (`continued_label`): no labels."""
    rests = []
    pages = sorted({lab.page for lab in labels})
    for page in pages:
        split = continued_label(
            (lab for lab in labels if lab.page == page),
            (lab for lab in labels if lab.page == page + 1),
        )
        if split is not None:
            rests.append(split[1])
    return rests


def carried_overleaf(
    fields: Mapping[str, FieldValue],
    labels: Mapping[str, Label],
    regions: Mapping[str, ValueRegion],
    words: Sequence[Word],
) -> dict[str, FieldValue]:
    """A text layer's row the page break cut after its labels: values found blank in the last
    row of labels on a page, while the form's labels go on at the next page, are the lines
    there above its first label, across the row's column (Word breaks a row so: `The
    Signer's Name | TITLE` at a page's foot, `Jörg Schäfer | Research Group Leader` at the
    next one's head; the form was rejected for a name left blank). The words there are the
    value; with none, it is blank. A value that stops short there (`clean.cut_short`:
    `3388 Keyuan South Road,`) goes on in those lines of its own column: the two together."""
    out: dict[str, FieldValue] = {}
    for key, fv in fields.items():
        lab, region = labels.get(key), regions.get(key)
        if lab is None or region is None or key not in CLEANERS:
            continue
        cut = not fv.blank and fv.value is not None and cut_short(fv.raw)
        if not (fv.blank or cut):
            continue
        later = [o for o in labels.values() if o.page == lab.page + 1]
        below = [o for o in labels.values() if o.page == lab.page and o.top > lab.bottom]
        if not later or below:
            continue
        h = lab.height
        top = min(o.top for o in later)
        # a blank value's lines may stand under its label (a stacked table's); a cut one's
        # go on in its own column
        x0 = (region.box[0] if cut else min(lab.x0, region.box[0])) - h
        x1 = region.box[2] + h
        lines = value_words(
            [
                w
                for w in words
                if w.page == lab.page + 1
                and w.bottom <= top
                and w.top >= top - OVERLEAF_LINES * 2.0 * h
                and x0 <= w.cx <= x1
                and not is_leader(w)
            ]
        )
        if lines:
            raw = join_words(lines)
            if cut:
                raw = f"{(fv.raw or '').rstrip()} {raw}"
            value = CLEANERS[key](raw)
            out[key] = FieldValue(value, 1.0 if value else 0.0, Source.TEXT, raw=raw)
    return out


def joined(key: str, head: FieldValue, tail: FieldValue | None, *, cut: bool) -> FieldValue:
    """`key`'s value read in two parts across a page break (or a region's end): `head`
    (`cut`: it stopped short, `clean.cut_short`, or whole) and its `tail`; unread when either
    is (no tail read: the rest unknown). The comma or hyphen a cut head ended with, which
    cleaning took off its end, is put back between them; a head cut after a joining word
    (`University of`) keeps its word and takes no mark (it had been joined `University off
    Melbourne`)."""
    raw = " ".join(r for r in (head.raw, tail.raw if tail else None) if r)
    if head.value is None or tail is None or tail.value is None:
        readings = tail.readings if tail else ()
        return FieldValue(None, 0.0, Source.OCR, raw=raw, readings=readings)
    end = (head.raw or ",").rstrip()[-1:]
    mark = end if cut and ends_open(end) and not head.value.endswith(end) else ""
    space = "" if mark == "-" else " "
    value = CLEANERS[key](f"{head.value}{mark}{space}{tail.value}")
    conf = min(head.confidence, tail.confidence)
    return FieldValue(value, round(conf, 3), Source.OCR, raw=raw)
