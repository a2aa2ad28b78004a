"""Replaying stored mail: each recorded application's message (or an IMAP folder's messages)
read and judged again with today's code and configuration, through the same reading sandbox and
`Judge` as the worker, and compared with what the rules decided then (`core.replay`).

Nothing is written: no row, no event, no reply, no IMAP flag (messages are fetched with
BODY.PEEK). A maintainer applies a change only through the ordinary review commands.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from licensebot.config import ConfigError, Mailbox, Settings
from licensebot.core.message import IncomingMessage
from licensebot.core.replay import Judged, Replayed, ReplayReport, Skipped, report
from licensebot.store.models import Application, DecisionRecord, InboundMessage
from licensebot.worker.intake import _in_case_thread
from licensebot.worker.judge import Judge

ReadMessage = Callable[[bytes], IncomingMessage]


@dataclass(frozen=True, slots=True)
class Stored:
    """One recorded application message: where its raw bytes are and what was decided."""

    inbound_id: int
    raw_path: str
    received_at: datetime
    case: Application
    old: Judged
    joined_case: bool  # the message continued a case another message opened


def stored_messages(
    engine: Engine, *, since: date | None = None, cases: Sequence[int] = ()
) -> list[Stored]:
    """Every message the rules decided (duplicates and maintainers' commands have no rule
    decision of their own), oldest first; `since` and `cases` narrow it."""
    q = (
        select(InboundMessage, DecisionRecord, Application)
        .join(DecisionRecord, col(DecisionRecord.inbound_id) == col(InboundMessage.id))
        .join(Application, col(Application.id) == col(DecisionRecord.application_id))
        .where(DecisionRecord.decided_by == "rules")
        .order_by(col(InboundMessage.id))
    )
    if since is not None:
        q = q.where(col(InboundMessage.received_at) >= datetime.combine(since, time(), UTC))
    if cases:
        q = q.where(col(DecisionRecord.application_id).in_(list(cases)))
    out = []
    with Session(engine) as s:
        for inbound, record, app in s.exec(q).all():
            s.expunge(app)
            out.append(
                Stored(
                    inbound_id=inbound.id or 0,
                    raw_path=inbound.raw_path,
                    received_at=inbound.received_at,
                    case=app,
                    old=Judged(
                        record.decision.value, tuple(record.reasons), list(record.rule_results)
                    ),
                    joined_case=app.dedup_key != record.dedup_key,
                )
            )
    return out


def _judged(judge: Judge, msg: IncomingMessage, case: Application | None) -> Judged:
    assessment = judge.assess(msg)
    # the intake's own step: a message in a case's thread without an LA goes to a person
    assessment = _in_case_thread(case, assessment)
    return Judged(
        assessment.decision.value,
        tuple(r.value for r in assessment.reasons),
        list(assessment.rule_results),
    )


class Replay:
    """Judges stored or folder messages again, `jobs` at a time (each PDF in one of as many
    sandboxed readers, see `open_batch_judge`)."""

    def __init__(
        self,
        *,
        engine: Engine,
        judge: Judge,
        read_message: ReadMessage,
        jobs: int = 1,
    ) -> None:
        self.engine = engine
        self.judge = judge
        self.read_message = read_message
        self.jobs = max(1, jobs)

    def _in_order(
        self, work: Iterable[Callable[[], Replayed | Skipped]]
    ) -> Iterator[Replayed | Skipped]:
        """Run each piece of work on the pool, yielding results in order, a few ahead."""
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            ahead: deque[Future[Replayed | Skipped]] = deque()
            todo = iter(work)
            while True:
                while len(ahead) < 2 * self.jobs and (job := next(todo, None)) is not None:
                    ahead.append(pool.submit(job))
                if not ahead:
                    return
                yield ahead.popleft().result()

    def stored(self, *, since: date | None = None, cases: Sequence[int] = ()) -> ReplayReport:
        rows = stored_messages(self.engine, since=since, cases=cases)
        return report(self._in_order(partial(self._one_stored, r) for r in rows))

    def _one_stored(self, row: Stored) -> Replayed | Skipped:
        ref = f"inbound {row.inbound_id}"
        case_id = row.case.id
        if not row.raw_path:
            return Skipped(ref, case_id, "the raw message was purged (retention)")
        try:
            raw = Path(row.raw_path).read_bytes()
        except OSError as exc:
            return Skipped(ref, case_id, f"the raw message cannot be read ({exc.strerror})")
        try:
            msg = self.read_message(raw)
            new = _judged(self.judge, msg, row.case if row.joined_case else None)
        except Exception as exc:  # one bad message must not end the report
            return Skipped(ref, case_id, f"judging failed: {type(exc).__name__}: {exc}")
        return Replayed(
            ref=ref,
            case=case_id,
            received_at=row.received_at.isoformat(timespec="seconds"),
            old=row.old,
            new=new,
            current=row.case.decision.value,
        )

    def folder(self, messages: Iterable[tuple[str, bytes]], *, folder: str) -> ReplayReport:
        """Messages fetched from an IMAP folder: each compared with the rules' decision on the
        same message (by Message-ID) when the desk recorded it, else with nothing."""
        return report(
            self._in_order(partial(self._one_fetched, key, raw, folder) for key, raw in messages)
        )

    def _one_fetched(self, key: str, raw: bytes, folder: str) -> Replayed | Skipped:
        ref = f"{folder} uid {key}"
        try:
            msg = self.read_message(raw)
        except Exception as exc:
            return Skipped(ref, None, f"unreadable: {type(exc).__name__}: {exc}")
        recorded = self._recorded(msg.message_id) if msg.message_id else None
        case = recorded[1] if recorded else None
        try:
            new = _judged(self.judge, msg, case if recorded and recorded[2] else None)
        except Exception as exc:
            return Skipped(ref, case.id if case else None, f"judging failed: {exc}")
        return Replayed(
            ref=ref,
            case=case.id if case else None,
            received_at=msg.date or "",
            old=recorded[0] if recorded else Judged.not_recorded(),
            new=new,
            current=case.decision.value if case else None,
        )

    def _recorded(self, message_id: str) -> tuple[Judged, Application, bool] | None:
        with Session(self.engine) as s:
            found = s.exec(
                select(DecisionRecord, Application)
                .join(InboundMessage, col(DecisionRecord.inbound_id) == col(InboundMessage.id))
                .join(Application, col(Application.id) == col(DecisionRecord.application_id))
                .where(InboundMessage.message_id == message_id)
                .where(DecisionRecord.decided_by == "rules")
                .order_by(col(DecisionRecord.id).desc())
            ).first()
            if found is None:
                return None
            record, app = found
            s.expunge(app)
            old = Judged(record.decision.value, tuple(record.reasons), list(record.rule_results))
            return old, app, app.dedup_key != record.dedup_key


@contextmanager
def open_replay(
    settings: Settings, *, jobs: int
) -> Iterator[tuple[Replay, Callable[[str, str | None], Iterator[tuple[str, bytes]]]]]:
    """The replay wired as the worker is (the composition root's engine, reader and LA desk),
    with `jobs` sandboxed PDF readers; and a function that lists an IMAP folder's messages of
    a mailbox (the first by default), read-only."""
    from licensebot.worker.app import build, open_batch_judge

    bot = build(settings)
    read = bot.read_message
    try:
        with open_batch_judge(settings, readers=jobs) as judge:
            judge.required_version = bot.la.required_version

            def fetch_folder(folder: str, mailbox: str | None) -> Iterator[tuple[str, bytes]]:
                boxes = [m for m in settings.mailbox if mailbox in (None, m.name)]
                if not boxes:
                    raise ConfigError(f"no [[mailbox]] named {mailbox!r} in the configuration")
                box: Mailbox = boxes[0].model_copy(update={"folder": folder, "after": "move"})
                with bot.open_session(box) as session:
                    keys = session.candidates(0)
                    for start in range(0, len(keys), 50):
                        yield from session.fetch(keys[start : start + 50])

            yield Replay(engine=bot.engine, judge=judge, read_message=read, jobs=jobs), fetch_folder
    finally:
        bot.engine.dispose()
