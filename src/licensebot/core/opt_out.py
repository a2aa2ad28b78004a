"""Does a reply to a change notice say OPT OUT? Only what the licensee wrote counts: the first
lines before any quoted text (`>` lines, "On ... wrote:", Outlook's "From:" block, the Chinese
clients' "发件人：" / "在 ... 写道："), so the notice's own instructions quoted below the answer
never opt anyone out."""

from __future__ import annotations

import re

#: Lines that start the quoted original in common clients.
_QUOTE_START = re.compile(
    r"""^\s*(
        >                                             # quoted line
      | -{2,}\s*(original\s+message|原始邮件|forwarded\s+message)\b.*
      | _{5,}\s*$                                     # Outlook's rule
      | (from|发件人|寄件者)\s*[:：].*                 # Outlook / Foxmail header block
      | on\s.+\swrote:\s*$                            # Gmail, Apple Mail, Thunderbird
      | 在.+写道\s*[:：]?\s*$                          # Chinese clients
      | 于.+写道\s*[:：]?\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_PHRASE = re.compile(r"\bopt[\s_-]?out\b|选择退出|退出|退订|不同意", re.IGNORECASE)
_NEGATED = re.compile(
    r"(\b(not|don'?t|do\s+not|never|no\s+need\s+to|won'?t|will\s+not)\s+(want\s+to\s+)?$)"
    r"|(不|不想|不要|不会|无需|不用|不必)$",
    re.IGNORECASE,
)
#: How many lines of the licensee's own text are read (an answer is short; a long letter that
#: mentions opting out somewhere is for a person).
FIRST_LINES = 5


def own_text(text: str) -> list[str]:
    """The first non-empty lines the sender wrote, before anything quoted."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line):
            break
        if line.strip():
            lines.append(line.strip())
        if len(lines) >= FIRST_LINES:
            break
    return lines


def says_opt_out(text: str, subject: str = "") -> bool:
    """True when the sender's own first lines (or, failing a body, the subject) ask to opt
    out: `OPT OUT`, `opt-out`, `optout`, `退出`, `退订`, `选择退出`, `不同意`, not negated
    ("I do not want to opt out", "不退出")."""
    lines = own_text(text)
    if not lines and subject:
        lines = [re.sub(r"^\s*((re|aw|回复|答复)\s*[:：]\s*)+", "", subject, flags=re.IGNORECASE)]
    return any(_asks(line) for line in lines)


def _asks(line: str) -> bool:
    for m in _PHRASE.finditer(line):
        if not _NEGATED.search(
            line[: m.start()].rstrip() + (" " if m.group()[0].isascii() else "")
        ):
            return True
    return False
