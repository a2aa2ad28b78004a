"""LA versions at the desk: publishing a new version (the registry row, its files in
`config/la/`, one change notice per licensee of an older version), the broadcast's progress,
the opt-out and bounce routes, and the daily switch of silent licensees to the new version.

Notices are queued in chunks of `la.notice_chunk`, each one transaction (notice rows and their
outbox rows together); publishing the same text again resumes where a crash stopped and never
queues a second notice for a licensee. Sending is the relay's (rate limit: `la.notices_per_minute`).

A licensee who stays silent is switched by a job (`daily`: at 00:05 in `schedule.timezone`, at
start and on each `poll --once`): from the effective date their `la_version` is the new one,
unless they opted out. The same job tells licensees approved on the older form after the
publication, while the new version is still ahead.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from licensebot.config import Settings
from licensebot.core.la_diff import clause_changes
from licensebot.core.la_policy import PublishedVersion, current_version
from licensebot.core.message import IncomingMessage
from licensebot.core.opt_out import own_text, says_opt_out
from licensebot.mail.compose import (
    FileAttachment,
    compose,
    domain_of,
    new_message_id,
    readdress,
    split_head,
)
from licensebot.reading.dsn import read_delivery_report
from licensebot.store.models import (
    Event,
    InboundMessage,
    InboundState,
    LaNotice,
    LaVersionRecord,
    Licensee,
    NoticeState,
    OutboxMessage,
    utcnow,
)
from licensebot.store.outbox import store_body
from licensebot.worker.replies import ReplyPlan, ReplyWriter

log = structlog.get_logger("licensebot.la")

NOTICE_KIND = "licensee.la_change"
CONFIRM_KIND = "licensee.opt_out_confirmed"
_PLACEHOLDER = ("notice-recipient@invalid", "<notice-message-id@invalid>")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class LaError(Exception):
    """A publication cannot go ahead; the message says what to change."""


@dataclass(frozen=True, slots=True)
class LaText:
    """What the attachment hook gets: the version's id, title and Markdown text."""

    id: str
    title: str
    text: str


#: Turns a version into the file attached to its notices (the Markdown by default; the
#: blank-form PDF renderer can be plugged in by the composition root).
LaAttachment = Callable[[LaText], FileAttachment]


def markdown_attachment(la: LaText) -> FileAttachment:
    return FileAttachment(
        filename=f"DFME_License_Agreement_{la.id}.md",
        data=la.text.encode("utf-8"),
        maintype="text",
        subtype="markdown",
        charset="utf-8",
    )


@dataclass
class PublishReport:
    version: str
    previous: str | None
    new: bool  # False: the version was registered before (a resumed publication)
    queued: int  # notices queued by this call
    total: int  # notices of this version in all
    files_written: list[str] = field(default_factory=list)
    files_problem: str = ""


@dataclass
class Status:
    version: str
    effective: date
    published_at: datetime
    delivery: Counter[str]  # queued, retrying, sent, bounced, failed, unsure
    opted_out: int
    licensees_left: int  # active licensees of an older version without a notice yet

    @property
    def total(self) -> int:
        return sum(self.delivery.values())

    @property
    def done(self) -> int:
        return self.total - self.delivery["queued"] - self.delivery["retrying"]


def delivery_state(notice_state: str, outbox_state: str, attempts: int) -> str:
    """One notice's delivery: a correlated bounce wins over the SMTP server's acceptance."""
    if notice_state == NoticeState.BOUNCED:
        return "bounced"
    if outbox_state == "sent":
        return "sent"
    if outbox_state == "failed":
        return "failed"
    if outbox_state == "ambiguous":
        return "unsure"
    return "retrying" if attempts > 0 and outbox_state == "pending" else "queued"


class LaDesk:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        replies: ReplyWriter,
        attachment: LaAttachment = markdown_attachment,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.replies = replies
        self.attachment = attachment

    def today(self) -> date:
        """The desk's date (`schedule.timezone`): effective dates are days there."""
        return datetime.now(ZoneInfo(self.settings.schedule.timezone)).date()

    @property
    def la_dir(self) -> Path:
        return self.settings.path(self.settings.dataset.la_dir)

    # -- the registry -------------------------------------------------------------------------

    def versions(self) -> list[LaVersionRecord]:
        """Registered versions, oldest first; on first use the ones in `config/la/` are
        registered as they are (no notices: they were in force before the bot)."""
        with Session(self.engine) as s:
            rows = list(s.exec(select(LaVersionRecord)).all())
            if not rows:
                rows = file_versions(self.la_dir)
                s.add_all(rows)
                try:
                    s.commit()
                except IntegrityError:  # another process registered them meanwhile
                    s.rollback()
                    rows = list(s.exec(select(LaVersionRecord)).all())
                for r in rows:
                    s.refresh(r)
            for r in rows:
                s.expunge(r)
        return sorted(rows, key=lambda r: (r.effective, r.published_at))

    def published(self) -> list[PublishedVersion]:
        return [PublishedVersion(r.id, r.effective, r.published_at.date()) for r in self.versions()]

    def required_version(self, on: date) -> str | None:
        """The version a new application must be signed on, on day `on` (see `la` settings)."""
        v = current_version(
            self.published(), on=on, new_applications_from=self.settings.la.new_applications_from
        )
        return v.id if v else None

    # -- publishing ---------------------------------------------------------------------------

    def publish(
        self,
        text: str,
        *,
        effective: date,
        version_id: str | None = None,
        title: str | None = None,
        today: date | None = None,
    ) -> PublishReport:
        today = today or self.today()
        if effective < today:
            raise LaError(
                f"effective date {effective} is in the past: licensees must be told beforehand "
                "(LA section 6); choose a later date"
            )
        version_id = version_id or effective.isoformat()
        if not _ID.match(version_id):
            raise LaError(f"version id {version_id!r}: use letters, digits, '.', '_' or '-'")
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        registered = {r.id: r for r in self.versions()}
        existing = registered.get(version_id)
        if existing is not None and existing.sha256 != sha:
            raise LaError(
                f"version {version_id} is already registered with a different text: "
                "publish the new text under a new --id"
            )
        if existing is None and any(r.sha256 == sha for r in registered.values()):
            same = next(r.id for r in registered.values() if r.sha256 == sha)
            raise LaError(f"this text is already registered as version {same}")
        previous = max(
            (r for r in registered.values() if r.id != version_id),
            key=lambda r: (r.effective, r.published_at),
            default=None,
        )
        if existing is None:
            if previous is not None and effective <= previous.effective:
                raise LaError(
                    f"effective date {effective} is not after version {previous.id}'s "
                    f"({previous.effective})"
                )
            with Session(self.engine) as s:
                s.add(
                    LaVersionRecord(
                        id=version_id,
                        title=title or _title_of(text),
                        effective=effective,
                        sha256=sha,
                        text=text,
                        previous_id=previous.id if previous else None,
                    )
                )
                s.add(
                    Event(
                        kind="la.published",
                        actor="cli",
                        data={
                            "version": version_id,
                            "effective": effective.isoformat(),
                            "sha256": sha,
                            "previous": previous.id if previous else None,
                        },
                    )
                )
                s.commit()
        record = next(r for r in self.versions() if r.id == version_id)
        report = PublishReport(
            version=version_id,
            previous=record.previous_id,
            new=existing is None,
            queued=0,
            total=0,
        )
        try:
            report.files_written = write_version_files(self.la_dir, record)
        except OSError as exc:
            report.files_problem = (
                f"could not write the version into {self.la_dir} ({exc.strerror}): add "
                f"{version_id}.md and its [[version]] entry to versions.toml by hand"
            )
        report.queued = self.queue_notices(version_id)
        with Session(self.engine) as s:
            report.total = int(
                s.exec(
                    select(func.count())
                    .select_from(LaNotice)
                    .where(LaNotice.version_id == version_id)
                ).one()
            )
        return report

    def queue_notices(self, version_id: str) -> int:
        """Queue a notice for every active licensee of another version that has none yet, one
        chunk per transaction; returns how many were queued.

        A notice's text depends only on the version the licensee is leaving, so it is composed
        once per previous version; the part after the header (text and attachment) is stored
        once (`outbox_body`), and each notice holds only its header with its own To and
        Message-ID."""
        versions = {r.id: r for r in self.versions()}
        record = versions[version_id]
        attachment = self.attachment(LaText(record.id, record.title, record.text))
        composed: dict[str, bytes] = {}

        def message_for(prev_id: str) -> tuple[str, bytes]:
            base = versions.get(prev_id) or versions.get(record.previous_id or "")
            key = base.id if base else ""
            if key not in composed:
                changes = [
                    {
                        "label": c.label,
                        "title": c.title,
                        "old_title": c.old_title,
                        "kind": c.kind.value,
                        "diff": list(c.diff),
                    }
                    for c in clause_changes(base.text if base else "", record.text)
                ]
                context = {
                    "dataset": self.settings.dataset.name,
                    "version": record.id,
                    "title": record.title,
                    "effective": record.effective.isoformat(),
                    "previous_version": key,
                    "changes": changes,
                    "attachment_name": attachment.filename,
                }
                composed[key] = self._compose(context, attachment, *_PLACEHOLDER)
            return key, composed[key]

        outbox_t = OutboxMessage.__table__  # type: ignore[attr-defined]
        notice_t = LaNotice.__table__  # type: ignore[attr-defined]
        smtp = self.settings.smtp
        domain = domain_of(smtp.from_address)
        queued = 0
        while True:
            with Session(self.engine) as s:
                noticed = select(LaNotice.licensee_id).where(LaNotice.version_id == version_id)
                batch = s.exec(
                    select(
                        Licensee.id, Licensee.email, Licensee.la_version, Licensee.application_id
                    )
                    .where(
                        Licensee.state == "active",
                        Licensee.la_version != version_id,
                        col(Licensee.id).not_in(noticed),
                    )
                    .order_by(col(Licensee.id))
                    .limit(self.settings.la.notice_chunk)
                ).all()
                if not batch:
                    return queued
                now = utcnow()
                conn = s.connection()
                bodies: dict[str, int] = {}  # previous version -> outbox_body id
                messages, notices = [], []
                for lic_id, email, la_version, app_id in batch:
                    prev, template = message_for(la_version)
                    mid = new_message_id(domain)
                    head, body = split_head(template)
                    raw = readdress(head, to=email, message_id=mid, placeholder=_PLACEHOLDER)
                    body_id: int | None = None
                    if raw is None:  # an address that needs encoding: compose it in full
                        raw = _readdressed(template, email, mid)
                    else:
                        if prev not in bodies:
                            bodies[prev] = store_body(conn, body)
                        body_id = bodies[prev]
                    messages.append(
                        {
                            "idempotency_key": f"la:{version_id}:{lic_id}",
                            "application_id": app_id,
                            "kind": NOTICE_KIND,
                            "message_id": mid,
                            "recipient": email,
                            "envelope_from": smtp.envelope_from or smtp.from_address,
                            "raw": raw,
                            "body_id": body_id,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "created_at": now,
                        }
                    )
                    notices.append(
                        {
                            "version_id": version_id,
                            "licensee_id": lic_id,
                            "previous_version": la_version or prev,
                            "recipient": email,
                            "message_id": mid,
                            "state": NoticeState.QUEUED,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                conn.execute(insert(outbox_t), messages)
                ids = dict(
                    conn.execute(
                        select(outbox_t.c.message_id, outbox_t.c.id).where(
                            outbox_t.c.message_id.in_([m["message_id"] for m in messages])
                        )
                    ).all()
                )
                for n in notices:
                    n["outbox_id"] = ids[n["message_id"]]
                conn.execute(insert(notice_t), notices)
                s.add(
                    Event(
                        kind="la.notices_queued",
                        data={
                            "version": version_id,
                            "notices": len(notices),
                            "licensees": [n["licensee_id"] for n in notices],
                        },
                    )
                )
                s.commit()
                queued += len(notices)
                log.info("la.notices_queued", version=version_id, chunk=len(notices), total=queued)

    def _compose(
        self, context: dict[str, Any], attachment: FileAttachment, to: str, message_id: str
    ) -> bytes:
        smtp = self.settings.smtp
        rendered = self.replies.templates.render(NOTICE_KIND, context)
        return compose(
            from_address=smtp.from_address,
            from_name=smtp.from_name,
            to=to,
            subject=rendered.subject or f"[{self.settings.dataset.case_tag}]",
            body=rendered.body,
            message_id=message_id,
            instance_id=self.settings.dataset.instance_id,
            auto="auto-generated",
            attachments=(attachment,),
        )

    # -- progress -----------------------------------------------------------------------------

    def status(self, version_id: str | None = None) -> Status:
        versions = self.versions()
        if not versions:
            raise LaError("no LA version is registered: `licensebot la publish` one first")
        record = next((v for v in versions if v.id == version_id), None) if version_id else None
        if version_id and record is None:
            raise LaError(f"no version {version_id!r}; `licensebot la list` shows them")
        record = record or versions[-1]
        with Session(self.engine) as s:
            rows = s.exec(
                select(LaNotice.state, OutboxMessage.state, OutboxMessage.attempts, func.count())
                .join(OutboxMessage, col(OutboxMessage.id) == col(LaNotice.outbox_id))
                .where(LaNotice.version_id == record.id)
                .group_by(
                    col(LaNotice.state), col(OutboxMessage.state), col(OutboxMessage.attempts)
                )
            ).all()
            noticed = select(LaNotice.licensee_id).where(LaNotice.version_id == record.id)
            left = s.exec(
                select(func.count())
                .select_from(Licensee)
                .where(
                    Licensee.state == "active",
                    Licensee.la_version != record.id,
                    col(Licensee.id).not_in(noticed),
                )
            ).one()
        delivery: Counter[str] = Counter()
        opted = 0
        for notice_state, outbox_state, attempts, n in rows:
            delivery[delivery_state(notice_state, outbox_state, attempts)] += n
            if notice_state == NoticeState.OPTED_OUT:
                opted += n
        return Status(record.id, record.effective, record.published_at, delivery, opted, int(left))

    # -- the daily job -------------------------------------------------------------------------

    def daily(self, today: date | None = None) -> None:
        """Licensees approved on an older form since a publication get their notice while the
        new version is still ahead; licensees of a version now in force are moved to it."""
        today = today or self.today()
        for v in self.versions():
            if v.previous_id is not None and v.effective > today:
                self.queue_notices(v.id)
        self.apply_effective(today)

    # -- silent licensees ---------------------------------------------------------------------

    def apply_effective(self, today: date | None = None) -> int:
        """Licensees notified of a version now in force, who did not opt out, are on it."""
        today = today or self.today()
        moved = 0
        for v in self.versions():
            if v.effective > today:
                continue
            with Session(self.engine) as s:
                notified = select(LaNotice.licensee_id).where(
                    LaNotice.version_id == v.id, LaNotice.state != NoticeState.OPTED_OUT
                )
                result = s.exec(
                    update(Licensee)
                    .where(
                        col(Licensee.id).in_(notified),
                        col(Licensee.state) == "active",
                        col(Licensee.la_version) != v.id,
                    )
                    .values(la_version=v.id, updated_at=utcnow())
                )
                n = int(result.rowcount or 0)
                if n:
                    s.add(
                        Event(
                            kind="la.in_force",
                            data={"version": v.id, "licensees": n, "on": today.isoformat()},
                        )
                    )
                s.commit()
            moved += n
            if n:
                log.info("la.in_force", version=v.id, licensees=n)
        return moved

    # -- replies to notices -------------------------------------------------------------------

    def notice_for(self, s: Session, msg: IncomingMessage) -> LaNotice | None:
        """The notice `msg` answers: by threading (In-Reply-To / References), else the newest
        notice to the sender's address whose licence is still active."""
        refs = [r for r in (msg.in_reply_to, *msg.references) if r]
        if refs:
            hit = s.exec(select(LaNotice).where(col(LaNotice.message_id).in_(refs))).first()
            if hit is not None:
                return hit
        if not msg.from_address:
            return None
        return s.exec(
            select(LaNotice)
            .join(Licensee, col(Licensee.id) == col(LaNotice.licensee_id))
            .where(
                func.lower(LaNotice.recipient) == msg.from_address.lower(),
                Licensee.state == "active",
            )
            .order_by(col(LaNotice.id).desc())
        ).first()


@dataclass
class OptOutRoute:
    """A licensee's answer to a change notice that says OPT OUT: the licence is void, the
    evidence recorded, the opt-out confirmed in the same thread."""

    desk: LaDesk
    name: str = "la.opt_out"

    def claims(self, msg: IncomingMessage) -> bool:
        if msg.is_auto_generated or not says_opt_out(msg.text, msg.subject):
            return False
        with Session(self.desk.engine) as s:
            notice = self.desk.notice_for(s, msg)
        if notice is None:
            return False
        threaded = notice.message_id in (msg.in_reply_to, *msg.references)
        # Outside the thread the From address is all there is: not when it failed DMARC.
        return threaded or msg.auth != "fail"

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]:
        settings = self.desk.settings
        with Session(self.desk.engine) as s:
            notice = self.desk.notice_for(s, msg)
            inbound = s.get(InboundMessage, inbound_id)
            assert notice is not None and inbound is not None
            lic = s.get(Licensee, notice.licensee_id)
            assert lic is not None
            evidence = {
                "inbound_id": inbound_id,
                "message_id": msg.message_id,
                "from": msg.from_address,
                "auth": str(msg.auth),
                "threaded": notice.message_id in (msg.in_reply_to, *msg.references),
                "text": own_text(msg.text)[:5],
                "notice_id": notice.id,
                "version": notice.version_id,
            }
            if lic.state == "active":
                lic.state = "voided"
                lic.updated_at = utcnow()
                s.add(lic)
                notice.state = NoticeState.OPTED_OUT
                notice.detail = " / ".join(own_text(msg.text)[:2])[:500] or msg.subject[:200]
                notice.updated_at = utcnow()
                s.add(notice)
                s.add(
                    Event(
                        kind="licensee.voided",
                        actor=msg.from_address or "licensee",
                        application_id=lic.application_id,
                        data={**evidence, "licensee_id": lic.id, "why": "opted out of new LA"},
                    )
                )
                context = {
                    "dataset": settings.dataset.name,
                    "name": lic.name,
                    "version": notice.version_id,
                    "voided_on": utcnow().date().isoformat(),
                }
                self.desk.replies.queue(
                    s,
                    ReplyPlan(CONFIRM_KIND, msg.from_address or lic.email, context),
                    key=f"optout:{lic.id}",
                    application_id=lic.application_id,
                    in_reply_to=msg,
                )
            else:
                s.add(
                    Event(
                        kind="licensee.opt_out_repeated",
                        application_id=lic.application_id,
                        data={**evidence, "licensee_id": lic.id, "state": lic.state},
                    )
                )
            inbound.state = InboundState.PROCESSED
            inbound.from_address = msg.from_address
            inbound.subject = msg.subject[:500]
            inbound.application_id = lic.application_id
            s.add(inbound)
            s.commit()
            log.info("licensee.voided", licensee=lic.id, version=notice.version_id)
            return InboundState.PROCESSED, lic.application_id


@dataclass
class BounceRoute:
    """Delivery reports: a permanent failure correlated to a notice marks it bounced; a delay
    is noted; anything else is recorded. A bounce is never answered."""

    desk: LaDesk
    name: str = "la.bounce"

    def claims(self, msg: IncomingMessage) -> bool:
        return msg.is_bounce

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]:
        with Session(self.desk.engine) as s:
            inbound = s.get(InboundMessage, inbound_id)
            assert inbound is not None
            # a message over the reader's caps is not parsed here either (see reading/mime.py)
            raw = b"" if msg.over_limits else Path(inbound.raw_path).read_bytes()
            report = read_delivery_report(raw) if raw else None
            ids = list(report.original_message_ids) if report else []
            refs = ids or [r for r in (msg.in_reply_to, *msg.references) if r]
            notice = (
                s.exec(select(LaNotice).where(col(LaNotice.message_id).in_(refs))).first()
                if refs
                else None
            )
            statuses = [
                {"recipient": r.recipient, "action": r.action, "status": r.status}
                for r in (report.recipients if report else ())
            ]
            data: dict[str, Any] = {
                "inbound_id": inbound_id,
                "original_message_ids": ids[:5],
                "recipients": statuses[:10],
            }
            app_id: int | None = None
            if notice is None:
                sent = (
                    s.exec(
                        select(OutboxMessage).where(col(OutboxMessage.message_id).in_(refs))
                    ).first()
                    if refs
                    else None
                )
                if sent is not None:
                    data |= {"outbox_id": sent.id, "kind": sent.kind}
                    app_id = sent.application_id
                s.add(Event(kind="bounce.received", application_id=app_id, data=data))
            elif report is not None and report.permanent:
                first = next(r for r in report.recipients if r.permanent)
                notice.state = NoticeState.BOUNCED
                notice.detail = f"{first.status} {first.diagnostic}".strip()[:500]
                notice.updated_at = utcnow()
                s.add(notice)
                s.add(
                    Event(
                        kind="la.notice_bounced",
                        data={**data, "notice_id": notice.id, "version": notice.version_id},
                    )
                )
            else:
                kind = "la.notice_delayed" if report and report.delayed else "bounce.received"
                s.add(Event(kind=kind, data={**data, "notice_id": notice.id}))
            inbound.state = InboundState.PROCESSED
            inbound.from_address = msg.from_address
            inbound.subject = msg.subject[:500]
            inbound.application_id = app_id
            s.add(inbound)
            s.commit()
        log.info("bounce.recorded", inbound_id=inbound_id, notice=notice.id if notice else None)
        return InboundState.PROCESSED, app_id


# -- config/la/ ----------------------------------------------------------------------------------

VERSIONS_FILE = "versions.toml"
_VERSIONS_HEADER = """\
# Registered versions of the DFME License Agreement, oldest first.
# `id` is what `form_version` reports; `effective` is the day the version took effect;
# `file` is its text (Markdown, as published). `licensebot la publish` appends here.
"""


def file_versions(directory: Path) -> list[LaVersionRecord]:
    """The versions in `config/la/`: `versions.toml` with `[[version]]` entries (id, effective,
    title, file), or one directory per version with `LA.md` and `meta.toml` (id, effective,
    title). Entries that cannot be read are skipped: the database is the registry."""
    out: dict[str, LaVersionRecord] = {}

    def add(vid: object, effective: object, title: object, text_file: Path) -> None:
        if not isinstance(effective, date) or not text_file.is_file() or not vid:
            log.warning("la.file_skipped", file=str(text_file))
            return
        text = text_file.read_text(encoding="utf-8")
        out[str(vid)] = LaVersionRecord(
            id=str(vid),
            title=str(title or _title_of(text)),
            effective=effective,
            published_at=datetime(effective.year, effective.month, effective.day, tzinfo=UTC),
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            text=text,
        )

    index = directory / VERSIONS_FILE
    if index.is_file():
        try:
            entries = tomllib.loads(index.read_text(encoding="utf-8")).get("version", [])
        except tomllib.TOMLDecodeError:
            entries = []
        for e in entries:
            add(e.get("id"), e.get("effective"), e.get("title"), directory / str(e.get("file")))
    for meta in sorted(directory.glob("*/meta.toml")) if directory.is_dir() else []:
        try:
            m = tomllib.loads(meta.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue
        if str(m.get("id", meta.parent.name)) not in out:
            add(
                m.get("id", meta.parent.name),
                m.get("effective"),
                m.get("title"),
                meta.parent / "LA.md",
            )
    return list(out.values())


def write_version_files(directory: Path, v: LaVersionRecord) -> list[str]:
    """`<id>.md` and a `[[version]]` entry in `versions.toml` (the reading layer's layout);
    nothing is rewritten that is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    text_file = directory / f"{v.id}.md"
    if not text_file.exists():
        text_file.write_text(v.text, encoding="utf-8")
        written.append(str(text_file))
    index = directory / VERSIONS_FILE
    current = index.read_text(encoding="utf-8") if index.exists() else _VERSIONS_HEADER
    known = tomllib.loads(current).get("version", [])
    if not any(str(e.get("id")) == v.id for e in known):
        entry = (
            f"\n[[version]]\nid = {_toml_str(v.id)}\neffective = {v.effective.isoformat()}\n"
            f"title = {_toml_str(v.title)}\nfile = {_toml_str(text_file.name)}\n"
        )
        index.write_text(current.rstrip("\n") + "\n" + entry, encoding="utf-8")
        written.append(str(index))
    return written


def _readdressed(template: bytes, to: str, message_id: str) -> bytes:
    """`readdress` for addresses that need encoding: parse and regenerate the headers."""
    msg = email.message_from_bytes(template, policy=email.policy.default)
    del msg["To"]
    del msg["Message-ID"]
    msg["To"] = to
    msg["Message-ID"] = message_id
    return msg.as_bytes(policy=email.policy.SMTP)


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _title_of(text: str) -> str:
    for line in text.splitlines():
        m = re.match(r"^#{1,3}\s+(.+?)\s*$", line)
        if m:
            return m.group(1).replace("**", "").strip()[:200]
    return ""


def notice_counts(engine: Engine, version_id: str) -> dict[str, int]:
    """Notices of a version by stored state (queued, bounced, opted_out)."""
    with Session(engine) as s:
        rows = s.exec(
            select(LaNotice.state, func.count())
            .where(LaNotice.version_id == version_id)
            .group_by(LaNotice.state)
        ).all()
    return {str(k): int(n) for k, n in rows}
