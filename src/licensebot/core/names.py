"""Whether two written names are the same person: across the file name, the form and the email.

Tolerated: case, word order (`San Zhang` / `Zhang San`), accents (`José` / `Jose`), hyphens
and split given names (`Xiao-Ming` / `Xiaoming` / `Xiao Ming`), a dropped middle initial,
honorifics (`Prof.`, `Dr.`, `Ph.D.`, `教授`), Chinese characters against their pinyin with
every reading of a character (`曾` zeng/ceng, `单` shan/dan, `吕` lü/lu/lyu/lv), and one slip
of the keyboard inside a long western name.
Never tolerated: a different syllable (`Zhang San` / `Zhang Shan`, `Wang Wei` / `Wang Wen`),
a different ending (`Johnson` / `Johnston`, `Marie` / `Maria`), a missing or extra given name.
A wrong "no" costs the applicant one resend; a wrong "yes" lets someone sign for another.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz.distance import OSA
from unidecode import unidecode

#: Fuzzy matching applies only to a single differing token at least this long...
FUZZY_MIN_TOKEN = 7
#: ...and only when the whole names are at least this similar (normalised OSA: a swap is one edit).
FUZZY_MIN_SCORE = 0.9
#: Edits within this many letters of a token's end change the name (Marie/Maria, -sen/-son).
_PROTECTED_TAIL = 2
_MAX_TOKENS = 6  # permutations beyond this are not a name any more
_MAX_READINGS = 256  # heteronym combinations tried for one Chinese name

_SEPARATORS = re.compile(r"[\s_,.;:/\\()\[\]{}<>\"'`·・•|]+")
# Honorifics people write in the name field ("Prof. San Zhang", "张三教授"): not the name.
_HONORIFICS = frozenset(
    {"prof", "professor", "dr", "mr", "mrs", "ms", "miss", "phd", "sir", "madam", "mx"}
)
_CJK_HONORIFICS = re.compile(r"(?:教授|博士|先生|女士|老师|同学)$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class MatchHow(StrEnum):
    """The mildest transformation under which the two names are equal."""

    EXACT = "exact"  # same words in the same order (case, hyphens, spacing aside)
    ORDER = "order"  # same words, another order
    ACCENTS = "accents"  # equal once transliterated to ASCII
    PINYIN = "pinyin"  # Chinese characters on one side, their pinyin on the other
    FUZZY = "fuzzy"  # one typo inside one long word
    NONE = "none"  # not the same person (or not sure)


@dataclass(frozen=True, slots=True)
class NameMatch:
    matched: bool
    score: float  # 1.0 for every transformation but fuzzy
    how: MatchHow


NO_MATCH = NameMatch(False, 0.0, MatchHow.NONE)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def tokens(name: str) -> tuple[str, ...]:
    """The words of a name, case-folded; a run of Chinese characters is one word."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"(?<![a-z])ph\.?\s?d(?![a-z])\.?", " ", text)
    # "张三San Zhang": split the scripts apart before splitting on separators.
    text = re.sub(r"(?<=[\u3400-\u9fff])(?=[a-z])|(?<=[a-z])(?=[\u3400-\u9fff])", " ", text)
    words = (_CJK_HONORIFICS.sub("", w.strip("-")) for w in _SEPARATORS.split(text))
    return tuple(w for w in words if w and w not in _HONORIFICS)


def same_person(a: str, b: str, *, min_score: float = FUZZY_MIN_SCORE) -> NameMatch:
    """Whether `a` and `b` name the same person; see the module docstring for what counts.

    `min_score` is the similarity a one-typo match needs; raising it above 1 turns fuzzy
    matching off."""
    ta, tb = tokens(a), tokens(b)
    if not ta or not tb or len(ta) > _MAX_TOKENS or len(tb) > _MAX_TOKENS:
        return NO_MATCH
    best = NO_MATCH
    for pa, pb in itertools.product(_script_parts(ta), _script_parts(tb)):
        m = _match_tokens(pa, pb, min_score)
        if m.matched and (not best.matched or _RANK[m.how] < _RANK[best.how]):
            best = m
    return best


_RANK = {how: i for i, how in enumerate(MatchHow)}


def _script_parts(ts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The name, and for a bilingual name (`张三 San Zhang`) each script's half alone."""
    cjk = tuple(t for t in ts if has_cjk(t))
    latin = tuple(t for t in ts if not has_cjk(t))
    if cjk and latin:
        return [ts, cjk, latin]
    return [ts]


def _match_tokens(ta: tuple[str, ...], tb: tuple[str, ...], min_score: float) -> NameMatch:
    cjk_a = any(has_cjk(t) for t in ta)
    cjk_b = any(has_cjk(t) for t in tb)
    if cjk_a and cjk_b:
        ja, jb = "".join(ta), "".join(tb)
        return NameMatch(True, 1.0, MatchHow.EXACT) if ja == jb else NO_MATCH
    if cjk_a or cjk_b:
        han, latin = ("".join(ta), tb) if cjk_a else ("".join(tb), ta)
        if _pinyin_equal(han, _ascii(latin)):
            return NameMatch(True, 1.0, MatchHow.PINYIN)
        return NO_MATCH
    how = _letters_equal(ta, tb)
    if how is not None:
        return NameMatch(True, 1.0, how)
    aa, ab = _ascii(ta), _ascii(tb)
    if _letters_equal(aa, ab) is not None:
        return NameMatch(True, 1.0, MatchHow.ACCENTS)
    score = _one_typo(aa, ab, min_score)
    if score is not None:
        return NameMatch(True, score, MatchHow.FUZZY)
    return NO_MATCH


def ascii_words(name: str) -> tuple[str, ...]:
    """The words of `name` (`tokens`: honorifics and separators away) transliterated to
    lower-case ASCII letters, hyphens dropped: `Schäfer_Jörg` -> `schafer`, `jorg`."""
    return tuple(t.replace("-", "") for t in _ascii(tokens(name)))


def _ascii(ts: Sequence[str]) -> tuple[str, ...]:
    out = (re.sub(r"[^a-z-]", "", unidecode(t).lower()).strip("-") for t in ts)
    return tuple(t for t in out if t)


def _compact(ts: Sequence[str]) -> tuple[str, ...]:
    """Hyphens dropped (`xiao-ming` -> `xiaoming`), middle initials set apart."""
    return tuple(t.replace("-", "") for t in ts)


def _drop_initials(ta: tuple[str, ...], tb: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """`John A. Smith` against `John Smith`: the initial may be left out on one side only."""
    ia = sorted(t for t in ta if len(t) == 1)
    ib = sorted(t for t in tb if len(t) == 1)
    ra = tuple(t for t in ta if len(t) > 1)
    rb = tuple(t for t in tb if len(t) > 1)
    if (ia and ib and ia != ib) or len(ra) < 2 or len(rb) < 2 or (not ia and not ib):
        return ()
    return (ra, rb)


def _letters_equal(ta: tuple[str, ...], tb: tuple[str, ...]) -> MatchHow | None:
    """EXACT or ORDER when the words are equal up to hyphens, spacing, order and initials."""
    pairs: list[tuple[tuple[str, ...], tuple[str, ...]]] = [(_compact(ta), _compact(tb))]
    dropped = _drop_initials(*pairs[0])
    if dropped:
        pairs.append((dropped[0], dropped[1]))
    for ka, kb in pairs:
        if ka == kb or _rejoined(ka, kb):
            return MatchHow.EXACT
    for ka, kb in pairs:
        if sorted(ka) == sorted(kb):
            return MatchHow.ORDER
        if any(_rejoined(p, kb) for p in itertools.permutations(ka)):
            return MatchHow.ORDER
    return None


def _rejoined(ka: Sequence[str], kb: Sequence[str]) -> bool:
    """`Xiao Ming Wang` / `Xiaoming Wang`: same letters, other word breaks, one word shared.

    The shared word keeps `Anna Lee` and `Ann Alee` apart."""
    return "".join(ka) == "".join(kb) and bool(set(ka) & set(kb))


def _one_typo(ta: tuple[str, ...], tb: tuple[str, ...], min_score: float) -> float | None:
    """The similarity when the names differ by one substituted or swapped letter inside one
    long word, away from its first letter and its ending; None otherwise."""
    ka, kb = _compact(ta), _compact(tb)
    if len(ka) != len(kb) or len(ka) < 2:
        return None
    for perm in itertools.permutations(kb):
        differing = [(x, y) for x, y in zip(ka, perm, strict=True) if x != y]
        if len(differing) != 1:
            continue
        x, y = differing[0]
        if len(x) != len(y) or len(x) < FUZZY_MIN_TOKEN or OSA.distance(x, y) != 1:
            continue
        edits = [i for i, (p, q) in enumerate(zip(x, y, strict=True)) if p != q]
        if edits[0] == 0 or edits[-1] >= len(x) - _PROTECTED_TAIL:
            continue
        score = OSA.normalized_similarity(" ".join(ka), " ".join(perm))
        if score >= min_score:
            return score
    return None


def _readings(han: str) -> Iterator[tuple[str, ...]]:
    """Every pinyin spelling of `han`, one syllable per character, ü as v, u and yu."""
    # Imported here: pypinyin loads its dictionaries on import (~0.3 s), needed only for
    # Chinese names.
    from pypinyin import Style, pinyin

    per_char: list[list[str]] = []
    for char_readings in pinyin(han, style=Style.NORMAL, heteronym=True, errors="ignore"):
        variants: list[str] = []
        for r in char_readings:
            variants.append(r)
            if "v" in r:
                variants += [r.replace("v", "u"), r.replace("v", "yu")]
        per_char.append(list(dict.fromkeys(variants)))
    if not per_char:
        return iter(())
    return itertools.islice(itertools.product(*per_char), _MAX_READINGS)


def _pinyin_equal(han: str, latin: tuple[str, ...]) -> bool:
    """`张三` against `San Zhang`, `Zhang San`, `Zhangsan`: the Latin words, in some order, spell
    the syllables surname-first or given-name-first, and break only between syllables."""
    words = _compact(latin)
    if not words or len(han) > _MAX_TOKENS:
        return False
    for syllables in _readings(han):
        n = len(syllables)
        orders = [syllables]
        for k in (1, 2):  # one- or two-character surname (欧阳, 司马) moved to the end
            if k < n:
                orders.append(syllables[k:] + syllables[:k])
        for order in orders:
            breaks = set(itertools.accumulate(len(s) for s in order))
            joined = "".join(order)
            for perm in itertools.permutations(words):
                if "".join(perm) == joined and set(itertools.accumulate(map(len, perm))) <= breaks:
                    return True
    return False


# --- file names -------------------------------------------------------------------------


class FilenameProblem(StrEnum):
    PREFIX = "prefix"  # does not start with the required prefix
    EXTENSION = "extension"  # not `.pdf`
    NO_NAME = "no_name"  # nothing after the prefix
    SPACES = "spaces"  # name parts joined by spaces instead of `_`


@dataclass(frozen=True, slots=True)
class ParsedFilename:
    name: str | None  # the signer's name as written, parts joined by spaces
    problem: FilenameProblem | None
    download_copy: bool  # a browser's ` (1)` re-download suffix was removed


_DOWNLOAD_COPY = re.compile(r"\s*\(\d{1,3}\)$")


def parse_la_filename(filename: str, *, prefix: str) -> ParsedFilename:
    """The signer's name in `DFME_License_Agreement_San_Zhang.pdf` -> `San Zhang`.

    Case of the prefix and of `.pdf` is not held against the applicant (scanners write
    `.PDF`), nor is a browser's ` (1)` suffix: it is added by a download, not chosen.
    Spaces between name parts are a problem (the contract says parts are joined by `_`),
    but the name is still returned so the signer check can run.
    """
    name = unicodedata.normalize("NFC", filename).strip()
    if not name.lower().endswith(".pdf"):
        return ParsedFilename(None, FilenameProblem.EXTENSION, False)
    stem = name[: -len(".pdf")].rstrip()
    copy = bool(_DOWNLOAD_COPY.search(stem))
    stem = _DOWNLOAD_COPY.sub("", stem)
    if not stem.lower().startswith(prefix.lower()):
        return ParsedFilename(None, FilenameProblem.PREFIX, copy)
    rest = stem[len(prefix) :].strip("_ ")
    written = " ".join(p for p in re.split(r"[_\s]+", rest) if p)
    if not written:
        return ParsedFilename(None, FilenameProblem.NO_NAME, copy)
    if re.search(r"\s", rest):
        return ParsedFilename(written, FilenameProblem.SPACES, copy)
    return ParsedFilename(written, None, copy)
