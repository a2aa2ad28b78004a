"""The maintainers' daily digest: what came in and what was decided since the last digest, the
review queue (oldest first, reasons, fields, the PDF's first page), anomalies, a 30-day chart
and the period's records as CSV. Queued through the outbox once per period: the idempotency key
`digest:<period end>:<maintainer>` keeps a restart from sending a day's digest twice, and the
event `digest.sent` remembers where the next period starts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from licensebot.config import Settings
from licensebot.core.digest import (
    CHART_DAYS,
    DECISIONS,
    Anomaly,
    CaseFacts,
    DayCount,
    Period,
    VoidedLicence,
    daily_counts,
    digest_period,
    find_anomalies,
    latest_slot,
    to_csv,
    unanswered,
)
from licensebot.core.form import FIELD_KEYS, FORM_FIELDS
from licensebot.core.reasons import Decision
from licensebot.core.rules import description_of
from licensebot.mail.compose import FileAttachment, InlineImage, domain_of, header_text
from licensebot.mail.mailto import case_actions
from licensebot.mail.templates import Templates
from licensebot.store.files import atomic_write
from licensebot.store.models import (
    Application,
    DecisionRecord,
    Event,
    LicenceState,
    Licensee,
    utcnow,
)
from licensebot.worker.replies import ReplyWriter
from licensebot.worker.review import latest_decisions

log = structlog.get_logger("licensebot.digest")

PAGE_IMAGES_MAX = 30  # first pages embedded; a longer queue points to `licensebot review show`
PDF_ATTACH_MAX_BYTES = 2 * 1024 * 1024  # a PDF that cannot be drawn is attached if this small
LIST_MAX = 100  # lines per list in the body; the CSV has every record
CSV_HEADER = (
    "case",
    "received_at",
    "sender",
    "subject",
    "decision",
    "reasons",
    "decided_by",
    "decided_at",
    "signer_name",
    "signer_title",
    "affiliation",
    "work_email",
    "members",
    "pdf_filename",
    "pdf_sha256",
)


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: int
    received_at: datetime
    sender: str
    subject: str
    decision: Decision
    reasons: tuple[str, ...]
    fields: Mapping[str, Any]
    decided_by: str
    decided_at: datetime
    pdf_path: str | None = None
    pdf_sha256: str | None = None
    pdf_filename: str | None = None
    notes: tuple[tuple[str, str], ...] = ()  # (who, text)


@dataclass
class DigestData:
    period: Period
    generated_at: datetime
    incoming: list[CaseRow]
    decided: list[CaseRow]
    queue: list[CaseRow]
    anomalies: list[Anomaly]
    days: list[DayCount]


@dataclass(frozen=True, slots=True)
class DigestMessage:
    period: Period
    subject: str
    text: str
    html: str
    inline: tuple[InlineImage, ...]
    attachments: tuple[FileAttachment, ...]
    queue_size: int


@dataclass(frozen=True, slots=True)
class DigestResult:
    period: Period | None
    recipients: tuple[str, ...] = ()
    skipped: str = ""  # why nothing was queued


@dataclass
class Digest:
    settings: Settings
    engine: Engine
    replies: ReplyWriter
    templates: Templates
    page_cache: Path

    @property
    def tz(self) -> ZoneInfo:
        # Looked up when a digest is made: a bad zone is `config check`'s to report, not a
        # reason for every command to fail at start-up.
        return ZoneInfo(self.settings.schedule.timezone)

    # -- entry points -------------------------------------------------------------------------

    def scheduled(self, now: datetime | None = None) -> DigestResult:
        """The digest for the latest scheduled slot (the worker's daily job)."""
        now = now or utcnow()
        slot = latest_slot(now, tz=self.tz, at=self.settings.schedule.digest_time)
        return self.send(end=slot, now=now)

    def send(self, *, end: datetime | None = None, now: datetime | None = None) -> DigestResult:
        """Queue the digest for [last digest's end, `end`) to every maintainer."""
        now = now or utcnow()
        end = end or now
        recipients = tuple(self.settings.maintainers.addresses)
        with Session(self.engine) as s:
            last = last_digest_end(s)
        period = digest_period(end, last_end=last)
        if period is None:
            return DigestResult(None, skipped=f"a digest up to {last} was already sent")
        if not recipients:
            return DigestResult(period, skipped="no maintainers.addresses configured")
        message = self.build(self.collect(period, now))
        key_end = end.astimezone(UTC).isoformat()
        try:
            with Session(self.engine) as s:
                for r in recipients:
                    self.replies.queue_rendered(
                        s,
                        kind="maintainer.digest",
                        recipient=r,
                        subject=message.subject,
                        body=message.text,
                        html=message.html,
                        inline=message.inline,
                        attachments=message.attachments,
                        key=f"digest:{key_end}:{r}",
                        application_id=None,
                    )
                s.add(
                    Event(
                        kind="digest.sent",
                        data={
                            "period_start": period.start.astimezone(UTC).isoformat(),
                            "period_end": period.end.astimezone(UTC).isoformat(),
                            "recipients": list(recipients),
                            "queue": message.queue_size,
                        },
                    )
                )
                s.commit()
        except IntegrityError:
            return DigestResult(period, skipped="this period's digest is already queued")
        log.info(
            "digest.queued",
            start=period.start.isoformat(),
            end=period.end.isoformat(),
            queue=message.queue_size,
            recipients=len(recipients),
        )
        return DigestResult(period, recipients)

    def preview(self, now: datetime | None = None) -> DigestMessage:
        """What `send` would queue now (the period may already be covered: then the last day)."""
        now = now or utcnow()
        return self.build(self.collect(self.preview_period(now), now))

    def preview_period(self, now: datetime) -> Period:
        with Session(self.engine) as s:
            last = last_digest_end(s)
        return digest_period(now, last_end=last) or Period(now - timedelta(days=1), now)

    # -- gathering ----------------------------------------------------------------------------

    def collect(self, period: Period, now: datetime) -> DigestData:
        window = min(period.start, period.end - timedelta(days=CHART_DAYS + 1))
        with Session(self.engine) as s:
            recent = s.exec(
                select(Application).where(
                    col(Application.created_at) >= window,
                    col(Application.created_at) < period.end,
                )
            ).all()
            queued = s.exec(
                select(Application)
                .where(Application.decision == Decision.REVIEW)
                .order_by(col(Application.created_at), col(Application.id))
            ).all()
            apps = {a.id or 0: a for a in [*recent, *queued]}
            latest = latest_decisions(s, sorted(apps))
            decided_rows = s.exec(
                select(DecisionRecord, Application)
                .join(Application, col(Application.id) == DecisionRecord.application_id)
                .where(
                    col(DecisionRecord.created_at) >= period.start,
                    col(DecisionRecord.created_at) < period.end,
                )
                .order_by(col(DecisionRecord.id))
            ).all()
            queue_ids = [a.id or 0 for a in queued]
            notes: dict[int, list[tuple[str, str]]] = {}
            for start in range(0, len(queue_ids), 500):
                for e in s.exec(
                    select(Event)
                    .where(
                        Event.kind == "case.note",
                        col(Event.application_id).in_(queue_ids[start : start + 500]),
                    )
                    .order_by(col(Event.id))
                ).all():
                    notes.setdefault(e.application_id or 0, []).append(
                        (e.actor, str(e.data.get("text", "")))
                    )
            # the events name the case, the case its sender (no addresses in events)
            capped = s.exec(
                select(Event.application_id, Application.sender)
                .join(Application, col(Application.id) == col(Event.application_id))
                .where(
                    Event.kind == "reply.suppressed",
                    col(Event.at) >= period.start,
                    col(Event.at) < period.end,
                )
            ).all()
            suppressed = [(sender or "?", app_id) for app_id, sender in capped]
            voided = [
                VoidedLicence(v.id or 0, v.email, v.name, v.application_id)
                for v in s.exec(select(Licensee).where(Licensee.state == LicenceState.VOIDED)).all()
            ]

        def row(app: Application, rec: DecisionRecord | None) -> CaseRow:
            app_id = app.id or 0
            return CaseRow(
                case_id=app_id,
                received_at=_utc(app.created_at),
                sender=app.sender or "",
                subject=app.subject,
                decision=rec.decision if rec else app.decision,
                reasons=tuple(rec.reasons) if rec else (),
                fields=dict(rec.fields) if rec else {},
                decided_by=rec.decided_by if rec else "",
                decided_at=_utc(rec.created_at) if rec else _utc(app.updated_at),
                pdf_path=app.pdf_path,
                pdf_sha256=app.pdf_sha256,
                pdf_filename=app.pdf_filename,
                notes=tuple(notes.get(app_id, ())),
            )

        incoming = [
            row(a, latest.get(a.id or 0))
            for a in sorted(recent, key=lambda a: (_utc(a.created_at), a.id or 0))
            if _utc(a.created_at) in period
        ]
        queue = [row(a, latest.get(a.id or 0)) for a in queued]
        decided = [row(a, rec) for rec, a in decided_rows]
        facts = [
            CaseFacts(
                case_id=a.id or 0,
                received_at=_utc(a.created_at),
                sender=a.sender,
                pdf_sha256=a.pdf_sha256,
                signer_name=str(_fields(latest, a).get("signer_name") or ""),
                work_email=str(_fields(latest, a).get("work_email") or ""),
            )
            for a in apps.values()
        ]
        anomalies = find_anomalies(
            facts, new=[c.case_id for c in incoming], focus=queue_ids, voided=voided
        ) + unanswered(suppressed)
        days = daily_counts(
            ((_utc(a.created_at), a.decision) for a in recent), end=period.end, tz=self.tz
        )
        return DigestData(period, now, incoming, decided, queue, anomalies, days)

    # -- rendering ----------------------------------------------------------------------------

    def build(self, data: DigestData) -> DigestMessage:
        from licensebot.mail.chart import decisions_chart

        domain = domain_of(self.settings.smtp.from_address)
        token = uuid.uuid4().hex[:12]
        chart_cid = f"chart.{token}@{domain}"
        inline = [
            InlineImage(
                chart_cid,
                decisions_chart(data.days, title=f"Applications per day, last {CHART_DAYS} days"),
                "png",
                "chart.png",
            )
        ]
        attachments: list[FileAttachment] = []
        images: dict[int, str] = {}
        attached: set[int] = set()
        for c in data.queue[:PAGE_IMAGES_MAX]:
            page = self._first_page(c)
            if page is not None:
                cid = f"case{c.case_id}.{token}@{domain}"
                inline.append(InlineImage(cid, page, "jpeg", f"case-{c.case_id}.jpg"))
                images[c.case_id] = cid
            elif c.pdf_path and _small_file(c.pdf_path):
                attachments.append(
                    FileAttachment(
                        f"case-{c.case_id}-{c.pdf_filename or 'application.pdf'}",
                        Path(c.pdf_path).read_bytes(),
                    )
                )
                attached.add(c.case_id)
        context = digest_context(
            self.settings, data, tz=self.tz, chart_cid=chart_cid, images=images, attached=attached
        )
        text = self.templates.render_one("maintainer.digest.txt", context)
        html = self.templates.render_one("maintainer.digest.html", context)
        end_day = (data.period.end - timedelta(microseconds=1)).astimezone(self.tz)
        csv_name = f"{self.settings.dataset.name}-digest-{end_day:%Y-%m-%d}.csv"
        attachments.insert(0, FileAttachment(csv_name, records_csv(data.decided), "text", "csv"))
        return DigestMessage(
            period=data.period,
            subject=text.subject or f"[{self.settings.dataset.name} licensebot] digest",
            text=text.body,
            html=html.body,
            inline=tuple(inline),
            attachments=tuple(attachments),
            queue_size=len(data.queue),
        )

    def _first_page(self, c: CaseRow) -> bytes | None:
        """The first page as JPEG, drawn once per PDF and kept beside the stored files."""
        from licensebot.reading.pages import PageRenderError, first_page_jpeg

        if not c.pdf_path or not c.pdf_sha256:
            return None
        cached = self.page_cache / c.pdf_sha256[:2] / f"{c.pdf_sha256}.jpg"
        if cached.is_file():
            return cached.read_bytes()
        try:
            page = first_page_jpeg(Path(c.pdf_path).read_bytes())
        except (OSError, PageRenderError) as exc:
            log.warning("digest.page_unavailable", application=c.case_id, error=str(exc))
            return None
        atomic_write(cached, page)
        return page


def last_digest_end(s: Session) -> datetime | None:
    event = s.exec(
        select(Event).where(Event.kind == "digest.sent").order_by(col(Event.id).desc())
    ).first()
    if event is None or "period_end" not in event.data:
        return None
    return _utc(datetime.fromisoformat(str(event.data["period_end"])))


def records_csv(rows: Sequence[CaseRow]) -> bytes:
    return to_csv(
        CSV_HEADER,
        (
            (
                r.case_id,
                r.received_at,
                r.sender,
                r.subject,
                r.decision,
                " ".join(r.reasons),
                r.decided_by,
                r.decided_at,
                r.fields.get("signer_name"),
                r.fields.get("signer_title"),
                r.fields.get("affiliation"),
                r.fields.get("work_email"),
                _members(r.fields),
                r.pdf_filename,
                r.pdf_sha256,
            )
            for r in rows
        ),
    )


#: The form's fields as printed on it, for the maintainers' view of a case.
_LABELS = {f.key: f.label_en for f in FORM_FIELDS}


def desk_address(settings: Settings) -> str:
    """Where a maintainer's review commands go: the bot's From address when the bot reads it,
    else the first mailbox it reads."""
    boxes = [m.address for m in settings.mailbox]
    own = settings.smtp.from_address
    return own if own.lower() in {b.lower() for b in boxes} else boxes[0]


def case_context(
    settings: Settings, c: CaseRow, *, now: datetime, tz: ZoneInfo, pdf: str, image_cid: str = ""
) -> dict[str, Any]:
    """One case as the digest and the case notice show it: plain one-line strings, the reasons
    as codes and as sentences, and the review actions as mailto: links."""

    def when(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def line(text: str) -> str:
        # Applicant text on one line: a newline in a subject or a form field must never put
        # "approve 7" at the start of a line a maintainer's reply might quote without ">".
        return header_text(text, max_len=300)

    fields = [
        {"label": _LABELS[k], "value": line(_value(c.fields.get(k)))}
        for k in FIELD_KEYS
        if k in c.fields
    ]
    members = _members(c.fields)
    if members:
        fields.append({"label": "Members", "value": line(members)})
    actions = case_actions(
        c.case_id,
        to=desk_address(settings),
        subject=f"[{settings.dataset.name} licensebot] case {c.case_id}",
    )
    return {
        "case_id": c.case_id,
        "received": when(c.received_at),
        "age": _age(now - c.received_at),
        "sender": line(c.sender) or "?",
        "subject": line(c.subject),
        "decision": c.decision,
        "reasons": ", ".join(c.reasons) or "none",
        "reason_texts": [{"code": r, "text": description_of(r)} for r in c.reasons],
        "decided_by": c.decided_by,
        "decided_at": when(c.decided_at),
        "fields": fields,
        "notes": [{"who": line(who), "text": line(text)} for who, text in c.notes],
        "pdf": line(pdf),
        "image_cid": image_cid,
        "actions": [{"verb": a.verb, "command": a.command, "href": a.href} for a in actions],
    }


def digest_context(
    settings: Settings,
    data: DigestData,
    *,
    tz: ZoneInfo,
    chart_cid: str,
    images: Mapping[int, str],
    attached: set[int],
) -> dict[str, Any]:
    """Plain strings for the digest templates (the text and the HTML part say the same)."""

    def when(moment: datetime) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def line(text: str) -> str:
        return header_text(text, max_len=300)

    def case(c: CaseRow) -> dict[str, Any]:
        if c.case_id in images:
            pdf = f"{c.pdf_filename or 'PDF'} (first page shown in the HTML part)"
        elif c.case_id in attached:
            pdf = f"{c.pdf_filename or 'PDF'} (attached)"
        elif c.pdf_path:
            pdf = f"{c.pdf_filename or 'PDF'} (see `licensebot review show {c.case_id}`)"
        else:
            pdf = "none"
        return case_context(
            settings,
            c,
            now=data.generated_at,
            tz=tz,
            pdf=pdf,
            image_cid=images.get(c.case_id, ""),
        )

    incoming_counts = Counter(c.decision.value for c in data.incoming)
    days = [
        {
            "day": d.day.strftime("%m-%d"),
            "counts": [d.counts.get(x, 0) for x in DECISIONS],
            "total": d.total,
        }
        for d in data.days
    ]
    return {
        "dataset": settings.dataset.name,
        "case_tag": settings.dataset.case_tag,
        "timezone": settings.schedule.timezone,
        "period_start": when(data.period.start),
        "period_end": when(data.period.end),
        "period_end_day": (data.period.end - timedelta(microseconds=1))
        .astimezone(tz)
        .strftime("%Y-%m-%d"),
        "generated_at": when(data.generated_at),
        "incoming_total": len(data.incoming),
        "incoming_counts": [
            {"decision": d, "n": incoming_counts[d]} for d in DECISIONS if incoming_counts[d]
        ],
        "incoming": [case(c) for c in data.incoming[:LIST_MAX]],
        "incoming_more": max(0, len(data.incoming) - LIST_MAX),
        "decided_total": len(data.decided),
        "decided": [case(c) for c in data.decided[:LIST_MAX]],
        "decided_more": max(0, len(data.decided) - LIST_MAX),
        "queue": [case(c) for c in data.queue],
        "anomalies": [{"kind": a.kind, "summary": line(a.summary)} for a in data.anomalies],
        "decisions": list(DECISIONS),
        "days": days,
        "days_total": [sum(d.counts.get(x, 0) for d in data.days) for x in DECISIONS],
        "chart_cid": chart_cid,
        "page_images_max": PAGE_IMAGES_MAX,
    }


def sample_data(now: datetime | None = None) -> DigestData:
    """A small digest, for the template check at start-up and the tests."""
    now = now or datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    period = Period(now - timedelta(days=1), now)
    case = CaseRow(
        case_id=42,
        received_at=now - timedelta(hours=5),
        sender="san.zhang@example.edu",
        subject="DFME license agreement",
        decision=Decision.REVIEW,
        reasons=("unreadable",),
        fields={
            "signer_name": "San Zhang",
            "affiliation": "Example University",
            "signed": True,
            "members": [{"name": "Si Li", "registered_id": "MEGC-0042"}],
        },
        decided_by="rules",
        decided_at=now - timedelta(hours=5),
        pdf_filename="DFME_License_Agreement_San_Zhang.pdf",
        notes=(("keeper@example.edu", "asked for a better scan"),),
    )
    days = daily_counts([(case.received_at, Decision.REVIEW)], end=now, tz=UTC)
    anomaly = Anomaly("burst", "5 applications from example.edu in this period", (42,))
    return DigestData(period, now, [case], [case], [case], [anomaly], days)


def sample_context(settings: Settings) -> dict[str, Any]:
    data = sample_data()
    return digest_context(
        settings, data, tz=ZoneInfo("UTC"), chart_cid="chart@x", images={42: "c@x"}, attached=set()
    )


def _fields(latest: Mapping[int, DecisionRecord], app: Application) -> Mapping[str, Any]:
    rec = latest.get(app.id or 0)
    return rec.fields if rec else {}


def _members(fields: Mapping[str, Any]) -> str:
    members = fields.get("members") or []
    parts = []
    for m in members if isinstance(members, list) else []:
        if isinstance(m, Mapping):
            rid = m.get("registered_id")
            parts.append(f"{m.get('name') or '?'}" + (f" ({rid})" if rid else ""))
    return "; ".join(parts)


def _value(v: object) -> str:
    if v is None:
        return "(not read)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _age(delta: timedelta) -> str:
    hours = max(0, int(delta.total_seconds() // 3600))
    if hours == 0:
        return "less than 1 h"
    return f"{hours // 24} d" if hours >= 48 else f"{hours} h"


def _small_file(path: str) -> bool:
    try:
        return Path(path).stat().st_size <= PDF_ATTACH_MAX_BYTES
    except OSError:
        return False


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored in UTC); PostgreSQL aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
