"""Values a page break carried overleaf, on a text layer: the lines at the next page's head.

A word processor breaks a table's row across pages: its labels at one page's foot, its values
at the next one's head (`The Signer's Name | TITLE`, then `Jörg Schäfer | Research Group
Leader`). The scanned path reads them as cells of their own (`pdf._Reader._value_carried`,
`_value_overleaf`); a text layer has their words already.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from licensebot.core.form import FieldValue, Source
from licensebot.reading.cell_ocr import value_words
from licensebot.reading.clean import CLEANERS
from licensebot.reading.document import is_leader
from licensebot.reading.layout import Label, Word, join_words
from licensebot.reading.regions import ValueRegion

#: Lines of a value the page break carried to the top of the next page, at most (an
#: address's last two).
OVERLEAF_LINES = 2


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
    value; with none, it is blank."""
    out: dict[str, FieldValue] = {}
    for key, fv in fields.items():
        lab, region = labels.get(key), regions.get(key)
        if not fv.blank or lab is None or region is None or key not in CLEANERS:
            continue
        later = [o for o in labels.values() if o.page == lab.page + 1]
        below = [o for o in labels.values() if o.page == lab.page and o.top > lab.bottom]
        if not later or below:
            continue
        h = lab.height
        top = min(o.top for o in later)
        x0, x1 = min(lab.x0, region.box[0]) - h, region.box[2] + h
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
            value = CLEANERS[key](raw)
            out[key] = FieldValue(value, 1.0 if value else 0.0, Source.TEXT, raw=raw)
    return out
