"""Links that open a reply to the desk with a review command filled in (RFC 6068 mailto:),
for the maintainers' digest and case notice."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CaseAction:
    """One thing a maintainer can do about a case from a message: a mailto: link that opens a
    reply to the bot with the review command filled in (`core.commands`)."""

    verb: str  # approve | reject | note | status (the template words the button)
    command: str  # the line the link puts in the body
    href: str


def case_actions(case_id: int, *, to: str, subject: str) -> tuple[CaseAction, ...]:
    """Approve, reject, note and status for a case waiting for a person. Reject and note leave
    the cursor after the command: the maintainer writes the reason or the note there."""

    def link(verb: str, command: str) -> CaseAction:
        query = urllib.parse.urlencode(
            {"subject": subject, "body": command}, quote_via=urllib.parse.quote
        )
        return CaseAction(verb, command, f"mailto:{urllib.parse.quote(to, safe='@')}?{query}")

    return (
        link("approve", f"approve {case_id}"),
        link("reject", f"reject {case_id} "),
        link("note", f"note {case_id} "),
        link("status", f"status {case_id}"),
    )
