"""`/healthz`, `/metrics` and sd_notify of a running worker, against Dovecot, the SMTP
server and a real unix datagram socket: green while it works, red when the SMTP server is gone
(the outbox is stuck) and when the IMAP server is gone (no session within the limit)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from licensebot.config import load_settings
from licensebot.store.db import make_engine, upgrade
from licensebot.worker.health import probe
from licensebot.worker.notify import Notifier
from licensebot.worker.runner import Worker
from tests.mailgen import numbered_application
from tests.servers.dovecot import DovecotServer, free_port
from tests.servers.smtp import SmtpServer
from tests.support import SMTP_PASSWORD, SMTP_USER, bot_env, mailbox_block, write_config


def healthz(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    except urllib.error.URLError:
        return 0, {}  # not listening yet


def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def until(what: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def application(n: int) -> bytes:
    return numbered_application(n, tag="health")


def test_healthz_turns_red_on_a_stuck_outbox_and_a_dead_imap_session_metrics_count(
    tmp_path: Path, dovecot: DovecotServer, smtp_factory: Callable[..., SmtpServer]
) -> None:
    smtp = smtp_factory(implicit_tls=True, username=SMTP_USER, password=SMTP_PASSWORD)
    port = free_port()
    cfg = write_config(
        tmp_path,
        mailboxes=[mailbox_block(dovecot, "bot", name="sirui", address="sirui@dataset.test")],
        smtp=smtp,
        extra=f"""
[health]
port = {port}
imap_down_seconds = 1
outbox_stuck_seconds = 1
heartbeat_seconds = 0.5
""",
    )
    settings = load_settings(cfg)
    upgrade(make_engine(settings.storage.url()))
    # systemd's side of sd_notify: a datagram socket the worker is told about
    sock_path = tmp_path / "notify.sock"
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(sock_path))
    notes: list[str] = []

    def listen() -> None:
        while True:
            try:
                notes.append(systemd.recv(4096).decode())
            except OSError:
                return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    env = bot_env({"sirui": "bot-password"})
    env.update(NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    worker = Worker(settings, environ=env)
    runner = threading.Thread(target=worker.run, daemon=True)
    runner.start()
    try:
        until(lambda: healthz(port)[0] == 200)
        until(lambda: "READY=1\nSTATUS=watching 1 mailbox(es)" in notes)
        until(lambda: "WATCHDOG=1" in notes)
        status, body = healthz(port)
        assert status == 200, body
        assert set(body["checks"]) == {"mailbox:sirui", "scheduler", "database", "outbox"}
        assert probe(address="127.0.0.1", port=port) == (True, "healthy")

        # One application: fetched, decided, read by the text path, sent.
        dovecot.append("bot", "INBOX", application(1))
        smtp.wait_for(1, timeout=30)
        until(lambda: metrics(port)[("licensebot_sends_total", (("result", "sent"),))] == 1)
        # the send is counted when the server takes it; the row is marked sent with the next
        # group commit, so the depth reaches 0 a moment later
        until(lambda: metrics(port)[("licensebot_outbox_depth", ())] == 0)
        m = metrics(port)
        assert m[("licensebot_messages_fetched_total", (("mailbox", "sirui"),))] == 1
        assert m[("licensebot_decisions_total", (("decision", "reject"),))] == 1
        assert m[("licensebot_decisions_total", (("decision", "approve"),))] == 0
        assert m[("licensebot_reader_seconds_count", (("path", "text"),))] == 1
        assert m[("licensebot_ocr_failures_total", ())] == 0
        assert m[("licensebot_outbox_depth", ())] == 0
        assert m[("licensebot_digest_last_sent_timestamp_seconds", ())] == 0
        assert healthz(port)[0] == 200

        # The SMTP server goes away: the next reply cannot leave, the outbox is stuck.
        smtp.stop()
        dovecot.append("bot", "INBOX", application(2))
        until(lambda: healthz(port)[0] == 503)
        status, body = healthz(port)
        assert status == 503, body
        assert not body["checks"]["outbox"]["ok"], body
        ok, line = probe(address="127.0.0.1", port=port)
        assert not ok and line.startswith("unhealthy: outbox: 1 unsent"), line
        # the container's HEALTHCHECK: the command, its exit status and its one line
        check = subprocess.run(
            [sys.executable, "-m", "licensebot", "health", "--config", str(cfg)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert check.returncode == 1, check.stderr
        assert check.stdout.startswith("unhealthy: outbox: 1 unsent"), check.stdout
        assert body["checks"]["mailbox:sirui"]["ok"] and body["checks"]["database"]["ok"]
        m = metrics(port)
        assert m[("licensebot_outbox_depth", ())] == 1
        assert m[("licensebot_outbox_oldest_pending_age_seconds", ())] > 1
        assert m[("licensebot_sends_total", (("result", "transient"),))] >= 1

        # The IMAP server goes away: the IDLE session dies and no new one opens.
        dovecot.stop()
        until(lambda: not healthz(port)[1]["checks"]["mailbox:sirui"]["ok"])
        assert metrics(port)[("licensebot_imap_reconnects_total", (("mailbox", "sirui"),))] >= 1
        assert healthz(port)[1]["checks"]["scheduler"]["ok"]
    finally:
        worker.stop.set()
        runner.join(timeout=30)
    assert not runner.is_alive()
    until(lambda: any(n.startswith("STOPPING=1") for n in notes))
    systemd.shutdown(socket.SHUT_RDWR)
    systemd.close()


def test_sd_notify_reaches_a_unix_datagram_socket_abstract_too(tmp_path: Path) -> None:
    for address, env_value in [
        (str(tmp_path / "n.sock"), str(tmp_path / "n.sock")),
        ("\0licensebot-test-notify", "@licensebot-test-notify"),
    ]:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
            systemd.bind(address)
            n = Notifier({"NOTIFY_SOCKET": env_value, "WATCHDOG_USEC": "30000000"})
            assert n.watchdog_seconds == 15
            assert n.ready("watching 2 mailbox(es)")
            assert systemd.recv(4096) == b"READY=1\nSTATUS=watching 2 mailbox(es)"
            assert n.watchdog()
            assert systemd.recv(4096) == b"WATCHDOG=1"
    # Not under systemd: nothing sent, nothing fails; a watchdog meant for another process
    # (WATCHDOG_PID) is not ours to feed.
    assert not Notifier({}).ready("x")
    other = {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "10", "WATCHDOG_PID": "1"}
    assert Notifier(other).watchdog_seconds is None
