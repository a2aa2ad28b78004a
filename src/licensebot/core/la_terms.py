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
