"""The outbox: replies are rows written with their decision and sent afterwards.

A sender claims rows in a short transaction (`SKIP LOCKED` on PostgreSQL, `BEGIN IMMEDIATE` on
SQLite), talks SMTP outside any transaction, and records the outcome. States:

    pending -> sending -> data -> sent
                  |         |-> ambiguous -> (policy "resend": pending again, same bytes)
                  |-> pending (transient, with backoff) -> ... -> failed (out of attempts)
                  |-> failed (permanent)

A worker that dies in `sending` handed nothing to the server: its row is simply taken over when
the lease ends. One that dies in `data` may have delivered: the row becomes `ambiguous`
(resent or held by `ambiguous_policy`, per kind in `ambiguous_policy_by_kind`).

The relay writes one transaction per message (`advance`): the previous message's `sent` and
this one's `data` together, just before this one's data goes out.

Every message the bot sends is queued by `enqueue`, in the caller's transaction (so it commits,
or not, with what it belongs to). A broadcast's notices share everything after their header
(the text and the attachment): that part is stored once in `outbox_body` (`store_body`) and
each row holds only its own header (To, Message-ID).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, or_, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from licensebot.config import Outbox as OutboxSettings
from licensebot.core.retention import without_addresses
from licensebot.store.models import Event, OutboxBody, OutboxMessage, OutboxState, utcnow


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to queue. `key` makes it idempotent: a second row with the same key violates
    the unique constraint and rolls the caller's transaction back."""

    key: str
    kind: str
    recipient: str
    message_id: str
    envelope_from: str
    raw: bytes  # the message, or its own header when `body_id` names a shared body
    application_id: int | None = None
    body_id: int | None = None


def enqueue(s: Session, messages: Sequence[Outgoing], *, announce: bool = True) -> dict[str, int]:
    """Add `messages` to the outbox in `s`'s transaction (uncommitted), pending and due now;
    returns their row ids by Message-ID. `announce` records a `reply.queued` event for each (a
    broadcast records one event for its whole chunk instead)."""
    if not messages:
        return {}
    s.flush()  # the rows they refer to (an application just added) go first
    now = utcnow()
    conn = s.connection()
    conn.execute(
        insert(_OUTBOX),
        [
            {
                "idempotency_key": m.key,
                "application_id": m.application_id,
                "kind": m.kind,
                "message_id": m.message_id,
                "recipient": m.recipient,
                "envelope_from": m.envelope_from,
                "raw": m.raw,
                "body_id": m.body_id,
                "state": OutboxState.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
        ],
    )
    if announce:
        s.add_all(
            Event(
                kind="reply.queued",
                application_id=m.application_id,
                data={"kind": m.kind, "message_id": m.message_id},
            )
            for m in messages
        )
    wanted = [m.message_id for m in messages]
    return dict(
        conn.execute(
            sa_select(_OUTBOX.c.message_id, _OUTBOX.c.id).where(_OUTBOX.c.message_id.in_(wanted))
        ).all()
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    application_id: int | None
    kind: str
    message_id: str
    recipient: str
    envelope_from: str
    raw: bytes  # the message, or its own header when it has a shared `body`
    attempts: int
    body: bytes = b""  # shared by the notices of a broadcast (outbox_body); sent after raw


def recover_expired(engine: Engine, cfg: OutboxSettings, now: datetime | None = None) -> int:
    """Rows whose worker died: `sending` goes back to pending, `data` becomes ambiguous."""
    now = now or utcnow()
    changed = 0
    q = select(OutboxMessage).where(
        col(OutboxMessage.state).in_([OutboxState.SENDING, OutboxState.DATA]),
        col(OutboxMessage.lease_until) < now,
    )
    if engine.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)  # two workers never recover the same row
    with Session(engine) as s:
        rows = s.exec(q).all()
        for row in rows:
            if row.state == OutboxState.SENDING:
                row.state = OutboxState.PENDING
                row.next_attempt_at = now
                s.add(_event("outbox.lease_expired", row, before="sending"))
            else:
                _mark_ambiguous(s, row, cfg, now, "the worker stopped while handing over the data")
            row.lease_until = None
            s.add(row)
            changed += 1
        s.commit()
    return changed


def claim(
    engine: Engine,
    cfg: OutboxSettings,
    *,
    limit: int,
    kinds: Sequence[str] | None = None,
    exclude_kinds: Sequence[str] = (),
) -> list[Claimed]:
    """Take up to `limit` due rows for sending, oldest first (only `kinds`, if given; never
    `exclude_kinds`), with their shared bodies (one copy per claim)."""
    now = utcnow()
    if limit <= 0:
        return []
    t = _OUTBOX
    with engine.begin() as conn:
        q = (
            sa_select(t.c.id)
            .where(t.c.state == OutboxState.PENDING.value, t.c.next_attempt_at <= now)
            .order_by(t.c.id)
            .limit(limit)
        )
        if kinds is not None:
            q = q.where(t.c.kind.in_(list(kinds)))
        if exclude_kinds:
            q = q.where(t.c.kind.not_in(list(exclude_kinds)))
        if engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = list(conn.execute(q).scalars())
        if not ids:
            return []
        conn.execute(
            update(t)
            .where(t.c.id.in_(ids))
            .values(
                state=OutboxState.SENDING.value,
                attempts=t.c.attempts + 1,
                lease_until=now + timedelta(seconds=cfg.lease_seconds),
            )
        )
        rows = conn.execute(
            sa_select(
                t.c.id,
                t.c.application_id,
                t.c.kind,
                t.c.message_id,
                t.c.recipient,
                t.c.envelope_from,
                t.c.raw,
                t.c.attempts,
                t.c.body_id,
            )
            .where(t.c.id.in_(ids))
            .order_by(t.c.id)
        ).all()
        wanted = {r.body_id for r in rows if r.body_id is not None}
        bodies: dict[int, bytes] = (
            dict(
                conn.execute(
                    sa_select(_BODY.c.id, _BODY.c.data).where(_BODY.c.id.in_(wanted))
                ).all()
            )
            if wanted
            else {}
        )
    return [
        Claimed(
            id=r.id,
            application_id=r.application_id,
            kind=r.kind,
            message_id=r.message_id,
            recipient=r.recipient,
            envelope_from=r.envelope_from,
            raw=r.raw,
            attempts=r.attempts,
            body=bodies[r.body_id] if r.body_id is not None else b"",
        )
        for r in rows
    ]


def store_body(conn: Connection, data: bytes) -> int:
    """The id of the shared body `data` (stored on first use; the same bytes, the same row)."""
    sha = hashlib.sha256(data).hexdigest()
    found = conn.execute(sa_select(_BODY.c.id).where(_BODY.c.sha256 == sha)).scalar()
    if found is not None:
        return int(found)
    key = conn.execute(
        insert(_BODY).values(sha256=sha, data=data, created_at=utcnow())
    ).inserted_primary_key
    assert key is not None
    return int(key[0])


_OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
_EVENT = Event.__table__  # type: ignore[attr-defined]
_BODY = OutboxBody.__table__  # type: ignore[attr-defined]
# Plain statements, compiled once: `advance` runs once per message sent. The SQLite path runs
# the same SQL straight through the driver (sqlite3 takes the same `:name` parameters).
_RECORD_SENT_SQL = (
    "UPDATE outbox SET state = 'sent', sent_at = :now, smtp_response = :response, "
    "lease_until = NULL WHERE id = :row_id"
)
_SENT_EVENT_SQL = (
    "INSERT INTO event (at, kind, actor, application_id, data) "
    "VALUES (:at, 'reply.sent', 'licensebot', :application_id, :data)"
)
_MARK_DATA_SQL = "UPDATE outbox SET state = 'data' WHERE id = :row_id"
_RECORD_SENT = text(_RECORD_SENT_SQL).bindparams(bindparam("now", type_=_OUTBOX.c.sent_at.type))
_SENT_EVENT = text(_SENT_EVENT_SQL).bindparams(
    bindparam("at", type_=_EVENT.c.at.type), bindparam("data", type_=_EVENT.c.data.type)
)
_MARK_DATA = text(_MARK_DATA_SQL)

Params = list[dict[str, Any]]


def advance(
    engine: Engine,
    *,
    sent: Sequence[tuple[Claimed, str]] = (),
    data: int | None = None,
    data_ids: Sequence[int] = (),
) -> None:
    """One transaction that records `sent` (rows the server accepted, with their responses)
    and marks row `data` as being handed over. The relay calls it just before each message's
    data, so a message is recorded as sent no later than the next one leaves: one commit per
    message instead of two, with the same crash semantics: `data` is durable before the
    message leaves, `sent` after the server accepted it."""
    marks = [{"row_id": i} for i in [*data_ids, *([data] if data is not None else [])]]
    if not sent and not marks:
        return
    now = utcnow()
    records: Params = [{"row_id": c.id, "response": r[:500], "now": now} for c, r in sent]
    events: Params = [
        {
            "at": now,
            "application_id": c.application_id,
            "data": {
                "outbox_id": c.id,
                "kind": c.kind,
                "message_id": c.message_id,
                "attempt": c.attempts,
                "response": without_addresses(r[:200]),  # the row names the recipient
            },
        }
        for c, r in sent
    ]
    if engine.dialect.name == "sqlite":
        _advance_sqlite(engine, records, events, marks)
        return
    with engine.begin() as conn:
        if records:
            conn.execute(_RECORD_SENT, records)
            conn.execute(_SENT_EVENT, events)
        if marks:
            conn.execute(_MARK_DATA, marks)


def _advance_sqlite(engine: Engine, records: Params, events: Params, marks: Params) -> None:
    """`advance` on SQLite: the same statements and stored values (SQLAlchemy's own converters
    for the time and the JSON), straight through the driver in one `BEGIN IMMEDIATE`
    transaction: SQLAlchemy's per-statement work was most of the cost of this commit, which
    the relay makes once per message."""
    to_time = _OUTBOX.c.sent_at.type.bind_processor(engine.dialect)
    to_json = _EVENT.c.data.type.bind_processor(engine.dialect)

    def time(value: datetime) -> Any:
        return to_time(value) if to_time else value

    dbc = engine.raw_connection()
    try:
        cur = dbc.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")
            if records:
                cur.executemany(_RECORD_SENT_SQL, [{**p, "now": time(p["now"])} for p in records])
                cur.executemany(
                    _SENT_EVENT_SQL,
                    [
                        {
                            **e,
                            "at": time(e["at"]),
                            "data": to_json(e["data"]) if to_json else e["data"],
                        }
                        for e in events
                    ],
                )
            if marks:
                cur.executemany(_MARK_DATA_SQL, marks)
            dbc.commit()
        except BaseException:
            dbc.rollback()
            raise
        finally:
            cur.close()
    finally:
        dbc.close()


def sent_recently(engine: Engine, kinds: Sequence[str], *, seconds: float = 60.0) -> int:
    """Rows of `kinds` sent in the last `seconds`, or being sent now (a rate limit's count,
    shared by every worker and surviving restarts)."""
    since = utcnow() - timedelta(seconds=seconds)
    with Session(engine) as s:
        n = s.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                col(OutboxMessage.kind).in_(list(kinds)),
                or_(
                    col(OutboxMessage.sent_at) >= since,
                    col(OutboxMessage.state).in_([OutboxState.SENDING, OutboxState.DATA]),
                ),
            )
        ).one()
    return int(n)


def mark_transient(engine: Engine, cfg: OutboxSettings, row_id: int, error: str) -> None:
    with Session(engine) as s:
        row = s.get(OutboxMessage, row_id)
        if row is None:
            return
        row.last_error = error[:1000]
        row.lease_until = None
        if row.attempts >= cfg.max_attempts:
            row.state = OutboxState.FAILED
            s.add(_event("reply.failed", row, error=error[:500], why="out of attempts"))
        else:
            delay = min(
                cfg.backoff_max_seconds, cfg.backoff_initial_seconds * 2 ** (row.attempts - 1)
            )
            row.state = OutboxState.PENDING
            row.next_attempt_at = utcnow() + timedelta(seconds=delay)
            s.add(_event("reply.retry", row, error=error[:500], retry_in_seconds=delay))
        s.add(row)
        s.commit()


def mark_permanent(engine: Engine, row_id: int, error: str) -> None:
    with Session(engine) as s:
        row = s.get(OutboxMessage, row_id)
        if row is None:
            return
        row.state = OutboxState.FAILED
        row.last_error = error[:1000]
        row.lease_until = None
        s.add(row)
        s.add(_event("reply.failed", row, error=error[:500], why="permanent"))
        s.commit()


def mark_ambiguous(engine: Engine, cfg: OutboxSettings, row_id: int, error: str) -> None:
    with Session(engine) as s:
        row = s.get(OutboxMessage, row_id)
        if row is None:
            return
        _mark_ambiguous(s, row, cfg, utcnow(), error)
        row.lease_until = None
        s.add(row)
        s.commit()


def _mark_ambiguous(
    s: Session, row: OutboxMessage, cfg: OutboxSettings, now: datetime, error: str
) -> None:
    row.last_error = error[:1000]
    policy = cfg.ambiguous_policy_by_kind.get(row.kind, cfg.ambiguous_policy)
    if policy == "resend" and row.attempts < cfg.max_attempts:
        # Same bytes, same Message-ID: a receiver that got the first copy sees a duplicate of
        # one message, never a second, different reply.
        row.state = OutboxState.PENDING
        row.next_attempt_at = now + timedelta(seconds=cfg.ambiguous_delay_seconds)
    else:
        row.state = OutboxState.AMBIGUOUS
    s.add(_event("reply.ambiguous", row, error=error[:500], next_state=row.state))


def _event(kind: str, row: OutboxMessage, **data: object) -> Event:
    return Event(
        kind=kind,
        application_id=row.application_id,
        data={
            "outbox_id": row.id,
            "kind": row.kind,
            "message_id": row.message_id,
            "attempt": row.attempts,
            # an SMTP diagnostic often quotes the address: the row names the recipient
            **{k: without_addresses(v) if isinstance(v, str) else v for k, v in data.items()},
        },
    )


def replies_since(s: Session, recipient: str, since: datetime) -> int:
    """Applicant replies queued for `recipient` since `since` (the per-address daily cap)."""
    n = s.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            OutboxMessage.recipient == recipient,
            col(OutboxMessage.created_at) >= since,
            col(OutboxMessage.kind).startswith("applicant."),
        )
    ).one()
    return int(n)


def due_count(engine: Engine) -> int:
    with Session(engine) as s:
        n = s.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.PENDING)
        ).one()
    return int(n)
