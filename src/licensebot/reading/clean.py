"""Clean a raw value read from a form: emails normalised, dates to ISO, text tidied.

Each cleaner returns the cleaned value, or None when the raw text cannot be a value of that
field (an email without `@`, a date that is no date or is ambiguous like `03/04/2024`).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from datetime import date

from dateutil import parser as dateparser
from rapidfuzz.distance import Levenshtein

from licensebot.core.address import address_problem
from licensebot.reading.layout import LABEL_WORDS, norm

# What OCR may give for an address's characters; its syntax is email-validator's to judge.
_EMAIL_CHARS = re.compile(r"^[a-z0-9._%+\-]+@[a-z0-9.\-]+$")

# The cleaners' patterns, compiled once when the module is imported (by the readers' fork
# server): a single-use reader compiled them again for its one form otherwise, the CJK ranges'
# character sets most of all (about 8 ms of a fresh reader's typed LA), as the `re` module's
# cache of the server does not hold what its warm-up never read (filled values).
_UNDERLINE_RUN = re.compile(r"_{2,}")
#: An underscore at a word's edge (`Cambridge _CB4 0WS`): the end of an underline, or a rule's
#: speck, read with the word; no word of a name, title, affiliation or address starts or ends
#: with one (an email may hold one inside: it has its own cleaning).
_EDGE_UNDERSCORE = re.compile(r"(?<!\S)_+|_+(?!\S)")
#: A bar standing alone between words (`District, \\ Wuhan`): a column rule or a crease read
#: as a glyph; no value of any field holds one.
_BAR = re.compile(r"(?<!\S)[|\\¦]+(?!\S)")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_MARK = re.compile(r"\s+([,.;:)\]])")
_SPACE_AFTER_OPENING = re.compile(r"([(\[])\s+")
#: A comma with a Latin letter right after it: OCR lost the space typed there (soft print's
#: `Hubei 430074,China`); a value's commas are followed by a space.
_NO_SPACE_AFTER_COMMA = re.compile(r",(?=[A-Za-z\u00c0-\u024f])")
#: A space between two Chinese characters (OCR and text layers put one there; Chinese has none).
CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")
_LETTER = re.compile(r"[^\W\d_]")
_NOT_IN_A_NAME = re.compile(r"[@/\\{}<>=#$%^*+~]|\d")
_HAN = re.compile(r"[\u3400-\u9fff]")
_MAILTO = re.compile(r"^(mailto:)")
_THREE_LETTERS = re.compile(r"[a-z]{3}", re.I)
_FOUR_DIGITS = re.compile(r"\d{4}")
_DAY = re.compile(r"(?<!\d)\d{1,2}(st|nd|rd|th)?(?!\d)")
_ZH_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?")
_YMD = re.compile(r"^(\d{4})[-/.年\s]+(\d{1,2})[-/.月\s]+(\d{1,2})日?$")
_NUM3 = re.compile(r"^(\d{1,2})[-/.\s]+(\d{1,2})[-/.\s]+(\d{2}|\d{4})$")
_EDGE_JUNK = ' \t:：;,_|·•-–—[]{}"“”„*~^'
#: A separator OCR read twice (`CB4 0WS, ,United Kingdom`: a speck beside the comma): one.
_DOUBLED_SEPARATOR = re.compile(r"([,;])(?:\s*[,;])+\s*")
#: The tail of a label's bracketed part read into its value (`E-mail (邮箱):` read
#: `fal): yang.liu@tum.de`, `箱）： ...`, `箱 ): ...`; `Affiliation (institute, university,
#: company)` over its value, `company)` left in the value's crop): one word closing a bracket
#: no opening one goes with, first; or the last characters of a Chinese label and its colon
#: (`工作单位：` read `位： College of ...`): no value starts with Chinese and a colon.
_TAIL = r"[^\s(（)）]{0,24}\s?[)）][\"'“”]?\s*[:：]?"
_HAN_TAIL = r"[\u3400-\u9fff]{1,6}\s?[:：]"
_LABEL_TAIL = re.compile(rf"^\s*(?:{_TAIL}\s+|{_HAN_TAIL}\s*)(?=\S)")
_LABEL_TAIL_WORD = re.compile(rf"{_TAIL}|{_HAN_TAIL}")


def label_tail(word: str) -> bool:
    """`word` is all a label's bracketed tail (`_LABEL_TAIL`): `fal):`, `箱）：`."""
    return _LABEL_TAIL_WORD.fullmatch(word) is not None


def label_tail_off(text: str) -> str:
    """`text` without a label's bracketed tail before it (`_LABEL_TAIL`)."""
    return _LABEL_TAIL.sub("", text, count=1)


#: The words of a label that name its field (`Postal address`, `Affiliation`, `地址`); the
#: others (`of`, `the`, `university`, `professor`) are words of values too.
_FIELD_NAMES = frozenset(
    {"address", "affiliation", "email", "e-mail", "name", "title", "position", "signature"}
    | {"date", "designation"}
    | {w for w in LABEL_WORDS if _HAN.search(w)}
)


def label_at_edge(text: str) -> bool:
    """`text` starts or ends with a run of label words that names a field: the value's crop
    took in a label's line (a stacked label's second line, `of the affiliation Doug McDonell
    Building, ...`; a hinted label's Chinese line, `地址 28040 Madrid, Spain`). No value of a
    field is so: it is unread, not given with the label's words, or without them (the crop
    that took them in may have lost the value's own first line)."""
    words = [norm(w) for w in text.split()]
    for end in (words, words[::-1]):
        run = itertools.takewhile(lambda w: w in LABEL_WORDS, end)
        if any(w in _FIELD_NAMES for w in run):
            return True
    return False


#: A line that starts with a field's name and its colon (`Signature:`, `Date：`, `Email:`).
_ROW_LABEL = re.compile(r"^\W*([^\s:：]+)\s*[:：]")


def row_label_line(text: str) -> bool:
    """`text` is a line that starts as another row of the table does: a field's name and its
    colon (`Signature: Date: 21 June 2024`). No line of a value does."""
    m = _ROW_LABEL.match(text)
    return m is not None and norm(m.group(1)) in _FIELD_NAMES


def tidy(text: str) -> str:
    """NFC, one space between words, no leading/trailing punctuation or underline runs (nor a
    leading dot), no bar standing alone, no separator read twice, a space after each comma."""
    t = label_tail_off(unicodedata.normalize("NFC", text))
    t = _UNDERLINE_RUN.sub(" ", t)
    t = _EDGE_UNDERSCORE.sub("", t)
    t = _BAR.sub(" ", t)
    t = _SPACES.sub(" ", t).strip(_EDGE_JUNK)
    # no value starts with a dot: the last of a dot leader (`Address:.....Suite 400`)
    t = t.lstrip(".…").lstrip(_EDGE_JUNK)
    t = _SPACE_BEFORE_MARK.sub(r"\1", t)  # OCR puts spaces before punctuation
    t = _DOUBLED_SEPARATOR.sub(r"\1 ", t)
    t = _SPACE_AFTER_OPENING.sub(r"\1", t)
    t = _NO_SPACE_AFTER_COMMA.sub(", ", t)
    return CJK_GAP.sub("", t)


def clean_text(raw: str) -> str | None:
    t = tidy(raw)
    return t if t and not label_at_edge(t) else None


#: A UK postcode (`CB4 0WS`): its outward code, then the inward code, a digit and two letters
#: (never C, I, K, M, O or V). OCR reads the digit as the letter of its shape (`CB4 OWS`, both
#: engines alike in a sans-serif print); in that place only a digit stands.
_UK_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ([OoIlSZB])([ABD-HJLNP-UW-Z]{2})\b")
_DIGIT_OF_SHAPE = str.maketrans(
    {"O": "0", "o": "0", "I": "1", "i": "1", "l": "1", "S": "5", "Z": "2", "B": "8"}
)


#: A letter of the shape of `1` or `0` between two digits (`30i0`, `3O10`: RapidOCR's and
#: soft print's `1` and `0`): no address writes those letters inside a number (a `B` or an
#: `S` may be a unit's: `3B4`).
_LETTER_IN_NUMBER = re.compile(r"(?<=\d)[OoIil](?=\d)")


def clean_address(raw: str) -> str | None:
    """`clean_text`, with a UK postcode's inward code starting with the digit it must, and a
    letter of a digit's shape inside a number that digit."""
    t = clean_text(raw)
    if t is None:
        return None
    t = _LETTER_IN_NUMBER.sub(lambda m: m[0].translate(_DIGIT_OF_SHAPE), t)
    return _UK_POSTCODE.sub(lambda m: f"{m[1]} {m[2].translate(_DIGIT_OF_SHAPE)}{m[3]}", t)


#: `AI` as a word of an affiliation: at its end, before a comma, a bracket or `and`, or
#: before the kind of unit it names. In a sans-serif print `I` and `l` are one glyph and
#: every engine reads `Al` (`Human-Centred Al`); the Arabic article `Al` stands before a
#: name (`Al Ain University`), never there.
_AI = re.compile(
    r"\bAl\b(?=\s*(?:$|[,;()&]|(?:and|Lab|Laboratory|Research|Institute|Center|Centre)\b))"
)


def clean_affiliation(raw: str) -> str | None:
    """`clean_text`, with `AI` where it can only be that word."""
    t = clean_text(raw)
    return _AI.sub("AI", t) if t is not None else None


def clean_name(raw: str) -> str | None:
    t = tidy(raw).strip(".")
    if not t or not _LETTER.search(t) or label_at_edge(t):
        return None
    if _NOT_IN_A_NAME.search(t):
        return None  # a name has no digits or symbols: this is noise
    han = _HAN.findall(t)
    if han and not (2 <= len(han) <= 4 and len(han) == len(t.replace(" ", ""))):
        return None  # a Chinese name is two to four characters: part of one is no name
    return t


def clean_email(raw: str) -> str | None:
    t = label_tail_off(unicodedata.normalize("NFKC", raw)).strip().strip(_EDGE_JUNK + "()")
    t = t.lower()
    t = _MAILTO.sub("", t)
    t = _SPACES.sub("", t)
    t = t.replace("＠", "@").replace("[at]", "@").replace("(at)", "@")
    t = t.strip(".,;:")
    return t if _EMAIL_CHARS.match(t) and address_problem(t) is None else None


def _valid(y: int, m: int, d: int) -> date | None:
    if not 2000 <= y <= 2100:
        return None  # not a date an LA was signed on: a misread digit
    try:
        return date(y, m, d)
    except ValueError:
        return None


_MONTHS = tuple(date(2000, m, 1).strftime("%B").lower() for m in range(1, 13))
_ABBREVIATED = frozenset(m[:3] for m in _MONTHS) | {"sept"}
_WORDISH = re.compile(r"(?<![\w])(?=[A-Za-z0-9]*[A-Za-z]{3})[A-Za-z0-9]{4,}(?![\w])")
_LOOKALIKE = str.maketrans("015", "ols")


def _month_named(word: str) -> str | None:
    """The month a written month name read with one letter wrong stands for (`0ctober`,
    `anuary`, `Septernber`): the one full name at most one edit away, after digits that look
    like letters and `rn` for `m`; None when none or two are that close."""
    w = word.lower().translate(_LOOKALIKE).replace("rn", "m")
    if w in _MONTHS or w in _ABBREVIATED:
        return w
    near = [m for m in _MONTHS if Levenshtein.distance(w, m, score_cutoff=1) <= 1]
    return near[0] if len(near) == 1 else None


def _months_repaired(t: str) -> str:
    return _WORDISH.sub(lambda m: _month_named(m.group(0)) or m.group(0), t)


_GLUED = re.compile(r"(\d{1,4})?([A-Za-z]{3,})(\d{1,4})?")


def _months_apart(t: str) -> str:
    """A month's name and the numbers glued to it set apart (`September8,2024`,
    `8June2025`: RapidOCR leaves out the spaces of a line it reads), but not a digit that is
    the month's own letter read as a digit (`0ctober`)."""

    def apart(m: re.Match[str]) -> str:
        before, word, after = m.group(1) or "", m.group(2), m.group(3) or ""
        whole = m.group(0).lower().translate(_LOOKALIKE).replace("rn", "m")
        if not (before or after) or whole in _MONTHS or _month_named(word) is None:
            return m.group(0)
        return " ".join(part for part in (before, word, after) if part)

    return _GLUED.sub(apart, t)


def clean_date(raw: str) -> str | None:
    """ISO `YYYY-MM-DD` from the common ways of writing a date; None if unsure."""
    t = label_tail_off(unicodedata.normalize("NFKC", raw)).strip().strip(_EDGE_JUNK + "()./\\")
    t = _SPACES.sub(" ", t)
    t = _months_repaired(_months_apart(t))
    if not t:
        return None
    if m := _ZH_DATE.search(t):
        d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d.isoformat() if d else None
    if m := _YMD.match(t):
        d = _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return d.isoformat() if d else None
    if m := _NUM3.match(t):
        a, b, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
        y = y + 2000 if y < 100 else y
        if a > 12 >= b:
            d = _valid(y, b, a)  # day first
        elif b > 12 >= a:
            d = _valid(y, a, b)  # month first (US)
        elif a == b:
            d = _valid(y, a, b)
        else:
            return None  # 03/04/2024: day or month first? never guess
        return d.isoformat() if d else None
    if not _THREE_LETTERS.search(t) or not _FOUR_DIGITS.search(t):
        return None  # only dates with a written month and a full year are left to dateutil
    if not _DAY.search(t):
        return None  # "March 2024": no day, and dateutil would invent one
    try:
        parsed = dateparser.parse(t, fuzzy=False, default=None)
    except (ValueError, OverflowError, TypeError):
        return None
    if not parsed:
        return None
    d = _valid(parsed.year, parsed.month, parsed.day)
    return d.isoformat() if d else None


CLEANERS = {
    "signer_name": clean_name,
    "signer_title": clean_text,
    "affiliation": clean_affiliation,
    "work_email": clean_email,
    "address": clean_address,
    "date": clean_date,
}


def cut_short(raw: str | None) -> bool:
    """A reading that stops where its value goes on: after a comma or a hyphen (`1037 Luoyu
    Road, Hongshan District,` of an address whose last line the page break carried over, or
    that ran past the cell the reader took), or after a word that joins what follows it
    (`Department of Computing ..., University of`: a value whose second line the reader did
    not take). No value of the form ends so."""
    if raw is None:
        return False
    words = raw.split()
    return ends_open(raw) or (len(words) > 1 and words[-1].lower() in JOINING_WORDS)


def ends_open(raw: str) -> bool:
    """Text that ends with a comma or a hyphen: what follows it is more of it."""
    return raw.rstrip().endswith((",", "，", "-"))


#: Words that join what follows them, in the languages of affiliations and addresses: no
#: name, title, affiliation or address ends with one.
JOINING_WORDS = frozenset(
    [
        *("of", "and", "the", "for", "&"),
        *("de", "del", "des", "du", "la", "le", "et", "y", "di", "da", "do"),
        *("und", "für", "der"),
    ]
)
