"""Whether the affiliation written on the form names the institution behind the email domain.

A mismatch only sends the application to a person (`affiliation_mismatch` is soft), so this
errs towards "not shown to match": a match needs positive evidence - the institution's name
within the affiliation, its initials (`USTC`), the domain's own label (`pku` for
stu.pku.edu.cn), a near-identical spelling, or the Chinese name inside a Chinese affiliation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from unidecode import unidecode

from licensebot.core.names import has_cjk

#: token_sort_ratio (0..100) above which two spellings of one name are the same institution.
FUZZY_MIN_RATIO = 90.0

_STOPWORDS = frozenset(
    {
        "of",
        "the",
        "and",
        "at",
        "for",
        "in",
        "on",
        "an",
        "a",
        "&",
        "de",
        "la",
        "le",
        "les",
        "des",
        "du",
        "di",
        "da",
        "del",
        "der",
        "und",
        "fur",
        "y",
        "e",
    }
)
_GENERIC_LABELS = frozenset(
    {
        "edu",
        "ac",
        "com",
        "org",
        "net",
        "gov",
        "mail",
        "mails",
        "email",
        "www",
        "my",
        "stu",
        "stud",
        "student",
        "students",
        "alumni",
    }
)
#: Abbreviations written on forms, spelled out before comparing.
_ABBREVIATIONS = {
    "univ": "university",
    "uni": "university",
    "inst": "institute",
    "tech": "technology",
    "technol": "technology",
    "sci": "science",
    "acad": "academy",
    "natl": "national",
    "nat": "national",
    "intl": "international",
    "coll": "college",
    "lab": "laboratory",
    "labs": "laboratory",
}
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True, slots=True)
class AffiliationMatch:
    matched: bool
    how: str  # name / initials / domain / fuzzy / chinese / none
    score: float  # best token_sort_ratio seen, 0..100
    against: str | None  # the institution name that matched (or the first one tried)


def _words(text: str) -> list[str]:
    ascii_text = unidecode(unicodedata.normalize("NFKC", text)).casefold()
    words = (_ABBREVIATIONS.get(w, w) for w in re.split(r"[^a-z0-9&]+", ascii_text))
    return [w for w in words if w and w not in _STOPWORDS]


def _initials(name: str) -> set[str]:
    """`University of Science and Technology of China` -> {ustc, uostaotoc}: both with and
    without the small words, since both conventions exist (UCLA, but also UoB)."""
    all_words = [w for w in re.split(r"[^a-z0-9]+", unidecode(name).casefold()) if w and w != "&"]
    significant = [w for w in all_words if w not in _STOPWORDS]
    out = {"".join(w[0] for w in significant), "".join(w[0] for w in all_words)}
    return {i for i in out if len(i) >= 3}


def match_affiliation(
    names: Sequence[str], written: str, *, domain: str | None = None
) -> AffiliationMatch:
    """Compare the institution's known `names` with the affiliation `written` on the form."""
    words = set(_words(written))
    written_cjk = "".join(_CJK_RUN.findall(unicodedata.normalize("NFKC", written)))
    best = 0.0
    # Swot joins an institute and its parent with a full-width comma: each half is a name too.
    expanded = [*names, *(p for n in names if "，" in n for p in n.split("，"))]
    for name in expanded:
        if has_cjk(name) and written_cjk:
            name_cjk = "".join(_CJK_RUN.findall(unicodedata.normalize("NFKC", name)))
            # Swot joins several names with a comma (中国科学院大学，中国科学院自动化研究所).
            parts = [p for p in re.split(r"[,，、;；]", name) if has_cjk(p)]
            for part in [name_cjk, *("".join(_CJK_RUN.findall(p)) for p in parts)]:
                # The form may add a school (中国科学技术大学计算机学院) or write a shorter
                # full name (中国科学院大学 for the combined swot entry); never just 大学.
                if len(part) >= 2 and part in written_cjk:
                    return AffiliationMatch(True, "chinese", 100.0, name)
                if len(written_cjk) >= 4 and written_cjk in part:
                    return AffiliationMatch(True, "chinese", 100.0, name)
            continue
        name_words = _words(name)
        if not name_words:
            continue
        if set(name_words) <= words:
            return AffiliationMatch(True, "name", 100.0, name)
        if _initials(name) & words:
            return AffiliationMatch(True, "initials", 100.0, name)
        ratio = fuzz.token_sort_ratio(" ".join(name_words), " ".join(_words(written)))
        best = max(best, ratio)
        if ratio >= FUZZY_MIN_RATIO:
            return AffiliationMatch(True, "fuzzy", ratio, name)
    if domain:
        labels = {
            label
            for label in domain.lower().split(".")[:-1]
            if len(label) >= 3 and label not in _GENERIC_LABELS
        }
        if labels & words:
            return AffiliationMatch(True, "domain", 100.0, names[0] if names else None)
    return AffiliationMatch(False, "none", best, names[0] if names else None)
