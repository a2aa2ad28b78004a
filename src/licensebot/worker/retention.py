"""Carrying out the retention policy: the daily purge (`core.retention.plan` over what the
database holds, then each step in its own small transaction with its event) and the erasure of
one licensee on request. Events name rows and counts, never a name or an address.

A file is unlinked only when no remaining row names it (blobs are content-addressed: the same
PDF sent twice is one file).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, delete, func, or_, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from licensebot.config import Mailbox
from licensebot.config import Retention as RetentionSettings
from licensebot.core.reasons import Decision
from licensebot.core.retention import (
    CaseFacts,
    LicenceFacts,
    Loose,
    Policy,
    PurgePlan,
    plan,
    stripped_rules,
)
from licensebot.errors import LicensebotError
from licensebot.mail.sources import MailSession
from licensebot.store.models import (
    Application,
    DecisionRecord,
    Event,
    InboundMessage,
    InboundState,
    LaNotice,
    LicenceState,
    Licensee,
    OutboxMessage,
    OutboxState,
    utcnow,
)

log = structlog.get_logger("licensebot.retention")

#: Outbox rows whose text is no longer needed: the relay is done with them.
DONE = (OutboxState.SENT, OutboxState.FAILED, OutboxState.AMBIGUOUS)
CHUNK = 200  # cases per transaction


class NoSuchLicensee(LicensebotError):
    """The licensee id given is not in the database."""


def policy_of(settings: RetentionSettings) -> Policy:
    return Policy(
        raw_mail_days=settings.raw_mail_days,
        pdf_days=settings.pdf_days,
        rejected_days=settings.rejected_days,
        ignored_days=settings.ignored_days,
        ended_licence_days=settings.ended_licence_days,
        licensee_keeps=frozenset(settings.licensee_keeps),
    )


@dataclass
class PurgeResult:
    plan: PurgePlan
    files: int = 0  # files unlinked
    removed_from_mailboxes: int = 0  # messages deleted from the bot's folders on the server
    events: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass
class ErasureResult:
    licensee: int
    case: int
    cases_deleted: int
    files: int


OpenSession = Callable[[Mailbox], AbstractContextManager[MailSession]]


class MailboxUnreachable(LicensebotError):
    """The purge could not delete from a mailbox; nothing was removed, it runs again later."""


class Retention:
    def __init__(
        self,
        *,
        settings: RetentionSettings,
        engine: Engine,
        mailboxes: Sequence[Mailbox] = (),
        open_session: OpenSession | None = None,
        page_cache: Path | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.policy = policy_of(settings)
        self.engine = engine
        # the bot's own folders on the server, where the raw mail has its other copy
        self.mailboxes = [m for m in mailboxes if m.after == "move"] if settings.mailbox else []
        self.open_session = open_session
        self.page_cache = page_cache  # the digest's first-page images (personal data too)
        self.now = now
        self._files: set[str] = set()  # files the step in progress no longer needs

    # -- what is due --------------------------------------------------------------------------

    def plan(self, now: datetime | None = None) -> PurgePlan:
        now = now or self.now()
        with Session(self.engine) as s:
            licences = [
                LicenceFacts(lic_id or 0, app_id, str(state), _aware(since))
                for lic_id, app_id, state, since in s.exec(
                    select(
                        Licensee.id, Licensee.application_id, Licensee.state, Licensee.updated_at
                    )
                ).all()
            ]
            state_of = {lic.case: lic.state for lic in licences}
            cases = [
                CaseFacts(
                    case=app_id,
                    decision=decision,
                    decided_at=_aware(updated),
                    raw_purged=purged is not None,
                    has_pdf=bool(pdf),
                    licence=state_of.get(app_id),
                )
                for app_id, decision, updated, purged, pdf in s.execute(
                    sa_select(
                        col(Application.id),
                        col(Application.decision),
                        col(Application.updated_at),
                        col(Application.purged_at),
                        col(Application.pdf_path),
                    )
                ).all()
            ]
            loose_messages = [
                Loose(i or 0, _aware(at))
                for i, at in s.exec(
                    select(InboundMessage.id, InboundMessage.received_at).where(
                        col(InboundMessage.application_id).is_(None),
                        InboundMessage.state != InboundState.RECEIVED,
                        or_(
                            col(InboundMessage.raw_path) != "",
                            col(InboundMessage.from_address).is_not(None),
                        ),
                    )
                ).all()
            ]
            loose_replies = [
                Loose(i or 0, _aware(at))
                for i, at in s.exec(
                    select(OutboxMessage.id, OutboxMessage.created_at).where(
                        col(OutboxMessage.application_id).is_(None),
                        col(OutboxMessage.state).in_(DONE),
                        func.length(OutboxMessage.raw) > 0,
                    )
                ).all()
            ]
        return plan(
            cases,
            licences,
            policy=self.policy,
            now=now,
            loose_messages=loose_messages,
            loose_replies=loose_replies,
        )

    # -- the purge ----------------------------------------------------------------------------

    def purge(self, now: datetime | None = None) -> PurgeResult:
        """Everything due at `now`, each step recorded as an event without personal data."""
        p = self.plan(now)
        result = PurgeResult(p)
        at = p.at or self.now()
        with Session(self.engine) as s:
            on_server = _message_ids(
                s,
                cases=[*p.raw, *(c for c, _ in p.delete), *_cases_of(s, p.tombstone)],
                inbound=p.loose_messages,
            )
        result.removed_from_mailboxes = self._remove_from_mailboxes(on_server)
        steps: list[tuple[Sequence[Any], Callable[[Session, Sequence[Any], datetime], int]]] = [
            (p.delete, self._delete_cases),
            (p.tombstone, self._tombstones),
            (p.raw, self._raw),
            (p.pdf, self._pdf),
        ]
        for items, step in steps:
            for start in range(0, len(items), CHUNK):
                chunk = items[start : start + CHUNK]
                with Session(self.engine) as s:
                    self._files = set()
                    result.events += step(s, chunk, at)
                    s.commit()
                result.files += _unlink_unreferenced(
                    self.engine, page_cache=self.page_cache, files=self._files
                )
        if p.loose_messages or p.loose_replies:
            with Session(self.engine) as s:
                files = self._loose(s, p.loose_messages, p.loose_replies, at)
                result.events += 1
                s.commit()
            result.files += _unlink_unreferenced(
                self.engine, page_cache=self.page_cache, files=files
            )
        log.info("retention.purged", **{k.replace(" ", "_"): v for k, v in p.counts().items()})
        return result

    def _remove_from_mailboxes(self, message_ids: dict[str, list[str]]) -> int:
        """Delete the messages from the bot's folders on the server first: if a mailbox
        cannot be reached, nothing is removed here either and the next run tries again."""
        if self.open_session is None:
            return 0
        gone = 0
        for box in self.mailboxes:
            ids = message_ids.get(box.name, [])
            if not ids:
                continue
            try:
                with self.open_session(box) as session:
                    for folder in (box.processed_folder, box.failed_folder):
                        gone += session.remove(folder, ids)
            except Exception as exc:
                raise MailboxUnreachable(
                    f"retention purge: mailbox {box.name} ({box.host or box.path}): {exc}; "
                    "nothing was purged, the next run tries again"
                ) from exc
        return gone

    def _unlink(self, files: Iterable[str]) -> int:
        return _unlink_unreferenced(self.engine, files=files, page_cache=self.page_cache)

    def _event(self, s: Session, what: str, at: datetime, **data: Any) -> None:
        s.add(Event(kind="retention.purged", at=at, data={"what": what, **data}))

    def _raw(self, s: Session, cases: Sequence[int], at: datetime) -> int:
        """The cases' raw mail and every copy of what the applicants wrote, except what a
        living licence keeps."""
        ids = list(cases)
        paths = s.exec(
            select(InboundMessage.application_id, InboundMessage.raw_path).where(
                col(InboundMessage.application_id).in_(ids)
            )
        ).all()
        self._files |= {p for _, p in paths if p}
        messages = Counter(a for a, p in paths if p)
        s.execute(
            update(InboundMessage)
            .where(col(InboundMessage.application_id).in_(ids))
            .values(raw_path="", from_address=None, subject="", error=None)
        )
        s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.application_id).in_(ids), col(OutboxMessage.state).in_(DONE))
            .values(raw=b"", recipient="", last_error=None, smtp_response=None)
        )
        approved = set(
            s.exec(
                select(Application.id).where(
                    col(Application.id).in_(ids), Application.decision == Decision.APPROVE
                )
            ).all()
        )
        kept = self.policy.kept_fields()
        records = select(DecisionRecord).where(col(DecisionRecord.application_id).in_(ids))
        for record in s.exec(records):
            record.rule_results = stripped_rules(record.rule_results)
            if record.application_id in approved:
                record.fields = {k: v for k, v in record.fields.items() if k in kept}
            s.add(record)
        cleared = self.policy.cleared_columns()
        if cleared:
            s.execute(
                update(Licensee)
                .where(
                    col(Licensee.application_id).in_(ids),
                    col(Licensee.state) == LicenceState.ACTIVE,
                )
                .values({c: [] if c == "members" else "" for c in cleared})
            )
        s.execute(
            update(Application).where(col(Application.id).in_(ids)).values(subject="", purged_at=at)
        )
        for case in ids:
            self._event(s, "raw_mail", at, application_id=case, messages=messages[case])
        return len(ids)

    def _pdf(self, s: Session, cases: Sequence[int], at: datetime) -> int:
        ids = list(cases)
        found = s.exec(
            select(Application.id, Application.pdf_path).where(
                col(Application.id).in_(ids), col(Application.pdf_path).is_not(None)
            )
        ).all()
        self._files |= {p for _, p in found if p}
        # the file name goes too: it carries the signer's name
        s.execute(
            update(Application)
            .where(col(Application.id).in_([i for i, _ in found]))
            .values(pdf_path=None, pdf_filename=None)
        )
        for case, _ in found:
            self._event(s, "pdf", at, application_id=case)
        return len(found)

    def _delete_cases(self, s: Session, items: Sequence[tuple[int, Decision]], at: datetime) -> int:
        ids = [case for case, _ in items]
        self._files |= _files_of(s, ids)
        s.execute(delete(OutboxMessage).where(col(OutboxMessage.application_id).in_(ids)))
        s.execute(delete(InboundMessage).where(col(InboundMessage.application_id).in_(ids)))
        s.execute(delete(DecisionRecord).where(col(DecisionRecord.application_id).in_(ids)))
        s.execute(delete(Application).where(col(Application.id).in_(ids)))
        for case, decision in items:
            self._event(s, "case", at, application_id=case, decision=decision.value)
        return len(items)

    def _tombstones(self, s: Session, licensees: Sequence[int], at: datetime) -> int:
        for licensee in licensees:
            files, _ = _erase(s, licensee, at, other_cases=False)
            self._files |= files
            self._event(s, "licence", at, licensee_id=licensee)
        return len(licensees)

    def _loose(
        self, s: Session, messages: Sequence[int], replies: Sequence[int], at: datetime
    ) -> set[str]:
        files: set[str] = set()
        for start in range(0, len(messages), 500):
            chunk = list(messages[start : start + 500])
            rows = s.exec(select(InboundMessage).where(col(InboundMessage.id).in_(chunk))).all()
            for row in rows:
                if row.raw_path:
                    files.add(row.raw_path)
                row.raw_path, row.from_address, row.subject, row.error = "", None, "", None
                s.add(row)
        for start in range(0, len(replies), 500):
            chunk = list(replies[start : start + 500])
            s.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id).in_(chunk))
                .values(raw=b"", recipient="", last_error=None, smtp_response=None)
            )
        self._event(s, "loose", at, messages=len(messages), replies=len(replies))
        return files

    # -- erasure on request -------------------------------------------------------------------

    def erase(self, licensee: int, *, actor: str) -> ErasureResult:
        """Void the licence (if it lives) and keep a tombstone: the licensee's id, case, LA
        version, dates and state. Everything else about the person goes: the licence's details,
        the case's messages, PDF, form fields and replies, and their other cases without a
        licence (deleted)."""
        at = self.now()
        with Session(self.engine) as s:
            lic = s.get(Licensee, licensee)
            if lic is None:
                raise NoSuchLicensee(
                    f"there is no licensee {licensee}: `licensebot licensee show EMAIL` finds "
                    "the id"
                )
            case = lic.application_id
            was = lic.state
            others = _other_cases(s, lic)
            on_server = _message_ids(s, cases=[case, *others], inbound=())
        self._remove_from_mailboxes(on_server)
        with Session(self.engine) as s:
            files, deleted = _erase(s, licensee, at, other_cases=True)
            if was is LicenceState.ACTIVE:
                s.add(
                    Event(
                        kind="licensee.voided",
                        at=at,
                        actor=actor,
                        application_id=case,
                        data={"licensee_id": licensee, "why": "erasure request"},
                    )
                )
            s.add(
                Event(
                    kind="licensee.erased",
                    at=at,
                    actor=actor,
                    application_id=case,
                    data={"licensee_id": licensee, "was": str(was), "cases_deleted": deleted},
                )
            )
            s.commit()
        n = self._unlink(files)
        log.info("licensee.erased", licensee=licensee, case=case, cases_deleted=deleted)
        return ErasureResult(licensee, case, deleted, n)


# -- steps on rows (the caller's transaction) -------------------------------------------------


def _erase(s: Session, licensee: int, at: datetime, *, other_cases: bool) -> tuple[set[str], int]:
    """The tombstone of one licence and the case that granted it; with `other_cases`, the
    person's other cases that granted no licence are deleted."""
    lic = s.get(Licensee, licensee)
    if lic is None:
        return set(), 0
    others = _other_cases(s, lic) if other_cases else []
    case = lic.application_id
    lic.state = LicenceState.ERASED
    lic.name = lic.title = lic.affiliation = lic.email = ""
    lic.members = []
    lic.updated_at = at
    s.add(lic)
    files = _clear_messages(s, case) | _case_files(s, case)
    _clear_replies(s, case, every=True)
    for notice in s.exec(select(LaNotice).where(LaNotice.licensee_id == licensee)):
        notice.recipient, notice.detail = "", None
        s.add(notice)
        _cancel_pending(s, col(OutboxMessage.id) == notice.outbox_id)
        s.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == notice.outbox_id)
            .values(raw=b"", recipient="")
        )
    for record in s.exec(select(DecisionRecord).where(DecisionRecord.application_id == case)):
        record.fields = {}
        record.rule_results = stripped_rules(record.rule_results)
        s.add(record)
    app = s.get(Application, case)
    if app is not None:
        app.sender, app.subject, app.pdf_path, app.pdf_filename = None, "", None, None
        app.purged_at = at
        s.add(app)
    if others:
        files |= _files_of(s, others)
        s.execute(delete(OutboxMessage).where(col(OutboxMessage.application_id).in_(others)))
        s.execute(delete(InboundMessage).where(col(InboundMessage.application_id).in_(others)))
        s.execute(delete(DecisionRecord).where(col(DecisionRecord.application_id).in_(others)))
        s.execute(delete(Application).where(col(Application.id).in_(others)))
    return files, len(others)


def _other_cases(s: Session, lic: Licensee) -> list[int]:
    """The person's cases that granted no licence (by the licence's and the case's address)."""
    app = s.get(Application, lic.application_id)
    addresses = [a for a in {lic.email, app.sender if app else None} if a]
    if not addresses:
        return []
    licensed = select(Licensee.application_id)
    return [
        i or 0
        for i in s.exec(
            select(Application.id).where(
                col(Application.sender).in_(addresses), col(Application.id).not_in(licensed)
            )
        ).all()
    ]


def _cases_of(s: Session, licensees: Sequence[int]) -> list[int]:
    if not licensees:
        return []
    return list(
        s.exec(select(Licensee.application_id).where(col(Licensee.id).in_(list(licensees)))).all()
    )


def _message_ids(
    s: Session, *, cases: Sequence[int], inbound: Sequence[int]
) -> dict[str, list[str]]:
    """The Message-IDs of the cases' and these messages' copies, by mailbox."""
    out: dict[str, list[str]] = {}
    rows: list[tuple[str, str | None]] = []
    for start in range(0, len(cases), 500):
        chunk = list(cases[start : start + 500])
        rows += s.exec(
            select(InboundMessage.mailbox, InboundMessage.message_id).where(
                col(InboundMessage.application_id).in_(chunk)
            )
        ).all()
    for start in range(0, len(inbound), 500):
        chunk = list(inbound[start : start + 500])
        rows += s.exec(
            select(InboundMessage.mailbox, InboundMessage.message_id).where(
                col(InboundMessage.id).in_(chunk)
            )
        ).all()
    for mailbox, mid in rows:
        if mid and mid not in out.setdefault(mailbox, []):
            out[mailbox].append(mid)
    return out


def _clear_messages(s: Session, case: int) -> set[str]:
    """The raw messages of a case, and what its message rows say of the sender."""
    files: set[str] = set()
    for row in s.exec(select(InboundMessage).where(InboundMessage.application_id == case)):
        if row.raw_path:
            files.add(row.raw_path)
        row.raw_path, row.from_address, row.subject, row.error = "", None, "", None
        s.add(row)
    return files


def _clear_replies(s: Session, case: int, *, every: bool = False) -> None:
    """The stored text of the case's replies the relay is done with (a reply still to send
    keeps it). The row stays: its Message-ID threads a later answer to the case. With `every`
    (an erasure), a reply still to send is cancelled: it will never go."""
    q = update(OutboxMessage).where(col(OutboxMessage.application_id) == case)
    if every:
        _cancel_pending(s, col(OutboxMessage.application_id) == case)
    else:
        q = q.where(col(OutboxMessage.state).in_(DONE))
    s.execute(q.values(raw=b"", recipient="", last_error=None, smtp_response=None))


def _cancel_pending(s: Session, where: Any) -> None:
    s.execute(
        update(OutboxMessage)
        .where(where, col(OutboxMessage.state) == OutboxState.PENDING)
        .values(state=OutboxState.FAILED, last_error="cancelled: the recipient was erased")
    )


def _files_of(s: Session, cases: Sequence[int]) -> set[str]:
    """The raw messages and PDFs of `cases`."""
    raws = s.exec(
        select(InboundMessage.raw_path).where(col(InboundMessage.application_id).in_(cases))
    ).all()
    pdfs = s.exec(select(Application.pdf_path).where(col(Application.id).in_(cases))).all()
    return {p for p in [*raws, *pdfs] if p}


def _case_files(s: Session, case: int) -> set[str]:
    files = {
        p
        for p in s.exec(
            select(InboundMessage.raw_path).where(InboundMessage.application_id == case)
        ).all()
        if p
    }
    app = s.get(Application, case)
    if app is not None and app.pdf_path:
        files.add(app.pdf_path)
    return files


def _unlink_unreferenced(
    engine: Engine, *, files: Iterable[str], page_cache: Path | None = None
) -> int:
    """Unlink each file no row names any more (after the commit that stopped naming it), and
    with a PDF the digest's image of its first page (`page_cache`, named by the PDF's hash)."""
    paths = sorted(set(files))
    if not paths:
        return 0
    with Session(engine) as s:
        still: set[str] = set()
        for start in range(0, len(paths), 500):
            chunk = paths[start : start + 500]
            still |= set(
                s.exec(
                    select(InboundMessage.raw_path).where(col(InboundMessage.raw_path).in_(chunk))
                ).all()
            )
            still |= {
                p
                for p in s.exec(
                    select(Application.pdf_path).where(col(Application.pdf_path).in_(chunk))
                ).all()
                if p
            }
    n = 0
    for p in paths:
        if p in still:
            continue
        try:
            Path(p).unlink()
            n += 1
        except FileNotFoundError:
            pass
        if page_cache is not None and p.endswith(".pdf"):
            sha = Path(p).stem
            (page_cache / sha[:2] / f"{sha}.jpg").unlink(missing_ok=True)
    return n


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
