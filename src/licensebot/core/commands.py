"""Maintainers' review commands, one per line of a reply: `approve 42`, `reject 42 <reason
for the applicant>`, `note 42 <text>`, `status 42`. Pure: text in, parsed commands out.

Only lines that start with a command word followed by a case number count. Quoted lines
(`> ...`) are skipped, and the reading stops at a signature (`-- `) or at the header of a quoted
original ("On ... wrote:", "-----Original Message-----", "在 ... 写道："), so a digest quoted
without `>` by a client never turns its own text into commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_COMMANDS = 50


class Verb(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    NOTE = "note"
    STATUS = "status"


#: Verbs that need text after the case number.
NEEDS_TEXT = frozenset({Verb.REJECT, Verb.NOTE})


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    case_id: int
    text: str  # the reason (reject) or the note; "" for approve and status
    line: str  # the line as written, for the confirmation and the event log


@dataclass(frozen=True, slots=True)
class Unusable:
    """A line that starts like a command but cannot be carried out as written."""

    line: str
    why: str


@dataclass(frozen=True, slots=True)
class Parsed:
    commands: tuple[Command, ...]
    unusable: tuple[Unusable, ...]

    @property
    def any(self) -> bool:
        return bool(self.commands or self.unusable)


_VERB = re.compile(r"^(approve|reject|note|status)\b\s*(.*)$", re.IGNORECASE)
_CASE = re.compile(r"^#?(\d{1,9})\b[\s:,-]*(.*)$")
_STOP = re.compile(
    r"^(--\s*$|_{5,}|-{3,}\s*(original message|.*原始邮件)|on .+ wrote:\s*$|在.+写道[:：]\s*$"
    r"|from:\s|发件人[:：])",
    re.IGNORECASE,
)


def parse_commands(text: str) -> Parsed:
    """The commands in a maintainer's message body, in order."""
    commands: list[Command] = []
    unusable: list[Unusable] = []
    for raw in text.splitlines():
        line = raw.strip()
        if _STOP.match(raw.rstrip()) or _STOP.match(line):
            break
        if not line or line.startswith(">"):
            continue
        m = _VERB.match(line)
        if m is None or not m.group(2):
            continue  # a bare word ("Approve" as a table heading) is not a command
        verb = Verb(m.group(1).lower())
        case = _CASE.match(m.group(2))
        if case is None:
            continue  # prose ("Note that ...", "approve CASE"), not a command
        rest = case.group(2).strip()
        if verb in NEEDS_TEXT and not rest:
            what = "a reason for the applicant" if verb is Verb.REJECT else "the note's text"
            unusable.append(Unusable(line, f"`{verb} {case.group(1)}` needs {what}"))
            continue
        commands.append(Command(verb, int(case.group(1)), rest if verb in NEEDS_TEXT else "", line))
        if len(commands) >= MAX_COMMANDS:
            break
    return Parsed(tuple(commands), tuple(unusable))
