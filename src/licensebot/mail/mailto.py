"""Links that open a reply to the desk with a review command filled in (RFC 6068 mailto:),
for the maintainers' digest and case notice."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CaseAction:
    """One thing a maintainer can do about a case from a message: a mailto: link that opens a
    reply to the bot with the review command filled in (`core.commands`)."""

    label: str
    command: str  # the line the link puts in the body
    href: str


def case_actions(case_id: int, *, to: str, subject: str) -> tuple[CaseAction, ...]:
    """Approve, reject, note and status for a case waiting for a person. Reject and note leave
    the cursor after the command: the maintainer writes the reason or the note there."""

    def link(label: str, command: str) -> CaseAction:
        query = urllib.parse.urlencode(
            {"subject": subject, "body": command}, quote_via=urllib.parse.quote
        )
        return CaseAction(label, command, f"mailto:{urllib.parse.quote(to, safe='@')}?{query}")

    return (
        link("Approve", f"approve {case_id}"),
        link("Reject (write the reason)", f"reject {case_id} "),
        link("Add a note", f"note {case_id} "),
        link("Status", f"status {case_id}"),
    )
