"""Is the worker doing its job? `/healthz` answers from what the worker saw (its IMAP
sessions, its scheduler's heartbeat, its threads) and from the database (reachable; the outbox
moving); `/metrics` is the Prometheus text of `worker.metrics`. Both on a local port."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

from licensebot.config import Health as HealthSettings
from licensebot.store.models import utcnow
from licensebot.worker.metrics import Metrics, outbox_backlog

log = structlog.get_logger("licensebot.health")


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str


class Health:
    """What the worker's threads report as they go, and the checks read off it.

    A mailbox counts as down from the worker's start until its first session works, and from
    the moment a session fails until one works again; it turns red only when that lasts longer
    than `imap_down_seconds` (reconnecting with backoff is normal for a while)."""

    def __init__(
        self,
        settings: HealthSettings,
        engine: Engine,
        *,
        mailboxes: Iterable[str],
        clock: Callable[[], float] = time.monotonic,
        quiet_kinds: Iterable[str] = (),
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.clock = clock
        start = clock()
        self._down_since: dict[str, float | None] = dict.fromkeys(mailboxes, start)
        self._errors: dict[str, str] = {}
        self._beat = start
        self._threads: list[threading.Thread] = []
        # kinds the relay holds back on purpose (a rate-limited broadcast): not "stuck"
        self.quiet_kinds = tuple(quiet_kinds)
        self._lock = threading.Lock()

    # -- what the worker reports --------------------------------------------------------------

    def mailbox_up(self, name: str) -> None:
        with self._lock:
            self._down_since[name] = None
            self._errors.pop(name, None)

    def mailbox_down(self, name: str, error: str) -> None:
        with self._lock:
            if self._down_since.get(name) is None:
                self._down_since[name] = self.clock()
            self._errors[name] = error

    def beat(self) -> None:
        self._beat = self.clock()

    def watch(self, thread: threading.Thread) -> None:
        self._threads.append(thread)

    # -- the checks ---------------------------------------------------------------------------

    def checks(self) -> dict[str, Check]:
        now = self.clock()
        out: dict[str, Check] = {}
        limit = self.settings.imap_down_seconds
        with self._lock:
            boxes = dict(self._down_since)
            errors = dict(self._errors)
        for name, since in sorted(boxes.items()):
            if since is None:
                out[f"mailbox:{name}"] = Check(True, "session open")
            else:
                down = now - since
                why = errors.get(name, "not connected yet")
                out[f"mailbox:{name}"] = Check(
                    down <= limit, f"no working session for {down:.0f} s (limit {limit:.0f}): {why}"
                )
        late = now - self._beat
        dead = [t.name for t in self._threads if not t.is_alive()]
        out["scheduler"] = Check(
            late <= 3 * self.settings.heartbeat_seconds and not dead,
            f"last heartbeat {late:.0f} s ago" + (f"; stopped: {', '.join(dead)}" if dead else ""),
        )
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error: the database is what is down
            out["database"] = Check(False, f"unreachable: {type(exc).__name__}: {exc}"[:300])
            return out
        out["database"] = Check(True, "reachable")
        n, oldest = outbox_backlog(self.engine, exclude_kinds=self.quiet_kinds)
        age = (utcnow() - oldest).total_seconds() if oldest else 0.0
        stuck = self.settings.outbox_stuck_seconds
        out["outbox"] = Check(
            age <= stuck, f"{n} unsent, oldest queued {age:.0f} s ago (limit {stuck:.0f})"
        )
        return out

    def report(self) -> tuple[bool, dict[str, Any]]:
        checks = self.checks()
        ok = all(c.ok for c in checks.values())
        return ok, {
            "status": "ok" if ok else "failing",
            "checks": {k: {"ok": c.ok, "detail": c.detail} for k, c in checks.items()},
        }


def serve(health: Health, metrics: Metrics, *, address: str, port: int) -> ThreadingHTTPServer:
    """Serve `/healthz` (200 or 503, JSON) and `/metrics` in a daemon thread; `shutdown()`
    stops it. The port is for this machine (or the container): bind it to loopback."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                ok, body = health.report()
                self._reply(200 if ok else 503, "application/json", json.dumps(body).encode())
            elif path == "/metrics":
                self._reply(200, CONTENT_TYPE_LATEST, generate_latest(metrics.registry))
            else:
                self._reply(404, "text/plain", b"try /healthz or /metrics\n")

        def _reply(self, code: int, ctype: str, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # scrapes every few seconds are not events

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health-http", daemon=True).start()
    log.info("health.listening", address=address, port=server.server_address[1])
    return server


def probe(*, address: str, port: int, timeout: float = 10.0) -> tuple[bool, str]:
    """Ask a running worker's `/healthz` (the container's HEALTHCHECK): healthy?, and one line
    naming what fails."""
    host = "127.0.0.1" if address in ("", "0.0.0.0") else address  # noqa: S104 - a probe
    url = f"http://{host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = json.loads(r.read())
    except urllib.error.HTTPError as e:
        body = json.loads(e.read() or b"{}")
    except (OSError, ValueError) as exc:
        return False, f"no answer from {url}: {exc}: is `licensebot run` running?"
    failing = [f"{k}: {c['detail']}" for k, c in body.get("checks", {}).items() if not c["ok"]]
    if failing:
        return False, "unhealthy: " + "; ".join(failing)
    return True, "healthy"
