"""The run loop: mailboxes watched (IDLE where offered, polling always as a safety net, and
the mail server's pushes where it sends them), the outbox flushed as soon as a reply is queued
and periodically, the daily digest slot scheduled, and a clean stop on SIGTERM. `poll_once` is
the same work done once, for cron or a dry run."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from types import FrameType
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from tenacity import Retrying, retry_if_exception_type, wait_exponential_jitter

from licensebot.config import ConfigError, Mailbox, Settings
from licensebot.errors import LicensebotError
from licensebot.mail.imap import CONNECTION_ERRORS
from licensebot.mail.sources import MailboxError, MailSession, Wake
from licensebot.reading.sandbox import start_readers, stop_spares
from licensebot.store.locks import exclusive
from licensebot.worker.app import Bot, build
from licensebot.worker.health import Health, serve
from licensebot.worker.intake import SyncReport
from licensebot.worker.la_notices import NOTICE_KIND
from licensebot.worker.notify import Notifier
from licensebot.worker.push import PushNote, mailboxes_for
from licensebot.worker.push import serve as serve_push
from licensebot.worker.relay import FlushReport

log = structlog.get_logger("licensebot.worker")

#: An IDLE session that lasted this long worked: losing it restarts the backoff from its first
#: step (a server that drops every session at once is still backed off from).
SESSION_WORKED_SECONDS = 30.0

RECONNECT_ERRORS: tuple[type[BaseException], ...] = (
    MailboxError,
    ConfigError,
    *CONNECTION_ERRORS,
)


class TemplateCheckFailed(LicensebotError):
    """The reply templates fail the start-up check; the message lists each problem."""


@dataclass
class PollReport:
    mailboxes: list[SyncReport] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    outbox: FlushReport = field(default_factory=FlushReport)


class Worker:
    def __init__(self, settings: Settings, *, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.stop = threading.Event()
        self._wake = threading.Event()
        self._box_locks = {m.name: threading.Lock() for m in settings.mailbox}
        self._flush_lock = threading.Lock()
        self.bot: Bot = build(settings, environ=environ, on_queued=self._wake.set)
        self.metrics = self.bot.metrics
        self.health = Health(
            settings.health,
            self.bot.engine,
            mailboxes=[m.name for m in settings.mailbox],
            quiet_kinds=[NOTICE_KIND] if settings.la.notices_per_minute else [],
        )
        self.notifier = Notifier(environ)
        self.http: ThreadingHTTPServer | None = None
        self.push_http: ThreadingHTTPServer | None = None
        # Pushes: a mailbox in IDLE has its wait ended (its doorbell rung); any other (polled,
        # or reconnecting) is synced by the push thread.
        self._doorbells: dict[str, Wake] = {}  # by mailbox, while `run` runs
        self._idling: set[str] = set()
        self._pushed: set[str] = set()
        self._push_lock = threading.Lock()
        self._push_ready = threading.Event()

    def check_templates(self) -> None:
        problems = self.bot.template_problems()
        if problems:
            raise TemplateCheckFailed("reply templates are broken:\n  " + "\n  ".join(problems))

    # -- one pass -----------------------------------------------------------------------------

    def sync_box(self, box: Mailbox) -> SyncReport:
        try:
            with self._box_locks[box.name], self.bot.open_session(box) as session:
                session.ensure_folders()
                return self._sync(session)
        except RECONNECT_ERRORS as exc:
            self.health.mailbox_down(box.name, str(exc))
            raise

    def _sync(self, session: MailSession) -> SyncReport:
        """One catch-up of a mailbox on an open session (the caller holds its thread lock).
        Workers sharing a PostgreSQL database take turns per mailbox folder: while one syncs
        it the others wait (or, stopping, give up), so a message is fetched, recorded, judged
        and moved by one of them; if that one dies, its lock dies with it and the next
        catches up."""
        box = session.box
        name = f"mailbox:{box.name}:{box.folder}"
        with exclusive(self.bot.engine, name, stop=self.stop) as held:
            if not held:
                return SyncReport(box.name)
            report = self.bot.intake.sync(session)
        self.health.mailbox_up(session.box.name)
        if report.fetched:
            self.metrics.fetched.labels(session.box.name).inc(report.fetched)
        return report

    def flush(self, *, hold: bool = False) -> FlushReport:
        """Send what is due; `hold` keeps the SMTP sessions open for the next flush (the run
        loop's flushes; `run` closes them when it stops)."""
        with self._flush_lock:
            return self.bot.relay.flush(hold=hold)

    def poll_once(self) -> PollReport:
        self.check_templates()
        report = PollReport()
        for box in self.settings.mailbox:
            try:
                report.mailboxes.append(self.sync_box(box))
            except RECONNECT_ERRORS as exc:
                report.errors[box.name] = str(exc)
                log.error("mailbox.error", mailbox=box.name, error=str(exc))
        report.outbox = self.flush()
        self.la_effective()
        return report

    # -- forever ------------------------------------------------------------------------------

    def run(self) -> None:
        self.check_templates()
        self._install_signals()
        # before the first message (see bench/results/soak.md), warmed with our LA versions
        start_readers(la_dir=self.settings.path(self.settings.dataset.la_dir))
        self.bot.warm_up()  # meanwhile, here: the rules' tables, the first reply's blank form
        scheduler = BackgroundScheduler(
            timezone=ZoneInfo(self.settings.schedule.timezone),
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        for job in self._jobs():
            scheduler.add_job(**job)
        threads = [threading.Thread(target=self._outbox_loop, name="outbox", daemon=True)]
        for box in self.settings.mailbox:
            if box.kind == "imap" and box.idle:
                self._doorbells[box.name] = Wake()
                threads.append(
                    threading.Thread(
                        target=self._idle_loop, args=(box,), name=f"idle:{box.name}", daemon=True
                    )
                )
        h = self.settings.health
        if h.port:
            self.http = serve(self.health, self.metrics, address=h.address, port=h.port)
        if self.settings.push.port:
            threads.append(threading.Thread(target=self._push_loop, name="push", daemon=True))
            self.push_http = serve_push(
                self.settings.push,
                self.pushed,
                count=lambda result: self.metrics.pushes.labels(result).inc(),
            )
        log.info("worker.started", mailboxes=[m.name for m in self.settings.mailbox])
        scheduler.start()
        for t in threads:
            self.health.watch(t)
            t.start()
        self.notifier.ready(f"watching {len(self.settings.mailbox)} mailbox(es)")
        self.stop.wait()
        log.info("worker.stopping")
        self.notifier.stopping()
        self._wake.set()
        self._push_ready.set()
        for bell in self._doorbells.values():
            bell.ring()  # IDLE waits end now, not at their next second
        scheduler.shutdown(wait=True)
        for t in threads:
            t.join(timeout=30)
        if not any(t.is_alive() for t in threads):
            for bell in self._doorbells.values():
                bell.close()
        stop_spares()
        self.bot.relay.close()
        for server in (self.http, self.push_http):
            if server is not None:
                server.shutdown()
                server.server_close()
        self.bot.engine.dispose()
        log.info("worker.stopped")

    def heartbeat(self) -> None:
        """The scheduler is alive: `/healthz` says so, and systemd's watchdog is fed."""
        self.health.beat()
        self.notifier.watchdog()

    def _jobs(self) -> list[dict[str, object]]:
        """Every periodic job, declared in one place."""
        s = self.settings.schedule
        jobs: list[dict[str, object]] = []
        for box in self.settings.mailbox:
            poll: dict[str, object] = {
                "func": self._poll_job,
                "args": (box,),
                "trigger": "interval",
                "seconds": s.poll_seconds,
                "id": f"poll:{box.name}",
            }
            if not (box.kind == "imap" and box.idle):
                poll["next_run_time"] = datetime.now(UTC)  # at once; IDLE threads catch up
            jobs.append(poll)
        beat = s_h = self.settings.health.heartbeat_seconds
        if self.notifier.watchdog_seconds is not None:
            beat = min(s_h, self.notifier.watchdog_seconds)
        jobs.append(
            {
                "func": self.heartbeat,
                "trigger": "interval",
                "seconds": beat,
                "id": "heartbeat",
                "next_run_time": datetime.now(UTC),
            }
        )
        jobs.append(
            {
                "func": self._wake.set,
                "trigger": "interval",
                "seconds": s.outbox_seconds,
                "id": "outbox",
            }
        )
        jobs.append(
            {
                "func": self.la_effective,
                "trigger": "cron",
                "hour": 0,
                "minute": 5,
                "id": "la_effective",
                "next_run_time": datetime.now(UTC),  # and once at start
            }
        )
        jobs.append(
            {
                "func": self.digest,
                "trigger": "cron",
                "hour": s.digest_time.hour,
                "minute": s.digest_time.minute,
                "id": "digest",
            }
        )
        jobs.append(
            {
                "func": self.purge,
                "trigger": "cron",
                "hour": self.settings.retention.purge_time.hour,
                "minute": self.settings.retention.purge_time.minute,
                "id": "retention",
            }
        )
        return jobs

    def purge(self) -> None:
        """The retention policy's daily purge (docs/retention.md)."""
        try:
            self.bot.retention.purge()
        except Exception:
            log.exception("retention.failed")

    def la_effective(self) -> None:
        """Licensees who did not opt out are on a new LA version from its effective date (and
        late licensees of an older form are told of a version still ahead)."""
        if self.bot.la is None:
            return
        with exclusive(self.bot.engine, "job:la_effective", wait=False) as held:
            if held:  # else another worker is on it right now
                self.bot.la.daily()

    def digest(self) -> None:
        """The daily digest for the latest scheduled slot (once per slot, whatever restarts)."""
        try:
            with exclusive(self.bot.engine, "job:digest", wait=False) as held:
                if not held:
                    log.info("digest.skipped", why="another worker is sending it")
                    return
                result = self.bot.digest.scheduled()
        except Exception:
            log.exception("digest.failed")
            return
        if result.skipped:
            log.info("digest.skipped", why=result.skipped)
        self._wake.set()

    def _poll_job(self, box: Mailbox) -> None:
        if self.stop.is_set():
            return
        try:
            self.sync_box(box)
        except RECONNECT_ERRORS as exc:
            log.error("mailbox.error", mailbox=box.name, error=str(exc))

    def pushed(self, note: PushNote) -> bool:
        """The mail server says mail arrived: the mailboxes it names are synced at once.
        False when it names none of ours."""
        names = mailboxes_for(note, self.settings.mailbox)
        for name in names:
            with self._push_lock:
                idling = name in self._idling
                if not idling:
                    self._pushed.add(name)
            if idling:
                self._doorbells[name].ring()  # its IDLE thread is waiting on it
            else:
                self._push_ready.set()
        return bool(names)

    def _push_loop(self) -> None:
        """Sync the pushed mailboxes that are not in IDLE (polled ones, or reconnecting);
        pushes that come while one syncs make one more sync, not one each."""
        while not self.stop.is_set():
            self._push_ready.wait()
            self._push_ready.clear()
            with self._push_lock:
                names, self._pushed = self._pushed, set()
            for box in self.settings.mailbox:
                if box.name in names and not self.stop.is_set():
                    self._poll_job(box)

    def _outbox_loop(self) -> None:
        while not self.stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self.stop.is_set():
                break
            try:
                self.flush(hold=True)
            except Exception:
                log.exception("outbox.error")
                self.stop.wait(5)

    def _idle_loop(self, box: Mailbox) -> None:
        """Hold a connection in IDLE; reconnect with exponential backoff and jitter. The
        backoff starts again from its first step after a session that worked: a server that
        drops the connection once a day is not waited on as if it had failed all year."""
        while not self.stop.is_set():
            retrying = Retrying(
                retry=retry_if_exception_type(RECONNECT_ERRORS),
                wait=wait_exponential_jitter(initial=1, max=300),
                sleep=self._sleep,
                before_sleep=lambda rs: self._lost(box, rs.attempt_number, rs.outcome),
                reraise=True,
            )
            try:
                lost = retrying(self._idle_session, box)
            except RECONNECT_ERRORS:
                log.exception("idle.gave_up", mailbox=box.name)
                return
            if lost is None:
                return  # stopping, or the server has no IDLE (the poll job watches it)
            self._lost(box, 0, lost)

    def _lost(self, box: Mailbox, attempt: int, outcome: object) -> None:
        """An IDLE session failed (or could not be opened): counted, and reconnected."""
        exc = outcome.exception() if isinstance(outcome, Future) else outcome
        error = str(exc) if exc else ""
        log.warning("idle.reconnect", mailbox=box.name, attempt=attempt, error=error)
        self.health.mailbox_down(box.name, error or "connection lost")
        self.metrics.imap_reconnects.labels(box.name).inc()

    def _sleep(self, seconds: float) -> None:
        self.stop.wait(seconds)

    def _idle_session(self, box: Mailbox) -> BaseException | None:
        """Sessions in IDLE until the worker stops (None). A failure of a session that had
        worked for `SESSION_WORKED_SECONDS` returns the error (the caller reconnects at once,
        its backoff reset); any other failure raises (the caller backs off)."""
        renew = self.settings.schedule.idle_renew_seconds
        since: float | None = None  # when the current session first synced
        try:
            while not self.stop.is_set():
                with self.bot.open_session(box) as session:
                    session.ensure_folders()
                    with self._box_locks[box.name]:
                        self._sync(session)
                    since = time.monotonic()
                    if not session.supports_wait:
                        # The scheduled poll job keeps watching this mailbox.
                        log.info("idle.unsupported", mailbox=box.name, fallback="polling")
                        return None
                    log.info("idle.watching", mailbox=box.name)
                    bell = self._doorbells.get(box.name)
                    with self._push_lock:
                        if bell is not None:
                            self._idling.add(box.name)
                    try:
                        while not self.stop.is_set():
                            session.wait(renew, self.stop, bell)
                            if self.stop.is_set():
                                break
                            # New mail (told or pushed), or time to renew the IDLE: catch up.
                            with self._box_locks[box.name]:
                                self._sync(session)
                    finally:
                        with self._push_lock:
                            self._idling.discard(box.name)
        except RECONNECT_ERRORS as exc:
            if since is None or time.monotonic() - since < SESSION_WORKED_SECONDS:
                raise
            return exc
        return None

    def _install_signals(self) -> None:
        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("worker.signal", signal=signal.Signals(signum).name)
            self.stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, handler)
            signal.signal(signal.SIGINT, handler)
