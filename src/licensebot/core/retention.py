"""What the retention policy says is due: from plain facts about cases, licences and loose
messages to a `PurgePlan` (which raw mail, PDFs, cases and licences go). The worker carries it
out (`worker/retention.py`); `licensebot purge --dry-run` prints it.

- raw mail, the messages' subjects and senders, the stored text of replies and the rules'
  facts of a decided case: `raw_mail_days` after its latest decision (an approved case's form
  fields then keep only what `licensee_keeps` names);
- the stored PDF of a decided case: `pdf_days` after its latest decision, unless the licence
  lives and `licensee_keeps` has `signed_pdf`;
- a rejected or ignored case, entirely: `rejected_days` / `ignored_days` after its latest
  decision (the event log keeps only that it was purged);
- a licence that ended (voided): `ended_licence_days` after it ended, then a tombstone (id,
  case, LA version, dates, state);
- messages that are no application, and stored mail to no case: `raw_mail_days` after receipt
  or sending.

A case waiting for review is never purged: a person decides it first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from licensebot.core.reasons import Decision

FINAL = frozenset({Decision.APPROVE, Decision.REJECT, Decision.IGNORE})

#: The form's fields an approved case keeps after its raw mail goes, by licensee detail; the
#: work address, the date and the signature's presence are kept whatever the policy.
FIELDS_OF_DETAIL = {
    "name": ("signer_name",),
    "title": ("signer_title",),
    "affiliation": ("affiliation",),
    "members": ("members",),
}
ALWAYS_KEPT_FIELDS = ("work_email", "date", "signed")
#: The licensee columns each detail names (email, LA version and dates are always kept).
COLUMNS_OF_DETAIL = {
    "name": "name",
    "title": "title",
    "affiliation": "affiliation",
    "members": "members",
}


@dataclass(frozen=True, slots=True)
class Policy:
    raw_mail_days: int
    pdf_days: int
    rejected_days: int
    ignored_days: int
    ended_licence_days: int
    licensee_keeps: frozenset[str]

    def kept_fields(self) -> frozenset[str]:
        """The form fields an approved case keeps once its raw mail is gone."""
        keys = {k for d in self.licensee_keeps for k in FIELDS_OF_DETAIL.get(d, ())}
        return frozenset(keys | set(ALWAYS_KEPT_FIELDS))

    def cleared_columns(self) -> tuple[str, ...]:
        """The licensee columns cleared when the raw mail goes (the details not kept)."""
        return tuple(c for d, c in COLUMNS_OF_DETAIL.items() if d not in self.licensee_keeps)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    case: int
    decision: Decision
    decided_at: datetime  # the latest decision
    raw_purged: bool  # the raw mail and message details are already gone
    has_pdf: bool
    licence: str | None = None  # the state of the licence it granted: active, voided, erased


@dataclass(frozen=True, slots=True)
class LicenceFacts:
    licensee: int
    case: int
    state: str  # active, voided, erased
    since: datetime  # last change (for a voided licence: when it ended)


@dataclass(frozen=True, slots=True)
class Loose:
    """A stored message or reply that belongs to no case (a command, a delivery report, a
    message set aside, a digest, a notice), and when it came or went."""

    id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PurgePlan:
    raw: tuple[int, ...] = ()  # cases whose raw mail and message details go
    pdf: tuple[int, ...] = ()  # cases whose stored PDF goes
    delete: tuple[tuple[int, Decision], ...] = ()  # cases deleted entirely, and their decision
    tombstone: tuple[int, ...] = ()  # licensees reduced to a tombstone
    loose_messages: tuple[int, ...] = ()  # inbound_message ids without a case
    loose_replies: tuple[int, ...] = ()  # outbox ids without a case
    at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not (
            self.raw
            or self.pdf
            or self.delete
            or self.tombstone
            or self.loose_messages
            or self.loose_replies
        )

    def counts(self) -> dict[str, int]:
        return {
            "raw mail of decided cases": len(self.raw),
            "PDFs of decided cases": len(self.pdf),
            "rejected cases deleted": sum(1 for _, d in self.delete if d is Decision.REJECT),
            "ignored cases deleted": sum(1 for _, d in self.delete if d is Decision.IGNORE),
            "ended licences made tombstones": len(self.tombstone),
            "messages that are no application": len(self.loose_messages),
            "stored replies to no case": len(self.loose_replies),
        }


@dataclass(frozen=True, slots=True)
class _Due:
    now: datetime
    policy: Policy

    def past(self, at: datetime, days: int) -> bool:
        return at + timedelta(days=days) <= self.now


def plan(
    cases: Iterable[CaseFacts],
    licences: Sequence[LicenceFacts],
    *,
    policy: Policy,
    now: datetime,
    loose_messages: Iterable[Loose] = (),
    loose_replies: Iterable[Loose] = (),
) -> PurgePlan:
    """What is due at `now`."""
    due = _Due(now, policy)
    tombstone = [
        lic.licensee
        for lic in licences
        if lic.state == "voided" and due.past(lic.since, policy.ended_licence_days)
    ]
    chosen = set(tombstone)
    tombstoned = {lic.case for lic in licences if lic.licensee in chosen}
    raw: list[int] = []
    pdf: list[int] = []
    delete: list[tuple[int, Decision]] = []
    keep_days = {Decision.REJECT: policy.rejected_days, Decision.IGNORE: policy.ignored_days}
    for c in cases:
        # a case under review keeps everything; an erased licence's case is already bare,
        # and a tombstone made now clears its case too
        if c.decision not in FINAL or c.licence == "erased" or c.case in tombstoned:
            continue
        if (
            c.licence is None
            and c.decision in keep_days
            and due.past(c.decided_at, keep_days[c.decision])
        ):
            delete.append((c.case, c.decision))
            continue
        if not c.raw_purged and due.past(c.decided_at, policy.raw_mail_days):
            raw.append(c.case)
        signed_kept = c.licence == "active" and "signed_pdf" in policy.licensee_keeps
        if c.has_pdf and not signed_kept and due.past(c.decided_at, policy.pdf_days):
            pdf.append(c.case)
    return PurgePlan(
        raw=tuple(raw),
        pdf=tuple(pdf),
        delete=tuple(delete),
        tombstone=tuple(tombstone),
        loose_messages=tuple(m.id for m in loose_messages if due.past(m.at, policy.raw_mail_days)),
        loose_replies=tuple(r.id for r in loose_replies if due.past(r.at, policy.raw_mail_days)),
        at=now,
    )


def stripped_rules(rule_results: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """A decision's rule results without the facts the rules saw (names, addresses, domains):
    which rule ran and whether it hit stay, so `licensebot explain` still says why."""
    keep = ("rule", "hit", "reasons", "skipped")
    return [{k: r[k] for k in keep if k in r} for r in rule_results]


_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def without_addresses(text: str) -> str:
    """`text` (a server's diagnostic, an error) with every email address replaced by
    `<address>`: an event says what happened, the row it names says to whom."""
    return _ADDRESS.sub("<address>", text)
