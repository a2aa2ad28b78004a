"""Named locks shared by every worker on one database, for work that must not run twice at
once: syncing one mailbox folder, a scheduled job, queueing a broadcast.

On PostgreSQL a lock is a session-level advisory lock held on its own connection: it ends when
the block does, or when the holder dies (the server ends a dead client's session and its
locks with it), so a SIGKILLed worker never leaves a lock behind. On SQLite, which serves one
machine and takes its writes one at a time, a name is always free: run one worker there.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

#: How long one attempt waits for a held lock (the caller's loop checks its stop flag between).
ATTEMPT_SECONDS = 2.0


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (PostgreSQL's advisory lock space)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(
    engine: Engine,
    name: str,
    *,
    wait: bool = True,
    stop: threading.Event | None = None,
) -> Iterator[bool]:
    """Hold lock `name` for the block; yields whether it is held. With `wait`, waits for the
    holder to finish (or die) unless `stop` is set meanwhile; without, gives up at once."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        # advisory locks are the server's, not a schema's: two deployments (or test runs) in
        # one database, each in its own schema, must not share them
        scope = conn.execute(text("SELECT current_database() || '/' || current_schema()"))
        key = lock_key(f"{scope.scalar()}:{name}")
        held = _acquire(conn, key, wait=wait, stop=stop)
        try:
            yield held
        finally:
            if held:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
                except DBAPIError:
                    conn.invalidate()  # the session is gone, and its lock with it


def _acquire(conn: Connection, key: int, *, wait: bool, stop: threading.Event | None) -> bool:
    if not wait:
        held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        return held
    ms = int(ATTEMPT_SECONDS * 1000)
    while stop is None or not stop.is_set():
        try:
            conn.execute(text(f"SET LOCAL lock_timeout = {ms}"))
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            conn.commit()  # a session-level lock outlives the transaction that took it
            return True
        except OperationalError as exc:
            conn.rollback()
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
    return False
