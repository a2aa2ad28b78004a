"""A value OCR could not settle alone, settled by the message it came with.

The reader reports a scanned value it is not sure of as unreadable, with every reading its
passes made (`FieldValue.readings`). Two of the form's fields also stand in the message,
written by the applicant's own hand on a keyboard: the work email is the sender's address,
the signer's name is the name in the file name. A reading that says exactly that (the
address letter for letter; the name up to case, order, accents or pinyin, never fuzzily) is
no guess: OCR does not misread one text into exactly another that the applicant typed
elsewhere. Such a field takes that reading, marked `corroborated_by`.

The one latitude: characters print makes look alike and every OCR engine confuses (`l`, `1`,
`|`; `o`, `0`), where the rest of the address is letter for letter the sender's. Print with
`1.bennett@tum.de` where the sender is `l.bennett@tum.de` is the same hand's address far more
often than another mailbox; nothing else is folded.

The same latitude for a name OCR read surely, both engines alike: a worn copier's streak
through an `l` leaves the dot of an `i`, and `Ciaire Donovan` is what every reading of the
print gives. Where the file name says `Claire_Donovan`, the same letters but for print's
look-alikes (`i`, `l`, `1`, `|`; `o`, `0`), the name is the applicant's own spelling, with
the reading's accents and case: rejected for a file name that does not name the signer, the
applicant would be told to rename a file that is named right.

A name OCR read that lies a letter or two from the file name's without naming the same person
(`Jöra Schäfer` read from a photo, `Schäfer_Jörg` in the file name: the paper's grain took the
`g`'s tail, for both engines) is a doubt, not a finding: the name is left unread and a person
looks, rather than the applicant told to rename a file that may be named right. Names further
apart are compared by the file-name rule as read.

A reading that differs otherwise is no evidence either way: the field stays unreadable and a person
looks. A reading cut at its crop's edge (`Reading.edged`) may be part of a longer value, so
it never corroborates. A form the reader did not read as print (handwriting) comes with no
readings at all (`reading.cell_ocr.ocr_cells`): RapidOCR reads a written name nearly as the
file name spells it, and handwriting is never a value.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace

from rapidfuzz.distance import Levenshtein
from unidecode import unidecode

from licensebot.core.form import FieldValue, ReadForm, Reading, Source
from licensebot.core.names import MatchHow, ascii_words, same_person
from licensebot.core.rules import normalize_address

#: Fuzzy name matching off: only case, order, accents and pinyin.
_NO_FUZZ = 2.0
_RANK = {how: i for i, how in enumerate(MatchHow)}


def corroborate(form: ReadForm, *, sender: str | None, filename_name: str | None) -> ReadForm:
    """`form` with its unreadable work email and signer name settled by the message, where a
    reading of theirs is exactly what the message says."""
    changes: dict[str, FieldValue] = {}
    email = form.fields.get("work_email")
    if sender and email is not None and email.unreadable:
        target = normalize_address(sender)
        same = [r for r in _whole(email) if _folded(target) in _comparable(r.text)]
        if same:
            best = max(same, key=lambda r: (normalize_address(r.text) == target, r.confidence))
            changes["work_email"] = _settled(replace(best, text=sender), "sender")
    name = form.fields.get("signer_name")
    if filename_name and name is not None and name.unreadable:
        ranked: list[tuple[int, float, Reading]] = []
        for r in _whole(name):
            match = same_person(r.text, filename_name, min_score=_NO_FUZZ)
            if match.matched:
                ranked.append((-_RANK[match.how], r.confidence, r))
        if ranked:
            changes["signer_name"] = _settled(max(ranked, key=lambda t: t[:2])[2], "filename")
    elif (
        filename_name
        and name is not None
        and name.value is not None
        and name.source is Source.OCR
        and name.corroborated_by is None
    ):
        if (spelled := _lookalike_spelling(name.value, filename_name)) is not None:
            changes["signer_name"] = replace(name, value=spelled, corroborated_by="filename")
        elif _misread_apart(name.value, filename_name):
            changes["signer_name"] = _doubted(name)
    if not changes:
        return form
    return replace(form, fields={**form.fields, **changes})


#: A name read by OCR this many letters from the file name's (word for word, accents and case
#: aside) may be a misreading of it: a phone photo's `g` whose tail the paper's grain took
#: reads `a` to both engines (`Jöra` for `Jörg`).
MISREAD_LETTERS = 2
#: ... in a name of at least this many letters (`Li Bo` and `Li Bu` are two people).
MISREAD_MIN_LETTERS = 8
#: More words than a name has: no orders of them tried.
MAX_NAME_WORDS = 5


def _misread_apart(read: str, in_file: str) -> bool:
    """`read` (OCR's) and the file name's name are not the same person but lie a letter or
    two apart: either a misreading or another name, and only a person can tell. Rejected for
    a file name that does not name the signer, the applicant would be told to rename a file
    that may be named right; the name is left unread (`unreadable`: review) instead."""
    if same_person(read, in_file, min_score=_NO_FUZZ).matched:
        return False
    ours, theirs = ascii_words(read), ascii_words(in_file)
    if (
        not ours
        or len(ours) != len(theirs)
        or len(ours) > MAX_NAME_WORDS
        or sum(map(len, ours)) < MISREAD_MIN_LETTERS
    ):
        return False
    return any(
        sum(Levenshtein.distance(a, b) for a, b in zip(ours, order, strict=True)) <= MISREAD_LETTERS
        for order in itertools.permutations(theirs)
    )


def _doubted(name: FieldValue) -> FieldValue:
    """`name` left unread, its readings kept (the value among them) for a person to see."""
    readings = name.readings or (Reading(name.value or "", name.confidence),)
    return replace(name, value=None, confidence=min(name.confidence, 0.5), readings=readings)


#: The letters of a name print makes look alike, folded for comparison (lower case).
_NAME_LOOKALIKES = str.maketrans({"i": "l", "1": "l", "|": "l", "!": "l", "0": "o"})


def _lookalike_spelling(read: str, in_file: str) -> str | None:
    """`read` with the file name's letters where the two differ only by print's look-alikes
    (word for word, in any order), when that makes them name the same person and they did
    not already; None otherwise."""
    if same_person(read, in_file, min_score=_NO_FUZZ).matched:
        return None
    words = read.split()
    theirs = [w for w in re.split(r"[\s_\-.]+", in_file) if w]
    if not words or len(words) != len(theirs) or not all(w.isalpha() for w in theirs):
        return None
    out = []
    left = list(theirs)
    for word in words:
        key = _name_folded(word)
        match = next((t for t in left if _name_folded(t) == key and len(t) == len(word)), None)
        if match is None:
            return None
        left.remove(match)
        out.append(
            "".join(_letter(c, f, i) for i, (c, f) in enumerate(zip(word, match, strict=True)))
        )
    spelled = " ".join(out)
    return spelled if same_person(spelled, in_file, min_score=_NO_FUZZ).matched else None


def _letter(read: str, theirs: str, at: int) -> str:
    """The name's letter at `at`: the reading's (its accent, its case), or where it is
    another letter's look-alike the file name's, a capital only at the word's start (a look-
    alike's case is no guide: `I` for `l`)."""
    if read.lower() == _plain(theirs) or read == theirs:
        return read
    return theirs.upper() if at == 0 else theirs.lower()


def _plain(c: str) -> str:
    return unidecode(c).lower() or c.lower()


def _name_folded(text: str) -> str:
    return "".join(_plain(c) for c in text).translate(_NAME_LOOKALIKES)


#: Print's look-alikes (after `normalize_address`'s case folding).
_LOOKALIKES = str.maketrans({"1": "l", "|": "l", "!": "l", "]": "l", "[": "l", "0": "o"})


def _folded(address: str) -> str:
    return address.translate(_LOOKALIKES)


def _comparable(text: str) -> set[str]:
    """A reading's address with print's look-alikes folded: after the brackets around it
    are taken off (`<l.bennett@tum.de>`), and before (a `]` or `[` that opens the reading
    alone is the `l` it looks like: `].bennett@tum.de`, not an address in brackets)."""
    return {_folded(normalize_address(text)), normalize_address(_folded(text.strip()))}


def _whole(fv: FieldValue) -> list[Reading]:
    return [r for r in fv.readings if not r.edged and r.text.strip()]


def _settled(r: Reading, by: str) -> FieldValue:
    return FieldValue(r.text, round(r.confidence, 3), Source.OCR, raw=r.text, corroborated_by=by)
