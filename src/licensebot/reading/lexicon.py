"""English words, to tell a word from a misread one (`Professor` from a photo's `Protessor`).

The list is pyspellchecker's English word frequencies (in its wheel: nothing is downloaded),
loaded once per process (`preload`, by the sandbox's fork server: about 0.2 s and 30 MB,
shared copy-on-write by every reader forked from it). It serves one rule of the vote
(`agreement.spelled`); nothing else reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache


@cache
def _counts() -> Mapping[str, int]:
    from spellchecker import SpellChecker

    return SpellChecker(language="en", distance=1).word_frequency.dictionary


def count(word: str) -> int:
    """How often `word` (any case) stands in the list's English text; 0 for no word of it."""
    return int(_counts().get(word.casefold(), 0))


def preload() -> None:
    _counts()
