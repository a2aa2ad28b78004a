"""Named locks on the local PostgreSQL: one holder at a time, a waiter gets it when the holder
finishes or its session dies, and a stopping waiter gives up."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, create_engine, text

from licensebot.store.locks import exclusive, lock_key


def test_one_holder_a_waiter_takes_over_when_the_holder_dies(postgres_url: str) -> None:
    one, two = create_engine(postgres_url), create_engine(postgres_url)
    try:
        got: list[float] = []
        with exclusive(one, "mailbox:sirui:INBOX") as held:
            assert held
            with exclusive(two, "mailbox:sirui:INBOX", wait=False) as other:
                assert not other
            with exclusive(two, "mailbox:iamthy:INBOX", wait=False) as other:
                assert other  # another name is free

            def waiter() -> None:
                with exclusive(two, "mailbox:sirui:INBOX") as w:
                    assert w
                    got.append(time.monotonic())

            t = threading.Thread(target=waiter)
            t.start()
            time.sleep(0.3)
            assert not got  # still waiting
            # the holder's session dies (a SIGKILLed worker's connection closes)
            k = _key(one, "mailbox:sirui:INBOX")
            with one.connect() as conn:
                killed = conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE granted "
                        "AND locktype = 'advisory' AND classid = :hi AND objid = :lo"
                    ),
                    {"hi": (k >> 32) & 0xFFFFFFFF, "lo": k & 0xFFFFFFFF},
                ).all()
            assert killed == [(True,)]
            t.join(timeout=10)
            assert got, "the waiter never got the lock of a dead session"

        stop = threading.Event()
        with exclusive(one, "job:digest") as held:
            stop.set()
            with exclusive(two, "job:digest", stop=stop) as other:
                assert held and not other  # a stopping worker does not wait
    finally:
        one.dispose()
        two.dispose()


def _key(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        scope = conn.execute(text("SELECT current_database() || '/' || current_schema()"))
        return lock_key(f"{scope.scalar()}:{name}")


def test_sqlite_has_no_one_to_share_with() -> None:
    engine = create_engine("sqlite://")
    with exclusive(engine, "x") as a, exclusive(engine, "x", wait=False) as b:
        assert a and b
