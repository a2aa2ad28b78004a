"""The LA desk: the registry of versions, publishing a new one (the registry row, its files in
`config/la/` (`la_files`), one change notice per licensee of an older version (`la_notices`)),
the broadcast's progress, and the daily switch of silent licensees to the new version. The
answers to notices have their own routes (`opt_out`, `bounces`). Sending is the relay's (rate
limit: `la.notices_per_minute`).

A licensee who stays silent is switched by a job (`daily`: at 00:05 in `schedule.timezone`, at
start and on each `poll --once`): from the effective date their `la_version` is the new one,
unless they opted out. The same job tells licensees approved on the older form after the
publication, while the new version is still ahead.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from licensebot.config import Settings
from licensebot.core.la_policy import PublishedVersion, current_version
from licensebot.core.message import IncomingMessage
from licensebot.errors import LicensebotError
from licensebot.store.locks import exclusive
from licensebot.store.models import (
    Event,
    LaNotice,
    LaVersionRecord,
    LicenceState,
    Licensee,
    NoticeState,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from licensebot.worker.la_files import file_versions, title_of, unwritable, write_version_files
from licensebot.worker.la_notices import (
    NOTICE_KIND,
    LaAttachment,
    awaiting_notice,
    markdown_attachment,
    notice_context,
    queue_notices,
)
from licensebot.worker.replies import ReplyWriter

log = structlog.get_logger("licensebot.la")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class LaError(LicensebotError):
    """A publication cannot go ahead; the message says what to change."""


@dataclass
class PublishReport:
    version: str
    previous: str | None
    new: bool  # False: the version was registered before (a resumed publication)
    queued: int  # notices queued by this call
    total: int  # notices of this version in all
    files_written: list[str] = field(default_factory=list)


@dataclass
class Preview:
    """`la publish --dry-run`: what publishing would do."""

    version: str
    previous: str | None
    new: bool
    notices: int  # notices it would queue now
    by_previous: Counter[str]  # ... by the version each licensee is on
    sample_subject: str
    sample_body: str
    attachment: str


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


def delivery_state(notice_state: NoticeState, outbox_state: OutboxState, attempts: int) -> str:
    """One notice's delivery: a correlated bounce wins over the SMTP server's acceptance."""
    if notice_state is NoticeState.BOUNCED:
        return "bounced"
    if outbox_state is OutboxState.SENT:
        return "sent"
    if outbox_state is OutboxState.FAILED:
        return "failed"
    if outbox_state is OutboxState.AMBIGUOUS:
        return "unsure"
    pending = outbox_state is OutboxState.PENDING
    return "retrying" if attempts > 0 and pending else "queued"


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

    def _checked(
        self, text: str, effective: date, version_id: str | None, today: date | None
    ) -> tuple[str, str, LaVersionRecord | None, LaVersionRecord | None]:
        """The version id, the text's hash, the version already registered under that id
        (a resumed publication) and the one before it; LaError when it cannot go ahead."""
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
        if existing is None and previous is not None and effective <= previous.effective:
            raise LaError(
                f"effective date {effective} is not after version {previous.id}'s "
                f"({previous.effective})"
            )
        # The readers know the versions in config/la/: a version registered in the database
        # but not there would be required of applicants while no form could be read as it.
        problem = unwritable(self.la_dir, version_id)
        if problem:
            raise LaError(
                f"cannot publish: {problem}, and the new version must be written there as well "
                f"as registered (nothing was registered or queued). Run `licensebot la publish` "
                f"where the config directory is writable (the compose deploy mounts it "
                f"read-only: for this one run, mount it without `:ro`), then restart the worker"
            )
        return version_id, sha, existing, previous

    def preview(
        self,
        text: str,
        *,
        effective: date,
        version_id: str | None = None,
        title: str | None = None,
        today: date | None = None,
    ) -> Preview:
        """What `publish` would do, doing nothing: the notices it would queue, by the version
        each licensee leaves, and one of them rendered."""
        version_id, sha, existing, previous = self._checked(text, effective, version_id, today)
        record = existing or LaVersionRecord(
            id=version_id,
            title=title or title_of(text),
            effective=effective,
            sha256=sha,
            text=text,
            previous_id=previous.id if previous else None,
        )
        with Session(self.engine) as s:
            rows = s.exec(
                select(Licensee.la_version, func.count())
                .where(*awaiting_notice(version_id))
                .group_by(col(Licensee.la_version))
            ).all()
        by_previous = Counter({str(v or "?"): int(n) for v, n in rows})
        base = previous
        if by_previous:
            first = by_previous.most_common(1)[0][0]
            base = next((r for r in self.versions() if r.id == first), previous)
        name = f"{self.settings.dataset.file_prefix}{version_id}.pdf"
        rendered = self.replies.templates.render(
            NOTICE_KIND, notice_context(self.settings, record, base, name)
        )
        return Preview(
            version=version_id,
            previous=record.previous_id,
            new=existing is None,
            notices=sum(by_previous.values()),
            by_previous=by_previous,
            sample_subject=rendered.subject or "",
            sample_body=rendered.body,
            attachment=name,
        )

    def publish(
        self,
        text: str,
        *,
        effective: date,
        version_id: str | None = None,
        title: str | None = None,
        today: date | None = None,
        on_chunk: Callable[[int], None] = lambda queued: None,
    ) -> PublishReport:
        """Register the version (its files in config/la/ first, then the database) and queue
        its notices; refused before anything is registered when config/la/ cannot be written.
        `on_chunk` hears the count of notices queued so far."""
        version_id, sha, existing, previous = self._checked(text, effective, version_id, today)
        pending = existing or LaVersionRecord(
            id=version_id,
            title=title or title_of(text),
            effective=effective,
            sha256=sha,
            text=text,
            previous_id=previous.id if previous else None,
        )
        try:
            files_written = write_version_files(self.la_dir, pending)
        except OSError as exc:
            raise LaError(
                f"could not write version {version_id} into {self.la_dir} ({exc.strerror}): "
                "nothing was registered or queued"
            ) from None
        if existing is None:
            with Session(self.engine) as s:
                s.add(pending)
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
            files_written=files_written,
        )
        report.queued = self.queue_notices(version_id, on_chunk=on_chunk)
        with Session(self.engine) as s:
            report.total = int(
                s.exec(
                    select(func.count())
                    .select_from(LaNotice)
                    .where(LaNotice.version_id == version_id)
                ).one()
            )
        return report

    def awaiting(self, version_id: str) -> int:
        """Licensees still to be told of `version_id` (the size of the broadcast to come)."""
        with Session(self.engine) as s:
            return int(
                s.exec(
                    select(func.count()).select_from(Licensee).where(*awaiting_notice(version_id))
                ).one()
            )

    def queue_notices(
        self, version_id: str, *, on_chunk: Callable[[int], None] = lambda queued: None
    ) -> int:
        """Queue the change notices of `version_id` not queued yet (`la_notices`). One queuer
        per version at a time (a worker's daily job, another worker's, `la publish`): the
        second waits, then finds nothing left to queue."""
        with exclusive(self.engine, f"la-notices:{version_id}"):
            return queue_notices(
                self.engine,
                self.settings,
                templates=self.replies.templates,
                versions={r.id: r for r in self.versions()},
                version_id=version_id,
                attachment=self.attachment,
                on_chunk=on_chunk,
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
            left = s.exec(
                select(func.count()).select_from(Licensee).where(*awaiting_notice(record.id))
            ).one()
        delivery: Counter[str] = Counter()
        opted = 0
        for notice_state, outbox_state, attempts, n in rows:
            delivery[
                delivery_state(NoticeState(notice_state), OutboxState(outbox_state), attempts)
            ] += n
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
                        col(Licensee.state) == LicenceState.ACTIVE,
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
                Licensee.state == LicenceState.ACTIVE,
            )
            .order_by(col(LaNotice.id).desc())
        ).first()
