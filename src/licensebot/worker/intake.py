"""From a mailbox folder to recorded applications, decisions and queued replies.

For each new message: store the raw bytes and read it (the MIME structure and the LA, in one
single-use confined child); record it and count the attempt (commit 1); judge it outside any
transaction; write the application, the decision and its reply in one transaction (commit 2);
only then move (or flag) it on the server. A crash before commit 1 (during the read, say)
leaves the message untouched on the server and uncounted: it is read again; between the commits
it is judged again (by at most `MAX_ATTEMPTS` runs, then it is set aside for a person); after
commit 2 the next sync only finishes the move. A message cut between its commits is taken up
again after the fresh messages of its batch, so that one that stops the worker does not hold up
the mail behind it.

In a batch, the next messages' reads (`schedule.readers` at once, in children of their own) run
while one is recorded, judged and answered; messages are still recorded, decided and answered
one by one in the batch's order, and a message read ahead is not recorded until its turn (a
crash leaves it as unread as before).
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Protocol

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from licensebot.config import Mailbox, Settings
from licensebot.core.assess import Assessment, reply_kind
from licensebot.core.message import IncomingMessage
from licensebot.core.reasons import Decision
from licensebot.core.resend import Join, Resend, join, resend_from
from licensebot.core.retention import without_addresses
from licensebot.mail.sources import MailSession, Meta, message_id_of
from licensebot.store.decisions import record_decision
from licensebot.store.files import Blobs
from licensebot.store.models import (
    Application,
    DecisionRecord,
    Event,
    InboundMessage,
    InboundState,
    LicenceState,
    Licensee,
    MailboxCursor,
    OutboxMessage,
    utcnow,
)
from licensebot.store.outbox import replies_since
from licensebot.worker.case_notice import CaseNotices
from licensebot.worker.faults import Faults
from licensebot.worker.judge import Reading
from licensebot.worker.replies import ReplyPlan, ReplyWriter

log = structlog.get_logger("licensebot.intake")

#: Runs that may stop while handling one message (past its reads) before it is set aside. A
#: message that stops the worker costs a restart each time: systemd gives up on the unit after
#: 5 starts in 10 minutes (deploy/systemd: StartLimitBurst=5), so at most 4 deaths fit, and 3
#: leave a restart to spare for anything else. A kill from outside lands in one message's
#: counted window (tens of milliseconds; its next attempt comes after the fresh mail of its
#: batch) by chance only, so three such kills on one message take three unlikely events in a row.
MAX_ATTEMPTS = 3

#: A message and its LA, read from the raw bytes (in a confined child).
ReadMail = Callable[[bytes], tuple[IncomingMessage, Reading]]


class Assess(Protocol):
    def __call__(self, msg: IncomingMessage, reading: Reading | None = None) -> Assessment: ...


@dataclass
class SyncReport:
    mailbox: str
    fetched: int = 0
    processed: int = 0
    duplicates: int = 0
    failed: int = 0
    finished: int = 0
    application_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Read:
    """What the read made of one message, or the error of a reader that raised; and where its
    raw bytes were stored (their SHA-256 and file), before the read."""

    msg: IncomingMessage | None
    reading: Reading | None
    error: str = ""
    digest: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class _Started:
    """A message handed to a reader: its raw bytes being stored and read (or None: the message
    was handled before, in `state`)."""

    key: str
    raw: bytes
    read: Future[_Read] | None = None
    state: str = ""


class Route(Protocol):
    """A kind of message that is not an application (a maintainer's command, an opt-out, a
    delivery report). The first route that claims a message handles it completely: it records
    what it did and sets the inbound row's state."""

    name: str

    def claims(self, msg: IncomingMessage) -> bool: ...

    def handle(self, inbound_id: int, msg: IncomingMessage) -> tuple[str, int | None]: ...


class Intake:
    def __init__(
        self,
        *,
        settings: Settings,
        engine: Engine,
        blobs: Blobs,
        read: ReadMail,
        assess: Assess,
        replies: ReplyWriter,
        routes: Sequence[Route] = (),
        faults: Faults | None = None,
        on_queued: Callable[[], None] = lambda: None,
        institutional: Callable[[str], bool] = lambda domain: False,
        notices: CaseNotices | None = None,
        on_decided: Callable[[Decision], None] = lambda _d: None,
        run_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.blobs = blobs
        self.read = read  # confined: a single-use sandboxed child, OCR included
        self.assess = assess  # in this process: the judging of what was read
        #: Reads at once in this worker, whatever the number of mailboxes (the memory budget).
        self._readers = threading.BoundedSemaphore(settings.schedule.readers)
        self.replies = replies
        self.routes = list(routes)
        self.faults = faults or Faults()
        self.on_queued = on_queued
        #: Whether a domain is an institution's (a student's supervisor may resend from it).
        self.institutional = institutional
        self.notices = notices
        self.on_decided = on_decided  # the metrics' count of decisions
        #: This worker run (process): the poison counter counts runs, not passes of one run.
        self.run_id = run_id or uuid.uuid4().hex

    # -- one folder ---------------------------------------------------------------------------

    def sync(self, session: MailSession) -> SyncReport:
        box = session.box
        report = SyncReport(box.name)
        validity = session.validity
        last_uid, changed = self._cursor(box, validity)
        report.finished += self._finish_pending(session, validity)

        keys = session.candidates(last_uid)
        if not keys:
            return report
        known, cut = self._known(box, validity, keys)
        new = [k for k in keys if k not in known]
        if not new:
            self._advance(box, validity, max(session.watermark(k) for k in keys))
            return report
        metas = session.fetch_meta(new)
        if changed:
            new = self._rekey_known(box, validity, new, metas)
            report.finished += self._finish_pending(session, validity)
        readers = self.settings.schedule.readers
        with ThreadPoolExecutor(readers, thread_name_prefix=f"read:{box.name}") as pool:
            self._sync_new(session, validity, new, metas, cut, report, pool)
        log.info(
            "mailbox.synced",
            mailbox=box.name,
            fetched=report.fetched,
            processed=report.processed,
            duplicates=report.duplicates,
            failed=report.failed,
        )
        return report

    def _sync_new(
        self,
        session: MailSession,
        validity: str,
        new: list[str],
        metas: dict[str, Meta],
        cut: set[str],
        report: SyncReport,
        pool: ThreadPoolExecutor,
    ) -> None:
        """The new messages in batches of `schedule.fetch_batch`: each batch is fetched, its
        messages handled in order, then moved (or flagged) and the cursor advanced past it. The
        reads ahead run on across batches: the next batch is fetched and its first messages
        read while the last ones of this batch are handled, so a backlog's readers never wait
        for a batch's moves."""
        box = session.box
        size = self.settings.schedule.fetch_batch
        batches = [new[start : start + size] for start in range(0, len(new), size)]
        outcomes: list[tuple[list[str], list[str]]] = [([], []) for _ in batches]
        batch_of = {key: n for n, batch in enumerate(batches) for key in batch}
        done = 0  # batches finished

        def fetched() -> Iterator[tuple[str, bytes]]:
            for n, batch in enumerate(batches):
                too_big = [k for k in batch if self._too_big(metas.get(k))]
                for key in too_big:
                    self._record_oversized(box, validity, key, metas[key])
                    outcomes[n][1].append(key)
                # fresh messages first, then those a stopped run left between their commits
                fetch = [k for k in batch if k not in too_big and k not in cut]
                fetch += [k for k in batch if k not in too_big and k in cut]
                yield from session.fetch(fetch)

        def finish(upto: int) -> None:
            """Move every batch before `upto` not moved yet (all its messages handled)."""
            nonlocal done
            for n in range(done, upto):
                ok, failed = outcomes[n]
                self._finish(session, validity, ok, failed=False)
                self._finish(session, validity, failed, failed=True)
                report.finished += len(ok) + len(failed)
                self._advance(box, validity, max(session.watermark(k) for k in batches[n]))
            done = max(done, upto)

        for started in self._read_ahead(pool, box, validity, fetched()):
            n = batch_of[started.key]
            finish(n)
            report.fetched += 1
            state, app_id = self._handle(box, validity, started)
            if state == InboundState.FAILED:
                outcomes[n][1].append(started.key)
                report.failed += 1
            else:
                outcomes[n][0].append(started.key)
                if state == InboundState.DUPLICATE:
                    report.duplicates += 1
                else:
                    report.processed += 1
                if app_id is not None:
                    report.application_ids.append(app_id)
        finish(len(batches))

    def _read_ahead(
        self,
        pool: ThreadPoolExecutor,
        box: Mailbox,
        validity: str,
        fetched: Iterable[tuple[str, bytes]],
    ) -> Iterator[_Started]:
        """The fetched messages in order, each with its read started: while the caller handles
        one, the reads of the next `schedule.readers` run (each in a child of its own). Reads
        still running when the caller stops early are waited for (their children bounded by
        their limits), so that none outlives the sync."""
        depth = self.settings.schedule.readers
        todo = iter(fetched)
        ahead: deque[_Started] = deque()
        try:
            while True:
                while len(ahead) <= depth and (item := next(todo, None)) is not None:
                    ahead.append(self._start(pool, box, validity, *item))
                if not ahead:
                    return
                yield ahead.popleft()
        finally:
            for started in ahead:
                if started.read is not None and not started.read.cancel():
                    started.read.exception()  # wait; a reader's error is logged where it rose

    def _start(
        self, pool: ThreadPoolExecutor, box: Mailbox, validity: str, key: str, raw: bytes
    ) -> _Started:
        """Hand the message to a reader, which stores its raw bytes and reads it, unless it
        was handled before a crash kept it from being moved (nothing to read again)."""
        with Session(self.engine) as s:
            seen = s.exec(_copy(box, validity, key)).first()
            if seen is not None and seen.state != InboundState.RECEIVED:
                return _Started(key, raw, state=seen.state)
        return _Started(key, raw, pool.submit(self._read, box, key, raw))

    def _read(self, box: Mailbox, key: str, raw: bytes) -> _Read:
        """Store the raw bytes, then read them. Both run beside the handling of the message
        before: the file's fsync (milliseconds, more while the disk is busy) leaves the
        intake's one thread; the file is whole on disk before the row that names it is
        committed (`_record` waits for this)."""
        digest, path = self.blobs.put(raw, kind="messages", suffix=".eml")
        with self._readers:
            try:
                msg, reading = self.read(raw)
            except Exception as exc:  # a reader's bug must not stop the intake
                log.exception("message.unreadable", mailbox=box.name, uid=key)
                return _Read(None, None, f"{type(exc).__name__}: {exc}", digest, str(path))
        return _Read(msg, reading, digest=digest, path=str(path))

    def _too_big(self, meta: Meta | None) -> bool:
        return meta is not None and meta.size > self.settings.limits.max_message_bytes

    def _cursor(self, box: Mailbox, validity: str) -> tuple[int, bool]:
        with Session(self.engine) as s:
            cur = s.get(MailboxCursor, (box.name, box.folder))
            if cur is None:
                s.add(MailboxCursor(mailbox=box.name, folder=box.folder, uidvalidity=validity))
                s.commit()
                return 0, False
            if cur.uidvalidity != validity:
                s.add(
                    Event(
                        kind="mailbox.uidvalidity_changed",
                        data={"mailbox": box.name, "old": cur.uidvalidity, "new": validity},
                    )
                )
                log.warning(
                    "mailbox.uidvalidity_changed",
                    mailbox=box.name,
                    old=cur.uidvalidity,
                    new=validity,
                )
                cur.uidvalidity = validity
                cur.last_uid = 0
                cur.updated_at = utcnow()
                s.add(cur)
                s.commit()
                return 0, True
            return cur.last_uid, False

    def _advance(self, box: Mailbox, validity: str, uid: int) -> None:
        with Session(self.engine) as s:
            cur = s.get(MailboxCursor, (box.name, box.folder))
            if cur is not None and cur.uidvalidity == validity and uid > cur.last_uid:
                cur.last_uid = uid
                cur.updated_at = utcnow()
                s.add(cur)
                s.commit()

    def _known(self, box: Mailbox, validity: str, keys: Sequence[str]) -> tuple[set[str], set[str]]:
        """Keys already handled, and keys whose handling was cut past their reads (a row in
        RECEIVED state with its attempt counted: handle it again, after the fresh ones)."""
        done: set[str] = set()
        cut: set[str] = set()
        with Session(self.engine) as s:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                rows = s.exec(
                    select(InboundMessage.uid, InboundMessage.state, InboundMessage.attempts).where(
                        InboundMessage.mailbox == box.name,
                        InboundMessage.folder == box.folder,
                        InboundMessage.uidvalidity == validity,
                        col(InboundMessage.uid).in_(chunk),
                    )
                ).all()
                for uid, state, attempts in rows:
                    if state != InboundState.RECEIVED:
                        done.add(uid)
                    elif attempts:
                        cut.add(uid)
        return done, cut

    def _rekey_known(
        self, box: Mailbox, validity: str, keys: list[str], metas: dict[str, Meta]
    ) -> list[str]:
        """After a UIDVALIDITY change, messages already recorded (same Message-ID and size in
        this folder) get a row under their new UID and are not downloaded or judged again."""
        remaining = []
        with Session(self.engine) as s:
            for key in keys:
                meta = metas.get(key)
                old = None
                if meta is not None and meta.message_id:
                    old = s.exec(
                        select(InboundMessage)
                        .where(
                            InboundMessage.mailbox == box.name,
                            InboundMessage.folder == box.folder,
                            InboundMessage.message_id == meta.message_id,
                            InboundMessage.size == meta.size,
                            InboundMessage.state != InboundState.RECEIVED,
                        )
                        .order_by(col(InboundMessage.id))
                    ).first()
                if old is None:
                    remaining.append(key)
                    continue
                copy = old.model_dump(exclude={"id"})
                copy.update(uidvalidity=validity, uid=key, post_action_done=False)
                s.add(InboundMessage.model_validate(copy))
                s.add(
                    Event(
                        kind="message.rekeyed",
                        application_id=old.application_id,
                        data={"mailbox": box.name, "uid": key, "previous_row": old.id},
                    )
                )
            s.commit()
        return remaining

    def _finish_pending(self, session: MailSession, validity: str) -> int:
        """Move what was committed but not yet moved (the process stopped in between)."""
        box = session.box
        with Session(self.engine) as s:
            rows = s.exec(
                select(InboundMessage.uid, InboundMessage.state).where(
                    InboundMessage.mailbox == box.name,
                    InboundMessage.folder == box.folder,
                    InboundMessage.uidvalidity == validity,
                    InboundMessage.state != InboundState.RECEIVED,
                    InboundMessage.post_action_done == False,  # noqa: E712
                )
            ).all()
        ok = [uid for uid, state in rows if state != InboundState.FAILED]
        failed = [uid for uid, state in rows if state == InboundState.FAILED]
        self._finish(session, validity, ok, failed=False)
        self._finish(session, validity, failed, failed=True)
        return len(rows)

    def _finish(
        self, session: MailSession, validity: str, keys: Sequence[str], *, failed: bool
    ) -> None:
        if not keys:
            return
        session.finish(keys, failed=failed)
        self.faults.point("after_move")
        box = session.box
        with Session(self.engine) as s:
            rows = s.exec(
                select(InboundMessage).where(
                    InboundMessage.mailbox == box.name,
                    InboundMessage.folder == box.folder,
                    InboundMessage.uidvalidity == validity,
                    col(InboundMessage.uid).in_(list(keys)),
                )
            ).all()
            for row in rows:
                row.post_action_done = True
                s.add(row)
            s.commit()

    # -- one message --------------------------------------------------------------------------

    def handle(self, box: Mailbox, validity: str, key: str, raw: bytes) -> tuple[str, int | None]:
        """Read, record, judge and answer one message; returns its final state and application
        id (what a sync does for each message of a batch, one message alone)."""
        with ThreadPoolExecutor(1) as pool:
            return self._handle(box, validity, self._start(pool, box, validity, key, raw))

    def _handle(self, box: Mailbox, validity: str, started: _Started) -> tuple[str, int | None]:
        """Record, judge and answer one message once its read is done.

        The attempt is counted (commit 1) only after the read: it runs in a confined child,
        where a message cannot stop the worker, and is where a kill from outside usually lands
        (OCR takes seconds); such a kill costs the message nothing, it is read again. What
        runs in this process after the count (a route, the judging, the decision up to commit
        2) is what a message could stop the worker in: a message that did so in
        `MAX_ATTEMPTS` runs is set aside for a person."""
        if started.read is None:
            return started.state, None
        key, raw = started.key, started.raw
        read = started.read.result()
        msg, reading, unread = read.msg, read.reading, read.error
        self.faults.point("while_reading")
        row_id, attempts, state = self._record(box, validity, key, raw, read.digest, read.path)
        if state != InboundState.RECEIVED:
            return state, None
        if attempts > MAX_ATTEMPTS:
            return self._fail(
                row_id,
                f"handling this message stopped the worker {MAX_ATTEMPTS} "
                "times; set aside for a person",
            ), None
        self.faults.point("after_record", message_id=msg.message_id if msg else None)
        if msg is None or reading is None:
            return self._fail(row_id, unread), None
        try:
            route = next((r for r in self.routes if r.claims(msg)), None)
            if route is not None:
                with self._readers:  # a route may read too (a delivery report, confined)
                    result = route.handle(row_id, msg)
                self.on_queued()
                return result
            assessment = self.assess(msg, reading)
        except Exception as exc:  # any route or judging bug must not stop the intake
            log.exception("message.unreadable", mailbox=box.name, uid=key)
            return self._fail(row_id, f"{type(exc).__name__}: {exc}"), None
        for _ in range(2):
            try:
                return self._decide(row_id, msg, assessment)
            except IntegrityError:
                # The same application was committed meanwhile (the other mailbox's worker):
                # the second pass finds it and records this copy as a duplicate.
                continue
        return self._fail(row_id, "could not record the decision"), None

    def _record(
        self, box: Mailbox, validity: str, key: str, raw: bytes, digest: str, path: str
    ) -> tuple[int, int, str]:
        with Session(self.engine) as s:
            row = s.exec(_copy(box, validity, key)).first()
            if row is None:
                row = InboundMessage(
                    mailbox=box.name,
                    folder=box.folder,
                    uidvalidity=validity,
                    uid=key,
                    message_id=message_id_of(raw),
                    size=len(raw),
                    sha256=digest,
                    raw_path=path,
                )
                s.add(row)
                s.flush()
                s.add(
                    Event(
                        kind="message.received",
                        data={
                            "mailbox": box.name,
                            "uid": key,
                            "inbound_id": row.id,
                            "size": len(raw),
                        },
                    )
                )
            if row.state != InboundState.RECEIVED:
                return row.id or 0, row.attempts, row.state
            if row.attempt_run != self.run_id:
                # a run takes it up: counted once, so a pass of this run that raised (a lost
                # database connection, say) and is retried is not taken for a stopped worker
                row.attempts += 1
                row.attempt_run = self.run_id
            s.add(row)
            s.commit()
            return row.id or 0, row.attempts, row.state

    def _fail(self, row_id: int, error: str) -> str:
        with Session(self.engine) as s:
            row = s.get(InboundMessage, row_id)
            assert row is not None
            row.state = InboundState.FAILED
            row.error = error[:2000]
            s.add(row)
            s.add(
                Event(
                    kind="message.failed",
                    data={"inbound_id": row_id, "error": without_addresses(error[:500])},
                )
            )
            for plan in self._alerts(row, error):
                self.replies.queue(
                    s, plan, application_id=None, key=f"alert:inbound:{row_id}:{plan.recipient}"
                )
            s.commit()
        log.error("message.failed", inbound_id=row_id, error=error[:200])
        self.on_queued()
        return InboundState.FAILED

    def _record_oversized(self, box: Mailbox, validity: str, key: str, meta: Meta) -> None:
        with Session(self.engine) as s:
            found = s.exec(_copy(box, validity, key)).first()
            exists = found.id if found else None
            if exists is None:
                row = InboundMessage(
                    mailbox=box.name,
                    folder=box.folder,
                    uidvalidity=validity,
                    uid=key,
                    message_id=meta.message_id,
                    size=meta.size,
                    sha256="",
                    raw_path="",
                )
                s.add(row)
                s.commit()
                exists = row.id
        self._fail(
            exists or 0,
            f"message of {meta.size} bytes exceeds limits.max_message_bytes "
            f"({self.settings.limits.max_message_bytes}); not downloaded",
        )

    def _alerts(self, row: InboundMessage, error: str) -> list[ReplyPlan]:
        ctx = {
            "dataset": self.settings.dataset.name,
            "mailbox": row.mailbox,
            "uid": row.uid,
            "message_id": row.message_id or "",
            "error": error,
            "failed_folder": next(
                (m.failed_folder for m in self.settings.mailbox if m.name == row.mailbox), ""
            ),
        }
        return [
            ReplyPlan("maintainer.alert", addr, ctx) for addr in self.settings.maintainers.addresses
        ]

    def _decide(
        self, row_id: int, msg: IncomingMessage, assessment: Assessment
    ) -> tuple[str, int | None]:
        """Record the judgement of one message in one transaction: a second copy of a
        submission is a duplicate; otherwise the case it joins or opens, the decision record,
        the licence an approval grants, and the reply."""
        dedup = dedup_key(msg, assessment)
        with Session(self.engine) as s:
            row = s.get(InboundMessage, row_id)
            assert row is not None
            row.from_address = msg.from_address
            row.subject = msg.subject[:500]
            seen = s.exec(select(DecisionRecord).where(DecisionRecord.dedup_key == dedup)).first()
            if seen is not None:
                return self._duplicate(s, row, seen)
            case = self._related_case(s, msg, row_id)
            assessment = _in_case_thread(case, assessment)
            app = self._application(s, case, dedup, msg, assessment)
            app_id = app.id or 0
            record = self._decision_record(s, app_id, row_id, dedup, assessment, case)
            licence = self._licence(s, app_id, msg, assessment)
            plan = self._reply_plan(s, app_id, msg, assessment, licence)
            if plan is not None:
                self.replies.queue(
                    s,
                    plan,
                    key=f"reply:decision:{record.id}",
                    application_id=app_id,
                    in_reply_to=msg,
                    case_id=app_id,
                )
            if assessment.decision is Decision.REVIEW and self.notices is not None:
                self.notices.queue(s, app, record)
            row.state = InboundState.PROCESSED
            row.application_id = app_id
            s.add(row)
            s.commit()
        self.on_decided(assessment.decision)
        self.faults.point("after_decision_commit")
        log.info(
            "application.decided",
            application=app_id,
            decision=assessment.decision.value,
            reasons=",".join(assessment.reasons),
            reply=plan.kind if plan else None,
        )
        if plan is not None:
            self.on_queued()
        return InboundState.PROCESSED, app_id

    def _duplicate(
        self, s: Session, row: InboundMessage, seen: DecisionRecord
    ) -> tuple[str, int | None]:
        """The same submission again (typically the copy sent to the other address)."""
        row.state = InboundState.DUPLICATE
        row.application_id = seen.application_id
        s.add(row)
        s.add(
            Event(
                kind="message.duplicate",
                application_id=seen.application_id,
                data={"inbound_id": row.id, "mailbox": row.mailbox},
            )
        )
        s.commit()
        return InboundState.DUPLICATE, seen.application_id

    def _decision_record(
        self,
        s: Session,
        app_id: int,
        row_id: int,
        dedup: str,
        assessment: Assessment,
        case: Application | None,
    ) -> DecisionRecord:
        """The decision with every rule's result (`licensebot explain`), and its event."""
        reasons = [r.value for r in assessment.reasons]
        record = DecisionRecord(
            application_id=app_id,
            decision=assessment.decision,
            reasons=reasons,
            rule_results=[dict(r) for r in assessment.rule_results],
            fields=dict(assessment.fields),
            dedup_key=dedup,
            inbound_id=row_id,
        )
        return record_decision(
            s,
            record,
            evidence={
                "reasons": reasons,
                "inbound_id": row_id,
                "decision_id": None,
                "joined_case": case is not None,
                "note": assessment.note,
            },
        )

    def _licence(
        self, s: Session, app_id: int, msg: IncomingMessage, assessment: Assessment
    ) -> Licensee | None:
        """The sender's licence already active, if any; else the one an approval grants now
        (returns None then: the reply is the approval, not "already licensed")."""
        licence = self._active_licence(s, msg, assessment)
        if licence is not None:
            s.add(
                Event(
                    kind="licensee.already_active",
                    application_id=app_id,
                    data={"licensee": licence.id, "licence_case": licence.application_id},
                )
            )
        elif assessment.decision is Decision.APPROVE:
            s.add(
                Licensee.from_fields(
                    application_id=app_id,
                    sender=msg.from_address or "",
                    fields=dict(assessment.fields),
                    la_version=assessment.form_version or "",
                )
            )
            s.add(Event(kind="licensee.created", application_id=app_id, actor="rules"))
        return licence

    def _related_case(
        self, s: Session, msg: IncomingMessage, inbound_id: int
    ) -> Application | None:
        """The case this message continues (a reply to one of our messages, or the case tag in
        its subject), when it may join it (`core.resend`: from the case's sender, or from an
        address the case's last reply asked for and authenticated)."""
        if not msg.from_address:
            return None
        ids = [m for m in (msg.in_reply_to, *msg.references) if m]
        case_id: int | None = None
        if ids:
            case_id = s.exec(
                select(OutboxMessage.application_id).where(col(OutboxMessage.message_id).in_(ids))
            ).first()
        if case_id is None:
            tag = re.escape(self.settings.dataset.case_tag)
            m = re.search(rf"\[{tag} #(\d+)\]", msg.subject)
            case_id = int(m.group(1)) if m else None
        if case_id is None:
            return None
        app = s.get(Application, case_id)
        if app is None:
            return None
        verdict = join(self.resend_for(s, app), sender=msg.from_address, auth=msg.auth)
        if verdict is Join.SAME_SENDER:
            return app
        s.add(
            Event(
                kind="case.joined" if verdict.joins else "case.not_joined",
                application_id=case_id,
                # no addresses in events (they outlive the personal data, docs/retention.md):
                # the inbound row holds who sent it, the case who it was from
                data={"how": verdict.value, "auth": msg.auth.value, "inbound_id": inbound_id},
            )
        )
        if not verdict.joins:
            return None
        app.sender = msg.from_address  # the case now follows the address that was asked for
        return app

    def resend_for(self, s: Session, app: Application) -> Resend:
        """Whom the case's latest decision asked for a corrected application."""
        latest = s.exec(
            select(DecisionRecord)
            .where(DecisionRecord.application_id == app.id)
            .order_by(col(DecisionRecord.id).desc())
        ).first()
        return resend_from(
            sender=app.sender,
            decision=app.decision,
            reasons=latest.reasons if latest else (),
            fields=latest.fields if latest else {},
            institutional=self.institutional,
        )

    def _application(
        self,
        s: Session,
        case: Application | None,
        dedup: str,
        msg: IncomingMessage,
        assessment: Assessment,
    ) -> Application:
        pdf = assessment.pdf
        if pdf is not None and pdf.oversized:
            pdf = None  # never decoded: the raw message holds it
        pdf_path = str(self.blobs.put(pdf.data, kind="pdf", suffix=".pdf")[1]) if pdf else None
        if case is None:
            app = Application(
                dedup_key=dedup,
                message_id=msg.message_id,
                sender=msg.from_address,
                subject=msg.subject[:500],
                decision=assessment.decision,
            )
        else:
            app = case
            app.decision = assessment.decision
            app.updated_at = utcnow()
        if pdf is not None:
            app.pdf_sha256, app.pdf_path, app.pdf_filename = pdf.sha256, pdf_path, pdf.filename
        s.add(app)
        s.flush()
        return app

    def _active_licence(
        self, s: Session, msg: IncomingMessage, assessment: Assessment
    ) -> Licensee | None:
        if assessment.decision is Decision.IGNORE or not msg.from_address:
            return None
        emails = {msg.from_address, str(assessment.fields.get("work_email") or "").lower()}
        return s.exec(
            select(Licensee).where(
                col(Licensee.email).in_([e for e in emails if e]),
                Licensee.state == LicenceState.ACTIVE,
            )
        ).first()

    def _reply_plan(
        self,
        s: Session,
        app_id: int,
        msg: IncomingMessage,
        assessment: Assessment,
        licence: Licensee | None,
    ) -> ReplyPlan | None:
        kind = reply_kind(assessment.decision, assessment.reasons)
        for_a_person = assessment.decision is Decision.REVIEW and assessment.pdf is None
        if kind is not None and licence is not None and not for_a_person:
            # A licensee's question in the thread (no LA) goes to a person, as the "already
            # licensed" reply promised: it gets "under review", not that reply again.
            kind = "applicant.already_licensed"
        if kind is None or not msg.from_address:
            return None
        cap = self.settings.limits.replies_per_address_per_day
        sent = replies_since(s, msg.from_address, utcnow() - timedelta(days=1))
        if sent >= cap:
            s.add(
                Event(
                    kind="reply.suppressed",
                    application_id=app_id,
                    data={"why": "daily cap", "cap": cap},  # the case names its sender
                )
            )
            return None
        if sent == cap - 1:
            kind = "applicant.final_notice"
        context = self.replies.context(
            case_id=app_id,
            sender=msg.from_address,
            decision=assessment.decision,
            reasons=assessment.reasons,
            rule_results=assessment.rule_results,
            fields=assessment.fields,
            note=assessment.note,
            licence_case=licence.application_id if licence else None,
            sender_name=msg.from_name,
            resend=resend_from(
                sender=msg.from_address,
                decision=assessment.decision,
                reasons=assessment.reasons,
                fields=assessment.fields,
                institutional=self.institutional,
            ),
        )
        return ReplyPlan(kind, msg.from_address, context)


def _in_case_thread(case: Application | None, assessment: Assessment) -> Assessment:
    """An applicant who writes in their case's thread without an LA: a person reads it."""
    if case is None or assessment.pdf is not None or assessment.decision is Decision.IGNORE:
        return assessment
    return replace(
        assessment,
        decision=Decision.REVIEW,
        reasons=(),
        note=f"a message in the thread of case {case.id} without an LA",
    )


def _copy(box: Mailbox, validity: str, key: str) -> SelectOfScalar[InboundMessage]:
    """The row of one message copy, as IMAP names it."""
    return select(InboundMessage).where(
        InboundMessage.mailbox == box.name,
        InboundMessage.folder == box.folder,
        InboundMessage.uidvalidity == validity,
        InboundMessage.uid == key,
    )


def dedup_key(msg: IncomingMessage, assessment: Assessment) -> str:
    """One application per (Message-ID, attachments): the copy sent to both addresses counts
    once. A message without a Message-ID is only ever a duplicate of its own bytes."""
    parts = [msg.message_id or f"no-message-id:{hash_text(msg)}"]
    parts += sorted(a.sha256 for a in msg.attachments)
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def hash_text(msg: IncomingMessage) -> str:
    basis = "\n".join([msg.from_address or "", msg.subject, msg.date or "", msg.text])
    return hashlib.sha256(basis.encode()).hexdigest()
