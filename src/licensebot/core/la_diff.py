"""What changed between two LA texts, clause by clause: the Markdown is split at its `##` /
`###` headings; clauses are matched by their number ("### 3. Citations" is clause 3), or by
title when unnumbered; each changed clause carries a compact unified diff of its sentences."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

_HEADING = re.compile(r"^#{2,3}\s+(?P<title>.+?)\s*#*\s*$")
_NUMBERED = re.compile(r"^(?P<num>\d+(?:\.\d+)*)[.)]?\s+(?P<title>.*)$")
_SENTENCE_END = re.compile(r"(?<=[.;!?。；！？])\s+")
PREAMBLE = "preamble"


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Clause:
    key: str  # "3" for "### 3. Citations"; the title itself when unnumbered; "preamble"
    title: str  # "Citations"
    body: str


@dataclass(frozen=True, slots=True)
class ClauseChange:
    key: str
    title: str  # the new title (the old one for a removed clause)
    kind: ChangeKind
    old_title: str = ""
    diff: tuple[str, ...] = ()  # "-old sentence" / "+new sentence" lines, no headers

    @property
    def label(self) -> str:
        """ "3. Citations", or the bare title of an unnumbered clause."""
        if self.key == PREAMBLE:
            return self.title
        return f"{self.key}. {self.title}" if self.key[:1].isdigit() else self.title


def split_clauses(text: str) -> list[Clause]:
    """The clauses of an LA in order; the text before the first heading is the preamble."""
    clauses: list[Clause] = []
    key, title, body = PREAMBLE, "", []
    for line in text.replace("\r\n", "\n").split("\n"):
        m = _HEADING.match(line)
        if m is None:
            body.append(line)
            continue
        _flush(clauses, key, title, body)
        heading = m.group("title").replace("**", "").replace("__", "").strip()
        n = _NUMBERED.match(heading)
        key, title = (n.group("num"), n.group("title").strip()) if n else (heading, heading)
        body = []
    _flush(clauses, key, title, body)
    return clauses


def _flush(clauses: list[Clause], key: str, title: str, body: list[str]) -> None:
    text = "\n".join(body).strip()
    if key == PREAMBLE and not text:
        return
    taken = {c.key for c in clauses}
    unique, n = key, 2
    while unique in taken:  # a repeated heading is a different clause, not a merge
        unique, n = f"{key} ({n})", n + 1
    clauses.append(Clause(unique, title, text))


def sentences(body: str) -> list[str]:
    out: list[str] = []
    for line in body.split("\n"):
        line = line.strip()
        if line:
            out += [s for s in _SENTENCE_END.split(line) if s]
    return out


def clause_changes(old: str, new: str, *, context: int = 0) -> list[ClauseChange]:
    """Every added, removed and changed clause, in the new text's order (removed ones where
    they stood). Unchanged clauses are left out; whitespace-only edits do not count."""
    before = {c.key: c for c in split_clauses(old)}
    after = split_clauses(new)
    after_keys = {c.key for c in after}
    changes: list[ClauseChange] = []
    pending_removed = [c for c in before.values() if c.key not in after_keys]
    for c in after:
        while pending_removed and _order(pending_removed[0].key, before) < _order(c.key, before):
            changes.append(_removed(pending_removed.pop(0)))
        prev = before.get(c.key)
        if prev is None:
            changes.append(
                ClauseChange(c.key, c.title, ChangeKind.ADDED, diff=_diff([], sentences(c.body)))
            )
            continue
        diff = _diff(sentences(prev.body), sentences(c.body), context)
        if diff or prev.title != c.title:
            changes.append(
                ClauseChange(c.key, c.title, ChangeKind.CHANGED, old_title=prev.title, diff=diff)
            )
    changes += [_removed(c) for c in pending_removed]
    return changes


def _order(key: str, before: dict[str, Clause]) -> int:
    keys = list(before)
    return keys.index(key) if key in before else len(keys)


def _removed(c: Clause) -> ClauseChange:
    return ClauseChange(c.key, c.title, ChangeKind.REMOVED, diff=_diff(sentences(c.body), []))


def _diff(old: list[str], new: list[str], context: int = 0) -> tuple[str, ...]:
    lines = difflib.unified_diff(old, new, n=context, lineterm="")
    return tuple(
        line
        for line in lines
        if not line.startswith(("---", "+++", "@@")) and (context or line[:1] in "+-")
    )
