"""Which registered LA version a document's text matches, by word-shingle overlap.

Similarity is the F1 of shared 3-word shingles: it is high only when the document holds the
version's text and little else, so an older LA (a section missing, clauses reworded) scores below
the current one on a current form, and a document that is no LA scores low against all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from licensebot.core.la import LaVersion

#: At or above: the document is this version. Between IS_LA and MATCH: an LA, of no known
#: version (reported as the nearest, if clearly nearer than the others, else None).
MATCH = 0.6
IS_LA = 0.3


_MARKUP = re.compile(r"[*_#`>\\]")
_TOKEN = re.compile(r"[a-z]{2,}|\d+|[\u3400-\u9fff]")


def _tokens(text: str) -> list[str]:
    t = unicodedata.normalize("NFKC", text).lower()
    return _TOKEN.findall(_MARKUP.sub(" ", t))


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    toks = _tokens(text)
    return {tuple(toks[i : i + n]) for i in range(len(toks) - n + 1)}


@lru_cache(maxsize=64)
def _version_shingles(text: str) -> frozenset[tuple[str, ...]]:
    """A registered version's shingles: the same text on every read, so made once."""
    return frozenset(shingles(text))


@dataclass(frozen=True, slots=True)
class VersionMatch:
    version: str | None
    similarity: float
    is_la: bool
    scores: dict[str, float]


def match_version(
    text: str, versions: Sequence[LaVersion], *, partial: bool = False
) -> VersionMatch:
    """The version `text` is. `partial`: the text is only part of the document (the pages
    read so far), so only how much of it belongs to each version counts (precision)."""
    doc = shingles(text)
    scores: dict[str, float] = {}
    for v in versions:
        ref = _version_shingles(v.text)
        common = len(doc & ref)
        if not doc or not ref or not common:
            scores[v.id] = 0.0
            continue
        p, r = common / len(doc), common / len(ref)
        scores[v.id] = p if partial else 2 * p * r / (p + r)
    if not scores:
        return VersionMatch(None, 0.0, False, scores)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best_id, best = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    is_la = best >= IS_LA
    margin = 0.1 if partial else 0.03
    found = best_id if best >= MATCH and best - second >= margin else None
    return VersionMatch(found, best, is_la, scores)
