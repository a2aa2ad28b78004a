"""Agreement between two OCR engines: stronger evidence than two passes of one.

Two passes of Tesseract (two models, two resolutions) share its habits: `eng` and the
Chinese model both drop the accents `Latin` keeps, and both read a blurred `q` as `g`. RapidOCR
(another network, trained on other data) errs elsewhere: on the development crops of
`bench/engines.py` it never agreed with Tesseract's `Latin` model on a wrong value (0 of 270
typed crops; 229 agreements, all right). It has
habits of its own, which this rule keeps out:

- its alphabet lacks most accents (`Peña` reads `Pena`, `Müller` `Muller`), as does `eng`'s
  reading of them: a name is confirmed only with a partner that reads accents (`Latin`) or
  Chinese (`chi_sim`), never with `eng`, and any sure reading that says otherwise (the
  accented name) stops it;
- in an email a capital `I`, a `|` or a `1` where `l` may stand is ambiguous in a sans-serif
  print (`l.wilson` reads `I.wilson`): such a reading confirms nothing;
- its confidence is high even when it is wrong (the median wrong reading: 0.98), so it must be
  sure (>= `RAPID_SURE`) but that sureness alone says little; the partner's must be fair
  (a name's >= `PARTNER_SURE`, another Latin field's >= `PARTNER_FAIR`), and no other reading
  of the cell may say otherwise at `DISSENT` or above.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Sequence

from rapidfuzz.distance import Levenshtein
from unidecode import unidecode

from licensebot.core.form import Reading
from licensebot.reading import lexicon
from licensebot.reading.clean import CLEANERS

#: The model name of RapidOCR's readings (`reading.rapid`); every other model is Tesseract's.
RAPID = "rapid"

#: Thresholds from bench/results/engines.md (development crops).
RAPID_SURE = 0.9
PARTNER_SURE = 0.75
#: A partner's floor in a field of Latin print other than the name: there RapidOCR and
#: Tesseract never agreed letter for letter on a wrong value at any partner confidence (0 of
#: some 300 agreements on the development crops; their only wrong agreements are names with
#: their accents dropped, which only `Latin` may confirm), and a worn or creased copy's email
#: read alike by both engines (`c.donovan@lvl-lab.fr`, Tesseract at 0.46-0.62, RapidOCR at
#: 0.97-0.99) was left to a person. Dissent still counts from `DISSENT` up.
PARTNER_FAIR = 0.45
#: Tesseract is less sure of Chinese print than of Latin at the same quality (the reader's
#: `ReadLimits.cjk_threshold` is 0.6 where Latin's is 0.8): a Chinese partner's floor.
CJK_PARTNER_SURE = 0.6
DISSENT = 0.6
#: Tesseract models that may confirm RapidOCR's reading of each field: those whose errors
#: are not RapidOCR's (`eng` and RapidOCR both drop accents; so does `chi_sim+eng`, the mixed
#: model pass 2 reads a cell in that pass 1 could not read, which on Latin print errs as `eng`
#: does: bench/results/engines.md, where its only wrong agreements are accented names).
PARTNERS: dict[str, frozenset[str]] = {
    "signer_name": frozenset({"Latin", "chi_sim", "chi_sim+eng"}),
    "signer_title": frozenset({"Latin", "eng", "chi_sim+eng"}),
    "affiliation": frozenset({"Latin", "eng", "chi_sim+eng"}),
    "work_email": frozenset({"Latin", "eng", "chi_sim+eng"}),
    "address": frozenset({"Latin", "eng", "chi_sim+eng"}),
    "date": frozenset({"Latin", "eng", "chi_sim", "chi_sim+eng"}),
}
#: Tesseract models that read Latin letters with accents and letters of their own (`ø`).
ACCENTED = frozenset({"Latin"})
_CJK = re.compile(r"[\u3400-\u9fff]")
#: In an email, letters print-alike to `l` in a sans-serif font.
_EMAIL_AMBIGUOUS = re.compile(r"[I|1]")


def cross_engine_value(key: str, readings: Sequence[Reading]) -> str | None:
    """A value RapidOCR and a Tesseract model independent of it both read, letter for letter
    after cleaning, each sure enough, with no other sure reading of the cell saying otherwise;
    None when there is none. `readings`: all of one cell's readings (any engines, raw text)."""
    found = cross_engine(key, readings)
    return None if found is None else found[0]


def cross_engine(key: str, readings: Sequence[Reading]) -> tuple[str, Reading] | None:
    """`cross_engine_value` and the surest Tesseract reading that confirmed it (its confidence
    means something; RapidOCR's hardly does)."""
    clean = CLEANERS.get(key)
    if clean is None:
        return None
    cleaned = [(clean(r.text), r) for r in readings]
    partners = PARTNERS.get(key, frozenset())
    for value, rapid in cleaned:
        if value is None or rapid.model != RAPID or not _usable(key, rapid, value):
            continue
        if rapid.confidence < RAPID_SURE:
            continue
        cjk = _CJK.search(rapid.text) is not None  # written in Chinese (a name, a date)
        # a name with letters RapidOCR's alphabet lacks (`Søren Kjær` read `Soren Kjaer`) is
        # the accented partner's reading, when that is the same name but for those letters
        accented = [
            other
            for other, r in cleaned
            if key == "signer_name"
            and other is not None
            and other != value
            and not other.isascii()
            and r.model in ACCENTED
            and unaccented(other, value)
        ]
        if accented:
            value = accented[0]
        confirmed = [
            r
            for other, r in cleaned
            if other == value
            and r.model in partners
            and r.confidence >= _partner_floor(key, cjk)
            and _usable(key, r, value)
            # Chinese is read by the Chinese model; Latin print by a Latin one
            and (r.model.startswith("chi_sim") or not cjk)
        ]
        if not confirmed and cjk:
            # Chinese print Tesseract scores low, read alike at two sizes by its Chinese
            # model (`cell_ocr.recheck_chinese`), and so by RapidOCR: three readings of
            # two engines, letter for letter
            alike = [
                r
                for other, r in cleaned
                if other == value and r.model.startswith("chi_sim") and _usable(key, r, value)
            ]
            if len({round(r.confidence, 3) for r in alike}) >= 2:
                confirmed = alike
        if not confirmed:
            continue
        dissent = any(
            other != value
            and r.confidence >= DISSENT
            and r.text.strip()
            # a model without Chinese reads Chinese print as junk: that is no dissent
            and (not cjk or r.model == RAPID or r.model.startswith("chi_sim"))
            # nor is a model without the value's letters (RapidOCR's agreeing reading
            # itself, `eng`'s `Sgren Kjeer`), when the value has letters of its own
            and (value.isascii() or r.model in ACCENTED)
            # nor a reading that is no value at all for a rule's remnant it kept, its
            # letters the value's (`_s.reed@...` for `s.reed@...`)
            and not (other is None and _same_words(value, r.text))
            # nor another pass of Tesseract less sure than the one RapidOCR agrees with (a
            # photo's `Protessor` at 0.93 against `Professor` at 0.96 and RapidOCR's), unless
            # it has letters RapidOCR does not see (the accents of `François`)
            and not (
                r.model != RAPID
                and r.confidence < max(c.confidence for c in confirmed)
                and (r.text.isascii() or not value.isascii())
            )
            for other, r in cleaned
        )
        if not dissent:
            return value, max(confirmed, key=lambda r: r.confidence)
    return None


def _partner_floor(key: str, cjk: bool) -> float:
    if cjk:
        return CJK_PARTNER_SURE
    return PARTNER_SURE if key == "signer_name" else PARTNER_FAIR


def _usable(key: str, r: Reading, value: str) -> bool:
    """The reading is the value as it stands: not cut at the crop's edge (every reading of a
    cut crop agrees on the cut), not an email whose cleaning dropped or guessed a letter."""
    if r.edged:
        return False
    if key != "work_email":
        return True
    # a rule's stub before the address (`_s.reed@...`, the underline of a stacked form's
    # label) is no letter of it: the cleaner drops it too
    raw = r.text.strip().strip("<>()[]\"'").rstrip(".,;:").lstrip("_")
    return raw.casefold() == value and not _EMAIL_AMBIGUOUS.search(raw.split("@")[0])


def unaccented(value: str, other: str) -> bool:
    """`other` is `value` with only its accents or non-ASCII letters read plain (`Peña` as
    `Pena`, `Søren Kjær` as `Soren Kjaer`, `ß` as the `B` of its shape) or spaces left out:
    case, punctuation and every other letter the same (a comma read as a period is another
    value). A confirmation of those letters: a worn `n` the accented model read `ħ`
    (`Techħical`) is not confirmed by RapidOCR's `Technical`."""
    return _alike_but_letters(value, other, _read_plain)


def at_its_own_letters(value: str, other: str) -> bool:
    """`other` differs from `value` only where `value` has letters of its own, read there as
    anything (Tesseract's passes without `ß` read `Arcisstrape`, `Arcisstrage`), or spaces:
    no dissent from the letters one model alone reads, and no confirmation of them either
    (`unaccented` is one)."""
    return _alike_but_letters(value, other, lambda letter, _: not letter.isascii())


def _alike_but_letters(value: str, other: str, stands_for: Callable[[str, str], bool]) -> bool:
    """`value` and `other` alike but for spaces, accents, letters written as English writes
    them (`Kjær`, `Kjaer`), and letters of `value`'s own that `stands_for` the other's."""
    # RapidOCR leaves out spaces its recogniser does not see (`PrincipalResearchScientist`)
    a, b = _plain(value).replace(" ", ""), _plain(other).replace(" ", "")
    if unidecode(a) == unidecode(b):
        return True  # `Kjær` read as `Kjaer`: a letter of its own written as English writes it
    return len(a) == len(b) and all(x == y or stands_for(x, y) for x, y in zip(a, b, strict=True))


def _read_plain(letter: str, other: str) -> bool:
    """`other` is how an engine without `letter` reads it: its plain letter (`ø` as `o`, `ł`
    as `l`), or `ß` as the `B` of its shape."""
    return not letter.isascii() and (
        unidecode(letter)[:1].lower() == other.lower() or (letter == "ß" and other in "Bb")
    )


def accents_seen(value: str, readings: Sequence[Reading]) -> bool:
    """A reading of the accented model holds a word of `value` spelled with letters of its
    own (`Kjær` for `Kjaer`): the print may have them, and engines without them reading the
    word plain confirm no spelling."""
    words = set(value.split())
    return any(
        not w.isascii() and any(unaccented(w, v) for v in words)
        for r in readings
        if r.model in ACCENTED
        for w in r.text.split()
    )


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def accented_by_latin(key: str, readings: Sequence[Reading]) -> tuple[str, Reading] | None:
    """A word field's value with letters RapidOCR's alphabet lacks (`Arcisstraße`, `München`,
    `Politécnica`), read by the accented model alone and below its usual bar (those letters
    are what it is least sure of): the value stands when RapidOCR reads the same, surely,
    but for those letters (word for word: a space one engine lost is no agreement), and no
    reading of the cell at `DISSENT` or above has other letters. Two engines agree on every
    other letter; the letters of its own come from the one model that reads them. None
    otherwise. `readings`: all of one cell's readings.

    Nor when a Tesseract pass reads RapidOCR's plain letters exactly and surely
    (`PLAIN_SURE`): then two engines are sure of the plain letters, and the accents are what
    one model alone saw, unsurely, in a worn copy's specks under them (`Scięnce`, `Chiņą` at
    0.48 against `eng`'s `Science`, `China` at 0.96); where the print has the letters, the
    passes without them read junk there (`Arcisstrage` at 0.07)."""
    if key not in WORD_FIELDS:
        return None
    clean = CLEANERS[key]
    cleaned = [(clean(r.text), r) for r in readings]
    for value, latin in cleaned:
        if value is None or value.isascii() or latin.model not in ACCENTED or latin.edged:
            continue
        plain = {
            other
            for other, r in cleaned
            if other is not None
            and r.model == RAPID
            and not r.edged
            and r.confidence >= RAPID_SURE
            and unaccented(value, other)
            and len(other.split()) == len(value.split())  # the words' spaces too
        }
        dissent = any(
            other is not None and r.confidence >= DISSENT and not at_its_own_letters(value, other)
            for other, r in cleaned
        )
        if plain and not dissent and not read_plain_surely(key, value, readings):
            return value, latin
    return None


def read_plain_surely(key: str, value: str, readings: Sequence[Reading]) -> bool:
    """A Tesseract pass reads `value` surely (`PLAIN_SURE`) with letters of its own plain:
    then the letters only the accented model saw are one model's guess at a worn copy's
    specks (`Scięnce`, `Chiņą` at 0.48 against `eng`'s `Science`, `China` at 0.96;
    `Politécnicá` against `eng`'s `Politécnica` at 0.96, `eng` keeping the `é` it has):
    where the print has the letters, the passes without them read junk there
    (`Arcisstrage` at 0.07). Not when RapidOCR read the same letters (`Universität`: it
    has `ä`): two engines saw them."""
    clean = CLEANERS[key]
    if any(r.model == RAPID and clean(r.text) == value for r in readings):
        return False
    return any(
        r.model != RAPID
        and not r.edged
        and r.confidence >= PLAIN_SURE
        and (other := clean(r.text)) is not None
        and other != value
        and unaccented(value, other)
        for r in readings
    )


#: A Tesseract pass this sure of RapidOCR's plain letters outweighs the accented model's
#: letters of its own (`accented_by_latin`).
PLAIN_SURE = 0.9


# ---- word for word --------------------------------------------------------------------------

#: Fields of Latin print that RapidOCR and a Tesseract model may settle word for word
#: (`word_for_word`): the same words, but for the letters RapidOCR cannot write or reads plain.
WORD_FIELDS = frozenset({"signer_title", "affiliation", "address"})
#: Of those, the fields no rule judges by their letters (stored for the record): there a digit
#: and a letter of one shape (`CB4 0WS` read `CB4 OWS`) are one reading, and RapidOCR's is kept.
LOOSE_FIELDS = frozenset({"address"})
CONFUSABLE = frozenset(frozenset(p) for p in ("0O", "0o", "1l", "1I", "5S", "8B"))
#: Two letters of one shape in a sans-serif print (RapidOCR reads `Innovation` `lnnovation`):
#: in any word field the partner's letter is kept (Tesseract weighs a letter by its word).
LOOKALIKE_LETTERS = frozenset({frozenset("lI")})
#: Letters whose capital is their small letter made bigger (`Xihu` read `xihu`, `CB4 OWS`
#: `CB4 oWS`): which one stands is a matter of size alone. In the address, which no rule
#: judges by its letters, the partner's case is kept, counted among the doubts; where the
#: rules judge the letters it stays a disagreement (`westmoor University`).
ONE_SHAPE_CASES = frozenset("cosvwxz")
MAX_CONFUSED = 2
#: Word for word, RapidOCR's reading must be sure (`RAPID_SURE`), or in a field no rule judges
#: by its letters fair (`RAPID_FAIR`: the partner's every word backs it); the partner's fair
#: (`DISSENT`).
RAPID_FAIR = 0.7
_WORD = re.compile(r"[^\W_]+")


def word_for_word(
    key: str,
    readings: Sequence[Reading],
    alphabet: Callable[[], Collection[str]] | None = None,
) -> tuple[str, Reading] | None:
    """A value RapidOCR and a Tesseract partner read as the same words, word for word, where
    every word is the same letter for letter but for what each engine is known not to see:
    a letter outside RapidOCR's alphabet (`ß`, `ø`: `alphabet()` lists it) or an accent it
    dropped (`München` read `Munchen`; engines.md: it keeps no accent of a name), both taken
    from the partner when that is the accented `Latin` model; stray marks between words
    (`Tower] B`); and, in a field no rule judges by its letters, any other punctuation and at
    most `MAX_CONFUSED` digits read as the letter of their shape (`0`/`O`), RapidOCR's kept.
    Junk words, a word more or less, any other letter: no agreement. In a field the rules
    judge, no other fair reading of the cell may say other words. Returns the value and the
    partner's reading."""
    if key not in WORD_FIELDS:
        return None
    clean = CLEANERS[key]
    partners = PARTNERS.get(key, frozenset())
    fair = [r for r in readings if not r.edged and r.text.strip() and clean(r.text) is not None]
    loose = key in LOOSE_FIELDS
    floor = RAPID_FAIR if loose else RAPID_SURE
    rapids = [r for r in fair if r.model == RAPID and r.confidence >= floor]
    tess = [r for r in fair if r.model in partners and r.confidence >= DISSENT]
    letters = alphabet or _rapid_alphabet
    for rr in sorted(rapids, key=lambda r: -r.confidence):
        # partners reading every mark RapidOCR reads first, apostrophes too (`d'Informatique`
        # by `eng` before `d Informatique` by a surer pass), then the surest
        whole = _all_marks(rr.text)
        for p in sorted(tess, key=lambda r: (_all_marks(r.text) != whole, -r.confidence)):
            merged = _merge(
                rr.text,
                p.text,
                accents=p.model in ACCENTED,
                loose=loose,
                abc=letters,
                left_out=p.confidence >= LEFT_OUT_SURE,
            )
            value = None if merged is None else clean(merged)
            if value is None:
                continue
            if not loose and any(
                not _same_words(value, o.text) for o in fair if o.confidence >= DISSENT
            ):
                continue
            if p.model in ACCENTED and read_plain_surely(key, value, readings):
                continue
            return value, p
    return None


#: A partner this sure of its reading gives the letter RapidOCR left out of an address.
LEFT_OUT_SURE = 0.8


def _rapid_alphabet() -> Collection[str]:
    from licensebot.reading.rapid import alphabet

    return alphabet()


def _merge(
    rapid: str,
    partner: str,
    *,
    accents: bool,
    loose: bool,
    abc: Callable[[], Collection[str]],
    left_out: bool = True,
) -> str | None:
    """The partner's reading (Tesseract keeps the spaces RapidOCR drops or adds:
    `ResearchGroupLeader`, `33 38`) with RapidOCR's digits where the two differ by a digit
    and a letter of its shape, stray marks left out; None when the two readings' letters
    differ otherwise (see `word_for_word`). `left_out`: a letter the partner has more is one
    RapidOCR left out (the partner is sure of its reading: `LEFT_OUT_SURE`)."""
    a, b = "".join(_WORD.findall(rapid)), "".join(_WORD.findall(partner))
    if not a:
        return None
    if not loose and "".join(_marks(rapid)) != "".join(_marks(partner)):
        return None  # `Co., Ltd.` and `Co. Ltd.` are two readings where the letters count
    keep: dict[int, str] = {}  # the partner's letter (by its place among them) -> RapidOCR's
    for x, y, at in _differences(a, b):
        if loose and left_out and not x and len(y) == 1 and y.isalpha():
            # a letter RapidOCR left out (`Unitd Kingdom`), in a field kept for the record:
            # the partner's, counted as a doubt (an unsure partner's letter more is its own
            # misreading: `Douga` at 0.62 from a `g`'s tail on an underline)
            keep[at] = y
            continue
        if len(x) != len(y):
            # a letter RapidOCR cannot write, spelt with one or two of its own (`ß` read `ss`
            # or `S`, `ü` read `ui`): the partner's, when that reads accents
            if not (accents and y and 1 <= len(x) <= 2 * len(y) and x.isalpha()):
                return None
            if not all(c.isalpha() and not c.isascii() for c in y):
                return None
            continue
        for i, (cx, cy) in enumerate(zip(x, y, strict=True)):
            if cx == cy:
                continue
            if accents and cy.isalpha() and (cy not in abc() or _plain(cy) == cx):
                continue  # a letter RapidOCR cannot write, or an accent it dropped: the partner's
            if loose and accents and cy.isalpha() and not cy.isascii():
                keep[at + i] = cy  # `ü` read `i` (its dots an i's): the accented model's
                continue
            if frozenset((cx, cy)) in LOOKALIKE_LETTERS:
                keep[at + i] = cy  # counted: a letter of one shape is as much a doubt as a digit
                continue
            if loose and cx.lower() == cy.lower() and cy.lower() in ONE_SHAPE_CASES:
                keep[at + i] = cy  # (`westmoor` or `Westmoor`: where the rules judge, a doubt)
                continue
            if loose and frozenset((cx, cy)) in CONFUSABLE:
                keep[at + i] = cx
                continue
            return None
    if len(keep) > MAX_CONFUSED:
        return None
    places = iter(range(len(b)))
    out = "".join(keep.get(next(places), c) if c.isalnum() and c != "_" else c for c in partner)
    return _unstray(out)


def lookalike(a: str, b: str) -> bool:
    """`a` and `b` differ, and only in letters of one shape (`LOOKALIKE_LETTERS`: `AI`, `Al`)."""
    return (
        a != b
        and len(a) == len(b)
        and all(x == y or frozenset((x, y)) in LOOKALIKE_LETTERS for x, y in zip(a, b, strict=True))
    )


def _differences(a: str, b: str) -> list[tuple[str, str, int]]:
    """Where RapidOCR's letters `a` and the partner's `b` differ: each stretch of `a` and the
    stretch of `b` read in its place (edits next to each other are one stretch), and where
    that starts in `b`."""
    out: list[tuple[str, str, int]] = []
    joined = False  # the previous edit ended where this one starts
    for op in Levenshtein.opcodes(a, b):
        if op.tag == "equal":
            joined = False
            continue
        x, y = a[op.src_start : op.src_end], b[op.dest_start : op.dest_end]
        if joined:
            px, py, at = out.pop()
            out.append((px + x, py + y, at))
        else:
            out.append((x, y, op.dest_start))
        joined = True
    return out


def _unstray(text: str) -> str:
    return " ".join(_UNSTRAY.sub(" ", text).split())


#: Marks a speck or a rule's remnant makes (`Tower] B`): no part of a value's punctuation.
_STRAY = re.compile(r"[\s\]\[|`'‘’]+")
#: ... of those, the ones no value of a form holds (an apostrophe may be the value's own)
_UNSTRAY = re.compile(r"[\]\[|`]+")


def _marks(text: str) -> list[str]:
    """The punctuation between the words, stray marks aside."""
    return [_STRAY.sub("", sep) for sep in _WORD.split(text)]


def _all_marks(text: str) -> str:
    """The punctuation between the words, apostrophes included, in order (spaces aside)."""
    return re.sub(r"\s+", "", "".join(_WORD.split(text)))


def _same_words(value: str, other: str) -> bool:
    """`other` says the words of `value`, accents, stray marks and letters of one shape
    (`LOOKALIKE_LETTERS`) aside."""
    return _letters(value) == _letters(other)


def _letters(text: str) -> str:
    return unidecode("".join(_WORD.findall(text))).replace("I", "l")


#: Fields whose values are words and punctuation (no email's or date's exact characters).
PUNCTUATED = frozenset({"signer_title", "affiliation", "address"})


def comma_for_period(value: str, other: str) -> str | None:
    """`value` with a comma wherever it and `other` are the same text but for a comma one of
    them reads as a period (and the letters RapidOCR cannot write, `ß` read `B`); None when
    they differ otherwise or not at all. Blur, and the erasure of an underline through the
    line's descenders, take a comma's tail and leave a period; nothing gives a period a tail:
    an engine that saw the tail read the mark."""
    if value == other:
        return None
    out = []
    commas = False
    i = j = 0
    while i < len(value) and j < len(other):
        a, b = value[i], other[j]
        if a != b and a == " ":
            out.append(a)  # a space the other left out (RapidOCR's `Laval,France`)
            i += 1
            continue
        if a != b and b == " ":
            j += 1
            continue
        if a == b or (not a.isascii() and b.isascii() and b.isalpha()):
            out.append(a)
        elif {a, b} == {",", "."}:
            out.append(",")
            commas = True
        else:
            return None
        i, j = i + 1, j + 1
    if value[i:].strip() or other[j:].strip():
        return None
    return "".join(out) + value[i:] if commas else None


# ---- spelled --------------------------------------------------------------------------------

#: A Tesseract reading the spelling rule may settle on: sure of itself ...
SPELL_SURE = 0.9
#: ... and each word it has where another reading has none, a word of English this common
#: (`lexicon.count`; `of`: 29 million, `dean`: 4,937, the rarest listed: 50).
WORD_COMMON = 100


def spelled(
    key: str, readings: Sequence[Reading], count: Callable[[str], int] | None = None
) -> tuple[str, Reading] | None:
    """A Tesseract reading that the other engine reads as the same words, where every word
    they read otherwise is a common English word in the Tesseract reading and no word at all in
    the other, one letter apart (soft print's `Protessor` for `Professor`, `ot` for `of`:
    either engine may make it, and two passes of one often both do). Every other fair reading
    of the cell says the same words, or those words respelled so. Only in the word fields;
    None when no reading is so. `count`: a word's count in English text (`lexicon.count`)."""
    if key not in WORD_FIELDS:
        return None
    known = count or lexicon.count
    clean = CLEANERS[key]
    fair = [
        r
        for r in readings
        if not r.edged and r.text.strip() and r.confidence >= DISSENT and clean(r.text) is not None
    ]
    partners = PARTNERS.get(key, frozenset())
    sure = [r for r in fair if r.model in partners and r.confidence >= SPELL_SURE]
    for t in sorted(sure, key=lambda r: -r.confidence):
        others = [o for o in fair if o is not t]
        # the other engine: its words respelled, and (where the rules judge the letters) its
        # punctuation the same (`Co., Ltd.` and `Co. Ltd.` are two readings)
        if not any(
            o.model == RAPID
            and respelled(t.text, o.text, known)
            and (key in LOOSE_FIELDS or _marks(t.text) == _marks(o.text))
            for o in others
        ):
            continue
        if all(_same_words(t.text, o.text) or respelled(t.text, o.text, known) for o in others):
            value = clean(t.text)
            if value is not None:
                return value, t
    return None


def _one_letter_apart(x: str, y: str) -> bool:
    return len(x) == len(y) and sum(p != q for p, q in zip(x, y, strict=True)) == 1


def _double_read_once(x: str, y: str) -> bool:
    """`y` is `x` with one letter of a doubled pair left out (`Officer`, `Oficer`)."""
    return len(y) == len(x) - 1 and any(
        x[i] == x[i + 1] and x[:i] + x[i + 1 :] == y for i in range(len(x) - 1)
    )


def respelled(value: str, other: str, count: Callable[[str], int]) -> bool:
    """`other` is `value` with one word or more misread: the same words in the same places,
    punctuation aside, but where a word differs, by one letter (or a doubled letter read
    once: `Officer` read `Oficer`, its `ffi` a ligature), `value`'s is a common English word
    (`WORD_COMMON`) and `other`'s none."""
    a, b = _WORD.findall(value), _WORD.findall(other)
    if len(a) != len(b):
        return False
    differ = 0
    for x, y in zip(a, b, strict=True):
        if _letters(x) == _letters(y):
            continue
        if not (_one_letter_apart(x.lower(), y.lower()) or _double_read_once(x, y)):
            return False
        if count(x) < WORD_COMMON or count(y) > 0:
            return False
        differ += 1
    return differ > 0
