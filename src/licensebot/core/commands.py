"""Maintainers' review commands, one per line of a reply: `approve 42`, `approve 42 force <why>`
(overturning a rejection for a hard reason), `reject 42 <reason for the applicant>`,
`note 42 <text>`, `status 42`. Pure: text in, parsed commands out; and `needs_force`, the one
rule on when an approval must be forced.

Only lines that start with a command word followed by a case number count. Quoted lines
(`> ...`) are skipped, and the reading stops at a signature (`-- `) or at the header of a quoted
original ("On ... wrote:", "-----Original Message-----", "在 ... 写道："), so a digest quoted
without `>` by a client never turns its own text into commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from licensebot.core.reasons import Decision, Reason, Severity
from licensebot.core.rules import severity_of

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
    text: str  # the reason (reject), the note, why (approve); "" for status
    line: str  # the line as written, for the confirmation and the event log
    force: bool = False  # `approve 42 force <why>`: overturn a rejection for a hard reason


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


_FORCE = re.compile(r"^force\b[\s:,-]*(.*)$", re.IGNORECASE)
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
        force = _FORCE.match(rest) if verb is Verb.APPROVE else None
        if force is not None and not force.group(1).strip():
            unusable.append(
                Unusable(line, f"`approve {case.group(1)} force` needs the reason why after it")
            )
            continue
        text = force.group(1).strip() if force else rest if verb is not Verb.STATUS else ""
        commands.append(Command(verb, int(case.group(1)), text, line, force=force is not None))
        if len(commands) >= MAX_COMMANDS:
            break
    return Parsed(tuple(commands), tuple(unusable))


def needs_force(decision: Decision, reasons: Iterable[str]) -> tuple[Reason, ...]:
    """The hard reasons an approval of a case with this latest decision would overturn; an
    approval then needs `force` and a why. Empty: an ordinary approval."""
    if decision is not Decision.REJECT:
        return ()
    known = {r.value: r for r in Reason}
    found = (known[r] for r in reasons if r in known)
    return tuple(r for r in found if severity_of(r) is Severity.HARD)
