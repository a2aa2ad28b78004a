"""Facts an approval quotes from the LA text itself (so they follow the version in force)."""

from __future__ import annotations

import re

_SUBJECT_LINE = re.compile(r"^\s*sub\.\s+(.+)$", re.IGNORECASE | re.MULTILINE)


def unpublishable_subjects(la_text: str) -> tuple[str, ...]:
    """The subjects whose images must not be published (the `sub.` lines of section 4)."""
    out: list[str] = []
    for line in _SUBJECT_LINE.findall(la_text):
        out += [n for n in re.findall(r"\d{3}", line) if n not in out]
    return tuple(out)


_CITATION = re.compile(r"^\s*\*([^*\n]{20,})\*\s*$", re.MULTILINE)


def citation(la_text: str) -> str:
    """The reference users must cite (section 3: the italic line), or "" if there is none."""
    section = re.split(r"^#+\s*3\.", la_text, maxsplit=1, flags=re.MULTILINE)
    m = _CITATION.search(section[1] if len(section) > 1 else la_text)
    return m.group(1).strip() if m else ""
