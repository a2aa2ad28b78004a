"""The pure parts of the maintainers' digest: which period it covers, the anomalies worth a
look, the 30-day counts by decision and the CSV of records. No database, no rendering.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from licensebot.core.names import same_person
from licensebot.core.reasons import Decision

CHART_DAYS = 30
BURST_THRESHOLD = 5  # applications from one domain within one digest period
DECISIONS: tuple[str, ...] = tuple(d.value for d in Decision)


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC: what came in and was decided since the last digest."""

    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def latest_slot(now: datetime, *, tz: tzinfo, at: time) -> datetime:
    """The most recent scheduled digest time at or before `now` (UTC)."""
    local = now.astimezone(tz)
    slot = datetime.combine(local.date(), at, tzinfo=tz)
    if slot > local:
        slot = datetime.combine(local.date() - timedelta(days=1), at, tzinfo=tz)
    return slot.astimezone(UTC)


def digest_period(end: datetime, *, last_end: datetime | None) -> Period | None:
    """The period a digest ending at `end` covers; None when one already covered it. The
    first digest ever covers the day before."""
    if last_end is not None and last_end >= end:
        return None
    return Period(last_end if last_end is not None else end - timedelta(days=1), end)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the anomaly checks look at, for one application."""

    case_id: int
    received_at: datetime
    sender: str | None
    pdf_sha256: str | None = None
    signer_name: str = ""
    work_email: str = ""


@dataclass(frozen=True, slots=True)
class VoidedLicence:
    licensee_id: int
    email: str
    name: str
    case_id: int


@dataclass(frozen=True, slots=True)
class Anomaly:
    kind: str  # same_pdf | burst | voided_signer
    summary: str
    case_ids: tuple[int, ...]


def find_anomalies(
    cases: Sequence[CaseFacts],
    *,
    new: Iterable[int],
    focus: Iterable[int],
    voided: Sequence[VoidedLicence] = (),
    burst_threshold: int = BURST_THRESHOLD,
) -> list[Anomaly]:
    """Anomalies among `cases` (the recent ones). `new` came in during the period (bursts are
    counted among them); `focus` (new ones and the review queue) limits what is reported, so
    an old anomaly is not repeated in every digest."""
    new_ids = set(new)
    focus_ids = set(focus) | new_ids
    out: list[Anomaly] = []

    by_pdf: dict[str, list[CaseFacts]] = defaultdict(list)
    for c in cases:
        if c.pdf_sha256:
            by_pdf[c.pdf_sha256].append(c)
    for sha, group in by_pdf.items():
        senders = sorted({(c.sender or "?").lower() for c in group})
        ids = tuple(sorted(c.case_id for c in group))
        if len(senders) > 1 and focus_ids.intersection(ids):
            out.append(
                Anomaly(
                    "same_pdf",
                    f"the same PDF (sha256 {sha[:12]}) came from {len(senders)} senders: "
                    + ", ".join(senders),
                    ids,
                )
            )

    by_domain: dict[str, list[int]] = defaultdict(list)
    for c in cases:
        if c.case_id in new_ids and c.sender and "@" in c.sender:
            by_domain[c.sender.rpartition("@")[2].lower()].append(c.case_id)
    for domain, domain_ids in sorted(by_domain.items()):
        if len(domain_ids) >= burst_threshold:
            out.append(
                Anomaly(
                    "burst",
                    f"{len(domain_ids)} applications from {domain} in this period",
                    tuple(sorted(domain_ids)),
                )
            )

    for c in cases:
        if c.case_id not in focus_ids:
            continue
        emails = {e.lower() for e in (c.sender, c.work_email) if e}
        for v in voided:
            by_email = v.email.lower() in emails
            by_name = bool(c.signer_name and v.name and same_person(c.signer_name, v.name).matched)
            if by_email or by_name:
                how = "address" if by_email else "name"
                out.append(
                    Anomaly(
                        "voided_signer",
                        f"case {c.case_id}: same {how} as licensee {v.licensee_id} "
                        f"({v.name} <{v.email}>, case {v.case_id}), whose licence was voided",
                        (c.case_id, v.case_id),
                    )
                )
                break
    return out


def unanswered(suppressed: Iterable[tuple[str, int | None]]) -> list[Anomaly]:
    """Messages that got no automatic reply (the daily cap per address), one line per address:
    the final notice tells their sender that the team sees them here."""
    by_address: dict[str, list[int]] = defaultdict(list)
    for recipient, case_id in suppressed:
        by_address[recipient.lower()].append(case_id or 0)
    return [
        Anomaly(
            "no_reply",
            f"{len(ids)} message(s) from {addr} got no automatic reply (daily cap reached): "
            "answer in person if one is needed (cases "
            + ", ".join(f"#{i}" for i in sorted(set(ids)) if i)
            + ")",
            tuple(sorted({i for i in ids if i})),
        )
        for addr, ids in sorted(by_address.items())
    ]


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def daily_counts(
    items: Iterable[tuple[datetime, str]], *, end: datetime, tz: tzinfo, days: int = CHART_DAYS
) -> list[DayCount]:
    """Applications per local day by their current decision, for the `days` days up to and
    including the day of `end`; oldest first, every day present (zero counts included)."""
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    first = last - timedelta(days=days - 1)
    table: dict[date, dict[str, int]] = {
        first + timedelta(days=i): dict.fromkeys(DECISIONS, 0) for i in range(days)
    }
    for moment, decision in items:
        day = moment.astimezone(tz).date()
        if day in table:
            row = table[day]
            row[decision] = row.get(decision, 0) + 1
    return [DayCount(day, counts) for day, counts in sorted(table.items())]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV for spreadsheets: UTF-8 with a BOM (Excel then reads Chinese names right), CRLF."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _cell(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    # A leading =, +, - or @ makes a spreadsheet evaluate the cell (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
