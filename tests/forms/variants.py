"""Older (or otherwise different) LA texts made from the current one, one function per way an
earlier version may differ: what `reading.version` must never take for the current LA.

Each function takes the current `LaVersion` and returns an unregistered `LaVersion` (id
`variant-<name>`) whose text a test renders or matches. `FIELD_OLDER` is the combination the
field saw: forms of an older LA approved as the current one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date

from licensebot.core.la import LaVersion

CITATION = (
    "*Zhao S, Tang H, Mao X, et al. DFME: A New Benchmark for Dynamic Facial Micro-expression "
    "Recognition[J]. IEEE Transactions on Affective Computing, 2023.*"
)
OLDER_CITATION = (
    "*Zhao S, Tang H, et al. A Database of Dynamic Facial Micro-expressions[C]. "
    "Proceedings of the International Conference on Affective Computing, 2021.*"
)
_HEADING_NUMBER = re.compile(r"^(#{1,6}\s*(?:\*\*)?\s*)(\d+)(\.)", re.MULTILINE)


def _variant(current: LaVersion, name: str, text: str) -> LaVersion:
    assert text != current.text, f"variant {name} changed nothing"
    return replace(current, id=f"variant-{name}", effective=date(2021, 1, 1), text=text)


def _section(text: str, number: int) -> tuple[int, int]:
    """Where section `number` starts and the next heading starts."""
    start = re.search(rf"^#+\s*(?:\*\*)?{number}\.", text, re.MULTILINE)
    assert start is not None, number
    nxt = re.search(r"^#+\s*(?:\*\*)?\d+\.", text[start.end() :], re.MULTILINE)
    end = start.end() + nxt.start() if nxt else len(text)
    return start.start(), end


def _renumber_from(text: str, first: int, by: int) -> str:
    def sub(m: re.Match[str]) -> str:
        n = int(m.group(2))
        return f"{m.group(1)}{n + by if n >= first else n}{m.group(3)}"

    return _HEADING_NUMBER.sub(sub, text)


def _drop_section_6(text: str) -> str:
    start, end = _section(text, 6)
    return _renumber_from(text[:start] + text[end:], 7, -1)


def _shorter_subjects(text: str, keep: Callable[[int, str], bool]) -> str:
    lines = text.splitlines()
    out = []
    index = 0
    for line in lines:
        if not line.lower().startswith("sub."):
            out.append(line)
            continue
        numbers = re.findall(r"\d{3}", line)
        kept = []
        for n in numbers:
            if keep(index, n):
                kept.append(n)
            index += 1
        if kept:
            out.append("sub.\t" + ", ".join(kept) + ("." if line.rstrip().endswith(".") else ","))
    return "\n".join(out)


def _one_contact(text: str) -> str:
    return text.replace("\n\niamthy@mail.ustc.edu.cn.", "").replace(
        "to the following email addresses:\n\nsirui@mail.ustc.edu.cn",
        "to the following email address:\n\nsirui@mail.ustc.edu.cn.",
    )


def no_section_6(current: LaVersion) -> LaVersion:
    """No section on data rights and changes to the LA; 7 and 8 numbered 6 and 7."""
    return _variant(current, "no_section_6", _drop_section_6(current.text))


def renumbered(current: LaVersion) -> LaVersion:
    """The same sections, numbered from 3 on one higher (as if an earlier section had gone)."""
    return _variant(current, "renumbered", _renumber_from(current.text, 3, +1))


def reworded_section(current: LaVersion) -> LaVersion:
    """Section 5 (redistribution) in an earlier wording."""
    start, end = _section(current.text, 5)
    older = (
        "## 5. Redistribution\n\n"
        "The user may not pass the DFME, or any part of it, to a third party. Each research "
        "group that wishes to use the data must sign its own license agreement with the "
        "dataset's owners before receiving a copy.\n\n"
    )
    return _variant(current, "reworded_section", current.text[:start] + older + current.text[end:])


def other_citation(current: LaVersion) -> LaVersion:
    """The paper cited is an earlier one."""
    assert CITATION in current.text
    return _variant(current, "other_citation", current.text.replace(CITATION, OLDER_CITATION))


def fewer_subjects(current: LaVersion) -> LaVersion:
    """Four subjects fewer on the list of subjects whose images may not be published."""
    dropped = {"030", "188", "400", "606"}
    text = _shorter_subjects(current.text, lambda i, n: n not in dropped)
    return _variant(current, "fewer_subjects", text)


def much_shorter_subjects(current: LaVersion) -> LaVersion:
    """An early list: only the subjects below 300."""
    text = _shorter_subjects(current.text, lambda i, n: int(n) < 300)
    return _variant(current, "much_shorter_subjects", text)


def one_contact(current: LaVersion) -> LaVersion:
    """One contact address instead of two."""
    return _variant(current, "one_contact", _one_contact(current.text))


def no_naming_note(current: LaVersion) -> LaVersion:
    """No note on how to name the signed file."""
    text = re.sub(r"\nNote: The LA must be:[^\n]*\n", "\n", current.text)
    return _variant(current, "no_naming_note", text)


def field_older(current: LaVersion) -> LaVersion:
    """What the field saw approved: no section 6, the older citation, a shorter subject list,
    one contact address."""
    text = _drop_section_6(current.text).replace(CITATION, OLDER_CITATION)
    text = _shorter_subjects(text, lambda i, n: i % 5 != 3)
    text = _one_contact(text)
    return _variant(current, "field_older", text)


VARIANTS: dict[str, Callable[[LaVersion], LaVersion]] = {
    "no_section_6": no_section_6,
    "renumbered": renumbered,
    "reworded_section": reworded_section,
    "other_citation": other_citation,
    "fewer_subjects": fewer_subjects,
    "much_shorter_subjects": much_shorter_subjects,
    "one_contact": one_contact,
    "no_naming_note": no_naming_note,
    "field_older": field_older,
}
