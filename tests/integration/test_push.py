"""The push wake-up against the real servers: Dovecot's push_notification plugin (`ox` driver)
PUTs a note per delivery to the worker's listener, and the worker syncs that mailbox at once:
an IDLE wait ends on the push, not on the server's notice (Dovecot's comes 0.5 s after the
delivery), and a polled mailbox is synced without waiting for its next poll. The listener's
answers to what is not a push, and a push that brings no mail, which only costs a sync."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlmodel import Session, func, select

from licensebot.config import Push
from licensebot.mail.imap import open_imap
from licensebot.mail.sources import Wake
from licensebot.store.models import InboundMessage, OutboxMessage
from licensebot.worker.push import PushNote, serve
from licensebot.worker.runner import Worker
from tests.mailgen import numbered_application
from tests.servers.dovecot import DovecotServer, free_port
from tests.support import mailbox_block

BOT = "bot"
PW = "bot-password"


def application(n: int) -> bytes:
    return numbered_application(n, tag="push")


def count(worker: Worker, model: type, *where: object) -> int:
    with Session(worker.bot.engine) as s:
        return int(s.exec(select(func.count()).select_from(model).where(*where)).one())  # type: ignore[arg-type]


def until(what: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return conn.getresponse().status
    finally:
        conn.close()


@contextmanager
def listener(**settings: Any) -> Iterator[tuple[int, list[PushNote], list[str]]]:
    """The push listener with a recording `wake`: (port, notes, results counted)."""
    notes: list[PushNote] = []
    results: list[str] = []
    port = free_port()

    def wake(note: PushNote) -> bool:
        notes.append(note)
        return note.user == BOT

    server = serve(Push(port=port, **settings), wake, count=results.append)
    try:
        yield port, notes, results
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running(worker: Worker) -> Iterator[None]:
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        yield
    finally:
        worker.stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()


def test_a_delivery_is_put_to_the_listener_by_dovecots_ox_driver(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    with listener() as (port, notes, results):
        dovecot = dovecot_factory(push_url=f"http://127.0.0.1:{port}/push")
        dovecot.deliver(BOT, application(1))
        until(lambda: len(notes) == 1, timeout=10)
    assert notes == [PushNote(BOT, "INBOX")]
    assert results == ["woke"]
    assert len(dovecot.uids(BOT, "INBOX")) == 1


def test_the_listener_answers_what_is_not_a_push_and_wakes_nothing() -> None:
    with listener(max_body_bytes=1024) as (port, notes, results):
        assert request(port, "PUT", "/push", b'{"user":"bot","folder":"INBOX"}') == 204
        assert request(port, "POST", "/push", b'{"user":"someone"}') == 204
        assert request(port, "PUT", "/push", b"subject=hello") == 400
        assert request(port, "PUT", "/push", b'{"folder":"INBOX"}') == 400
        assert request(port, "PUT", "/push", b"{" + b" " * 2000 + b"}") == 413
        assert request(port, "PUT", "/elsewhere", b'{"user":"bot"}') == 404
        assert request(port, "GET", "/push") == 405
        # a client that asks `Expect: 100-continue` (Dovecot's Lua HTTP client) is told to go on
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            body = json.dumps({"user": BOT}).encode()
            sock.sendall(
                b"POST /push HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body)
            )
            assert sock.recv(100).startswith(b"HTTP/1.1 100")
            sock.sendall(body)
            assert b" 204 " in sock.recv(1000)
    assert notes == [PushNote(BOT, "INBOX"), PushNote("someone"), PushNote(BOT)]
    assert results == ["woke", "unmatched", *["refused"] * 5, "woke"]


def test_a_rung_doorbell_ends_an_idle_wait_on_a_mailbox_where_nothing_arrived(
    dovecot: DovecotServer, make_worker: Callable[..., Worker]
) -> None:
    box = make_worker(dovecot).settings.mailbox[0]
    bell, stop = Wake(), threading.Event()
    woke: list[bool] = []
    try:
        with open_imap(box, PW) as session:
            # imaplib keeps the SELECT's EXISTS: the first wait after a SELECT ends at once
            assert session.wait(600, stop)
            bell.ring()
            assert session.wait(600, stop, bell)  # rung before: no IDLE at all
            waiting = threading.Thread(target=lambda: woke.append(session.wait(600, stop, bell)))
            waiting.start()
            time.sleep(0.5)  # in IDLE by now
            assert waiting.is_alive()
            bell.ring()
            waiting.join(timeout=30)
            assert not waiting.is_alive() and woke == [True]
            assert session.candidates(0) == []  # nothing arrived: the push alone ended it
    finally:
        bell.close()


@pytest.fixture
def deaf_to_idle_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's IDLE notices of new mail reach the worker as a mere "still here": the only
    way it learns of a delivery is then the push."""
    real = IMAPClient.idle_check

    def idle_check(self: IMAPClient, timeout: float | None = None) -> list[Any]:
        return [
            (b"OK", b"Still here") if isinstance(r, tuple) and b"EXISTS" in r[1:2] else r
            for r in real(self, timeout)
        ]

    monkeypatch.setattr(IMAPClient, "idle_check", idle_check)


def test_a_worker_in_idle_answers_a_delivery_its_server_never_told_it_of(
    dovecot_factory: Callable[..., DovecotServer],
    make_worker: Callable[..., Worker],
    deaf_to_idle_notices: None,
) -> None:
    port = free_port()
    dovecot = dovecot_factory(push_url=f"http://127.0.0.1:{port}/push")
    # no poll, no IDLE renewal within the test: only the push can start a sync
    worker = make_worker(
        dovecot,
        schedule={"poll_seconds": 3600, "idle_renew_seconds": 1500},
        extra=f"[push]\nport = {port}\n",
    )
    with running(worker):
        until(lambda: "sirui" in worker._idling)
        time.sleep(0.5)  # in IDLE
        dovecot.deliver(BOT, application(1))
        until(lambda: count(worker, OutboxMessage, OutboxMessage.state == "sent") == 1)
        woke = worker.metrics.pushes.labels("woke")._value.get()
        reconnects = worker.metrics.imap_reconnects.labels("sirui")._value.get()
    assert woke >= 1 and reconnects == 0
    assert dovecot.uids(BOT, "INBOX") == []


def test_a_polled_mailbox_is_synced_on_a_push_and_a_push_without_mail_records_nothing(
    dovecot_factory: Callable[..., DovecotServer], make_worker: Callable[..., Worker]
) -> None:
    port = free_port()
    dovecot = dovecot_factory(push_url=f"http://127.0.0.1:{port}/push")
    block = mailbox_block(dovecot, BOT, name="sirui", address="sirui@dataset.test", idle=False)
    worker = make_worker(
        dovecot, boxes=[block], schedule={"poll_seconds": 3600}, extra=f"[push]\nport = {port}\n"
    )
    with running(worker):
        # the poll at start ran
        until(lambda: worker.health.checks()["mailbox:sirui"].detail == "session open")
        forged = json.dumps({"user": BOT, "folder": "INBOX", "subject": "DFME LA"}).encode()
        assert request(port, "PUT", "/push", forged) == 204
        assert worker.metrics.pushes.labels("woke")._value.get() == 1
        dovecot.deliver(BOT, application(2))
        until(lambda: count(worker, OutboxMessage, OutboxMessage.state == "sent") == 1)
    assert count(worker, InboundMessage) == 1  # the delivered message; the forged push none
    assert dovecot.uids(BOT, "INBOX") == []
